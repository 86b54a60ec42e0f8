"""Stage ``clean``: Unicode repair, whitespace, minimum content, spam, PII scrubbing, language.

Reads ``reviews``; writes ``reviews_clean`` (same columns; ``text``, ``title`` and ``reply_text``
repaired, normalized and scrubbed; ``lang`` set to the detected language) and ``clean_log``
(review_id, action ``dropped``|``altered``, reason, detail) with one row per review and reason.
Steps, in order (a dropped review is logged with the first rule it fails):

1. repair: ``ftfy.fix_text`` (mojibake, HTML entities, curly-quote damage); whitespace runs become
   one space, line breaks are kept as one newline; logged as ``altered``/``unicode_repaired`` and
   ``whitespace_normalized``.
2. minimum content (``empty``, ``emoji_only``, ``too_few_letters``, ``too_few_words``).
3. spam, run before scrubbing so links and handles are still visible:
   ``spam_repetition``: a character repeated ``max_char_run``+ times in a row, or one word making
   most of a 4+-word text. ``spam_promo``: the writer advertises something of their own — a code to
   use ("use my code FREE500", "my referral code is 7HK2P9"), their channel, page or account
   ("subscribe to my channel", "follow me @name for …"), a money scheme ("earn $500 a day"), or free
   stuff plus a way to reach them ("free gift cards, DM me"). ``spam_link``: a link with a call to
   open it ("visit", "download", "click", …) or with little else around it. Each rule needs the
   self-promotion, not just the words: a complaint about a code, a channel or a link ("the promo
   code field says my code is invalid", "I can't post to my channel", "I posted screenshots here:
   <url>") is kept, and its link or address is scrubbed in step 4. A call to action counts only as
   an imperative: after "I", "to", "can't", … ("when I visit my profile it crashes") it does not.
4. PII (:mod:`pisar_data.pii`) in text, title and reply: replaced by ``[email]``, ``[phone]``,
   ``[url]``, ``[handle]``, ``[name]``; logged as ``altered``/``pii_<kind>`` with the field names.
5. language (lingua, built once per process and configuration, restricted to
   ``candidate_languages``): the top language is taken when its confidence is >= ``min_confidence``.
   Short texts often fall below it ("good", "nice app"): then the pull's ``lang`` hint is taken if
   lingua gives it at least ``hint_min_confidence``; otherwise the language is undetermined and the
   review is dropped as ``language_uncertain``. A detected language outside ``languages`` is dropped
   as ``language_<code>``.

Counts: ``in``, ``out``, ``dropped_<reason>`` and ``altered_<reason>`` for every reason that occurred.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import ftfy
import polars as pl

from curation.stages import BuildContext, StageResult, Tables
from pisar_data.pii import EMAIL, URL, scrub

NAME = "clean"
TEXT_FIELDS = ("text", "title", "reply_text")
# Spam cues (see step 3 of the module docstring). A cue marked imperative only counts when the word
# before it is not a subject or auxiliary ("please visit my channel" counts, "when I visit my channel"
# does not).
_CODE = r"""["'“]?(?=[A-Za-z0-9-]*\d)(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9-]{4,16}\b|\b[A-Z]{5,16}\b"""  # FREE500, 7HK2P9, GEMSFREE
_PLATFORM = r"youtube|yt|tiktok|insta(?:gram)?|ig|telegram|twitch|facebook|fb|twitter|snapchat|discord"
_OWN = rf"(?:my|our)\s+(?:new\s+|first\s+|latest\s+)?(?:(?:{_PLATFORM}|music|gaming)\s+)?"
_MEDIA = r"channel|chanel|videos?|stream|music|feed|website|site|shop|store|app|game"
# (verbs, what they promote): "go to my account" is a settings tip and "check my account" a support request,
# so those verbs only count with media the writer publishes.
_PROMOTE = (
    (r"sub(?:scribe)?(?:\s+to)?|follow|join", _MEDIA + r"|page|profile|account|group|server"),
    (r"visit", _MEDIA + r"|page|profile"),
    (r"check\s+out|check|watch|download|go\s+to", _MEDIA),
)
PROMO_IMPERATIVE = re.compile(
    r"\b(?:use|enter|apply|redeem|try)\s+(?:my\s+|this\s+|the\s+)?(?:referral\s+|invite\s+|invitation\s+|promo\s+|bonus\s+)?code\s*[:=-]?\s*(?-i:" + _CODE + r")"
    r"|\b(?:use|click|join\s+with|sign\s+up\s+(?:with|using))\s+my\s+(?:referral\s+|invite\s+)?link\b"
    + "".join(rf"|\b(?:{verbs})\s+{_OWN}(?:{things})\b" for verbs, things in _PROMOTE)
    + rf"|\bcheck\s+{_OWN}(?:{_MEDIA})\s+out\b"
    + rf"|\b(?:{'|'.join(verbs for verbs, _ in _PROMOTE)})\s+(?:my|our)\s+(?:{_PLATFORM})\b"
    r"|\bfollow\s+me\s+(?:on|at|for|to|@|\[handle\])"
    r"|\b(?:subscribe|sub)\s+(?:to\s+)?(?:me|us)\b"
    r"|\b(?:earn|make)\s+(?:up\s+to\s+)?(?:[$₹€£]\s?\d[\d,.]*k?|\d[\d,.]*k?\s?(?:\$|dollars|usd|rs|rupees|naira))\s*(?:per|a|an|every|each|/)\s*(?:hour|day|week|month)\b",
    re.IGNORECASE,
)
PROMO_ANYWHERE = re.compile(
    r"\bmy\s+(?:referral|invite|invitation|promo)\s+code\s*(?:is|:|=|-)\s*(?-i:" + _CODE + r")",
    re.IGNORECASE,
)
INCENTIVE = re.compile(
    r"\bfree\s+(?:[A-Za-z]+\s+)?(?:gift\s*cards?|coins|gems|diamonds|robux|v-?bucks|money|cash|followers|likes|spins|credits|recharge|iphones?)\b"
    r"|\bgiveaway\b|\bwin\s+(?:a|an|free|\$)\s*\w+|\b(?:earn|make)\s+(?:easy\s+|fast\s+|quick\s+)?money\b",
    re.IGNORECASE,
)
CONTACT = re.compile(
    r"\b(?:dm|inbox|message|text|contact|whats\s?app|telegram|add)\s+me\b|\blink\s+in\s+(?:my\s+)?bio\b|(?<![\w@.])@[A-Za-z_]\w{2,}|\[handle\]",
    re.IGNORECASE,
)
LINK_CALL = re.compile(r"\b(?:visit|download|click|join|sign\s+up|register|install|check\s+out|go\s+to|grab|get\s+(?:it|yours|free))\b", re.IGNORECASE)
# Words after which a verb is not an imperative: "I visit", "to join", "can't follow", "it should follow".
NOT_IMPERATIVE = {
    "i", "we", "you", "they", "he", "she", "it", "to", "not", "cannot", "can't", "cant", "don't", "dont", "doesn't",
    "doesnt", "didn't", "didnt", "won't", "wont", "can", "could", "would", "should", "will", "may", "might", "must",
    "shall", "i'll", "i'd", "we'll", "i've", "who", "that", "which", "and", "or", "also", "then", "just", "never", "always",
}


def _imperative(text: str, start: int) -> bool:
    before = re.findall(r"[\w'’]+", text[max(0, start - 30):start])
    return not before or before[-1].lower().replace("’", "'") not in NOT_IMPERATIVE


def promo_problem(text: str) -> str | None:
    """The promotional phrase of a spam text (see step 3 of the module docstring), else None."""
    for match in PROMO_IMPERATIVE.finditer(text):
        if _imperative(text, match.start()):
            return match.group()
    if match := PROMO_ANYWHERE.search(text):
        return match.group()
    if (incentive := INCENTIVE.search(text)) and (contact := CONTACT.search(text)):
        return f"{incentive.group()} … {contact.group()}"
    return None


def link_problem(text: str) -> str | None:
    """A promotional link: a URL with a call to open it or a free-stuff offer, or with fewer than 4 other words.
    E-mail addresses are not links."""
    without_emails = EMAIL.sub(" ", text)
    link = URL.search(without_emails)
    if link is None:
        return None
    calls = [m for m in LINK_CALL.finditer(without_emails) if _imperative(without_emails, m.start())] or INCENTIVE.findall(without_emails)
    rest = re.findall(r"[^\W_]+", URL.sub(" ", without_emails))
    return link.group()[:80] if calls or len(rest) < 4 else None


@dataclass(frozen=True)
class Config:
    """Recipe section ``[clean]``.

    languages: ISO 639-1 codes of the languages kept (reference: English only, the benchmark's language).
    candidate_languages: the only languages lingua chooses between. A small set is faster and much
        more accurate on short texts (over all 75 languages "good" is Somali and "ok" Swahili); texts
        in a language outside the set come out with low confidence and are dropped as uncertain.
    min_confidence: lingua confidence (0–1, relative over the candidates) at which its top language is
        taken without help; 0.5 = the top language is more likely than all others together.
    hint_min_confidence: below ``min_confidence``, the pull's ``lang`` hint is used if lingua gives it
        at least this much (a store queried with lang=en returns mostly English; 0.1 still rejects a
        text lingua is sure is another language).
    min_letters, min_words: minimum content: letters in the text, words (runs of letters/digits).
        Defaults keep one-word reviews ("good", "Excellent") — near-duplicate removal deals with them.
    max_char_run: a character repeated this many times in a row is spam ("goooooooooood", "!!!!!!!!!!").
    max_word_share: in a text of 4+ words, one word making more than this share of them is spam.
    drop_links, drop_promo: the promotional-link and promo spam rules on/off.
    """

    languages: tuple[str, ...] = ("en",)
    candidate_languages: tuple[str, ...] = ("en", "es", "fr", "de", "pt", "it", "nl", "id", "tr", "hi", "ar")
    min_confidence: float = 0.5
    hint_min_confidence: float = 0.1
    min_letters: int = 2
    min_words: int = 1
    max_char_run: int = 10
    max_word_share: float = 0.6
    drop_links: bool = True
    drop_promo: bool = True

    def __post_init__(self):
        from lingua import Language

        known = {language.iso_code_639_1.name.lower() for language in Language.all()}
        for name in ("languages", "candidate_languages"):
            unknown = [code for code in getattr(self, name) if not isinstance(code, str) or code.lower() not in known]
            if unknown:
                raise ValueError(f"{name}: {unknown[0]!r} is not an ISO 639-1 code lingua knows; expected codes such as 'en', 'de', 'es'")


@lru_cache(maxsize=4)
def detector(candidates: tuple[str, ...]):
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in candidates]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def repair(text: str | None) -> str | None:
    if text is None:
        return None
    fixed = ftfy.fix_text(text)
    lines = (re.sub(r"[^\S\n]+", " ", line).strip() for line in fixed.splitlines())
    return "\n".join(line for line in lines if line)


