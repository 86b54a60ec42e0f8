"""End to end on CPU: the tiny recipe overfits a handful of rows, saves an adapter that reloads and
reproduces the training targets through eval's predict_local, and resumes from a checkpoint."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

import torch




@pytest.fixture(scope="module")
def tiny_run(built_dataset_dir, tmp_path_factory, single_thread):
    from training.recipe import load_recipe
    from training.train import train

    run_dir = tmp_path_factory.mktemp("train") / "run"
    trainer = train(load_recipe("tiny"), built_dataset_dir, run_dir)
    return run_dir, trainer


def _logged(state: dict) -> dict[int, dict]:
    return {h["step"]: h for h in state["log_history"] if "loss" in h}


def _train_rows(data_dir: Path, n: int):
    from training.data import load_split

    rows = load_split(data_dir, "train", n)
    return [rows[i] for i in range(len(rows))]


def test_run_folder_has_adapter_state_checkpoints_and_manifest(tiny_run, built_dataset_dir):
    run_dir, _ = tiny_run
    for name in ("adapter_model.safetensors", "adapter_config.json", "trainer_state.json", "run_manifest.json",
                 "checkpoint-25", "checkpoint-50", "base/config.json", "base/tokenizer.json", "base/preprocessor_config.json"):
        assert (run_dir / name).exists(), name
    manifest = json.loads((run_dir / "run_manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["global_step"] == 50
    assert manifest["base_model"] == "base" and manifest["recipe_name"] == "tiny"
    assert manifest["recipe"]["lora"]["r"] == 16 and manifest["image_options"] == {"max_pixels": 8192, "min_pixels": 1024}
    assert set(manifest["data"]["files"]) == {p.name for p in (built_dataset_dir / "data").glob("*.parquet")}
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["data"]["sha256"])
    assert {"torch", "transformers", "peft"} <= set(manifest["versions"])
    assert "git_revision" in manifest


def test_loss_falls_and_throughput_is_logged(tiny_run):
    run_dir, _ = tiny_run
    state = json.loads((run_dir / "trainer_state.json").read_text())
    losses = {step: h["loss"] for step, h in _logged(state).items()}
    assert losses[1] > 5.0 and losses[50] < 0.05, losses
    logged = [h for h in state["log_history"] if "loss" in h]
    assert all("learning_rate" in h and h["train_tokens_per_second"] > 0 for h in logged)


def test_only_lora_parameters_change(tiny_run):
    from safetensors.torch import load_file

    run_dir, trainer = tiny_run
    base = load_file(run_dir / "base" / "model.safetensors")
    trained = dict(trainer.model.named_parameters())
    lora = {n: p for n, p in trained.items() if ".lora_" in n}
    assert lora and all(p.requires_grad for p in lora.values())
    assert any(n.endswith("lora_B.default.weight") and p.abs().sum() > 0 for n, p in lora.items())  # B starts at zero
    frozen = {n.replace("base_model.model.", "").replace(".base_layer", ""): p for n, p in trained.items() if ".lora_" not in n}
    assert not any(p.requires_grad for p in frozen.values())
    compared = 0
    for name, value in base.items():
        if name in frozen:
            assert torch.equal(frozen[name].detach(), value), name
            compared += 1
    assert compared > 40  # every base weight the model holds (lm_head included)


def test_adapter_reloads_and_predict_reproduces_training_rows(tiny_run, built_dataset_dir):
    from eval.local_vlm import predict_local
    from pisar_data.task import parse_prediction

    run_dir, _ = tiny_run
    rows = _train_rows(built_dataset_dir, 4)
    raws = predict_local(str(run_dir), rows, batch_size=3, max_new_tokens=160)  # 3: a ragged, left-padded batch
    assert len(raws) == 4
    for row, raw in zip(rows, raws):
        prediction = parse_prediction(raw)
        assert prediction.parsed, raw
        assert (prediction.action, prediction.rationale) == (row["action"], row["rationale"])


def test_resume_continues_step_count_and_loss_curve(tiny_run, built_dataset_dir, tmp_path):
    from training.cli import main

    run_dir, _ = tiny_run
    resumed = tmp_path / "resumed"
    shutil.copytree(run_dir, resumed)
    # As if interrupted between the two checkpoints: only checkpoint-25 survives.
    shutil.rmtree(resumed / "checkpoint-50")
    for name in ("adapter_model.safetensors", "adapter_config.json", "trainer_state.json"):
        (resumed / name).unlink()
    assert main(["--recipe", "tiny", "--data", str(built_dataset_dir), "--out", str(resumed), "--resume"]) == 0
    original = _logged(json.loads((run_dir / "trainer_state.json").read_text()))
    continued = _logged(json.loads((resumed / "trainer_state.json").read_text()))
    assert sorted(continued) == sorted(original) == [1, 10, 20, 30, 40, 50]
    for step in (1, 10, 20, 40, 50):  # history up to the checkpoint, then the same curve after it
        assert continued[step]["loss"] == pytest.approx(original[step]["loss"], rel=1e-3), step
        assert continued[step]["learning_rate"] == pytest.approx(original[step]["learning_rate"], rel=1e-6), step
    # The logged loss averages the steps since the previous log. Step 30's window is 26-30 after a
    # resume at checkpoint-25 (21-30 uninterrupted), so it differs — proof that steps 1-25 were not
    # re-run — while its gradient norm matches.
    assert continued[30]["loss"] != pytest.approx(original[30]["loss"], rel=1e-3)
    assert continued[30]["grad_norm"] == pytest.approx(original[30]["grad_norm"], rel=1e-3)
    assert (resumed / "adapter_model.safetensors").is_file()


def test_existing_run_folder_is_not_overwritten(tiny_run, built_dataset_dir, capsys):
    from pisar_data.cli import main

    run_dir, _ = tiny_run
    before = (run_dir / "adapter_model.safetensors").read_bytes()
    assert main(["train", "--recipe", "tiny", "--data", str(built_dataset_dir), "--out", str(run_dir)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert (run_dir / "adapter_model.safetensors").read_bytes() == before


def test_qwen_recipe_adapts_only_language_model_projections(tiny_run):
    """The qwen3-vl-8b regex on a (tiny) Qwen3-VL: every text projection, nothing in the vision tower or mergers."""
    from training.model import add_lora, load_base_model, lora_module_names
    from training.recipe import load_recipe

    run_dir, _ = tiny_run
    recipe = load_recipe("qwen3-vl-8b")
    model = load_base_model(load_recipe("tiny"), str(run_dir / "base"))
    names = lora_module_names(add_lora(model, recipe))
    layers = model.config.text_config.num_hidden_layers
    assert len(names) == 7 * layers
    assert all(re.search(r"\.language_model\.layers\.\d+\.(self_attn\.[qkvo]_proj|mlp\.(gate|up|down)_proj)$", n) for n in names)
    assert not any("visual" in n or "merger" in n or "lm_head" in n for n in names)


def test_pisar_predict_and_bench_score_training_rows_near_one(tiny_run, built_dataset_dir, tmp_path):
    """The user path: `pisar predict --model RUN_DIR` then `pisar bench`, on a split made of the trained rows."""
    from pisar_data.cli import main
    from training.data import load_split

    run_dir, _ = tiny_run
    data = tmp_path / "seen"
    (data / "data").mkdir(parents=True)
    load_split(built_dataset_dir, "train", 4).to_parquet(str(data / "data" / "test-00000-of-00001.parquet"))
    preds, report = tmp_path / "preds.jsonl", tmp_path / "report"
    assert main(["predict", "--model", str(run_dir), "--data", str(data), "--split", "test", "--out", str(preds),
                 "--batch-size", "4", "--max-new-tokens", "160"]) == 0
    assert main(["bench", str(preds), "--data", str(data), "--split", "test", "--out", str(report), "--resamples", "100"]) == 0
    (model,) = json.loads((report / "report.json").read_text())["models"]
    assert model["n"] == 4 and model["parse_failures"] == 0 and not model["missing_ids"]
    assert model["mean"] > 0.99
    assert model["model"] == f"run:tiny/{run_dir.resolve().name}"  # the recipe name, for matching the paper's SFT rows
