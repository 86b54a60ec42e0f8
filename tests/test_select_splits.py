"""Selection: quotas, exact test size, no context in two splits, determinism, shortfall scaling."""

from __future__ import annotations

import random
import re
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


def _logged(table, config=Config(), seed=7, tmp_path=None):
    lines = []
    ctx = BuildContext(tmp_path, tmp_path, seed=seed)
    ctx.log = lines.append
    return run({"anchored": table}, config, ctx), lines


def _contexts_by_split(rows, column="context_id"):
    return {split: set(rows.filter(pl.col("split") == split)[column]) for split in ("train", "validation", "test")}


def test_two_apps_stay_in_train_with_one_line_and_notes(tmp_path):
    two = anchored(2, seed=3, opera_rows=0).with_columns(pl.lit("google_play").alias("source"))
    result, lines = _logged(two, tmp_path=tmp_path)
    rows, notes = result.tables["rows"], result.tables["split_notes"]
    assert set(rows["split"]) == {"train"} and rows.height == two.height
    assert dict(notes.iter_rows()).keys() == {"validation", "test"}
    assert "min_eval_contexts = 3" in notes["note"][0] and "google_play 2 apps" in notes["note"][0]
    source_line = [line for line in lines if "google_play has 2 apps" in line]
    assert len(source_line) == 1 and "train only" in source_line[0] and 'fallback_split_unit = { google_play = "review" }' in source_line[0]
    assert result.counts["split_unit_google_play"] == "train_only"


def test_each_missing_split_names_its_own_cause(tmp_path):
    # One app and 7 rows: the quota would also scale validation to 0, but the cause is the missing contexts.
    one = anchored(1, seed=3, opera_rows=0).head(7).with_columns(pl.lit("google_play").alias("source"))
    notes = dict(_select(one, tmp_path=tmp_path).tables["split_notes"].iter_rows())
    assert notes.keys() == {"validation", "test"}
    assert all("min_eval_contexts = 3" in note and "google_play 1 app" in note for note in notes.values())
    # Six apps, 9 rows: enough contexts, so a split left empty by the scaling says so with the numbers.
    few = anchored(6, seed=2, opera_rows=0).with_columns(pl.lit("google_play").alias("source"))
    result = _select(few.group_by("context_id", maintain_order=True).head(2), tmp_path=tmp_path)
    notes = dict(result.tables["split_notes"].iter_rows())
    assert result.counts["test"] == 1 and notes == {
        "validation": "only 9 eligible rows for total_rows = 12,929, so validation_rows = 661 scaled down to 0"}


def test_few_apps_can_be_split_by_review_when_the_recipe_says_so(tmp_path):
    two = anchored(2, seed=3, opera_rows=0).with_columns(pl.lit("google_play").alias("source"))
    config = Config(total_rows=48, test_rows=10, validation_rows=10, fallback_split_unit={"google_play": "review"})
    result, lines = _logged(two, config, tmp_path=tmp_path)
    rows = result.tables["rows"]
    sizes = dict(rows.group_by("split").len().iter_rows())
    assert sizes["test"] == 10 and sizes["validation"] == 10 and result.tables["split_notes"].height == 0
    assert rows["id"].n_unique() == rows.height
    assert _contexts_by_split(rows)["test"] & _contexts_by_split(rows)["train"]  # the leakage the option accepts
    assert result.counts["split_unit_google_play"] == "review"
    assert any("split by review instead" in line and "share their app with train" in line for line in lines)


def test_opera_one_site_is_split_by_participant(tmp_path):
    table = anchored(60, seed=2, opera_rows=600).with_columns(
        pl.when(pl.col("source") == "opera").then(pl.concat_str([pl.lit("u-"), (pl.int_range(pl.len()) % 40).cast(pl.Utf8)]))
        .alias("participant_key"))
    result = _select(table, Config(total_rows=3000, test_rows=300, validation_rows=300), tmp_path=tmp_path)
    rows = result.tables["rows"].join(table.select("id", "participant_key"), on="id")
    opera = rows.filter(pl.col("source") == "opera")
    people = _contexts_by_split(opera, "participant_key")
    assert people["test"] and people["validation"] and people["train"]
    assert not (people["test"] & people["train"] or people["validation"] & people["train"] or people["test"] & people["validation"])
    assert result.counts["split_unit_opera"] == "participant" and result.counts["test_opera"] > 0
    assert result.counts["split_unit_google_play"] == "context"


def test_three_small_apps_give_one_app_to_each_split(tmp_path):
    three = pl.concat([anchored(1, seed=s, opera_rows=0).with_columns(pl.lit(f"app.{s}").alias("context_id"),
                                                                      (pl.col("id") + f"-{s}").alias("id"),
                                                                      pl.lit("google_play").alias("source")) for s in range(3)])
    result = _select(three, Config(total_rows=1000, test_rows=400, validation_rows=400), tmp_path=tmp_path)
    contexts = _contexts_by_split(result.tables["rows"])
    assert all(len(contexts[split]) == 1 for split in contexts)  # test did not swallow the apps validation and train need


@pytest.mark.parametrize("unit,message", [({"opera": "review"}, "fallback_split_unit.opera: unknown unit 'review'"),
                                          ({"myspace": "review"}, "fallback_split_unit: unknown source 'myspace'")])
def test_fallback_units_are_checked_when_the_recipe_is_read(unit, message):
    with pytest.raises(UserError, match=re.escape(message)):
        recipe.from_dict({"select": {"fallback_split_unit": unit}})
