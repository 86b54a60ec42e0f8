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
from pisar_data.atomic import check_output_file
from pisar_data.errors import UserError
from pisar_data.task import Prediction, normalize_action_type, parse_prediction
from pisar_data.user_files import read_jsonl

FIELDS = ("id", "action_type", "action", "rationale", "raw", "model")


PREDICTIONS = "a predictions JSONL file from `pisar predict`"
TORN_HINT = "run the same `pisar predict` command again to complete it"


def read_predictions(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Every record of a predictions file, in file order. A malformed line is a UserError naming file:line."""
    records = _read(Path(path), allow_torn=False)[0]
    if not records:
        raise UserError(f"{path}: no predictions in the file; expected {PREDICTIONS}, one JSON object per line")
    return records


def _read(path: Path, allow_torn: bool) -> tuple[list[dict[str, Any]], str | None]:
    """(records, what a torn last line was, if ``allow_torn``) of a predictions file."""
    lines = read_jsonl(path, PREDICTIONS, allow_truncated=allow_torn, hint=TORN_HINT)
    records, seen = [], {}
    for number, record in lines.rows:
        if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not record["id"]:
            raise UserError(f"{path}:{number}: expected a JSON object with a string \"id\" and action, rationale, raw, model")
        for field in ("action_type", "action", "rationale", "raw", "model"):
            if record.get(field) is not None and not isinstance(record[field], str):
                raise UserError(f"{path}:{number}: field {field!r} must be a string or null, got {type(record[field]).__name__}")
        if record["id"] in seen:
            raise UserError(f"{path}:{number}: duplicate id {record['id']!r} (first on line {seen[record['id']]}); expected one prediction per id")
        seen[record["id"]] = number
        records.append(record)
    return records, lines.cut


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


def check_out_file(path: Path) -> list[dict[str, Any]]:
    """The records already in ``--out`` (none for a new or empty file); a UserError, with the file
    untouched, when it is a folder or anything but predictions (a torn last line excepted)."""
    if not check_output_file(path, PREDICTIONS).exists():
        return []
    records, torn = _read(path, allow_torn=True)
    if torn is not None and not records:
        raise UserError(f"{path}: {torn}; expected {PREDICTIONS} (pass a new --out file)")
    return records


class PredictionWriter:
    """Appends records to a predictions file; ``done`` holds the ids already there (resume).

    An existing file is read in full before anything is written to it: a file that is not
    predictions of this model is refused untouched; a torn last line after this model's
    predictions (a crash mid-write) is cut off before appending.
    """

    def __init__(self, path: str | os.PathLike, model: str):
        self.path = Path(path)
        self.done: set[str] = set()
        for record in check_out_file(self.path):
            if record.get("model") != model:
                raise UserError(self._mismatch(record.get("model"), model))
            self.done.add(record["id"])
        if self.path.exists():
            self._end_with_newline()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.path.open("a", encoding="utf-8")

    def _mismatch(self, found: Any, model: str) -> str:
        (found_base, found_ablation), (base, ablation) = split_label(str(found)), split_label(model)
        if found_base == base:
            said = lambda a: f"--ablate {a}" if a else "no --ablate"  # noqa: E731
            return (f"{self.path}: holds predictions of {found!r} ({said(found_ablation)}), not {model!r} ({said(ablation)}); "
                    "expected a new --out file for another ablation")
        return f"{self.path}: holds predictions of model {found!r}, not {model!r}; expected a new --out file for another model"

    def _end_with_newline(self) -> None:
        """Cut a torn last line (the parse above proved it is one), or end a complete last line."""
        data = self.path.read_bytes()
        if not data or data.endswith(b"\n"):
            return
        tail = data[data.rfind(b"\n") + 1 :]
        try:
            json.loads(tail)
        except ValueError:
            with self.path.open("r+b") as handle:
                handle.truncate(data.rfind(b"\n") + 1)
            return
        with self.path.open("ab") as handle:
            handle.write(b"\n")

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
