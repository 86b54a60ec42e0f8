"""What every offline extractor does around the action decision: read a review into sentences, drop
what carries no usable reason (guidelines §4), and write the tuple (rationale, intent, action text,
evidence) once the action type is chosen."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property

from curation.extractors import Drop, Extraction, ReviewInput
from curation.extractors.config import Config
from curation.extractors.cues import Candidate
from curation.extractors.intent import genre_intent, stated_intent
from curation.extractors.text import WORD, english_share, is_specific, latin_share, sentences, specific_words, transliterated_share, truncate, words

ACTION_TEXT = {
    "cancel": "cancelled their subscription or order with {name}, or asked for a refund",
    "switch_app": "switched away from {name} to another app",
    "uninstall": "uninstalled {name}",
    "stop_using": "stopped using {name}",
    "contact_support": "contacted {name}'s support",
    "update": "updated, reinstalled or changed settings to get {name} working",
    "pay": "paid for a purchase or plan in {name}",
    "recommend": "recommends {name} to others",
    "keep_using": "keeps using {name}",
}
_REASON_CLAUSE = re.compile(r"\b(?:because(?: of)?|since|due to)\b\s*(.+)$", re.I)
_NON_LATIN_WORD = re.compile(r"[^\W\d_A-Za-z]+")
MIN_ENGLISH_SHARE = 0.12  # below this share of common English words a 4+-word review is another language
MAX_TRANSLITERATED_SHARE = 0.25  # or at or above this share of common Hindi/Indonesian/Spanish/… words


@dataclass(frozen=True)
class ParsedReview:
    review: ReviewInput
    title_sentences: list[str]
    body_sentences: list[str]
    name_words: frozenset[str]  # the app's own name: never a reason on its own
    sentences: list[str]  # title first, then body
    sentence_words: list[list[str]]  # text.words of each sentence

    @cached_property
    def words(self) -> list[str]:
        return [w for found in self.sentence_words for w in found]

    @cached_property
    def specific_sentences(self) -> list[bool]:
        """Whether each sentence is specific (``text.is_specific``)."""
        return [is_specific(s, self.name_words, w) for s, w in zip(self.sentences, self.sentence_words, strict=True)]

    def specific(self, index: int) -> bool:
        return self.specific_sentences[index]


def parse(review: ReviewInput, config: Config) -> ParsedReview | Drop:
    """The review's sentences (title first), or a drop when it is too short or not English."""
    body = review.text or ""
    title = (review.title or "").strip() if config.use_title else ""
    full = f"{title}\n{body}" if title else body
    n_words = len(WORD.findall(full)) + len(_NON_LATIN_WORD.findall(full))
    if n_words < config.min_words:
        return Drop("too_short")
    if latin_share(full) < config.min_latin_share:
        return Drop("non_latin_script")
    title_sentences = sentences(title) if title else []
    body_sentences = sentences(body)
    all_sentences = title_sentences + body_sentences
    sentence_words = [words(sentence) for sentence in all_sentences]
    found = [w for sentence in sentence_words for w in sentence]
    if n_words >= 4 and (english_share(found) < MIN_ENGLISH_SHARE or transliterated_share(found) >= MAX_TRANSLITERATED_SHARE):
        return Drop("not_english")
    name_words = frozenset(words(review.context_name))
    return ParsedReview(review, title_sentences, body_sentences, name_words, all_sentences, sentence_words)


def reasons(parsed: ParsedReview, cue: Candidate | None, loose: bool = False) -> list[str]:
    """The reason-carrying sentences in review order: the clause after "because" in the cue
    sentence first, then every specific sentence (the bare statement of the action is left out).

    ``loose``: the caller has already judged that the review gives a reason; when no sentence is
    specific ("Too much ads"), the sentences with any content word are the reason."""
    found: list[str] = []
    all_sents = parsed.sentences
    if cue:
        match = _REASON_CLAUSE.search(all_sents[cue.sentence])
        if match and is_specific(match.group(1), parsed.name_words):
            found.append(match.group(1))
    n_title = len(parsed.title_sentences)
    for index in range(n_title, len(all_sents)) if parsed.body_sentences else range(n_title):
        sentence = all_sents[index]
        if cue and index == cue.sentence and not is_specific(sentence.replace(cue.cue, " "), parsed.name_words):
            continue  # "Deleted the app today." states the action, not a reason
        if parsed.specific(index) and not any(sentence in r or r in sentence for r in found):
            found.append(sentence)
    if not found and n_title and parsed.specific(0):
        found.append(all_sents[0])
    if not found and loose:
        found = [s for s, w in zip(all_sents, parsed.sentence_words, strict=True) if specific_words(w, parsed.name_words)]
    return found


def extraction(parsed: ParsedReview, action_type: str, cue: Candidate | None, reason_sentences: list[str], config: Config) -> Extraction | Drop:
    """The tuple for a kept review, or a drop when its rationale is too short once cleaned."""
    if not reason_sentences:
        return Drop("no_rationale")
    rationale = truncate(reason_sentences, config.max_rationale_chars)
    rationale = rationale[0].upper() + rationale[1:]
    if len(WORD.findall(rationale)) < config.min_rationale_words:
        return Drop("rationale_too_short")
    review = parsed.review
    name = review.context_name
    if action_type == "rate":
        stars = review.rating
        action = f"rated {name} {stars} star{'s' if stars != 1 else ''}" if stars is not None else f"reviewed {name}"
    else:
        action = ACTION_TEXT[action_type].format(name=name)
    intent = stated_intent(parsed.sentences, name)
    evidence = json.dumps({"cue": cue.cue if cue else None, "rating": review.rating, "developer_replied": bool(review.reply_text)}, ensure_ascii=False)
    return Extraction(
        intent=intent or genre_intent(name, review.genre),
        intent_source="stated" if intent else "genre",
        action=action,
        action_type=action_type,
        rationale=rationale,
        evidence=evidence,
    )
