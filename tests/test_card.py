"""The dataset card: valid Hub metadata, readable by `datasets`, and every figure taken from the build."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "card"))
from card_build import BENCH_REPORT, shared_build  # noqa: E402

from curation import card  # noqa: E402
from pisar_data.schema import FEATURES, SPLITS  # noqa: E402


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return shared_build(tmp_path_factory)


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _markdown_table(body: str, header: str) -> dict[str, str]:
    """First two columns of the markdown table whose header row starts with ``| header |``."""
    lines = body.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header} |"))
    out = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        out[cells[0].strip("`")] = cells[-1] if header == "action_type" else cells[1]
    return out


def test_card_metadata_parses_with_huggingface_hub(build):
    from datasets import Features
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCard

    folder, manifest, _ = build
    data = DatasetCard((folder / "README.md").read_text(encoding="utf-8")).data
    assert data.pretty_name == "PiSAR"
    assert data.license == "other" and data.license_name and data.license_link
    assert data.language == ["en", "es"]
    assert data.task_categories == ["image-text-to-text", "text-generation"]
    assert data.size_categories == ["n<1K"]
    assert data.source_datasets == ["NEU-HAI/OPeRA", "original"]
    assert "personas" in data.tags
    configs = MetadataConfigs.from_dataset_card_data(data)
    assert configs["default"]["data_files"] == [{"split": s, "path": f"data/{s}-*"} for s in SPLITS]
    info = DatasetInfosDict.from_dataset_card_data(data)["default"]
    assert info.features == FEATURES
    assert Features._from_yaml_list(data.dataset_info["features"]) == FEATURES


def test_datasets_reads_the_folder_through_the_card(build):
    import datasets

    folder, manifest, _ = build
    builder = datasets.load_dataset_builder(str(folder))
    # The split sizes come from the card's dataset_info (datasets reads them from README.md).
    assert {name: s.num_examples for name, s in builder.info.splits.items()} == manifest["splits"]
    loaded = datasets.load_dataset(str(folder))
    assert {name: len(split) for name, split in loaded.items()} == manifest["splits"]
    assert loaded["train"].features == FEATURES
    assert loaded["test"][0]["screen"].size == (180, 320)


def test_yaml_numbers_match_the_manifest(build):
    from huggingface_hub import DatasetCard

    folder, manifest, _ = build
    info = DatasetCard((folder / "README.md").read_text(encoding="utf-8")).data.dataset_info
    files = json.loads((folder / "build" / "manifest.json").read_text())["files"]
    for split in info["splits"]:
        assert split["num_examples"] == manifest["splits"][split["name"]]
        shards = [p for p in files if p.startswith(f"data/{split['name']}-")]
        assert split["num_bytes"] == sum(files[p]["bytes"] for p in shards)
        assert sum(files[p]["rows"] for p in shards) == split["num_examples"]
    assert info["download_size"] == sum(f["bytes"] for p, f in files.items() if p.startswith("data/"))


def test_every_figure_in_the_body_matches_the_manifest(build):
    folder, manifest, tables = build
    body = (folder / "README.md").read_text(encoding="utf-8").split("\n---\n", 1)[1]
    total = sum(manifest["splits"].values())
    assert f"**{total:,} rows**" in body
    assert {k: _number(v) for k, v in _markdown_table(body, "split").items()} == manifest["splits"]
    assert {k: _number(v) for k, v in _markdown_table(body, "source").items()} == manifest["sources"]
    assert {k: _number(v) for k, v in _markdown_table(body, "step").items()} == {f["step"]: f["rows"] for f in manifest["funnel"]}
    counts = dict(tables["rows"].group_by("action_type").len().iter_rows())
    assert {k: _number(v) for k, v in _markdown_table(body, "action_type").items() if _number(v)} == counts
    for stage in manifest["stages"]:
        c = stage["counts"]
        if "in" in c:
            assert f"Rows: {c['in']:,} before, {c['out']:,} after." in body, stage["name"]
    dedup = next(s["counts"] for s in manifest["stages"] if s["name"] == "dedup")
    section = body.split("### Deduplication", 1)[1].split("\n### ", 1)[0]
    assert f"Shingling: {dedup['shingling']}" in section
    assert f"{dedup['num_perm']} permutations; LSH with {dedup['bands']} bands × {dedup['rows']} rows" in section
    assert f"Jaccard threshold: {dedup['threshold']}" in section
    assert f"Exact duplicates removed: {dedup['exact_removed']}" in section
    assert f"Near duplicates removed: {dedup['near_removed']}" in section
    assert f"Rows removed in total: {dedup['exact_removed'] + dedup['near_removed']}" in section
    assert f"Duplicate clusters: {dedup['clusters']} (largest: 4 rows)" in section
    assert f"({tables['dedup_decisions'].height} decisions" in section
    assert f"{len(manifest['inputs'])} raw snapshot files ({sum(i['bytes'] for i in manifest['inputs']):,} bytes)" in body
    assert f"; {tables['pew_profiles'].height} respondent profiles)" in body


def test_results_table_comes_from_the_bench_report_and_reference_numbers_are_labelled(build):
    folder, _, _ = build
    body = (folder / "README.md").read_text(encoding="utf-8")
    measured = body.split("### Results measured on this build", 1)[1].split("###", 1)[0]
    for model in BENCH_REPORT["models"]:
        row = next(line for line in measured.splitlines() if line.startswith(f"| {model['model']} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2:6] == [str(model["n"]), f"{model['mean']:.4g}", f"{model['ci95'][0]:.4g}–{model['ci95'][1]:.4g}",
                              f"{100 * model['share_ge_0_7']:.1f}%"]
    assert "Qwen3-VL-8B-Instruct" not in measured
    reference = body.split("### Reference numbers from the PiSAR paper (not measured on this build)", 1)[1]
    assert "| Qwen3-VL-8B-Instruct | LoRA SFT on PiSAR train | 0.783 | 79% |" in reference
    assert "| Gemma-4-26B-A4B-IT |" in reference and "0.441" in reference


def test_card_without_optional_inputs_says_what_is_missing(build, tmp_path, monkeypatch):
    _, manifest, tables = build
    monkeypatch.setattr(card, "DEDUP_ACCURACY", tmp_path / "absent.json")
    minimal = {k: v for k, v in manifest.items() if k != "files"}
    text = card.render_card(minimal, {"rows": tables["rows"]})
    assert "No benchmark report was given to this build" in text
    assert "Estimated error: not measured" in text
    assert "download_size" not in text  # sizes unknown without the manifest's files: not invented
    assert "respondent profiles" not in text
    bare = card.render_card(minimal, {})  # no tables at all: still a valid card, without invented figures
    assert "No example rows" in bare and "language:\n- en\n" in bare


def test_dedup_accuracy_benchmark_is_reported_when_present(build, tmp_path, monkeypatch):
    _, manifest, tables = build
    accuracy = tmp_path / "dedup_accuracy.json"
    accuracy.write_text(json.dumps({"precision": 0.973, "recall": 0.912, "labelled_pairs": 400, "method": "hand-labelled pairs"}))
    monkeypatch.setattr(card, "DEDUP_ACCURACY", accuracy)
    text = card.render_card(manifest, tables)
    section = text.split("### Deduplication", 1)[1].split("\n### ", 1)[0]
    assert "  - precision: 0.973\n  - recall: 0.912\n  - labelled_pairs: 400\n  - method: hand-labelled pairs" in section
    assert "not measured" not in section


def test_template_types_no_figure_by_hand():
    """Outside Jinja expressions and the paper's labelled reference table, the template holds no numbers
    except identifiers (wave 17, CC-BY-4.0, all-MiniLM-L6-v2, …) and the metric's own definition."""
    text = card.TEMPLATE.read_text(encoding="utf-8")
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", "", text, flags=re.S)
    before, rest = text.split("### Reference numbers from the PiSAR paper", 1)
    text = before + rest.split("## Curation rationale", 1)[1]
    identifiers = r"w17|wave 17|CC-BY-4\.0|L6-v2|float32|int32|SHA-256|≥ 0\.7|95%|scores 0"
    leftover = re.findall(r"\d[\d.,%]*", re.sub(identifiers, "", text))
    assert leftover == []


