"""Persona assignment: weighted, deterministic Pew draws; descriptions; OPeRA personas kept."""

from __future__ import annotations

import polars as pl
import pytest

from curation.stages import BuildContext
from curation.stages.personas import ATTRIBUTES_DTYPE, Config, describe, draw, draw_table, run
from pisar_data.schema import PERSONA_ATTRIBUTES


def _profiles(rows: list[tuple[str, str, float, str, str]], internet_use: str = "internet user") -> pl.DataFrame:
    data = {"respondent_id": [], "wave": [], "weight": [], "persona_source": [], **{a: [] for a in PERSONA_ATTRIBUTES}}
    for respondent, wave, weight, age, gender in rows:
        data["respondent_id"].append(respondent)
        data["wave"].append(wave)
        data["weight"].append(weight)
        data["persona_source"].append(f"pew_atp_{wave}")
        for a in PERSONA_ATTRIBUTES:
            data[a].append({"age_group": age, "gender": gender, "internet_use": internet_use}.get(a))
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


def _contradictions(sentence: str) -> list[str]:
    """Claims of a persona sentence that cannot all be true."""
    found = []
    offline = "does not use the internet" in sentence
    if offline and ("uses social media" in sentence.replace("does not use social media", "")):
        found.append("offline but a social media user")
    if "uses social media" in sentence.replace("does not use social media", "") and "does not use social media" in sentence:
        found.append("uses and does not use social media")
    return found


def test_real_w17_review_frame_is_internet_users_reweighted_and_no_sentence_contradicts(real_samples):
    from curation.sources.pew_atp import read_wave

    wave = read_wave(real_samples / "pew" / "atp_w17_data.sav")
    # The raw wave holds the contradiction the frame and the sentence must not repeat.
    assert wave.filter((pl.col("internet_use") == "non-user") & (pl.col("social_media_use") == "social media user")).height > 0
    for row in wave.select(PERSONA_ATTRIBUTES).iter_rows(named=True):  # every respondent of the real wave
        sentence = describe(row)
        assert not _contradictions(sentence), (row, sentence)
    profiles, cumulative = draw_table(wave, Config())
    assert set(profiles["internet_use"]) == {"internet user"}
    assert profiles.height == wave.filter((pl.col("internet_use") == "internet user") & pl.col("age_group").is_not_null()).height
    # Re-weighted within the frame: drawn shares follow the frame's weights, not the whole wave's.
    picks = profiles[draw(profiles, cumulative, [f"gp-{i:06d}" for i in range(20_000)], seed=5)]
    frame = profiles.group_by("age_group").agg(pl.col("weight").sum()).with_columns(pl.col("weight") / pl.col("weight").sum())
    drawn = picks.group_by("age_group").len().with_columns(pl.col("len") / pl.col("len").sum())
    assert (frame.join(drawn, on="age_group")["weight"] - frame.join(drawn, on="age_group")["len"]).abs().max() <= 0.015
    whole = wave.filter(pl.col("age_group").is_not_null())
    old_share = whole.filter(pl.col("age_group") == "65+")["weight"].sum() / whole["weight"].sum()
    framed_share = frame.filter(pl.col("age_group") == "65+")["weight"].item()
    assert framed_share < old_share - 0.01  # older people are less often online: the frame moves the mix
    descriptions = [describe(r) for r in picks.select(PERSONA_ATTRIBUTES).iter_rows(named=True)]
    assert not any("does not use the internet" in d for d in descriptions)


def test_store_country_is_recorded_and_can_restrict_reviews_to_the_wave_country(tmp_path):
    profiles = _profiles([("a", "w17", 1.0, "18-29", "woman")])
    reviews = pl.DataFrame({"review_id": ["r1", "r2", "r3", "r4"], "country": ["us", "US", "et", None]})
    tuples = pl.DataFrame({"id": ["r1", "r2", "r3", "r4"], "review_id": ["r1", "r2", "r3", "r4"], "source": ["google_play"] * 4})
    tables = {"review_tuples": tuples, "reviews": reviews, "pew_profiles": profiles}
    ctx = BuildContext(tmp_path, tmp_path, 1)
    kept = run(tables, Config(), ctx)
    assert kept.tables["tuples"]["store_country"].to_list() == ["us", "us", "et", None]
    assert {k: v for k, v in kept.counts.items() if k.startswith("store_country_")} == {
        "store_country_et": 1, "store_country_us": 2, "store_country_unknown": 1}
    assert kept.counts["outside_wave_country"] == 2 and kept.tables["persona_drops"].height == 0
    only = run(tables, Config(only_wave_country=True), ctx)
    assert only.tables["tuples"]["id"].to_list() == ["r1", "r2"]
    assert dict(only.tables["persona_drops"].iter_rows()) == {"r3": "store_country_et", "r4": "store_country_unknown"}


def test_review_frame_is_checked_when_the_recipe_is_read():
    from curation import recipe
    from pisar_data.errors import UserError

    loaded = recipe.from_dict({"personas": {"review_frame": {"internet_use": ["internet user"], "social_media_use": ["social media user"]}}})
    assert loaded.config("personas").review_frame == {"internet_use": ("internet user",), "social_media_use": ("social media user",)}
    with pytest.raises(UserError, match=r"\[personas\]: review_frame.internet_use: expected a list of 'internet user', 'non-user'"):
        recipe.from_dict({"personas": {"review_frame": {"internet_use": ["online"]}}})
    with pytest.raises(UserError, match="unknown attribute 'smartphone'"):
        recipe.from_dict({"personas": {"review_frame": {"smartphone": ["yes"]}}})


def test_a_frame_nobody_is_in_is_a_one_line_error(tmp_path):
    from pisar_data.errors import UserError

    offline = _profiles([("a", "w17", 1.0, "18-29", "woman")], internet_use="non-user")
    tuples = pl.DataFrame({"id": ["r1"], "source": ["google_play"]})
    with pytest.raises(UserError, match=r"none of the 1 drawable respondents is in the recipe's \[personas\] review_frame \(internet_use = internet user\)"):
        run({"review_tuples": tuples, "pew_profiles": offline}, Config(), BuildContext(tmp_path, tmp_path, 1))
