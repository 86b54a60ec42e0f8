"""`run_bench` and the report tables on hand-made prediction files, with a scorer whose scores are
written in the predictions themselves (no embedding model), so every number is known in advance."""

import json

import numpy as np
import pytest

from eval.bench import Gold, run_bench
from eval.report import markdown, page
from eval.semsim import Scores
from eval.stats import BootstrapConfig

GOLD = Gold(["g1", "g2", "g3", "g4"], ["a", "a", "b", "b"], [("act", "why")] * 4, ["pay", "pay", "rate", "uninstall"])


class ActionIsScore:
    """A parsed prediction scores the number written as its action; a missing one scores 0."""

    model_name = "action-is-score"

    def score(self, gold, predictions):
        combined = np.array([float(p.action) if p is not None and p.parsed else 0.0 for p in predictions])
        return Scores(combined, combined.copy(), combined.copy())


def _file(tmp_path, name, model, scores, **fields):
    """A predictions file: one record per (id, score), plus per-record extra fields given as lists."""
    path = tmp_path / f"{name}.jsonl"
    records = [{"id": i, "action": str(s), "rationale": "r", "raw": "", "model": model} for i, s in scores.items()]
    for field, values in fields.items():
        for record, value in zip(records, values):
            record[field] = value
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _bench(paths):
    report, _ = run_bench(paths, GOLD, ActionIsScore(), data="d", split="test", bootstrap=BootstrapConfig(resamples=200))
    return report


def test_paired_difference_is_the_difference_of_the_headline_means(tmp_path):
    a = _file(tmp_path, "a", "model-a", {"g1": 0.9, "g2": 0.5, "g3": 0.5, "g4": 0.5})
    b = _file(tmp_path, "b", "model-b", {"g2": 0.6, "g3": 0.6, "g4": 0.6})  # g1 missing: scores 0
    report = _bench([a, b])
    mean_a, mean_b = (m["mean"] for m in report["models"])
    assert (mean_a, mean_b) == pytest.approx((0.6, 0.45))
    (diff,) = report["paired_differences"]
    assert diff["n"] == 4
    assert diff["mean_diff"] == pytest.approx(mean_a - mean_b) == pytest.approx(0.15)  # on g2..g4 alone it would be -0.1


def test_cost_is_the_list_price_and_paid_excludes_cache_hits(tmp_path):
    scores = {"g1": 1, "g2": 1, "g3": 1}
    priced = _file(tmp_path, "priced", "openai:gpt-5.5", scores, cost_usd=[0.01, 0.02, 0.03], cached=[False, True, False])
    partly = _file(tmp_path, "partly", "openai:gpt-x", scores, cost_usd=[0.01, None, 0.03], cached=[False, True, False])
    unpriced_sent = _file(tmp_path, "sent", "openai:gpt-y", scores, cost_usd=[0.01, None, None], cached=[False, True, False])
    knn = _file(tmp_path, "knn", "knn", scores)
    report = _bench([priced, partly, unpriced_sent, knn])
    costs = [(m["cost_usd"], m["paid_usd"], m["n_unpriced"]) for m in report["models"]]
    assert costs[0] == (pytest.approx(0.06), pytest.approx(0.04), 0)
    assert costs[1] == (None, pytest.approx(0.04), 1)  # the unpriced row was a cache hit: what was paid is known
    assert costs[2] == (None, None, 2)
    assert costs[3] == (None, None, 0)  # not an API model: no cost, not a cost of 0
    rows = {}
    for line in markdown(report).splitlines():
        rows.setdefault(line.split(" | ")[0], line)  # the first table is the results table
    assert "| $0.0600 | $0.0400 |" in rows["| openai:gpt-5.5"]
    assert "| – (1 unpriced) | $0.0400 |" in rows["| openai:gpt-x"]
    assert "| – (2 unpriced) | – |" in rows["| openai:gpt-y"]
    html = page(report, [])
    assert "<th>cost (list price)</th><th>paid (uncached)</th>" in html and "<td>– (2 unpriced)</td><td>–</td>" in html


def test_paper_rows_are_compared_with_the_models_their_aliases_match(tmp_path):
    files = [
        _file(tmp_path, "sft", "run:qwen3-vl-8b-lr1e-4", {"g1": 0.8, "g2": 0.8, "g3": 0.6, "g4": 0.6}),
        _file(tmp_path, "base", "hf:Qwen/Qwen3-VL-8B-Instruct", {"g1": 0.3}),  # the base model zero-shot: not the SFT row
        _file(tmp_path, "gpt", "openai:gpt-5.5-2026-04-23", {"g1": 0.5, "g2": 0.5}),
        _file(tmp_path, "pro", "openai:gpt-5.5-pro", {"g1": 0.9}),  # another model, not a dated snapshot
    ]
    report = _bench(files)
    compared = {c["paper_model"]: c for c in report["paper_comparison"]}
    assert list(compared) == ["Qwen3-VL-8B-Instruct", "GPT-5.5", "Claude Opus 4.7", "Gemma-4-26B-A4B-IT"]
    assert len(report["paper_comparison"]) == 4  # one match at most per row here
    qwen = compared["Qwen3-VL-8B-Instruct"]
    assert (qwen["model"], qwen["mean"], qwen["share_ge_0_7"]) == ("run:qwen3-vl-8b-lr1e-4", 0.7, 0.5)
    assert qwen["mean_diff"] == pytest.approx(0.7 - 0.783) and qwen["share_ge_0_7_diff"] == pytest.approx(0.5 - 0.79)
    gpt = compared["GPT-5.5"]
    assert (gpt["model"], gpt["mean"], gpt["share_ge_0_7_diff"]) == ("openai:gpt-5.5-2026-04-23", 0.25, None)  # the paper gives no share
    assert gpt["mean_diff"] == pytest.approx(0.25 - 0.482)
    assert compared["Claude Opus 4.7"] == {"paper_model": "Claude Opus 4.7", "model": None, "mean": None, "share_ge_0_7": None, "mean_diff": None, "share_ge_0_7_diff": None}
    text = markdown(report)
    assert "### Comparison with the paper's reported numbers" in text
    assert "| Qwen3-VL-8B-Instruct | LoRA SFT on PiSAR train | 0.783 | 79% | run:qwen3-vl-8b-lr1e-4 | 0.700 | 50.0% | -0.083 | -29.0 pp |" in text
    assert "| Claude Opus 4.7 | zero-shot | 0.459 | 1–2% | – | – | – | – | – |" in text