def content_problem(text: str, config: Config) -> tuple[str, str] | None:
    letters = sum(c.isalpha() for c in text)
    words = re.findall(r"[^\W_]+", text)
    if not text.strip():
        return "empty", ""
    if letters == 0 and not any(c.isdigit() for c in text) and any(ord(c) > 0x2000 for c in text):
        return "emoji_only", text[:40]
    if letters < config.min_letters:
        return "too_few_letters", f"{letters} letters"
    if len(words) < config.min_words:
        return "too_few_words", f"{len(words)} words"
    return None


def spam_problem(text: str, config: Config) -> tuple[str, str] | None:
    if run := re.search(r"(.)\1{%d,}" % (config.max_char_run - 1), text):
        return "spam_repetition", f"{run.group(1)!r} x{len(run.group())}"
    words = [w.lower() for w in re.findall(r"[^\W_]+", text)]
    if len(words) >= 4:
        top = max(set(words), key=words.count)
        if words.count(top) / len(words) > config.max_word_share:
            return "spam_repetition", f"{top!r} {words.count(top)}/{len(words)} words"
    if config.drop_promo and (promo := promo_problem(text)):
        return "spam_promo", promo[:80]
    if config.drop_links and (link := link_problem(text)):
        return "spam_link", link
    return None


def detect_languages(texts: list[str], hints: list[str | None], config: Config) -> list[tuple[str | None, float]]:
    """(language code or None, confidence) per text, by the rule in the module docstring."""
    if not texts:
        return []
    results = detector(tuple(config.candidate_languages)).compute_language_confidence_values_in_parallel(texts)
    out = []
    for values, hint in zip(results, hints):
        scores = {v.language.iso_code_639_1.name.lower(): v.value for v in values}
        top = max(scores, key=scores.get) if scores else None
        if top is not None and scores[top] >= config.min_confidence:
            out.append((top, scores[top]))
        elif hint and scores.get(hint.lower(), 0.0) >= config.hint_min_confidence:
            out.append((hint.lower(), scores[hint.lower()]))
        else:
            out.append((None, scores.get(top, 0.0) if top else 0.0))
    return out


