"""Features for the hybrid extractor's two fitted decisions, written so that they carry over to apps
the model never saw: they describe *how* a review is written (length, specific words, problems,
requests, who acts, negation, hypotheticals, the star rating), never which app it is about.

* ``keep_features`` — does the review give a usable reason (guidelines §4)?
* ``candidate_features`` — is this cue a real action of the reviewer (guidelines §1–2)?

Each returns a dict of feature name -> value; ``linear.LinearModel`` scores it.
"""

from __future__ import annotations

import re

from curation.extractors.cues import Candidate
from curation.extractors.review import ParsedReview
from curation.extractors.rules import rule_accepts
from curation.extractors.text import GENERIC, PROBLEM, PURPOSE, QUALITY, REASON_MARKER

_REQUEST = re.compile(r"\b(?:please|pls|plz|add|wish|would be (?:nice|great|better)|need(?:s)? (?:to|a|an|more)|should (?:add|have|be)|bring back|hope)\b", re.I)
_CONTRAST = re.compile(r"\b(?:but|however|except|though|although|only (?:thing|problem|issue|complaint))\b", re.I)
_COMPARISON = re.compile(r"\b(?:better|worse|cheaper|faster|slower|easier|harder)\s+than\b|\bcompared to\b|\bunlike\b", re.I)
_DIGIT = re.compile(r"\d|[$£€]")
_MIDCAPS = re.compile(r"(?<=[a-z,] )[A-Z][a-z]+")
_NEGATIVE_TYPES = frozenset({"cancel", "switch_app", "uninstall", "stop_using"})
_POSITIVE_TYPES = frozenset({"recommend", "keep_using", "pay"})


def _bin(value: int, edges: tuple[int, ...]) -> str:
    for edge in edges:
        if value <= edge:
            return f"<={edge}"
    return f">{edges[-1]}"


def keep_features(parsed: ParsedReview) -> dict[str, float]:
    text = " ".join(parsed.sentences)
    all_words = parsed.words
    generic = problem = quality = purpose = other = 0
    name_words = parsed.name_words
    for w in all_words:
        is_problem = w in PROBLEM
        problem += is_problem
        if w in GENERIC or len(w) < 2 or w in name_words:
            generic += w in GENERIC
        elif w in QUALITY:
            quality += 1
        elif w in PURPOSE:
            purpose += 1
        elif not is_problem:
            other += 1
    rating = parsed.review.rating
    features = {
        "bias": 1.0,
        f"words{_bin(len(all_words), (3, 5, 8, 12, 20, 40))}": 1.0,
        f"quality_words{_bin(quality, (0, 1, 2))}": 1.0,
        f"problem_words{_bin(problem, (0, 1, 2))}": 1.0,
        f"purpose_words{_bin(purpose, (0, 1, 2))}": 1.0,
        f"other_specific_words{_bin(other, (0, 1, 2, 4, 7))}": 1.0,
        "rule_specific": float(any(parsed.specific_sentences)),
        "generic_share": generic / max(len(all_words), 1),
        "request": float(bool(_REQUEST.search(text))),
        "contrast": float(bool(_CONTRAST.search(text))),
        "reason_marker": float(bool(REASON_MARKER.search(text))),
        "comparison": float(bool(_COMPARISON.search(text))),
        "digits": float(bool(_DIGIT.search(text))),
        "named_things": float(bool(_MIDCAPS.search(text))),
        f"sentences{_bin(len(parsed.sentences), (1, 2, 4))}": 1.0,
    }
    if rating is not None:
        features[f"rating={rating}"] = 1.0
    return features


def candidate_features(candidate: Candidate, parsed: ParsedReview) -> dict[str, float]:
    kind = candidate.action_type
    rating = parsed.review.rating
    sentence = parsed.sentences[candidate.sentence].lower()
    features = {
        "bias": 1.0,
        "rule_accepts": float(rule_accepts(candidate, rating)),
        f"{kind}:rule_accepts": float(rule_accepts(candidate, rating)),
        f"type={kind}": 1.0,
        f"actor={candidate.actor}": 1.0,
        f"{kind}:actor={candidate.actor}": 1.0,
        "negated": float(candidate.negated),
        f"{kind}:negated": float(candidate.negated),
        "hypothetical": float(candidate.hypothetical),
        f"{kind}:hypothetical": float(candidate.hypothetical),
        "question": float(candidate.question),
        "imperative": float(candidate.imperative),
        f"{kind}:imperative": float(candidate.imperative),
        "in_title": float(candidate.sentence < len(parsed.title_sentences)),
        "second_person_sentence": float(bool(re.search(r"\b(?:you|your|u)\b", sentence))),
        f"{kind}:long_cue": float(len(candidate.cue.split()) >= 3),
    }
    if rating is not None:
        polarity = "negative" if kind in _NEGATIVE_TYPES else "positive" if kind in _POSITIVE_TYPES else "neutral"
        features[f"{polarity}:rating={rating}"] = 1.0
    return features
