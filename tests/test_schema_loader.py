"""The row schema (declared once) and the loader."""

import subprocess
import sys

import polars as pl
import pyarrow as pa
import pytest

import pisar_data
from pisar_data import loader
from pisar_data.errors import UserError
from pisar_data.schema import ARROW_SCHEMA, COLUMNS, FEATURES, PERSONA_ATTRIBUTES, POLARS_SCHEMA


def test_arrow_and_polars_schemas_are_derived_from_features():
    assert ARROW_SCHEMA.names == list(FEATURES) == list(POLARS_SCHEMA) == list(COLUMNS)
    assert ARROW_SCHEMA.field("screen").type == pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    assert POLARS_SCHEMA["persona_attributes"] == pl.Struct({name: pl.String for name in PERSONA_ATTRIBUTES})
    assert POLARS_SCHEMA["anchor_score"] == pl.Float32 and POLARS_SCHEMA["rating"] == pl.Int32
    # The Hugging Face feature metadata travels with the Arrow schema, so parquet written with it
    # loads with the same features without any project code.
    assert b"huggingface" in ARROW_SCHEMA.metadata


def test_datasets_alone_reads_a_dataset_folder_with_the_declared_features(toy_dataset_dir):
    code = (
        "import datasets, sys\n"
        f"ds = datasets.load_dataset({str(toy_dataset_dir)!r})\n"
        "print(sorted(ds), ds['train'].num_rows, type(ds['train'][0]['screen']).__module__)\n"
        "print(ds['train'].features.to_dict() == datasets.Features.from_dict(ds['test'].features.to_dict()).to_dict())\n"
        "print(any(m.startswith(('pisar_data', 'curation')) for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/").stdout.split("\n")
    assert out[0] == "['test', 'train', 'validation'] 12 PIL.PngImagePlugin"
    assert out[1:3] == ["True", "False"]


def test_project_loader_returns_the_same_rows_and_features(toy_dataset_dir):
    import datasets

    ours = pisar_data.load_dataset(toy_dataset_dir)
    plain = datasets.load_dataset(str(toy_dataset_dir))
    for split in ("train", "validation", "test"):
        assert ours[split].features == FEATURES
        assert ours[split]["id"] == plain[split]["id"]
    test = pisar_data.load_dataset(toy_dataset_dir, split="test")
    assert test.num_rows == ours["test"].num_rows


def test_pisar_name_finds_the_folder_in_the_working_directory(toy_dataset_dir, monkeypatch):
    monkeypatch.chdir(toy_dataset_dir.parent)
    assert pisar_data.load_dataset("pisar", split="train").num_rows == 12


def test_hub_repo_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(loader.HUB_REPO_ENV, raising=False)
    assert loader.hub_repo() == loader.DEFAULT_HUB_REPO
    monkeypatch.setenv(loader.HUB_REPO_ENV, "someone/pisar-v2")
    assert loader.hub_repo() == "someone/pisar-v2"


def test_bad_split_and_non_dataset_folder_are_user_errors(tmp_path, toy_dataset_dir):
    with pytest.raises(UserError, match="split 'dev'"):
        pisar_data.load_dataset(toy_dataset_dir, split="dev")
    with pytest.raises(UserError, match="not a PiSAR dataset folder"):
        pisar_data.load_dataset(tmp_path)
