"""Extraction: a deduplicated review -> (intent, action, action_type, rationale), or a drop with a reason.

The default extractor (``RuleExtractor``) is deterministic and offline. It reads a review sentence by
sentence:

* **Action** — explicit cues, checked in priority order (the most consequential action wins when a
  review states several): cancelling / refunds, reinstalling or updating to make the app work,
  uninstalling, switching to another app, stopping, paying, contacting support, recommending,
  keeping on using. A cue preceded by a negation ("never uninstall") does not count. With no cue the
  action is the star rating itself (``rate``). ``action_type`` comes from the closed vocabulary
  ``pisar_data.schema.ACTION_TYPES``; ``action`` is a short templated sentence ("uninstalled Slack").
* **Evidence** — the cue, the star rating and whether the developer replied are kept in
  ``evidence``. The rating settles polarity: a "recommend" cue in a 1-2 star review, or a
  "keep using" cue in a 1-star review, is not believed.
* **Intent** — what the person says they were doing ("when I try to open a thread", "I use it to
  coordinate my team"); with nothing stated, a template from the app's genre ("play Real Cricket",
  "bank and pay with Dashen"). ``intent_source`` says which ("stated" / "genre").
* **Rationale** — the person's own reasons, in their words: the clause after "because"/"since" in
  the cue sentence, then every *specific* sentence (one naming something beyond generic praise or
  abuse, e.g. "too many ads after every over") in review order, up to ``max_rationale_chars``.
  Cleaning removes URLs, e-mail addresses, phone numbers, emoji and repeated punctuation.

Drop reasons (table ``extract_drops``): ``too_short`` (fewer than ``min_words`` words),
``non_latin_script`` (the cues are English), ``no_rationale`` (no specific sentence: "good game",
"worst app ever"), ``rationale_too_short`` (fewer than ``min_rationale_words`` words survive cleaning).

``extractor = "llm"`` sends each review to a chat model instead (``curation/extractors/llm.py``,
settings in the recipe's ``[extract.llm]`` table), with this extractor as its fallback; the default
never needs the network.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from curation.extractors import Drop, Extraction, Extractor, Progress, ReviewInput
from curation.extractors.llm import LlmExtractor, LlmSettings
from curation.stages import BuildContext, StageResult, Tables
from pisar_data.errors import UserError
from pisar_data.schema import ACTION_TYPES

NAME = "extract"


@dataclass
class Config:
    """Rule-based extraction parameters (the reference recipe's values are the defaults).

    extractor: "rules" (the deterministic default) or "llm" (a chat model; these rules are its fallback).
    min_words: reviews shorter than this (words, title included) carry no usable reason: "good app".
    min_rationale_words: a cleaned rationale needs at least this many words to be credible.
    max_rationale_chars: rationales are cut at a sentence boundary near this length (a typical
        store-review reason fits in 2-3 sentences; longer text dilutes anchoring).
    min_latin_share: share of letters that must be Latin script (the cue lexicon is English).
    use_title: prepend the review title (App Store) as its own sentence.
    llm: the ``[extract.llm]`` table: endpoint, model and decoding of the LLM extractor
        (``curation.extractors.llm.LlmSettings`` documents each key).
    """

    extractor: str = "rules"
    min_words: int = 3
    min_rationale_words: int = 3
    max_rationale_chars: int = 400
    min_latin_share: float = 0.6
    use_title: bool = True
    llm: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.extractor not in ("rules", "llm"):
            raise ValueError(f"extractor: unknown extractor {self.extractor!r}; expected 'rules' or 'llm'")
        if self.extractor == "llm" or self.llm:
            try:
                LlmSettings.from_table(self.llm, "llm")
            except UserError as error:
                raise ValueError(str(error)) from None  # the recipe reader adds the file and [extract]


# ----------------------------------------------------------------------------------------------------------
# Lexicons

_NEGATION = re.compile(r"\b(?:not|never|no|don'?t|doesn'?t|didn'?t|won'?t|wouldn'?t|can'?t|cannot|do not|did not|will not)\s+(?:\w+\s+){0,2}$", re.I)
_APP = r"(?:the |this |that |your |my )?(?:app|application|game|it|slack|\w+ app)"

# (action_type, pattern). Order = priority: the first type with an un-negated match wins.
_CUES: list[tuple[str, re.Pattern]] = [
    ("cancel", re.compile(
        r"\b(?:cancel+(?:ed|ing)?|unsubscrib\w*)\b[^.!?]{0,40}\b(?:subscription|plan|membership|premium|account|order)\b"
        r"|\brefund(?:ed|s)?\b|\bmy money back\b|\bcharged me\b", re.I)),
    ("update", re.compile(
        r"\bre-?install(?:ed|ing)?\b|\bi(?:'ve| have)? (?:just )?updated\b|\bupdated (?:it|the app|to the latest)\b"
        r"|\b(?:cleared|clearing) (?:the )?(?:cache|data|storage)\b|\bforce[- ]?(?:quit|clos)\w*\b"
        r"|\bturned (?:it |them |notifications |the \w+ )?(?:off|back on|on again)\b|\bchanged (?:the |my )?settings?\b"
        r"|\bi (?:had to |have to )?(?:close|restart)(?:ed)? and (?:re)?open\b|\blogged out and (?:back )?in\b"
        r"|\bi wish i'?d never updated\b|\bi updated\b|\bupdated to (?:the latest|the new|version|v?\d)", re.I)),
    ("uninstall", re.compile(
        r"\buninstall\w*\b|\bun-install\w*\b|\b(?:deleted|deleting|delete|removed|removing|remove)\s+" + _APP + r"\b", re.I)),
    ("switch_app", re.compile(
        r"\b(?:switch(?:ed|ing)?|mov(?:ed|ing)|migrat(?:ed|ing)|go(?:ing)? back|went back)\s+(?:over\s+|back\s+)?to\s+"
        r"(?:using\s+)?(?:another|other|a different|a new|(?-i:[A-Z][\w.]+))"
        r"|\b(?:looking|seeking|searching) (?:for|into) (?:an? |some )?(?:other|better |new )?(?:alternatives?|platforms?|apps?|options|tools|services)\b"
        r"|\bconsidering (?:switching|moving|teams|discord|whatsapp)\b|\bleaving (?:slack|the app|this app|it)\b"
        r"|\b(?:exclusively|only) use the (?:desktop|web|browser)\b|\bon other (?:services|apps|platforms)\b|\b(?:i|we) use \w+ instead\b", re.I)),
    ("stop_using", re.compile(
        r"\bstopped (?:using|playing)\b|\bquit (?:using|playing)\b|\bno longer (?:use|play)\b|\bgave up on\b"
        r"|\b(?:don'?t|won'?t) use (?:it|this|the app) (?:any ?more|anymore)\b|\bnot anymore\b", re.I)),
    ("pay", re.compile(
        r"\b(?:i|we) (?:have )?(?:paid|pay|bought|purchased|subscribed|upgraded)\b|\bin[- ]app purchases?\b"
        r"|\b(?:paid|pay(?:ing)?) for (?:the |a |premium|pro|vip|coins|gems)|\bupgraded (?:from|to) (?:the )?(?:free|paid|premium|pro)\b"
        r"|\bdone an? in app\b|\bupgraded to\b", re.I)),
    ("contact_support", re.compile(
        r"\b(?:contact(?:ed|ing)?|e-?mail(?:ed|ing)?|call(?:ed|ing)?|wrote to|writing to|reach(?:ed)? out to|messag(?:ed|ing)|asked)\s+"
        r"(?:your |the |their )?(?:customer )?(?:support|service|help ?desk|developers?|dev team|team|tech help)\b"
        r"|\bcustomer service (?:has|have|had|took|is|was|said|told)\b|\btech help\b|\bsupport (?:team )?(?:said|told|replied|responded)\b"
        r"|\bdev team responded\b|\b(?:submitted|opened|filed) a (?:ticket|bug report)\b|\breported (?:it|this|the (?:bug|issue|problem))\b", re.I)),
    ("recommend", re.compile(
        r"\b(?:highly |definitely |would |strongly |i )?recommend(?:ed)?\b|\bmust[- ]have\b|\bmust try\b|\bgive it a try\b"
        r"|\bworth (?:checking|trying|downloading|it)\b|\bdownload it now\b|\b(?:invite|encourage|tell(?:ing)?) (?:everyone|my friends|others)\b"
        r"|\bgotten my friends into\b|\bshould be on every phone\b", re.I)),
    ("keep_using", re.compile(
        r"\bstill (?:use|using|play|playing)\b|\bkeep (?:using|playing)\b|\bi use (?:it|this|slack|the app|this app) (?:every ?day|daily|all day|for|to|at)\b"
        r"|\b(?:i|we)(?:'ve| have)? (?:been )?(?:using|used|playing|played) (?:it |this |slack |the app |this app |the game )?(?:for|since)\b"
        r"|\bwe use (?:it|this|slack)\b|\bi use (?:it|this) (?:all|every)\b|\bi(?:'ve| have) used (?:slack|it|this)\b"
        r"|\bi use the app\b|\bi use this app\b|\bi (?:like and )?play only\b|\bstarted using\b|\b(?:enjoy|love) using\b"
        r"|\b(?:i|we) still\b[^.!?]{0,20}\b(?:use|using)\b|\bforced to use\b", re.I)),
]
# "not recommended" / "don't try" warn others off: no vocabulary entry, so the rating is the action.
_WARN = re.compile(r"\bnot recommend(?:ed)?\b|\b(?:don'?t|do not|never) (?:try|download|install)\b", re.I)

_ACTION_TEXT = {
    "cancel": "cancelled their subscription or asked {name} for a refund",
    "update": "updated, reinstalled or changed settings to get {name} working",
    "uninstall": "uninstalled {name}",
    "switch_app": "switched away from {name} to another app",
    "stop_using": "stopped using {name}",
    "pay": "paid for an in-app purchase or plan in {name}",
    "contact_support": "contacted {name}'s support",
    "recommend": "recommends {name} to others",
    "keep_using": "keeps using {name}",
}

_REASON_MARKER = re.compile(r"\b(?:because|since|due to|as a result|the reason|so that|which means)\b", re.I)
_REASON_CLAUSE = re.compile(r"\b(?:because(?: of)?|since|due to)\b\s*(.+)$", re.I)

# Words that carry no reason on their own: function words and generic praise/abuse.
_GENERIC = frozenset("""
a an the this that these those it its it's is are was were be been being am i i'm im me my we our you your they them he she
and or but so if then than too very really so much more most just also even still ever all any some such
app apps application game games play good nice great best better awesome amazing excellent super cool fine ok okay
bad worst poor terrible horrible awful useless trash waste love like hate enjoy fun wow osm
to of in on for with at by from as not no yes do does did have has had will would can could should
one thing things lot lots please pls plz bro sir thanks thank guys keep up work job experience overall
ever time times every day always never really truly totally definitely highly game's app's
i've i'd i'll we've we're you're they're there here what which who when where how about into out up down over after
before again only now well has been being while other same many few each both sometimes often usually
use used using play played playing make makes made get got give gave go going want need know think see feel try
review reviews quick honestly update star stars five four three two rating
""".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_URL = re.compile(r"https?://\S+|www\.\S+", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_PHONE = re.compile(r"\+?\d[\d\s().-]{7,}\d")
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D\u20E3]+")
_REPEAT_PUNCT = re.compile(r"([!?.…])\1+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")
_CLAUSE_END = re.compile(r"\s(?:and|but|because|since|so|when|while|until|then|which)\s", re.I)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])\s+|\n+|(?<=[a-z]\.)(?=[A-Z])")

_INTENT_PATTERNS = [
    re.compile(r"\b(?:i|we|i'm|i am|we're|we are|was|were|been|keep|when)\s+(?:\w+\s+)?(?:trying|tried|try|attempting|attempted|wanted|want|needed|need)\s+to\s+([^.!?;,\n]{4,80})", re.I),
    re.compile(r"\b(?:figure out how|in order) to (?:even )?([^.!?;,\n]{4,80})", re.I),
    re.compile(r"\bwhen (?:i|we)\s+(?:try to |tried to |want to )?(?!(?:got|get|getting|was|were|am|had|have|saw|see|first|received|receive|heard)\b)([^.!?;,\n]{4,80})", re.I),
    re.compile(r"\b(?:i|we)(?:'ve| have)? (?:been |started |start )?(?:using|used|use) (?:it|this(?: app)?|the app|\w+)(?: \w+){0,3}? (for|as|to) (?!(?:a|the past|about|over|\d+|one|two|three|four|five|several|many)\b)([^.!?;\n]{4,80})", re.I),
]

_GENRE_INTENTS = [
    (re.compile(r"game|sport|action|arcade|puzzle|casual|racing|strategy|simulation|role|card|board", re.I), "play {name}"),
    (re.compile(r"financ|bank", re.I), "bank, pay and transfer money with {name}"),
    (re.compile(r"business|productiv|communication", re.I), "communicate and coordinate work with {name}"),
    (re.compile(r"social|dating", re.I), "keep up with people on {name}"),
    (re.compile(r"shopping", re.I), "shop with {name}"),
    (re.compile(r"travel|navigation|maps|auto", re.I), "get around with {name}"),
    (re.compile(r"music|audio|video|entertainment|photo", re.I), "enjoy media with {name}"),
    (re.compile(r"education", re.I), "learn with {name}"),
    (re.compile(r"health|fitness|medical", re.I), "look after their health with {name}"),
    (re.compile(r"food|drink", re.I), "order food with {name}"),
]


# ----------------------------------------------------------------------------------------------------------
# Helpers


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


def content_words(text: str, also_generic: frozenset[str] = frozenset()) -> list[str]:
    words = (m.group(0).lower().strip("'’-") for m in _WORD.finditer(text))
    return [w for w in words if len(w) > 1 and w not in _GENERIC and w not in also_generic]


def is_specific(sentence: str, also_generic: frozenset[str] = frozenset()) -> bool:
    """Names something beyond generic praise/abuse: two content words, or a reason marker and one.

    The app's own name does not count ("nice cricket game" says nothing about Real Cricket)."""
    words = content_words(sentence, also_generic)
    return len(words) >= 2 or (len(words) == 1 and bool(_REASON_MARKER.search(sentence)))


def latin_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if c.isascii()) / len(letters)


