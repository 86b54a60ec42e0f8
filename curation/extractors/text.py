"""Text helpers shared by the extractors: cleaning, sentences, words, and what counts as a specific
(reason-carrying) sentence versus generic praise or abuse (guidelines §4)."""

from __future__ import annotations

import re

WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_URL = re.compile(r"https?://\S+|www\.\S+", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_PHONE = re.compile(r"\+?\d[\d\s().-]{7,}\d")
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D\u20E3]+")
_REPEAT_PUNCT = re.compile(r"([!?.…])\1+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])\s+|\n+|(?<=[a-z]\.)(?=[A-Z])")
_ELONGATED = re.compile(r"([a-z])\1{2,}")
REASON_MARKER = re.compile(r"\b(?:because|since|due to|as a result|the reason|so that|which means)\b", re.I)

# Words that carry no reason on their own: function words, generic praise and abuse, slang
# intensifiers ("besttt" is read as "best", "game changer bro" says nothing about the app).
GENERIC = frozenset("""
a an the this that these those it its it's is are was were be been being am i i'm im me my we our you your they them he she
and or but so if then than too very really much more most just also even still ever all any some such
app apps application applications game games play good nice great best better awesome amazing excellent super cool fine ok okay
bad worst poor terrible horrible awful useless trash waste love like hate enjoy fun wow osm
to of in on for with at by from as not no yes do does did have has had will would can could should
one thing things lot lots please pls plz bro bruh sir thanks thank guys keep up work job experience overall
ever time times every day always never truly totally definitely highly game's app's
i've i'd i'll we've we're you're they're there here what which who when where how about into out up down over after
before again only now well while other same many few each both sometimes often usually
use used using play played playing make makes made get got give gave go going want need know think see feel try
review reviews honestly update star stars five four three two rating
wonderful fantastic brilliant superb perfect perfectly lovely loved loving loves liked likes happy glad satisfied
pleased impressed impressive incredible exceptional outstanding phenomenal fabulous marvelous marvellous epic legendary
favorite favourite fav helpful useful interesting enjoyable enjoyed beautiful gorgeous cute nicest greatest
dope lit fire goat lol lmao omg swear changer changing vibe vibes sigma noice yay yeah yes woah wah wawww
worse worthless rubbish garbage crap sucks suck sucked disappointing disappointed disappointment annoying pathetic
app's thing's something anything everything nothing everyone anyone someone people guys man dude bro's
recommend recommended must ever whole life world ever thank-you
""".split())


def clean_text(text: str) -> str:
    """The person's words with identifiers, emoji and noise removed."""
    text = _URL.sub("", text)
    text = _EMAIL.sub("", text)
    text = _PHONE.sub("", text)
    text = _EMOJI.sub("", text)
    text = _REPEAT_PUNCT.sub(r"\1", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(text.replace("’", "'").split()))
    return re.sub(r"([,;:])(?=[,;:.!?])", "", text).strip(" -–—,;:")


def sentences(text: str) -> list[str]:
    return [s for s in (clean_text(p) for p in _SENTENCE_SPLIT.split(text)) if s]


def normalize_word(word: str) -> str:
    """Lower case, quotes stripped, letter runs folded ("besttt" -> "best", "sooo" -> "so")."""
    word = word.lower().strip("'’-")
    if _ELONGATED.search(word):
        folded = _ELONGATED.sub(r"\1\1", word)
        word = folded if folded in GENERIC else _ELONGATED.sub(r"\1", word)
    return word


def words(text: str) -> list[str]:
    return [normalize_word(m.group(0)) for m in WORD.finditer(text)]


def content_words(text: str, also_generic: frozenset[str] = frozenset()) -> list[str]:
    return [w for w in words(text) if len(w) > 1 and w not in GENERIC and w not in also_generic]


def is_specific(sentence: str, also_generic: frozenset[str] = frozenset()) -> bool:
    """Names something beyond generic praise/abuse: two content words, or a reason marker and one.

    The app's own name does not count ("nice cricket game" says nothing about Real Cricket)."""
    found = content_words(sentence, also_generic)
    return len(found) >= 2 or (len(found) == 1 and bool(REASON_MARKER.search(sentence)))


def latin_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if c.isascii()) / len(letters)


# The commonest English words: a review in Latin script with almost none of them is in another
# language or transliterated ("Bhai mera download nahi ho raha hai", "Muy completo").
_ENGLISH = frozenset("""
the a an and or but is are was were be been it its this that i my me we you your they he she to of in on for with at by from
not no so very good app game have has had do does did can can't cannot will would all just like love nice great best bad
too much more please use using work works working when what how why there here one get got make only also than
""".split())


def english_share(text: str) -> float:
    found = words(text)
    return sum(w in _ENGLISH for w in found) / len(found) if found else 0.0


def truncate(parts: list[str], limit: int) -> str:
    """Join whole sentences up to about ``limit`` characters; cut the last at a word with "…"."""
    out: list[str] = []
    length = 0
    for part in parts:
        if out and length + len(part) + 1 > limit:
            break
        out.append(part)
        length += len(part) + 1
    text = " ".join(out)
    if len(text) > limit:
        cut = text[:limit].rsplit(" ", 1)[0]
        text = cut.rstrip(",;: ") + " …"
    return text
