"""`pisar build` end to end on the embedded sample: layout, loading, determinism, errors."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import pisar_data
from curation.recipe import SAMPLE_RECIPE
from pisar_data import cli
from pisar_data.schema import ARROW_SCHEMA, FEATURES, SPLITS


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_dataset_folder_layout(built_dataset_dir):
    names = sorted(p.relative_to(built_dataset_dir).as_posix() for p in built_dataset_dir.rglob("*") if p.is_file())
    assert "README.md" in names and "build/manifest.json" in names and "build/report.html" in names
    for split in SPLITS:
        assert f"data/{split}-00000-of-00001.parquet" in names
    for path in built_dataset_dir.glob("data/*.parquet"):
        meta = pq.ParquetFile(path).metadata
        assert meta.schema.to_arrow_schema().remove_metadata() == ARROW_SCHEMA.remove_metadata()
        assert all(meta.row_group(i).num_rows <= 100 for i in range(meta.num_row_groups)), "row groups must stay small"


def test_plain_datasets_reads_the_build_with_the_declared_features(built_dataset_dir):
    code = (
        "import datasets, json, sys\n"
        f"ds = datasets.load_dataset({str(built_dataset_dir)!r})\n"
        "print(json.dumps({s: ds[s].num_rows for s in ds}))\n"
        "print(json.dumps(ds['train'].features.to_dict()))\n"
        "print(type(ds['train'][0]['screen']).__module__.split('.')[0])\n"
        "print(any(m.startswith(('pisar_data', 'curation')) for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/").stdout.splitlines()
    manifest = json.loads((built_dataset_dir / "build/manifest.json").read_text())
    assert json.loads(out[0]) == manifest["splits"]
    assert json.loads(out[1]) == FEATURES.to_dict()
    assert out[2:] == ["PIL", "False"]


def test_project_loader_returns_the_same_rows(built_dataset_dir):
    import datasets

    ours = pisar_data.load_dataset(built_dataset_dir)
    plain = datasets.load_dataset(str(built_dataset_dir))
    for split in SPLITS:
        assert ours[split].features == FEATURES
        assert ours[split].to_pandas().drop(columns="screen").equals(plain[split].to_pandas().drop(columns="screen"))


def _disjoint(groups: dict[str, set]) -> bool:
    return not (groups["train"] & groups["validation"] or groups["train"] & groups["test"] or groups["validation"] & groups["test"])


def test_ids_are_unique_and_split_units_never_cross_splits(sample_build):
    import duckdb

    ds = pisar_data.load_dataset(sample_build.out)
    ids = [i for split in SPLITS for i in ds[split]["id"]]
    assert len(ids) == len(set(ids)) and len(ids) > 50
    # Apps never cross splits; OPeRA (one site) is split by participant, so no participant crosses.
    contexts = {split: {c for c, s in zip(ds[split]["context_id"], ds[split]["source"]) if s != "opera"} for split in SPLITS}
    assert _disjoint(contexts)
    with duckdb.connect(str(sample_build.work / "sample" / "work.duckdb"), read_only=True) as con:
        pairs = con.execute("select r.split, t.participant_key from rows r join tuples t using (id) where r.source = 'opera'").fetchall()
    people = {split: {p for s, p in pairs if s == split} for split in SPLITS}
    assert _disjoint(people) and all(people.values())
    assert {"google_play", "app_store", "opera"} <= {s for split in ("validation", "test") for s in ds[split]["source"]}


def test_manifest_records_inputs_recipe_versions_and_stage_counts(built_dataset_dir):
    manifest = json.loads((built_dataset_dir / "build/manifest.json").read_text())
    assert manifest["seed"] == manifest["recipe"]["seed"] and manifest["recipe_name"] == "sample"
    assert manifest["inputs"] and all(len(item["sha256"]) == 64 for item in manifest["inputs"])
    assert {"python", "polars", "datasets", "rapidfuzz"} <= set(manifest["versions"])
    assert [s["name"] for s in manifest["stages"]] == ["normalize", "clean", "dedup", "extract", "opera", "personas", "screens", "anchor", "select", "leakage"]
    assert manifest["funnel"][-1]["rows"] == sum(manifest["splits"].values())
    for relpath, info in manifest["files"].items():
        assert hashlib.sha256((built_dataset_dir / relpath).read_bytes()).hexdigest() == info["sha256"]


def test_rebuild_gives_identical_ids_and_parquet(sample_build, tmp_path):
    status = cli.main(["build", "--out", str(tmp_path / "again"), "--work", str(sample_build.work), "--quiet"])
    assert status == 0
    first = {k: v for k, v in _tree(sample_build.out).items() if k.startswith("data/")}
    second = {k: v for k, v in _tree(tmp_path / "again").items() if k.startswith("data/")}
    assert first == second


def _expect_error(argv, capsys, *needles):
    status = cli.main(argv)
    err = capsys.readouterr().err
    assert status == 2, err
    lines = err.splitlines()
    errors = [line for line in lines if line.startswith("pisar build: error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], err  # progress lines may precede it
    for needle in needles:
        assert needle in errors[0]
    return errors[0]


@pytest.fixture
def existing_output(sample_build, tmp_path):
    out = tmp_path / "pisar"
    shutil.copytree(sample_build.out, out)
    return out


def test_missing_raw_folder(existing_output, tmp_path, capsys):
    before = _tree(existing_output)
    _expect_error(["build", "--raw", str(tmp_path / "nowhere"), "--out", str(existing_output), "--work", str(tmp_path / "w")],
                  capsys, "nowhere", "raw snapshot folder not found")
    assert _tree(existing_output) == before


def test_malformed_recipe(existing_output, tmp_path, capsys):
    recipe = tmp_path / "broken.toml"
    recipe.write_text('name = "x"\nseed = 1\n[dedup\nthreshold = 0.5\n')
    before = _tree(existing_output)
    _expect_error(["build", "--recipe", str(recipe), "--raw", str(tmp_path), "--out", str(existing_output)], capsys, "broken.toml", "not valid TOML")
    recipe.write_text('name = "x"\nseed = "one"\n')
    _expect_error(["build", "--recipe", str(recipe), "--raw", str(tmp_path), "--out", str(existing_output)], capsys, "broken.toml", "seed must be an integer")
    recipe.write_text('name = "x"\nseed = 1\n[dedup]\nthreshold = "high"\n')
    _expect_error(["build", "--recipe", str(recipe), "--raw", str(tmp_path), "--out", str(existing_output)], capsys, "[dedup].threshold", "must be a number")
    recipe.write_text('name = "x"\nseed = 1\n[dedupe]\nthreshold = 0.5\n')
    _expect_error(["build", "--recipe", str(recipe), "--raw", str(tmp_path), "--out", str(existing_output)], capsys, "'dedupe'")
    assert _tree(existing_output) == before


def test_out_folder_of_other_files_is_refused_before_building(sample_build, tmp_path, capsys):
    out = tmp_path / "documents"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    _expect_error(["build", "--raw", str(sample_build.raw), "--out", str(out), "--work", str(tmp_path / "w")],
                  capsys, "documents", "no build/manifest.json")
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert not (tmp_path / "w").exists()  # refused before any stage ran


def test_unknown_source(existing_output, sample_build, tmp_path, capsys):
    recipe = tmp_path / "odd.toml"
    recipe.write_text('name = "odd"\nseed = 1\n[normalize]\nsources = ["google_play", "myspace"]\n')
    before = _tree(existing_output)
    _expect_error(["build", "--recipe", str(recipe), "--raw", str(sample_build.raw), "--out", str(existing_output)], capsys, "odd.toml", "myspace")
    assert _tree(existing_output) == before


def test_unreadable_input_file(existing_output, sample_build, tmp_path, capsys):
    raw = tmp_path / "raw"
    shutil.copytree(sample_build.raw, raw)
    victim = sorted(raw.glob("google_play/*/reviews-*.jsonl"))[0]
    victim.write_bytes(victim.read_bytes()[:-40] + b"\n{not json\n")
    before = _tree(existing_output)
    _expect_error(["build", "--raw", str(raw), "--recipe", str(SAMPLE_RECIPE), "--out", str(existing_output),
                   "--work", str(tmp_path / "w")], capsys, victim.name)
    assert _tree(existing_output) == before


def test_a_build_that_ends_with_no_rows_fails_naming_the_stage(existing_output, sample_build, tmp_path, capsys):
    """Every review tuple scores below an impossible threshold: exit 2, one line saying where the rows ran out."""
    recipe = tmp_path / "strict.toml"
    recipe.write_text('name = "strict"\nseed = 1\n[normalize]\nsources = ["google_play", "app_store", "pew_atp", "screens"]\n'
                      '[anchor]\nmethod = "lexical"\nmin_score_lexical = 0.99\n')
    before = _tree(existing_output)
    error = _expect_error(["build", "--recipe", str(recipe), "--raw", str(sample_build.raw), "--out", str(existing_output),
                           "--work", str(tmp_path / "w"), "--quiet"], capsys, "the build ended with no rows — anchor: ",
                          "most as below_threshold", "(min_score 0.99)", "screens have no text", "nothing was written")
    assert " of " in error and "work.duckdb" in error
    assert _tree(existing_output) == before
    assert (tmp_path / "w" / "strict" / "work.duckdb").is_file()  # the stage tables stay for inspection


def test_sample_splits_hold_no_promotional_spam(built_dataset_dir):
    import datasets

    ds = datasets.load_dataset(str(built_dataset_dir))
    texts = [t for split in ds for t in ds[split]["rationale"]]
    assert not any("gift card" in t.lower() or "follow me" in t.lower() for t in texts)
