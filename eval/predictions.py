"""The predictions JSONL file: one ``{"id", "action_type", "action", "rationale", "raw", "model"}``
object per line (plus optional usage/cost/latency fields), written append-only so an interrupted run
resumes. A run with an ablated input (``pisar predict --ablate``) is labelled ``MODEL+no-INPUT``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from eval.ablation import split_label
from pisar_data.errors import UserError
from pisar_data.task import Prediction, normalize_action_type, parse_prediction

FIELDS = ("id", "action_type", "action", "rationale", "raw", "model")


def read_predictions(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Every record of a predictions file, in file order. A malformed line is a UserError naming file:line."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: predictions file not found; expected a JSONL file from `pisar predict`")
    records, seen = [], {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise UserError(f"{path}:{number}: not valid JSON ({error.msg}); expected one prediction object per line") from error
            if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not record["id"]:
                raise UserError(f"{path}:{number}: expected a JSON object with a string \"id\" and action, rationale, raw, model")
            for field in ("action_type", "action", "rationale", "raw", "model"):
                if record.get(field) is not None and not isinstance(record[field], str):
                    raise UserError(f"{path}:{number}: field {field!r} must be a string or null, got {type(record[field]).__name__}")
            if record["id"] in seen:
                raise UserError(f"{path}:{number}: duplicate id {record['id']!r} (first on line {seen[record['id']]}); expected one prediction per id")
            seen[record["id"]] = number
            records.append(record)
    return records


def as_prediction(record: dict[str, Any]) -> Prediction:
    """The parsed answer of a record: its ``action``/``rationale``/``action_type`` fields, else its
    ``raw`` text parsed. A record without an ``action_type`` field (a file written before the task had
    one) takes the type from its ``raw`` text when that holds one."""
    action = (record.get("action") or "").strip()
    if not action:
        return parse_prediction(record.get("raw"))
    if "action_type" in record:
        action_type = normalize_action_type(record["action_type"])
    else:
        action_type = parse_prediction(record.get("raw")).action_type
    return Prediction(action, (record.get("rationale") or "").strip(), True, action_type)


class PredictionWriter:
    """Appends records to a predictions file; ``done`` holds the ids already there (resume).

    A torn last line (a crash mid-write) is cut off before appending; a file holding another
    model's predictions is refused rather than mixed.
    """

    def __init__(self, path: str | os.PathLike, model: str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.done: set[str] = set()
        if self.path.exists():
            self._cut_torn_line()
            for record in read_predictions(self.path):
                if record.get("model") != model:
                    raise UserError(self._mismatch(record.get("model"), model))
                self.done.add(record["id"])
        self._handle = self.path.open("a", encoding="utf-8")

    def _mismatch(self, found: Any, model: str) -> str:
        (found_base, found_ablation), (base, ablation) = split_label(str(found)), split_label(model)
        if found_base == base:
            said = lambda a: f"--ablate {a}" if a else "no --ablate"  # noqa: E731
            return (f"{self.path}: holds predictions of {found!r} ({said(found_ablation)}), not {model!r} ({said(ablation)}); "
                    "expected a new --out file for another ablation")
        return f"{self.path}: holds predictions of model {found!r}, not {model!r}; expected a new --out file for another model"

    def _cut_torn_line(self) -> None:
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            with self.path.open("r+b") as handle:
                handle.truncate(data.rfind(b"\n") + 1)

    def write(self, record: dict[str, Any]) -> None:
        self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self.done.add(record["id"])

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> PredictionWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