def test_a_paper_row_matched_by_two_runs_is_compared_with_each(tmp_path):
    files = [
        _file(tmp_path, "one", "anthropic:claude-opus-4-7", {"g1": 0.4}),
        _file(tmp_path, "two", "Anthropic:Claude-Opus-4-7-20260416", {"g1": 0.8}),
    ]
    claude = [c for c in _bench(files)["paper_comparison"] if c["paper_model"] == "Claude Opus 4.7"]
    assert [(c["model"], c["mean"]) for c in claude] == [("anthropic:claude-opus-4-7", 0.1), ("Anthropic:Claude-Opus-4-7-20260416", 0.2)]


def test_runs_of_one_model_are_told_apart_by_file_then_by_path(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    files = [
        _file(tmp_path, "first", "knn", {"g1": 0.1}),
        _file(tmp_path / "x", "preds", "knn", {"g1": 0.2}),
        _file(tmp_path / "y", "preds", "knn", {"g1": 0.3}),
        _file(tmp_path, "other", "openai:gpt-5.5", {"g1": 0.4}),
    ]
    labels = [m["model"] for m in _bench(files)["models"]]
    assert labels == ["knn (first.jsonl)", f"knn ({files[1]})", f"knn ({files[2]})", "openai:gpt-5.5"]
    assert len(set(labels)) == len(labels)


def test_action_type_accuracy_macro_f1_and_confusion_by_hand(tmp_path):
    # gold types: pay, pay, rate, uninstall; sources a, a, b, b
    typed = _file(tmp_path, "typed", "m", {"g1": 1, "g2": 1, "g3": 1, "g4": 1}, action_type=["pay", "rate", "rate", "uninstall"])
    untyped = _file(tmp_path, "untyped", "n", {"g1": 1, "g2": 1, "g3": 1})  # no action_type field, no type in raw
    report = _bench([typed, untyped])
    m, n = report["models"]
    assert m["action_type_accuracy"] == 0.75 and m["action_type_per_source"] == {"a": 0.5, "b": 1.0}
    # F1: pay 2·1/(2·1+0+1) = 2/3, rate 2/3, uninstall 1 -> macro 7/9
    assert m["action_type_macro_f1"] == pytest.approx(7 / 9, abs=1e-4)
    assert m["action_type_confusion"] == {"labels": ["pay", "rate", "uninstall", "unknown"],
                                          "matrix": [[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]}
    assert m["action_type_accuracy_ci95"][0] <= 0.75 <= m["action_type_accuracy_ci95"][1]
    assert (n["action_type_accuracy"], n["action_type_macro_f1"], n["action_type_unknown"]) == (0.0, 0.0, 3)  # 3 answers without a type, 1 missing
    assert n["action_type_confusion"]["matrix"] == [[0, 0, 0, 2], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]]
    (diff,) = report["paired_differences"]
    assert diff["action_type_accuracy"]["mean_diff"] == pytest.approx(0.75)
    assert diff["mean_diff"] == pytest.approx(0.25)  # sem_sim: n misses g4
    text = markdown(report)
    assert "| m | 4 | 75.0% |" in text and "| 0.778 |" in text


def test_ablated_runs_are_paired_with_their_full_run(tmp_path):
    files = [
        _file(tmp_path, "full", "knn", {"g1": 0.9, "g2": 0.9, "g3": 0.5, "g4": 0.5}, action_type=["pay", "pay", "rate", "uninstall"]),
        _file(tmp_path, "persona", "knn+no-persona", {"g1": 0.6, "g2": 0.9, "g3": 0.5, "g4": 0.1}, action_type=["pay", "rate", "rate", "rate"]),
        _file(tmp_path, "other", "hf:x", {"g1": 0.2}),
        _file(tmp_path, "screen", "openai:gpt-5.5+no-screen", {"g1": 0.3}),  # no full openai run here
    ]
    report = _bench(files)
    assert [(d["a"], d["b"]) for d in report["paired_differences"]] == [("knn", "hf:x")]  # ablated runs are not compared with every model
    persona, screen = report["ablation_differences"]
    assert (persona["ablation"], persona["model"], persona["ablated"], persona["n"]) == ("persona", "knn", "knn+no-persona", 4)
    assert persona["sem_sim"]["mean_diff"] == pytest.approx((0.3 + 0 + 0 + 0.4) / 4)  # full − ablated
    assert persona["action_type_accuracy"]["mean_diff"] == pytest.approx(1.0 - 0.5)  # g2 and g4 typed wrong
    assert screen == {"ablation": "screen", "model": None, "ablated": "openai:gpt-5.5+no-screen", "n": 4}
    assert not any(c["model"] == "openai:gpt-5.5+no-screen" for c in report["paper_comparison"])  # not the paper's zero-shot run
    text = markdown(report)
    assert "### What each input is worth" in text
    assert "| persona | knn | knn+no-persona | 4 | +0.175 |" in text
    assert "| screen | – (no full run in this report) | openai:gpt-5.5+no-screen | 4 | – |" in text
