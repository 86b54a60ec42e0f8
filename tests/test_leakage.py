"""Train/test leakage: near-duplicate rationales across splits are found (pisar_data.leakage), removed
from train by the build's `leakage` stage, stated in the card, and counted by `pisar bench`."""

import json

import duckdb
import polars as pl
import pytest

from curation import card
from curation.stages import BuildContext
from curation.stages import leakage as stage
from pisar_data.leakage import LeakageConfig, cross_split_duplicates, sentence_embedder

TEST = "The app logs me out every time I switch to another app, and the password reset email never arrives."
OTHER = "Premium is worth it: offline playlists work on the plane and the sound quality is much better."


def _rows(*rows):
    return pl.DataFrame([{"id": i, "split": s, "rationale": t} for i, s, t in rows], schema={"id": pl.Utf8, "split": pl.Utf8, "rationale": pl.Utf8})


@pytest.fixture(scope="module")
def embed():
    return sentence_embedder(LeakageConfig())


def test_each_detector_finds_its_kind_of_copy_and_nothing_else(embed):
    rows = _rows(
        ("t1", "test", TEST),
        ("t2", "test", "Nice app"),
        ("v1", "validation", OTHER),
        ("a-copy", "train", TEST.upper().replace(",", "") + "!!"),  # case and punctuation only
        ("b-edit", "train", TEST.replace("password", "pasword").replace(" never", " never ever") + " Please fix."),  # typo + added words
        ("c-para", "train", TEST.replace("logs me out", "signs me out").replace("arrives", "comes")),  # replaced words: MinHash's edit check says no
        ("d-stock", "train", "Nice app"),  # a short stock phrase, copied exactly
        ("e-short", "train", "Good app"),  # short and similar, but not a copy
        ("f-topic", "train", "Keeps logging me out after the update, support never answered my email about it."),  # same topic, different text
        ("g-val", "train", OTHER.replace("Premium is worth it", "Premium pays for itself").replace("much better", "far better")),
    )
    pairs = cross_split_duplicates(rows, LeakageConfig(), embed)
    found = {(r["eval_id"], r["train_id"]): r for r in pairs.iter_rows(named=True)}
    assert set(found) == {("t1", "a-copy"), ("t1", "b-edit"), ("t1", "c-para"), ("t2", "d-stock"), ("v1", "g-val")}
    assert [found[k]["method"] for k in sorted(found)] == ["exact", "near", "embedding", "exact", "embedding"]
    assert found[("t1", "a-copy")]["jaccard"] == 1.0 and 0.5 <= found[("t1", "b-edit")]["jaccard"] < 1
    assert found[("t1", "c-para")]["jaccard"] is None and found[("t1", "c-para")]["cosine"] >= 0.95
    assert found[("v1", "g-val")]["eval_split"] == "validation"
    assert all(r["cosine"] is not None for r in found.values())
    minhash_only = cross_split_duplicates(rows, LeakageConfig())
    assert set(zip(minhash_only["eval_id"], minhash_only["train_id"])) == {("t1", "a-copy"), ("t1", "b-edit"), ("t2", "d-stock")}
    assert minhash_only["cosine"].is_null().all()


def test_a_pair_inside_a_cluster_kept_by_a_third_row_is_checked_on_its_own():
    # "a" (train) is each cluster's kept row (smallest id); the test row and the other train rows were
    # removed *towards it*, so their own pairs are decided by comparing the two alone.
    rows = _rows(
        ("a", "train", TEST),
        ("b", "test", TEST + " Fix it"),
        ("c", "train", TEST + " Fix it now"),  # a near copy of "b" too
        ("d", "train", TEST.replace("The app", "This app") + " Honestly"),
    )
    pairs = cross_split_duplicates(rows)
    assert set(zip(pairs["eval_id"], pairs["train_id"])) >= {("b", "a"), ("b", "c")}
    assert pairs.filter(pl.col("train_id") == "c")["jaccard"][0] > 0.9


