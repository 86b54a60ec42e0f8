"""Review extractors: one review in, an ``Extraction`` (intent, action, action_type, rationale) or a
``Drop`` with its reason out.

Every extractor has the same small contract (``Extractor``) so that the build's extract stage,
``pisar extract`` and ``bench/extract_accuracy.py`` run any of them the same way: ``extract_all``
takes the reviews in order and returns one result per review in the same order (an extractor that
calls a model batches, caches and parallelises inside it), ``stats()`` gives the figures that go into
the build manifest (e.g. fallbacks, tokens, cost), and ``version`` names the rules/artefact/prompt
version so a manifest says exactly what produced its rows.

What an extractor must decide is specified in ``curation/extraction_guidelines.md`` (also the LLM
extractor's prompt). ``make_extractor(config)`` builds one by its recipe name (``EXTRACTORS``); a
module is imported only when its extractor is asked for, so the offline default never imports a
model client or torch.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from curation.extractors.config import Config

GUIDELINES = Path(__file__).resolve().parents[1] / "extraction_guidelines.md"

# When a review states several actions, the first of these wins (guidelines §3: actions that end
# the relationship with the app first, then steps taken to fix a problem, then commitments and
# advocacy, then continued use; `rate` is what remains). The one place the order is written down.
PRIORITY: tuple[str, ...] = (
    "cancel", "switch_app", "uninstall", "stop_using", "contact_support", "update", "pay", "recommend", "keep_using", "rate",
)
REVIEW_ACTION_TYPES = frozenset(PRIORITY)


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


def result_counts(results: Sequence[Extraction | Drop]) -> dict[str, int]:
    """What the stage and `pisar extract` report of a run: ``dropped_<reason>`` (sorted by reason),
    ``action_<type>`` for each type that occurs (in ``ACTION_TYPES`` order) and ``intent_stated``."""
    from pisar_data.schema import ACTION_TYPES

    kept = [r for r in results if not isinstance(r, Drop)]
    drops = Counter(r.reason for r in results if isinstance(r, Drop))
    types = Counter(r.action_type for r in kept)
    return {
        **{f"dropped_{reason}": n for reason, n in sorted(drops.items())},
        **{f"action_{action_type}": types[action_type] for action_type in ACTION_TYPES if types[action_type]},
        "intent_stated": sum(r.intent_source == "stated" for r in kept),
    }


def _hybrid(config: Config) -> Extractor:
    from curation.extractors.hybrid import from_config

    return from_config(config)


def _rules(config: Config) -> Extractor:
    from curation.extractors.rules import from_config

    return from_config(config)


def _llm(config: Config) -> Extractor:
    from curation.extractors.llm import LlmExtractor, LlmSettings

    offline = make_extractor(dataclasses.replace(config, extractor=DEFAULT_EXTRACTOR))
    return LlmExtractor(LlmSettings.from_table(config.llm, "llm"), fallback=offline)


# recipe name -> factory(config) -> Extractor; each factory imports its extractor's module only when called.
EXTRACTORS: dict[str, Callable[[Config], Extractor]] = {"hybrid": _hybrid, "rules": _rules, "llm": _llm}
DEFAULT_EXTRACTOR = "hybrid"  # offline and deterministic; also the LLM extractor's fallback


def make_extractor(config: Config) -> Extractor:
    return EXTRACTORS[config.extractor](config)