def find_cue(sents: list[str]) -> tuple[str, int, str] | None:
    """(action_type, sentence index, matched text) of the highest-priority un-negated cue."""
    for action_type, pattern in _CUES:
        for index, sentence in enumerate(sents):
            for match in pattern.finditer(sentence):
                if not _NEGATION.search(sentence[: match.start()]):
                    return action_type, index, match.group(0)
    return None


def stated_intent(sents: list[str], name: str) -> str | None:
    """What the person says they were doing ("open a thread"), or "use NAME for/to …" for a stated purpose."""
    for pattern in _INTENT_PATTERNS:
        for sentence in sents:
            match = pattern.search(sentence)
            if match:
                phrase = _CLAUSE_END.split(match.group(match.lastindex), maxsplit=1)[0].strip(" '\",")
                if len(content_words(phrase)) >= 1:
                    phrase = phrase[0].lower() + phrase[1:]
                    return f"use {name} {match.group(1).lower()} {phrase}" if match.lastindex == 2 else phrase
    return None


def genre_intent(name: str, genre: str | None) -> str:
    for pattern, template in _GENRE_INTENTS:
        if genre and pattern.search(genre):
            return template.format(name=name)
    return f"use {name}"


def _truncate(parts: list[str], limit: int) -> str:
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


# ----------------------------------------------------------------------------------------------------------
# The default extractor


