"""`pisar predict --model hf:PATH` on a tiny random-weight VLM built from a config (training.tiny),
through eval.local_vlm, then `pisar bench` on its (unparseable) generations."""

import json

from conftest import toy_rows

from pisar_data.cli import main
from pisar_data.task import target_text, user_prompt


def test_tiny_random_model_predicts_and_is_benched(built_dataset_dir, tmp_path, monkeypatch):
    from training.tiny import TinyConfig, build_tiny_base

    monkeypatch.setenv("PISAR_CACHE_DIR", str(tmp_path / "cache"))
    base = build_tiny_base(TinyConfig(), [user_prompt(r) + target_text(r) for r in toy_rows(24)], tmp_path / "tiny", seed=0)
    preds = tmp_path / "tiny.jsonl"
    args = ["predict", "--model", f"hf:{base}", "--data", str(built_dataset_dir), "--out", str(preds), "--max-new-tokens", "8", "--batch-size", "2"]
    assert main([*args, "--limit", "2"]) == 0
    records = [json.loads(line) for line in preds.read_text().splitlines()]
    assert len(records) == 2 and all(r["model"] == f"hf:{base}" and isinstance(r["raw"], str) and r["raw"] for r in records)
    assert main(["bench", str(preds), "--data", str(built_dataset_dir), "--out", str(tmp_path / "report"), "--resamples", "100"]) == 0
    (model,) = json.loads((tmp_path / "report" / "report.json").read_text())["models"]
    # Random weights write no JSON: both rows are parse failures, the rest of the split is missing; all score 0.
    assert model["parse_failures"] == 2 and model["n_missing"] == model["n"] - 2 and model["mean"] == 0.0


def test_unloadable_local_models_are_one_line_errors(built_dataset_dir, tmp_path, capsys):
    def predict(model):
        status = main(["predict", "--model", model, "--data", str(built_dataset_dir), "--out", str(tmp_path / "p.jsonl"), "--limit", "1"])
        err = capsys.readouterr().err.splitlines()
        assert status == 2 and err[-1].startswith("pisar predict: error: ") and "Traceback" not in "".join(err), err
        return err[-1]

    missing = tmp_path / "no-such-model"
    assert f"{missing}: model folder not found" in predict(f"hf:{missing}")
    run = tmp_path / "run"
    run.mkdir()
    (run / "run_manifest.json").write_text("{truncated")
    assert f"{run / 'run_manifest.json'}: not valid JSON" in predict(str(run))
    (run / "run_manifest.json").write_text(json.dumps({"status": "done", "recipe": "tiny"}))
    assert f"{run / 'run_manifest.json'}: base_model must be" in predict(str(run))
