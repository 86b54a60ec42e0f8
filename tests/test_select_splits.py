"""Selection: quotas, exact test size, no context in two splits, determinism, shortfall scaling."""

from __future__ import annotations

import random
from datetime import datetime

import polars as pl
import pytest

from curation import recipe
from curation.stages import BuildContext
from curation.stages.personas import ATTRIBUTES_DTYPE
from curation.stages.select import Config, allocate, run
from pisar_data.errors import UserError
from pisar_data.schema import COLUMNS, PERSONA_ATTRIBUTES


def anchored(contexts: int, seed: int = 0, opera_rows: int = 600) -> pl.DataFrame:
    """A generated anchored table: app contexts of very different sizes plus one OPeRA site."""
    rng = random.Random(seed)
    ids, sources, context_ids = [], [], []
    for c in range(contexts):
        source = "google_play" if c % 3 else "app_store"
        size = rng.choice([1, 3, 8, 20, 45, 120, 400])
        for r in range(size):
            ids.append(f"{source[:2]}-{c:05d}-{r:04d}")
            sources.append(source)
            context_ids.append(f"app.{c:05d}")
    for r in range(opera_rows):
        ids.append(f"op-{r:05d}")
        sources.append("opera")
        context_ids.append("amazon.com")
    n = len(ids)
    persona = dict.fromkeys(PERSONA_ATTRIBUTES) | {"gender": "woman"}
    return pl.DataFrame({
        "id": ids, "source": sources, "context_id": context_ids, "context_name": context_ids, "persona": ["A woman."] * n,
        "persona_attributes": pl.Series([persona] * n, dtype=ATTRIBUTES_DTYPE), "persona_source": ["pew_atp_w17"] * n,
        "intent": ["use it"] * n, "screen_text": ["Sign in"] * n, "screen_source": ["view_hierarchy"] * n,
        "action": ["uninstalled it"] * n, "action_type": ["uninstall"] * n, "rationale": ["it crashed"] * n,
        "anchor_score": pl.Series([0.5] * n, dtype=pl.Float32), "anchor_method": ["embedding"] * n,
        "rating": pl.Series([1] * n, dtype=pl.Int32), "lang": ["en"] * n, "created_at": [datetime(2025, 1, 1)] * n,
        "image_path": ["/screens/x.jpg"] * n, "screen_id": ["x"] * n, "review_id": ids,
    })


@pytest.fixture(scope="module")
def large():
    table = anchored(700)
    assert table.height > 40_000
    return table


def _select(table, config=Config(), seed=7, tmp_path=None):
    return run({"anchored": table}, config, BuildContext(tmp_path, tmp_path, seed=seed))


def test_quotas_exact_test_size_and_no_shared_contexts(large, tmp_path):
    result = _select(large, tmp_path=tmp_path)
    rows = result.tables["rows"]
    sizes = dict(rows.group_by("split").len().iter_rows())
    assert sizes["test"] == 661 and sizes["validation"] == 661 and rows.height == 12929
    contexts = {split: set(rows.filter(pl.col("split") == split)["context_id"]) for split in ("train", "validation", "test")}
    assert not contexts["train"] & contexts["test"] and not contexts["train"] & contexts["validation"] and not contexts["validation"] & contexts["test"]
    assert rows["id"].n_unique() == rows.height
    # at most 40 rows of one context in test -> the test slice spans many apps
    assert rows.filter(pl.col("split") == "test").group_by("context_id").len()["len"].max() <= 40
    assert result.counts["test_contexts"] >= 17 and result.counts["shortfall"] == 0


def test_rows_have_every_feature_but_screen_plus_image_path_and_split(large, tmp_path):
    rows = _select(large, tmp_path=tmp_path).tables["rows"]
    assert rows.columns == [c for c in COLUMNS if c != "screen"] + ["image_path", "split"]
    assert "review_id" not in rows.columns and "screen_id" not in rows.columns


def test_stratified_by_source(large, tmp_path):
    result = _select(large, tmp_path=tmp_path)
    rows = result.tables["rows"]
    eligible_share = large.filter(pl.col("source") == "google_play").height / large.height
    for split in ("test", "validation"):
        part = rows.filter(pl.col("split") == split)
        share = part.filter(pl.col("source") == "google_play").height / part.height
        assert abs(share - eligible_share) < 0.03
    # OPeRA is a single site: too few contexts to evaluate on, so it is train-only and reported
    assert result.counts["train_only_sources"] == "opera" and result.counts["test_opera"] == 0
    configured = _select(large, Config(source_shares={"google_play": 0.5, "app_store": 0.5}, min_eval_contexts=3), tmp_path=tmp_path)
    assert configured.tables["rows"].filter(pl.col("source") == "opera").height == 0


def test_same_inputs_and_seed_give_identical_splits(large, tmp_path):
    first = _select(large, tmp_path=tmp_path).tables["rows"].select("id", "split")
    shuffled = large.sample(fraction=1.0, shuffle=True, seed=123)
    again = _select(shuffled, tmp_path=tmp_path).tables["rows"].select("id", "split")
    assert first.equals(again)
    other = _select(large, seed=8, tmp_path=tmp_path).tables["rows"].select("id", "split")
    assert not first.equals(other)


def test_fewer_rows_than_the_quota_scales_splits_and_reports_shortfall(tmp_path):
    small = anchored(120, seed=1, opera_rows=0)
    assert small.height < 12929
    result = _select(small, tmp_path=tmp_path)
    rows, counts = result.tables["rows"], result.counts
    scale = small.height / 12929
    assert counts["shortfall"] == 12929 - rows.height and counts["scale"] == round(scale, 4)
    assert counts["test"] > 0 and abs(counts["test"] - 661 * scale) <= 1
    assert abs(counts["validation"] - 661 * scale) <= 1
    # every eligible row is used except those trimmed from evaluation contexts (they cannot move to train)
    assert rows.height == small.height - counts["trimmed_in_eval_contexts"]


def test_allocate_is_exact_largest_remainder():
    assert allocate(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert sum(allocate(661, {"x": 0.37, "y": 0.41, "z": 0.22}).values()) == 661


def test_inconsistent_quotas_are_a_recipe_error():
    # Refused when the recipe is read, before any stage runs.
    with pytest.raises(UserError, match=r"\[select\]: total_rows must be at least test_rows \+ validation_rows"):
        recipe.from_dict({"select": {"total_rows": 100, "test_rows": 661}})