@dataclass
class RuleExtractor:
    config: Config
    name: str = "rules"
    version: str = "rules-1"

    def extract_all(self, reviews, progress: Progress) -> list[Extraction | Drop]:
        return [self.extract(review) for review in progress(reviews, "extracting tuples", len(reviews))]

    def stats(self) -> dict[str, int | float | str]:
        return {}

    def extract(self, review: ReviewInput) -> Extraction | Drop:
        config = self.config
        body = review.text or ""
        title = (review.title or "").strip() if config.use_title else ""
        full = f"{title}\n{body}" if title else body
        if len(_WORD.findall(full)) + len(re.findall(r"[^\W\d_A-Za-z]+", full)) < config.min_words:
            return Drop("too_short")
        if latin_share(full) < config.min_latin_share:
            return Drop("non_latin_script")
        body_sents = sentences(body)
        title_sents = sentences(title) if title else []
        all_sents = title_sents + body_sents

        cue = find_cue(all_sents)
        rating = review.rating
        action_type = cue[0] if cue else "rate"
        # The rating is evidence: praise-type cues in angry reviews are not believed.
        if action_type == "recommend" and (rating is not None and rating <= 3 or any(_WARN.search(s) for s in all_sents)):
            action_type = "rate"

        name_words = frozenset(w.lower() for w in _WORD.findall(review.context_name))
        reasons: list[str] = []
        if cue:
            match = _REASON_CLAUSE.search(all_sents[cue[1]])
            if match and is_specific(match.group(1), name_words):
                reasons.append(match.group(1))
        cue_sentence = all_sents[cue[1]] if cue else None
        for sentence in body_sents or title_sents:
            if sentence is cue_sentence and not is_specific(sentence.replace(cue[2], " "), name_words):
                continue  # "Deleted the app today." states the action, not a reason
            if is_specific(sentence, name_words) and not any(sentence in r or r in sentence for r in reasons):
                reasons.append(sentence)
        if not reasons and title_sents and is_specific(title_sents[0], name_words):
            reasons.append(title_sents[0])
        if not reasons:
            return Drop("no_rationale")
        rationale = _truncate(reasons, config.max_rationale_chars)
        rationale = rationale[0].upper() + rationale[1:]
        if len(_WORD.findall(rationale)) < config.min_rationale_words:
            return Drop("rationale_too_short")

        name = review.context_name
        if action_type == "rate":
            action = f"rated {name} {rating} star{'s' if rating != 1 else ''}" if rating is not None else f"reviewed {name}"
        else:
            action = _ACTION_TEXT[action_type].format(name=name)
        intent = stated_intent(all_sents, name)
        evidence = json.dumps(
            {"cue": cue[2] if cue else None, "rating": rating, "developer_replied": bool(review.reply_text)},
            ensure_ascii=False,
        )
        return Extraction(
            intent=intent or genre_intent(name, review.genre),
            intent_source="stated" if intent else "genre",
            action=action,
            action_type=action_type,
            rationale=rationale,
            evidence=evidence,
        )


