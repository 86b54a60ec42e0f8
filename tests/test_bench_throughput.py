"""bench/train_throughput.py and bench/predict_throughput.py on the tiny model on CPU: smoke tests of
the machinery (the figures themselves are not asserted), run in-process on one thread."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("single_thread")

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _figures(out: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in out.strip().splitlines()[-1].split())


def test_train_throughput_runs_the_tiny_recipe_and_reports_its_adapters(built_dataset_dir, capsys):
    assert _script("train_throughput").main(["--recipe", "tiny", "--steps", "2", "--data", str(built_dataset_dir)]) == 0
    out = capsys.readouterr().out
    figures = _figures(out)
    assert (figures["recipe"], figures["steps"], figures["device"]) == ("tiny", "2", "cpu")
    assert all(float(figures[key]) > 0 for key in ("tokens_per_s", "s_per_step", "first_step_s", "peak_mem_gb"))
    # Tiny recipe: 2 layers x 7 projections, r = 16, hidden 64, q 4x16 / kv 2x16 heads, MLP 128 wide.
    assert "LoRA adapters on 14 modules:" in out and "2 x model.language_model.layers.N.self_attn.q_proj" in out
    assert "adapted outside the language model's decoder layers: none" in out
    per_layer = sum(16 * (fan_in + fan_out) for fan_in, fan_out in
                    [(64, 64), (64, 32), (64, 32), (64, 64), (64, 128), (64, 128), (128, 64)])
    assert f"trainable parameters: {2 * per_layer:,} " in out


def test_predict_throughput_generates_through_pisar_predicts_path(built_dataset_dir, capsys):
    args = ["--model", "tiny", "--rows", "3", "--batch-size", "2", "--max-new-tokens", "6", "--data", str(built_dataset_dir)]
    assert _script("predict_throughput").main(args) == 0
    out = capsys.readouterr().out
    figures = _figures(out)
    assert (figures["model"], figures["rows"], figures["device"]) == ("tiny", "3", "cpu")
    generated = int(re.search(r"(\d+) generated tokens", out).group(1))
    assert 3 <= generated <= 3 * 6  # at least the stop token of each row, at most the limit
    assert float(figures["gen_tokens_per_s"]) > 0 and float(figures["rows_per_s"]) > 0
