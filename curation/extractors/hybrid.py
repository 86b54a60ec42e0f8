"""The default offline extractor: the cue rules find where a review may state an action and read
its context (``cues.py``); two small fitted linear models (``hybrid_model.json``, fitted on the
development set's tuning part by ``python -m curation.extractors.fit``) decide what rules decide
badly — whether a review gives a usable reason, and whether a cue is a real action of the reviewer;
the priority order (``PRIORITY``) picks among the actions that count. Deterministic and offline;
about as fast as the rules alone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from curation.extractors import Drop, Extraction, Progress, ReviewInput
from curation.extractors.config import Config
from curation.extractors.cues import find_candidates
from curation.extractors.features import candidate_features, keep_features
from curation.extractors.linear import LinearModel
from curation.extractors.review import extraction, parse, reasons
from curation.extractors.rules import choose, ruled_out, without_reinstalls

MODEL = Path(__file__).parent / "hybrid_model.json"


@dataclass(frozen=True)
class HybridModel:
    keep: LinearModel
    action: LinearModel
    version: str

    @classmethod
    def load(cls, path: Path = MODEL) -> HybridModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(LinearModel.from_dict(data["keep"]), LinearModel.from_dict(data["action"]), data["version"])


@cache
def _shipped_model() -> HybridModel:
    return HybridModel.load()


@dataclass
class HybridExtractor:
    config: Config
    model: HybridModel
    name: str = "hybrid"

    @property
    def version(self) -> str:
        return self.model.version

    def extract_all(self, reviews: Sequence[ReviewInput], progress: Progress) -> list[Extraction | Drop]:
        return [self.extract(review) for review in progress(reviews, "extracting tuples", len(reviews))]

    def stats(self) -> dict[str, int | float | str]:
        return {}

    def extract(self, review: ReviewInput) -> Extraction | Drop:
        parsed = parse(review, self.config)
        if isinstance(parsed, Drop):
            return parsed
        if not self.model.keep.decide(keep_features(parsed)):
            return Drop("no_rationale")
        candidates = without_reinstalls(find_candidates(parsed.sentences, parsed.name_words))
        cue = choose([c for c in candidates if not ruled_out(c) and self.model.action.decide(candidate_features(c, parsed))])
        return extraction(parsed, cue.action_type if cue else "rate", cue, reasons(parsed, cue, loose=True), self.config)


def from_config(config: Config, model: HybridModel | None = None) -> HybridExtractor:
    return HybridExtractor(config, model or _shipped_model())
