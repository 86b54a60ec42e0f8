"""Stage ``clean``: Unicode repair, whitespace, minimum content, spam, PII scrubbing, language.

Reads ``reviews``; writes ``reviews_clean`` (same columns; ``text``, ``title`` and ``reply_text``
repaired, normalized and scrubbed; ``lang`` set to the detected language) and ``clean_log``
(review_id, action ``dropped``|``altered``, reason, detail) with one row per review and reason.
Steps, in order (a dropped review is logged with the first rule it fails):

1. repair: ``ftfy.fix_text`` (mojibake, HTML entities, curly-quote damage); whitespace runs become
   one space, line breaks are kept as one newline; logged as ``altered``/``unicode_repaired`` and
   ``whitespace_normalized``.
2. minimum content (``empty``, ``emoji_only``, ``too_few_letters``, ``too_few_words``).
3. spam (``spam_link``: a URL in the text; ``spam_repetition``: a character repeated
   ``max_char_run``+ times in a row or one word making most of a 4+-word text; ``spam_promo``:
   referral/promo-code/"earn money"/"contact me on WhatsApp" patterns). Run before scrubbing so
   links are still visible.
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
from pisar_data.pii import URL, scrub

NAME = "clean"
TEXT_FIELDS = ("text", "title", "reply_text")
PROMO = (
    r"promo ?code|referral (?:code|link)|use my code|invite code|free (?:coins|gems|diamonds|money)"
    r"|earn (?:money|\$)|make money|whats ?app me|contact me on (?:whatsapp|telegram)|telegram me|click (?:here|the link)"
)


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
    drop_links, drop_promo: the link and promo spam rules on/off.
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
    if config.drop_links and (link := URL.search(text)):
        return "spam_link", link.group()[:80]
    if run := re.search(r"(.)\1{%d,}" % (config.max_char_run - 1), text):
        return "spam_repetition", f"{run.group(1)!r} x{len(run.group())}"
    words = [w.lower() for w in re.findall(r"[^\W_]+", text)]
    if len(words) >= 4:
        top = max(set(words), key=words.count)
        if words.count(top) / len(words) > config.max_word_share:
            return "spam_repetition", f"{top!r} {words.count(top)}/{len(words)} words"
    if config.drop_promo and (promo := re.search(PROMO, text, re.IGNORECASE)):
        return "spam_promo", promo.group()
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