def run(tables: Tables, config: Config, ctx: BuildContext) -> StageResult:
    reviews = tables["reviews"]
    rows = reviews.to_dicts()
    log: list[dict] = []
    survivors: list[dict] = []
    for row in ctx.track(rows, "clean: repair, content, spam, PII", len(rows)):
        review_id = row["review_id"]
        changed: dict[str, list[str]] = {}
        for name in TEXT_FIELDS:
            original = row.get(name)
            fixed = ftfy.fix_text(original) if original is not None else None
            repaired = repair(original)
            if fixed != original:
                changed.setdefault("unicode_repaired", []).append(name)
            if repaired != fixed:
                changed.setdefault("whitespace_normalized", []).append(name)
            row[name] = repaired
        text = row["text"] or ""
        problem = content_problem(text, config) or spam_problem(text, config)
        if problem:
            log.append({"review_id": review_id, "action": "dropped", "reason": problem[0], "detail": problem[1]})
            continue
        for name in TEXT_FIELDS:
            row[name], kinds = scrub(row.get(name))
            for kind in kinds:
                changed.setdefault(f"pii_{kind}", []).append(name)
        log += [{"review_id": review_id, "action": "altered", "reason": reason, "detail": ",".join(fields)} for reason, fields in changed.items()]
        survivors.append(row)

    languages = detect_languages([r["text"] for r in survivors], [r.get("lang") for r in survivors], config)
    kept = []
    for row, (language, confidence) in zip(survivors, languages):
        reason = "language_uncertain" if language is None else None if language in config.languages else f"language_{language}"
        if reason:
            log.append({"review_id": row["review_id"], "action": "dropped", "reason": reason, "detail": f"confidence {confidence:.2f}"})
            continue
        row["lang"] = language
        kept.append(row)

    # Altered rows that were dropped later keep only their drop entry.
    dropped_ids = {entry["review_id"] for entry in log if entry["action"] == "dropped"}
    log = [e for e in log if e["action"] == "dropped" or e["review_id"] not in dropped_ids]
    clean = pl.DataFrame(kept, schema=reviews.schema) if kept else reviews.clear()
    clean_log = pl.DataFrame(log, schema={"review_id": pl.Utf8, "action": pl.Utf8, "reason": pl.Utf8, "detail": pl.Utf8})
    clean_log = clean_log.sort("review_id", "action", "reason")
    counts: dict[str, int | float | str] = {"in": len(reviews), "out": len(clean)}
    for (action, reason), n in sorted(_reason_counts(clean_log).items()):
        counts[f"{action}_{reason}"] = n
    counts["languages_kept"] = ",".join(config.languages)
    return StageResult(tables={"reviews_clean": clean, "clean_log": clean_log}, counts=counts)


def _reason_counts(log: pl.DataFrame) -> dict[tuple[str, str], int]:
    grouped = log.group_by("action", "reason").len()
    return {(a, r): int(n) for a, r, n in grouped.iter_rows()}