def make_extractor(config: Config) -> Extractor:
    if config.extractor == "llm":
        return LlmExtractor(LlmSettings.from_table(config.llm, "llm"), fallback=RuleExtractor(config))
    return RuleExtractor(config)


TUPLE_SCHEMA = {
    "id": pl.Utf8, "review_id": pl.Utf8, "source": pl.Utf8, "context_id": pl.Utf8, "context_name": pl.Utf8,
    "genre": pl.Utf8, "intent": pl.Utf8, "intent_source": pl.Utf8, "action": pl.Utf8, "action_type": pl.Utf8,
    "rationale": pl.Utf8, "evidence": pl.Utf8, "rating": pl.Int32, "lang": pl.Utf8, "created_at": pl.Datetime("us"),
}
DROP_SCHEMA = {"review_id": pl.Utf8, "reason": pl.Utf8}


def run(tables: Tables, config: Config, ctx: BuildContext) -> StageResult:
    extractor = make_extractor(config)
    reviews = tables["reviews_dedup"]
    apps = tables.get("apps")
    if apps is not None and apps.height:
        genres = apps.select("context_id", "source", pl.col("genre").alias("_app_genre")).unique(["context_id", "source"], keep="first")
        reviews = reviews.join(genres, on=["context_id", "source"], how="left").with_columns(
            pl.coalesce("genre", "_app_genre").alias("genre")
        )
    columns = ["review_id", "source", "context_id", "context_name", "genre", "title", "text", "rating", "reply_text", "lang", "created_at"]
    kept: list[dict] = []
    drops: list[dict] = []
    records = reviews.select(columns).to_dicts()
    inputs = [
        ReviewInput(
            review_id=record["review_id"], text=record["text"] or "", title=record["title"], rating=record["rating"],
            reply_text=record["reply_text"], context_name=record["context_name"] or record["context_id"], genre=record["genre"],
        )
        for record in records
    ]
    for record, review, result in zip(records, inputs, extractor.extract_all(inputs, ctx.progress), strict=True):
        if isinstance(result, Drop):
            drops.append({"review_id": record["review_id"], "reason": result.reason})
            continue
        kept.append({
            "id": record["review_id"], "review_id": record["review_id"], "source": record["source"],
            "context_id": record["context_id"], "context_name": review.context_name, "genre": record["genre"],
            "intent": result.intent, "intent_source": result.intent_source, "action": result.action,
            "action_type": result.action_type, "rationale": result.rationale, "evidence": result.evidence,
            "rating": record["rating"], "lang": record["lang"], "created_at": record["created_at"],
        })
    tuples = pl.DataFrame(kept, schema=TUPLE_SCHEMA).sort("id")
    drop_table = pl.DataFrame(drops, schema=DROP_SCHEMA).sort("review_id")
    counts: dict[str, int | float | str] = {"extractor": extractor.name, "extractor_version": extractor.version, **extractor.stats(),
                                           "in": reviews.height, "out": tuples.height}
    for reason, n in sorted(drop_table.group_by("reason").len().iter_rows()):
        counts[f"dropped_{reason}"] = n
    for action_type in ACTION_TYPES:
        n = tuples.filter(pl.col("action_type") == action_type).height
        if n:
            counts[f"action_{action_type}"] = n
    counts["intent_stated"] = tuples.filter(pl.col("intent_source") == "stated").height
    return StageResult(tables={"review_tuples": tuples, "extract_drops": drop_table}, counts=counts)
