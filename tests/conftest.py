"""Shared fixtures.

- ``empty_project_cache`` (automatic): ``$PISAR_CACHE_DIR`` points at an empty session folder.
- ``real_samples``: ``../shared/real-samples`` (real files other people published); tests using it
  skip with a clear reason on a fresh clone that does not have it.
- ``toy_dataset_dir``: a small dataset folder in the PiSAR layout, made from hand-written rows,
  for tests of the loader, eval and training that must not depend on the build.
- ``built_dataset_dir``: the dataset folder ``pisar build`` writes from the embedded sample
  (built once per test session).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL_SAMPLES = Path(os.environ.get("PISAR_REAL_SAMPLES", REPO.parent / "shared" / "real-samples"))


@pytest.fixture(scope="session", autouse=True)
def empty_project_cache(tmp_path_factory):
    """Every test session starts with an empty project cache (as CI does), never the user's ~/.cache/pisar."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PISAR_CACHE_DIR", str(tmp_path_factory.mktemp("pisar-cache")))
        yield


@pytest.fixture(scope="module")
def single_thread():
    """One torch thread for tiny-model training: two threads on 2 shared cores oversubscribe OpenMP."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(params=["parquet", "csv", "jsonl"])
def write_review_table(request, tmp_path: Path):
    """write(columns) -> a table file in each format the user-table reader takes (one test per format)."""

    def write(columns: dict) -> Path:
        import polars as pl

        path = tmp_path / f"reviews.{request.param}"
        frame = pl.DataFrame(columns)
        {"parquet": frame.write_parquet, "csv": frame.write_csv, "jsonl": frame.write_ndjson}[request.param](path)
        return path

    return write


@pytest.fixture(scope="session")
def real_samples() -> Path:
    if not REAL_SAMPLES.is_dir():
        pytest.skip(f"real-sample files not found at {REAL_SAMPLES} (CI has ../shared beside the checkout; set PISAR_REAL_SAMPLES to run these)")
    return REAL_SAMPLES


def _screen_png(title: str, lines: list[str], color: tuple[int, int, int]) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (180, 320), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 180, 36], fill=color)
    draw.text((8, 12), title, fill="white")
    for i, line in enumerate(lines):
        draw.text((8, 52 + 22 * i), line, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


TOY_CONTEXTS = [
    ("com.example.bank", "Example Bank", "Banking", (20, 90, 160), ["Sign in", "Password", "Forgot password?"]),
    ("com.example.music", "Tunes", "Music", (160, 40, 120), ["Playlists", "Go Premium", "Offline"]),
    ("com.example.rides", "RideNow", "Travel", (30, 140, 60), ["Where to?", "Confirm pickup", "Payment"]),
    ("amazon.com", "Amazon", "Shopping", (230, 140, 20), ["Add to Cart", "Buy Now", "Customer reviews"]),
]
TOY_ROWS = [
    ("uninstall", "uninstalled the app", "it logs me out every time and the password reset never arrives"),
    ("pay", "paid for the premium plan", "I wanted offline playlists for my commute"),
    ("switch_app", "switched to another ride app", "the driver cancelled twice and the fare kept going up"),
    ("add_to_cart", "clicked 'Add to Cart' on the 2-pack", "the reviews were good and the price per unit was lower"),
    ("contact_support", "contacted support", "the transfer failed but the money left my account"),
    ("keep_using", "keeps using the app", "the new playlist layout makes it easy to find my songs"),
]


def toy_rows(n: int = 24) -> list[dict]:
    """``n`` schema-conformant rows over 4 contexts (rows of a context always share a split)."""
    from pisar_data.schema import PERSONA_ATTRIBUTES

    rows = []
    for i in range(n):
        context_id, name, genre, color, lines = TOY_CONTEXTS[i % len(TOY_CONTEXTS)]
        action_type, action, rationale = TOY_ROWS[i % len(TOY_ROWS)]
        attributes = dict.fromkeys(PERSONA_ATTRIBUTES)
        attributes.update(age_group=["18-29", "30-49", "50-64", "65+"][i % 4], gender=["woman", "man"][i % 2])
        rows.append(
            {
                "id": f"toy-{i:04d}",
                "source": "opera" if context_id == "amazon.com" else "google_play",
                "context_id": context_id,
                "context_name": name,
                "persona": f"A {attributes['gender']} aged {attributes['age_group']} who uses {genre.lower()} apps.",
                "persona_attributes": attributes,
                "persona_source": "opera_survey" if context_id == "amazon.com" else "pew_atp_w17",
                "intent": f"trying to use {name} ({genre.lower()}) — case {i}",
                "screen": {"bytes": _screen_png(name, lines, color), "path": None},
                "screen_text": "\n".join(lines),
                "screen_source": "opera_screenshot" if context_id == "amazon.com" else "user_supplied",
                "action": action,
                "action_type": action_type,
                "rationale": f"{rationale} (row {i})",
                "anchor_score": 0.5,
                "anchor_method": "lexical",
                "rating": None if context_id == "amazon.com" else 1 + i % 5,
                "lang": "en",
                "created_at": datetime(2025, 1, 1 + i % 28, 12, 0),
            }
        )
    return rows


TOY_SPLITS = {"train": ["com.example.bank", "com.example.music"], "validation": ["com.example.rides"], "test": ["amazon.com"]}


def write_toy_dataset(out: Path, n: int = 24) -> Path:
    import datasets

    from pisar_data.schema import FEATURES

    rows = toy_rows(n)
    (out / "data").mkdir(parents=True, exist_ok=True)
    for split, contexts in TOY_SPLITS.items():
        part = [r for r in rows if r["context_id"] in contexts]
        datasets.Dataset.from_list(part, features=FEATURES).to_parquet(str(out / "data" / f"{split}-00000-of-00001.parquet"))
    return out


@pytest.fixture(scope="session")
def toy_dataset_dir(tmp_path_factory) -> Path:
    return write_toy_dataset(tmp_path_factory.mktemp("toy") / "pisar")


@dataclass(frozen=True)
class SampleBuild:
    out: Path  # the dataset folder
    work: Path  # --work of the build (DuckDB work database per recipe)
    raw: Path  # the raw snapshot the embedded sample was imported into


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> SampleBuild:
    from pisar_data import cli

    root = tmp_path_factory.mktemp("sample-build")
    assert cli.main(["build", "--out", str(root / "pisar"), "--work", str(root / "work"), "--quiet"]) == 0
    return SampleBuild(out=root / "pisar", work=root / "work", raw=root / "work" / "sample-raw")


@pytest.fixture(scope="session")
def built_dataset_dir(sample_build) -> Path:
    return sample_build.out
