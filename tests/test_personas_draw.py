"""Persona assignment: weighted, deterministic Pew draws; descriptions; OPeRA personas kept."""

from __future__ import annotations

import polars as pl
import pytest

from curation.stages import BuildContext
from curation.stages.personas import ATTRIBUTES_DTYPE, Config, describe, draw, draw_table, run
from pisar_data.schema import PERSONA_ATTRIBUTES


def _profiles(rows: list[tuple[str, str, float, str, str]]) -> pl.DataFrame:
    data = {"respondent_id": [], "wave": [], "weight": [], "persona_source": [], **{a: [] for a in PERSONA_ATTRIBUTES}}
    for respondent, wave, weight, age, gender in rows:
        data["respondent_id"].append(respondent)
        data["wave"].append(wave)
        data["weight"].append(weight)
        data["persona_source"].append(f"pew_atp_{wave}")
        for a in PERSONA_ATTRIBUTES:
            data[a].append({"age_group": age, "gender": gender}.get(a))
    return pl.DataFrame(data, schema_overrides={"weight": pl.Float64, **{a: pl.Utf8 for a in PERSONA_ATTRIBUTES}})


def test_real_w17_weighted_draws_match_weighted_marginals(real_samples):
    from curation.sources.pew_atp import read_wave

    wave = read_wave(real_samples / "pew" / "atp_w17_data.sav")
    config = Config()
    profiles, cumulative = draw_table(wave, config)
    picks = draw(profiles, cumulative, [f"gp-{i:06d}" for i in range(10_000)], seed=17)
    drawn = profiles[picks]
    for attribute in ("age_group", "gender", "education", "region"):
        known = profiles.filter(pl.col(attribute).is_not_null())
        population = known.group_by(attribute).agg(pl.col("weight").sum()).with_columns(pl.col("weight") / pl.col("weight").sum())
        sample = drawn.filter(pl.col(attribute).is_not_null()).group_by(attribute).len().with_columns(pl.col("len") / pl.col("len").sum())
        joined = population.join(sample, on=attribute, how="left").fill_null(0)
        worst = (joined["weight"] - joined["len"]).abs().max()
        assert worst <= 0.02, f"{attribute}: weighted share and drawn share differ by {worst:.3f}\n{joined}"
        assert joined.height >= 2


def test_draws_are_deterministic_per_row_and_follow_weights(tmp_path):
    profiles = _profiles([("a", "w17", 9.0, "18-29", "woman"), ("b", "w17", 1.0, "65+", "man")])
    tuples = pl.DataFrame({"id": [f"r{i}" for i in range(2000)], "source": ["google_play"] * 2000, "rationale": ["x"] * 2000})
    ctx = BuildContext(tmp_path, tmp_path, seed=3)
    first = run({"review_tuples": tuples, "pew_profiles": profiles}, Config(), ctx).tables["tuples"]
    again = run({"review_tuples": tuples.reverse().head(500), "pew_profiles": profiles}, Config(), ctx).tables["tuples"]
    # a row's persona depends on seed + id only, not on the other rows
    assert again.select("id", "persona").sort("id").equals(first.filter(pl.col("id").is_in(again["id"])).select("id", "persona").sort("id"))
    share = first.filter(pl.col("persona_attributes").struct.field("age_group") == "18-29").height / 2000
    assert 0.87 <= share <= 0.93
    assert first.schema["persona_attributes"] == ATTRIBUTES_DTYPE
    assert set(first["persona_source"]) == {"pew_atp_w17"}
    other_seed = run({"review_tuples": tuples, "pew_profiles": profiles}, Config(), BuildContext(tmp_path, tmp_path, seed=4)).tables["tuples"]
    assert not other_seed["persona"].equals(first["persona"])


def test_waves_are_combined_in_equal_shares_and_unusable_profiles_skipped(tmp_path):
    profiles = _profiles([("a", "w17", 100.0, "18-29", "woman"), ("b", "w30", 1.0, "65+", "man"),
                          ("c", "w30", 5.0, None, "man"), ("d", "w30", 0.0, "50-64", "man")])
    table, cumulative = draw_table(profiles, Config())
    assert table["respondent_id"].to_list() == ["a", "b"]
    assert cumulative.tolist() == pytest.approx([0.5, 1.0])
    only = draw_table(profiles, Config(waves=("w30",)))[0]
    assert only["respondent_id"].to_list() == ["b"]


def test_description_is_short_natural_language():
    attributes = dict.fromkeys(PERSONA_ATTRIBUTES)
    attributes.update(gender="woman", age_group="30-49", region="South", education="college graduate", income="$30k-$75k")
    assert describe(attributes) == "A woman aged 30-49 in the South, college graduate, household income $30k-$75k."
    assert describe(dict.fromkeys(PERSONA_ATTRIBUTES)) == "A person."


def test_opera_rows_keep_their_survey_persona(tmp_path):
    profiles = _profiles([("a", "w17", 1.0, "18-29", "woman")])
    attributes = dict.fromkeys(PERSONA_ATTRIBUTES) | {"gender": "man"}
    opera = pl.DataFrame({"id": ["op-1"], "source": ["opera"], "persona": ["A man."], "persona_attributes": [attributes],
                          "persona_source": ["opera_survey"]})
    reviews = pl.DataFrame({"id": ["gp-1"], "source": ["google_play"]})
    out = run({"review_tuples": reviews, "opera_tuples": opera, "pew_profiles": profiles}, Config(), BuildContext(tmp_path, tmp_path, 1)).tables["tuples"]
    assert out["id"].to_list() == ["gp-1", "op-1"]
    assert out.filter(pl.col("id") == "op-1")["persona"].item() == "A man."
    assert out.filter(pl.col("id") == "gp-1")["persona_source"].item() == "pew_atp_w17"
