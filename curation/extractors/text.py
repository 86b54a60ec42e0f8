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
_DIGIT_RUN = re.compile(r"\d{3}")
_DOUBLE_PUNCT = re.compile(r"([,;:])(?=[,;:.!?])")
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


def _strip_identifiers(text: str) -> str:
    """URLs, e-mail addresses, phone numbers and emoji removed (each pass only when it can match)."""
    if "http" in text or "www" in text:
        text = _URL.sub("", text)
    if "@" in text:
        text = _EMAIL.sub("", text)
    if _DIGIT_RUN.search(text):
        text = _PHONE.sub("", text)
    if not text.isascii():
        text = _EMOJI.sub("", text)
    return text


def _tidy(text: str) -> str:
    text = _REPEAT_PUNCT.sub(r"\1", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(text.replace("’", "'").split()))
    return _DOUBLE_PUNCT.sub("", text).strip(" -–—,;:")


def clean_text(text: str) -> str:
    """The person's words with identifiers, emoji and noise removed."""
    return _tidy(_strip_identifiers(text))


def sentences(text: str) -> list[str]:
    return [s for s in (_tidy(p) for p in _SENTENCE_SPLIT.split(_strip_identifiers(text))) if s]


_LOWER_WORD = re.compile(r"[a-z](?:[a-z'’-]*[a-z])?")


def _fold(word: str) -> str:
    """Letter runs folded: "besttt" -> "best", "sooo" -> "so" (a double letter is kept when that is a known word)."""
    folded = _ELONGATED.sub(r"\1\1", word)
    return folded if folded in GENERIC else _ELONGATED.sub(r"\1", word)


def words(text: str) -> list[str]:
    """Lower-case words, quotes and dashes at the ends stripped, letter runs folded."""
    lowered = text.lower()
    found = _LOWER_WORD.findall(lowered)
    if _ELONGATED.search(lowered):
        found = [_fold(w) if _ELONGATED.search(w) else w for w in found]
    return found


def content_words(text: str, also_generic: frozenset[str] = frozenset()) -> list[str]:
    return specific_words(words(text), also_generic)


def specific_words(found: list[str], also_generic: frozenset[str] = frozenset()) -> list[str]:
    return [w for w in found if len(w) > 1 and w not in GENERIC and w not in also_generic]


def is_specific(sentence: str, also_generic: frozenset[str] = frozenset(), found: list[str] | None = None) -> bool:
    """Names something beyond generic praise/abuse: two content words, or a reason marker and one.

    The app's own name does not count ("nice cricket game" says nothing about Real Cricket).
    ``found``: the sentence's ``words``, when the caller has them already."""
    content = specific_words(words(sentence) if found is None else found, also_generic)
    return len(content) >= 2 or (len(content) == 1 and bool(REASON_MARKER.search(sentence)))


_LATIN_LETTER = re.compile(r"[A-Za-z]")
_OTHER_LETTER = re.compile(r"[^\W\d_A-Za-z]")


def latin_share(text: str) -> float:
    latin = len(_LATIN_LETTER.findall(text))
    other = 0 if text.isascii() else len(_OTHER_LETTER.findall(text))
    return latin / (latin + other) if latin + other else 0.0


# What a reason is made of (guidelines §4): a quality of the app, a problem with it, or something
# else specific. Words that only say what kind of app it is ("banking", "learning languages",
# "trails") are not a reason on their own. App-independent lists: the fitted keep model weighs them.
QUALITY = frozenset("""
easy easier easiest simple simpler fast faster fastest quick quicker quickly smooth smoothly seamless seamlessly secure security safe
reliable reliability stable intuitive user-friendly friendly convenient convenience clean organized organised accurate accuracy
efficient effortless responsive lightweight flexible customizable customisable versatile affordable cheap cheaper cheapest free
legit authentic genuine realistic detailed informative clear straightforward uncluttered powerful robust offline
difficult hard harder confusing complicated unintuitive clunky cluttered bloated slow slower sluggish laggy expensive overpriced
pricey unreliable unstable unusable inaccurate limited intrusive invasive spammy tedious
""".split())
PROBLEM = frozenset("""
crash crashes crashed crashing bug bugs buggy glitch glitches glitchy freeze freezes freezing froze frozen lag lags lagging hang hangs
error errors fail fails failed failing failure broken broke fix fixed fixing issue issues problem problems stuck loading load loads
ads ad adverts advertisement advertisements advertising fee fees charge charges charged charging price prices pricing cost costs
subscription paywall refund scam scammed scammer scammers fake fraud fraudulent login logging password otp verification verify
notification notifications sync syncing battery storage privacy location delete deleted deleting lost missing disappear disappeared
disappears unable can't cannot won't doesn't didn't isn't wasn't couldn't wouldn't keeps kept
""".split())
PURPOSE = frozenset("""
bank banking finance financial money payment payments pay paying transaction transactions transfer transfers wallet
shop shopping buy buying sell selling store shoes sneakers items item stuff products product deals
learn learning language languages lesson lessons study studying english spanish french german japanese korean chinese
note notes note-taking notebook writing write organize organizing planning plan productivity
hike hiking hikes trail trails outdoor
chat chatting messaging message messages communication communicate team teams work workplace business office collaboration
cricket sport sports player players match matches
digital online mobile platform service services everyday daily life
""".split())

# The commonest English words: a review in Latin script with almost none of them is in another
# language or transliterated ("Muy completo y recibe actualizaciones"); one with many function words
# of a language commonly transliterated in app stores is, too ("Bhai mera download nahi ho raha hai").
_ENGLISH = frozenset("""
the a an and or but is are was were be been being it its it's this that these those i i'm i've my me we our you your they them he
she his her to of in on for with at by from as not no yes so very too much more most all any some just like love nice great best
good bad better worse worst app apps game games have has had do does did done can can't cannot could will would should won't
don't doesn't didn't isn't wasn't please use using used work works working worked when what how why where who there here one get
got make made only also than then now even still again ever never always really well new old time day thing things way lot
update fix problem issue support help easy fast slow free money account phone after before because if about out up down
need want know think see try tried keep give take say said go going come back every other many same first last while
""".split())
_TRANSLITERATED = frozenset("""
hai hain nahi nhi nahin ka ki ke ko se ho raha rha rahi mera meri tera bhai bahut bohot bhut acha achha accha kya kar karo
tho toh hi bhi yeh ye wo woh aur lekin sab mai mein main isme iska jab tak diya dilado bekaar bakwaas ganda
yang dan tidak ini itu saya untuk dengan aplikasi bagus sangat sudah bisa tolong
muy que por para con una los las pero esta este como mas bien bueno excelente gracias mejor
não uma para com muito bom ótimo obrigado
tres pour avec tout bien c'est mais merci
sehr nicht und ist das mit gut danke
""".split())


def english_share(found: list[str]) -> float:
    """Share of ``found`` (a text's ``words``) that are common English words."""
    return sum(w in _ENGLISH for w in found) / len(found) if found else 0.0


def transliterated_share(found: list[str]) -> float:
    """Share of ``found`` that are common words of a language often transliterated in app stores."""
    return sum(w in _TRANSLITERATED for w in found) / len(found) if found else 0.0


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