def test_a_build_without_validation_and_test_writes_no_empty_file_and_loads_with_datasets(tmp_path):
    """Two apps: every row in train. No 0-row parquet (datasets cannot read one), the card lists only train and
    says why the other splits are missing, and `datasets.load_dataset` reads the folder as it is."""
    import datasets
    import polars as pl
    from huggingface_hub import DatasetCard

    from card_build import make_manifest, make_tables
    from curation.stages.write import Config, write_dataset

    tables = make_tables(tmp_path / "images")
    tables["rows"] = tables["rows"].filter(pl.col("source") != "opera").with_columns(pl.lit("train").alias("split"))
    out = tmp_path / "pisar"
    written = write_dataset(tables["rows"], out, Config(row_group_size=10, max_rows_per_shard=20))
    assert sorted(written) == ["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"]
    assert sorted(p.name for p in (out / "data").iterdir()) == [Path(p).name for p in sorted(written)]
    note = ("a leakage-free split needs a source with at least min_eval_contexts = 3 contexts and this build has "
            "google_play 3 apps, so every row is in train")
    manifest = make_manifest(tables, written) | {"missing_splits": {"validation": note, "test": note}}
    manifest["files"] = {p: {"sha256": "0" * 64, "bytes": (out / p).stat().st_size} for p in written}
    text = card.render_card(manifest, tables)
    (out / "README.md").write_text(text, encoding="utf-8")

    data = DatasetCard(text).data
    assert data.configs == [{"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*"}]}]
    assert [s["name"] for s in data.dataset_info["splits"]] == ["train"]
    assert f"**This copy has no `validation` and `test` splits**: {note}." in text
    loaded = datasets.load_dataset(str(out))
    assert list(loaded) == ["train"] and loaded["train"].num_rows == tables["rows"].height
    apart = card.render_card(manifest | {"missing_splits": {"validation": "scaled to 0", "test": note}}, tables)
    assert "**This copy has no `validation` split**: scaled to 0." in apart and f"**This copy has no `test` split**: {note}." in apart


def test_card_states_the_persona_frame_and_reviews_from_other_stores(build):
    import polars as pl

    folder, manifest, tables = build
    reviews = tables["rows"].filter(pl.col("source") != "opera")
    countries = ["us" if i % 3 else "et" if i % 2 else None for i in range(reviews.height)]
    tuples = reviews.select("id").with_columns(pl.Series("store_country", countries, dtype=pl.Utf8))
    stages = [s if s["name"] != "personas" else {**s, "counts": {**s["counts"], "review_frame": "internet_use = internet user",
                                                                    "frame_respondents": 4246, "frame_weight_share": 0.8886}}
              for s in manifest["stages"]]
    text = card.render_card({**manifest, "stages": stages}, {**tables, "tuples": tuples})
    assert "`internet_use = internet user` (the recipe's `[personas] review_frame`),\n  4,246 respondents, 88.9% of" in text
    outside = sum(1 for c in countries if c != "us")
    assert f"**{outside} review rows come from a store the wave does not cover**" in text
    assert f"`us` {countries.count('us')}," in text and "`unknown`" in text and "only_wave_country = true" in text
