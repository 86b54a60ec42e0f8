"""The rule extractor: the action cues (``cues.py``) accepted by fixed rules, the priority order,
and a review kept when it has a specific sentence (``text.is_specific``). Deterministic, offline,
no fitted artefact; the hybrid extractor replaces the two fixed decisions with fitted ones.

A cue counts when it is not negated, not hypothetical and not in a question, and its actor is the
reviewer (``first`` or ``implied``); a recommendation may also be worded as advice ("get it now")
but not come from someone else, and is not believed in a review of 1-2 stars. An uninstall next to
a reinstall is an attempt to make the app work (``update``). Of the cues that count, the first type
in ``PRIORITY`` wins; with none, the star rating is the action (``rate``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from curation.extractors import PRIORITY, Drop, Extraction, Progress, ReviewInput
from curation.extractors.config import Config
from curation.extractors.cues import Candidate, find_candidates
from curation.extractors.review import ParsedReview, extraction, parse, reasons

RANK = {action_type: rank for rank, action_type in enumerate(PRIORITY)}


def ruled_out(candidate: Candidate) -> bool:
    """What rules read reliably and no fitted model may overturn (guidelines §1): a negated,
    hypothetical or questioned action, someone else's (or the app's own), or advice to the reader —
    a recommendation is advice by nature, and its subject may be the app ("this app is a must")."""
    if candidate.negated or candidate.hypothetical or candidate.question or candidate.actor == "third":
        return True
    return candidate.actor in ("second", "app") and candidate.action_type != "recommend"


def rule_accepts(candidate: Candidate, rating: int | None) -> bool:
    if ruled_out(candidate):
        return False
    if candidate.action_type == "recommend":
        return rating is None or rating >= 3
    return candidate.actor in ("first", "implied")


def without_reinstalls(candidates: list[Candidate]) -> list[Candidate]:
    """An uninstall followed by a reinstall in the same or the next sentence ("deleted it and
    downloaded it again") is an attempt to make the app work, not a removal."""
    reinstalls = [c for c in candidates if "reinstall" in c.flags]

    def reinstalled_after(c: Candidate) -> bool:
        return any(r.sentence == c.sentence + 1 or (r.sentence == c.sentence and r.start > c.start) for r in reinstalls)

    return [c for c in candidates if not (c.action_type == "uninstall" and reinstalled_after(c))]


def choose(candidates: Sequence[Candidate]) -> Candidate | None:
    return min(candidates, key=lambda c: (RANK[c.action_type], c.sentence, c.start), default=None)


@dataclass
class RuleExtractor:
    config: Config
    name: str = "rules"
    version: str = "rules-2"

    def extract_all(self, reviews: Sequence[ReviewInput], progress: Progress) -> list[Extraction | Drop]:
        return [self.extract(review) for review in progress(reviews, "extracting tuples", len(reviews))]

    def stats(self) -> dict[str, int | float | str]:
        return {}

    def extract(self, review: ReviewInput) -> Extraction | Drop:
        parsed = parse(review, self.config)
        if isinstance(parsed, Drop):
            return parsed
        return self.decide(parsed, find_candidates(parsed.sentences, parsed.name_words))

    def decide(self, parsed: ParsedReview, candidates: list[Candidate]) -> Extraction | Drop:
        cue = choose([c for c in without_reinstalls(candidates) if rule_accepts(c, parsed.review.rating)])
        return extraction(parsed, cue.action_type if cue else "rate", cue, reasons(parsed, cue), self.config)


def from_config(config: Config) -> RuleExtractor:
    return RuleExtractor(config)
