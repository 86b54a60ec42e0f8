"""The predictions JSONL: strict reading, append-only resumable writing."""

import json

import pytest

from eval.predictions import PredictionWriter, as_prediction, read_predictions
from pisar_data.errors import UserError
from pisar_data.task import Prediction


def _record(i, model="m"):
    return {"id": f"r{i}", "action": f"a{i}", "rationale": f"b{i}", "raw": "", "model": model}


def test_malformed_line_names_file_and_line(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(_record(1)) + "\n\n" + '{"id": "r2", "action": \n')
    with pytest.raises(UserError, match=r"p\.jsonl:3: not valid JSON"):
        read_predictions(path)
    path.write_text(json.dumps({"action": "x"}) + "\n")
    with pytest.raises(UserError, match=r"p\.jsonl:1: expected a JSON object with a string \"id\""):
        read_predictions(path)
    path.write_text(json.dumps(_record(1)) + "\n" + json.dumps(_record(1)) + "\n")
    with pytest.raises(UserError, match=r"p\.jsonl:2: duplicate id 'r1' \(first on line 1\)"):
        read_predictions(path)
    with pytest.raises(UserError, match="not found"):
        read_predictions(tmp_path / "absent.jsonl")


def test_writer_resumes_and_cuts_a_torn_last_line(tmp_path):
    path = tmp_path / "p.jsonl"
    with PredictionWriter(path, "m") as writer:
        writer.write(_record(1))
        writer.write(_record(2))
    with path.open("a") as handle:
        handle.write('{"id": "r3", "act')  # a crash mid-write
    with PredictionWriter(path, "m") as writer:
        assert writer.done == {"r1", "r2"}
        writer.write(_record(3))
    assert [r["id"] for r in read_predictions(path)] == ["r1", "r2", "r3"]


def test_writer_refuses_to_mix_models(tmp_path):
    path = tmp_path / "p.jsonl"
    with PredictionWriter(path, "m") as writer:
        writer.write(_record(1))
    with pytest.raises(UserError, match="holds predictions of model 'm', not 'other'"):
        PredictionWriter(path, "other")


def test_as_prediction_uses_fields_then_raw():
    assert as_prediction({"id": "x", "action": "paid", "rationale": "cheap"}) == Prediction("paid", "cheap", True)
    assert as_prediction({"id": "x", "action": "", "raw": '```json\n{"action": "paid", "rationale": "cheap"}\n```'}) == Prediction("paid", "cheap", True)
    assert as_prediction({"id": "x", "action": "", "rationale": "", "raw": "no idea"}).parsed is False