def test_no_evaluation_rows_or_no_train_rows_give_no_pairs():
    assert cross_split_duplicates(_rows(("a", "train", TEST), ("b", "train", TEST))).height == 0
    assert cross_split_duplicates(_rows(("a", "test", TEST), ("b", "validation", TEST))).height == 0


@pytest.fixture(scope="module")
def sample_rows(sample_build):
    """The sample build's selection (the `selected` table of its work database)."""
    with duckdb.connect(str(sample_build.work / "sample" / "work.duckdb"), read_only=True) as con:
        columns = [c[0] for c in con.execute("describe selected").fetchall()]
        return pl.DataFrame(con.execute("select * from selected order by id").fetchall(), schema=columns, orient="row", infer_schema_length=None)


def test_the_stage_removes_a_planted_cross_split_duplicate_from_train_only(sample_rows, tmp_path):
    test_rows = sample_rows.filter(pl.col("split") == "test")
    target = test_rows.row(0, named=True)
    planted = sample_rows.filter(pl.col("split") == "train").head(1).with_columns(
        pl.lit("zz-planted").alias("id"), pl.lit(target["rationale"].lower().rstrip(".") + ", honestly.").alias("rationale"))
    rows = pl.concat([sample_rows, planted])
    ctx = BuildContext(snapshot_dir=tmp_path, work_dir=tmp_path, seed=0)
    result = stage.run({"rows": rows}, stage.Config(), ctx)
    decisions = result.tables["leakage_decisions"]
    assert decisions.select("eval_id", "eval_split", "train_id", "method", "removed").rows() == [(target["id"], "test", "zz-planted", "near", True)]
    assert decisions["jaccard"][0] >= 0.5 and decisions["cosine"][0] >= 0.95
    kept = result.tables["rows"]
    assert "zz-planted" not in kept["id"].to_list() and kept.height == rows.height - 1
    assert kept.filter(pl.col("split") != "train").equals(rows.filter(pl.col("split") != "train"))  # test/validation untouched
    assert result.tables["selected"].equals(rows)
    counts = result.counts
    assert (counts["pairs"], counts["train_removed"], counts["test_rows_with_duplicates"], counts["in"], counts["out"]) == (1, 1, 1, rows.height, rows.height - 1)

    audit_only = stage.run({"rows": rows}, stage.Config(remove_from_train=False, embedding_model="none"), ctx)
    assert audit_only.tables["rows"].height == rows.height and audit_only.tables["leakage_decisions"]["removed"].to_list() == [False]
    assert audit_only.counts["embedding_model"] == "none" and audit_only.tables["leakage_decisions"]["cosine"].is_null().all()

    # The card states the figure.
    manifest = {"splits": {"train": 1, "validation": 1, "test": 1}, "stages": [{"name": "leakage", "counts": counts}]}
    section = card.render_card(manifest, {"rows": kept}).split("### Train/test leakage", 1)[1].split("\n### ", 1)[0]
    assert "This build found **1 pair(s)** between a test or validation row and a train row (exact 0,\nnear 1, embedding only 0)" in section
    assert f"Test rows with a near duplicate in the selected train rows: 1 of {test_rows.height}." in section
    assert "The 1 train row(s) were removed" in section
    manifest["stages"] = [{"name": "leakage", "counts": audit_only.counts}]
    assert "**the train split still\nholds them**" in card.render_card(manifest, {"rows": kept})
    assert "did not audit near-duplicate rationales" in card.render_card({**manifest, "stages": []}, {"rows": kept})


