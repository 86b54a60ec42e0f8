"""The labelled extraction development set (``reviews.jsonl``, see README.md) and how an extractor's
output is scored against it. Used by the fitting script, ``bench/extract_accuracy.py`` and the tests.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from curation.extractors import PRIORITY, Drop, Extraction, ReviewInput

REVIEWS = Path(__file__).parent / "reviews.jsonl"
PARTS = ("tuning", "heldout")


@dataclass(frozen=True)
class LabelledReview:
    key: str
    app: str
    genre: str
    store: str
    source: str
    title: str | None
    text: str
    rating: int
    part: str
    keep: bool
    drop_reason: str | None
    action_type: str | None
    intent_stated: bool
    rationale_keywords: tuple[str, ...]

    def as_input(self) -> ReviewInput:
        return ReviewInput(self.key, self.text, self.title, self.rating, None, self.app, self.genre)


def load(part: str | None = None, path: Path = REVIEWS) -> list[LabelledReview]:
    """The labelled reviews of one part ("tuning", "heldout") or of both, in file order."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        record["rationale_keywords"] = tuple(record["rationale_keywords"])
        rows.append(LabelledReview(**record))
    return [row for row in rows if part is None or row.part == part]


def score(rows: Sequence[LabelledReview], results: Sequence[Extraction | Drop]) -> dict:
    """Agreement of an extractor's results with the labels.

    keep_acc is over all rows. The action, intent and rationale figures are over the rows both the
    labels and the extractor keep (``both_kept``): action_acc, action_acc_nonrate (rows whose gold
    type is not ``rate``), nonrate_precision (rows the extractor gives a type other than ``rate``),
    intent_acc (stated vs not), rationale_hit (the rationale contains one of the label's keywords),
    and per type precision and recall.
    """
    assert len(rows) == len(results)
    keep_ok = 0
    both: list[tuple[LabelledReview, Extraction]] = []
    for row, result in zip(rows, results, strict=True):
        kept = isinstance(result, Extraction)
        keep_ok += kept == row.keep
        if kept and row.keep:
            both.append((row, result))
    gold_nonrate = [(row, result) for row, result in both if row.action_type != "rate"]
    predicted_nonrate = [(row, result) for row, result in both if result.action_type != "rate"]
    with_keywords = [(row, result) for row, result in both if row.rationale_keywords]
    per_type = {}
    for action_type in PRIORITY:
        predicted = [row for row, result in both if result.action_type == action_type]
        gold = [result for row, result in both if row.action_type == action_type]
        per_type[action_type] = {
            "gold": len(gold), "predicted": len(predicted),
            "precision": _share(sum(row.action_type == action_type for row in predicted), len(predicted)),
            "recall": _share(sum(result.action_type == action_type for result in gold), len(gold)),
        }
    return {
        "n": len(rows),
        "keep_acc": _share(keep_ok, len(rows)),
        "gold_kept": sum(row.keep for row in rows),
        "kept": sum(isinstance(result, Extraction) for result in results),
        "both_kept": len(both),
        "action_acc": _share(sum(row.action_type == result.action_type for row, result in both), len(both)),
        "action_acc_nonrate": _share(sum(row.action_type == result.action_type for row, result in gold_nonrate), len(gold_nonrate)),
        "nonrate_precision": _share(sum(row.action_type == result.action_type for row, result in predicted_nonrate), len(predicted_nonrate)),
        "gold_nonrate": len(gold_nonrate),
        "predicted_nonrate": len(predicted_nonrate),
        "intent_acc": _share(sum((result.intent_source == "stated") == row.intent_stated for row, result in both), len(both)),
        "rationale_hit": _share(
            sum(any(word in result.rationale.lower() for word in row.rationale_keywords) for row, result in with_keywords), len(with_keywords)
        ),
        "per_type": per_type,
    }


def _share(hits: int, total: int) -> float:
    return hits / total if total else 0.0
