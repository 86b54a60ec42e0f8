"""Review extractors: one review in, an ``Extraction`` (intent, action, action_type, rationale) or a
``Drop`` with its reason out.

Every extractor has the same small contract (``Extractor``) so that the build's extract stage,
``pisar extract`` and ``bench/extract_accuracy.py`` run any of them the same way: ``extract_all``
takes the reviews in order and returns one result per review in the same order (an extractor that
calls a model batches, caches and parallelises inside it), ``stats()`` gives the figures that go into
the build manifest (e.g. fallbacks, tokens, cost), and ``version`` names the rules/artefact/prompt
version so a manifest says exactly what produced its rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ReviewInput:
    review_id: str
    text: str
    title: str | None
    rating: int | None
    reply_text: str | None
    context_name: str
    genre: str | None


@dataclass(frozen=True)
class Extraction:
    intent: str
    intent_source: str  # "stated" | "genre"
    action: str
    action_type: str
    rationale: str
    evidence: str  # JSON: what the decision rests on (cue, rating, developer_replied, …)


@dataclass(frozen=True)
class Drop:
    reason: str


# progress(iterable, description, total) -> iterable, as BuildContext.progress
Progress = Callable[..., Iterable]


class Extractor(Protocol):
    name: str  # recipe name of the extractor ("rules", "llm", …)
    version: str  # version of its rules / fitted artefact / prompt, recorded in the manifest

    def extract_all(self, reviews: Sequence[ReviewInput], progress: Progress) -> list[Extraction | Drop]: ...

    def stats(self) -> dict[str, int | float | str]: ...