def test_the_sample_build_records_its_audit(sample_build, built_dataset_dir):
    manifest = json.loads((built_dataset_dir / "build" / "manifest.json").read_text())
    leakage = next(s for s in manifest["stages"] if s["name"] == "leakage")
    assert leakage["counts"]["pairs"] == 0 and leakage["counts"]["in"] == leakage["counts"]["out"] == sum(manifest["splits"].values())
    assert [f["step"] for f in manifest["funnel"]][-2:] == ["selected", "after removing train near-duplicates of test/validation"]
    with duckdb.connect(str(sample_build.work / "sample" / "work.duckdb"), read_only=True) as con:
        columns = [c[0] for c in con.execute("describe leakage_decisions").fetchall()]
    assert columns == ["eval_id", "eval_split", "train_id", "method", "jaccard", "cosine", "removed"]
    body = (built_dataset_dir / "README.md").read_text()
    assert "This build found **0 pair(s)**" in body and "So no test or validation rationale has a near duplicate in train." in body


def test_bench_counts_and_lists_the_pairs_of_the_data_it_scores(toy_dataset_dir, tmp_path, monkeypatch):
    """The toy dataset repeats each rationale across contexts with only its "(row N)" tag changed: an
    unaudited dataset with leakage that the edit check alone does not call a copy (a replaced word)."""
    from pisar_data import load_dataset
    from pisar_data.cli import main

    monkeypatch.setenv("PISAR_CACHE_DIR", str(tmp_path / "cache"))
    test = list(load_dataset(toy_dataset_dir, split="test").select_columns(["id", "action_type", "action", "rationale"]))
    preds = tmp_path / "gold.jsonl"
    preds.write_text("".join(json.dumps({**r, "raw": "", "model": "oracle"}) + "\n" for r in test))
    assert main(["bench", str(preds), "--data", str(toy_dataset_dir), "--out", str(tmp_path / "report"), "--resamples", "100"]) == 0
    leakage = json.loads((tmp_path / "report" / "report.json").read_text())["leakage"]
    train = {r["id"]: r["rationale"] for r in load_dataset(toy_dataset_dir, split="train").select_columns(["id", "rationale"])}
    base = lambda text: text.rsplit(" (row ", 1)[0]  # noqa: E731
    expected = {(r["id"], t) for r in test for t, text in train.items() if base(text) == base(r["rationale"])}
    assert expected and {(p["eval_id"], p["train_id"]) for p in leakage["pairs"]} == expected
    # "(row 7)" vs "(row 13)": a replaced word, which the edit check accepts in longer texts only; the embedding catches the rest
    assert {p["method"] for p in leakage["pairs"]} == {"near", "embedding"}
    assert all(p["cosine"] >= 0.95 for p in leakage["pairs"] if p["method"] == "embedding")
    assert leakage["counts"]["test_rows_with_duplicates"] == leakage["counts"]["test_rows"] == len(test)
    assert leakage["embedding_model"] == "all-MiniLM-L6-v2" and leakage["cosine_threshold"] == 0.95
    first = leakage["pairs"][0]
    assert first["eval_rationale"] == next(r["rationale"] for r in test if r["id"] == first["eval_id"]) and first["train_rationale"] == train[first["train_id"]]
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert f"| {len(expected)} | {len(test)} of {len(test)} |" in markdown
    assert f"| {first['eval_id']} | {first['train_id']} | {first['method']} |" in markdown
    assert main(["bench", str(preds), "--data", str(toy_dataset_dir), "--out", str(tmp_path / "report"), "--resamples", "100", "--no-leakage-audit"]) == 0
    assert json.loads((tmp_path / "report" / "report.json").read_text())["leakage"] is None


def test_speed_benchmark_smoke(real_samples):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "bench" / "leakage_speed.py"
    argv = [sys.executable, str(script), "--rows", "400", "--eval-rows", "60", "--planted", "20", "--samples", str(real_samples)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["rows"] == 400 and figures["texts_per_second"] > 0
    assert figures["planted_recall"] >= 0.5 and figures["planted_recall_at_0.90"] >= figures["planted_recall"]
    assert figures["pairs"] >= figures["pairs_minhash_only"]
