"""Personas: every tuple gets a persona (attributes in one vocabulary + a short description).

* Review rows (no persona of their own) get a Pew ATP profile drawn from the *review frame*: the
  respondents who could have written an app review (``review_frame``; reference: internet users —
  Pew's W17 wave asks no smartphone or app-use question: its internet status ``F_INTUSER_FINAL``
  already counts anyone who goes online from a phone or tablet, and ``NEW_Device_Type_W17`` is only
  the device the survey was answered on). Weights are re-normalized within the frame, so the draw
  matches the frame's weighted population. The draw is deterministic: ``u = sha256(f"{seed}:{row id}") / 2**256`` (uniform in [0, 1)) picks the profile
  whose cumulative normalized weight first exceeds ``u``, profiles sorted by ``(wave, respondent_id)``.
  Over many rows the persona mix therefore matches the wave's weighted population, and a row keeps
  its persona across rebuilds whatever else changes in the corpus.
* Several waves may be combined (``waves``): each wave's weights are normalized to sum to 1 and the
  waves are mixed in equal shares, so a bigger wave does not dominate.
* Profiles with a missing ``required_attributes`` value or a non-positive weight are never drawn.
* OPeRA rows keep the persona mapped from the participant's survey (``curation.stages.opera``).
* Store country: Pew ATP is a US panel. Review rows carry their pull's store ``country`` as
  ``store_country`` (null for a dump imported without ``--country``) and the counts give every
  country; the card says how many rows come from stores the wave does not cover.
  ``only_wave_country`` keeps only reviews from the wave's country (the others go to ``persona_drops``
  as ``store_country_<cc>`` or ``store_country_unknown``).

The description is short natural language from the attributes, e.g. "A woman aged 30-49 in the
South, college graduate, household income $30k-$75k, Democrat, employed." It never contradicts
itself: a respondent recorded as not using the internet gets no social-media clause (in W17, 54 such
respondents are also coded social media users — the two come from different questionnaires).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from curation.stages import BuildContext, StageResult, Tables
from pisar_data.errors import UserError
from pisar_data.schema import PERSONA_ATTRIBUTES, PERSONA_VOCABULARY

NAME = "personas"
WAVE_COUNTRY = "us"  # Pew ATP samples US adults

ATTRIBUTES_DTYPE = pl.Struct({name: pl.Utf8 for name in PERSONA_ATTRIBUTES})


@dataclass
class Config:
    """Persona assignment.

    waves: Pew waves to draw from (e.g. ["w17"]); empty = every wave in ``pew_profiles``.
    required_attributes: profiles missing any of these are not drawn (a persona needs an age and gender).
    review_frame: {attribute: allowed values}: the respondents review rows draw from, i.e. people who
        could have written an app review. Reference: internet users (W17: 4,250 of 4,563 respondents,
        about 89% of the weighted population); a respondent whose value is missing is outside the frame.
    only_wave_country: keep only review rows whose store country is the wave's (Pew ATP: "us"); reviews
        from other stores, and dumps imported without ``--country``, are dropped.
    """

    waves: tuple[str, ...] = ()
    required_attributes: tuple[str, ...] = ("age_group", "gender")
    review_frame: dict[str, tuple[str, ...]] = field(default_factory=lambda: {"internet_use": ("internet user",)})
    only_wave_country: bool = False

    def __post_init__(self):
        frame = {}
        for attribute, values in self.review_frame.items():
            if attribute not in PERSONA_VOCABULARY:
                raise ValueError(f"review_frame: unknown attribute {attribute!r}; expected one of {', '.join(PERSONA_ATTRIBUTES)}")
            values = (values,) if isinstance(values, str) else tuple(values)
            unknown = [v for v in values if v not in PERSONA_VOCABULARY[attribute]]
            if unknown or not values:
                raise ValueError(f"review_frame.{attribute}: expected a list of {', '.join(map(repr, PERSONA_VOCABULARY[attribute]))}, "
                                 f"got {list(values)!r}")
            frame[attribute] = values
        self.review_frame = frame


_NOUN = {"man": "man", "woman": "woman", "other": "person"}


def describe(attributes: dict[str, str | None], extra: list[str] = ()) -> str:
    """"A woman aged 30-49 in the South, college graduate, household income $30k-$75k, …"."""
    a = attributes
    head = f"A {_NOUN.get(a.get('gender') or '', 'person')}"
    if a.get("age_group"):
        head += f" aged {a['age_group']}"
    if a.get("region"):
        head += f" in the {a['region']}"
    parts = [head]
    if a.get("race_ethnicity"):
        parts.append(a["race_ethnicity"])
    if a.get("education"):
        parts.append(a["education"])
    if a.get("income"):
        parts.append(f"household income {a['income']}")
    if a.get("employment"):
        parts.append(a["employment"])
    if a.get("party"):
        parts.append(a["party"] if a["party"] != "Other" else "other party")
    if a.get("internet_use") == "non-user":
        parts.append("does not use the internet")
    elif a.get("social_media_use"):
        parts.append("uses social media" if a["social_media_use"] == "social media user" else "does not use social media")
    parts.extend(extra)
    return ", ".join(parts) + "."


def uniform(seed: int, row_id: str) -> float:
    digest = hashlib.sha256(f"{seed}:{row_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def in_frame(frame: dict[str, tuple[str, ...]]) -> pl.Expr:
    """True for profiles inside ``frame`` (every listed attribute has an allowed value; missing = outside)."""
    expr = pl.lit(True)
    for attribute, values in frame.items():
        expr = expr & pl.col(attribute).is_in(list(values)).fill_null(False)
    return expr


def frame_text(frame: dict[str, tuple[str, ...]]) -> str:
    """The frame in words, for logs, errors and the card: "internet_use = internet user"."""
    return "; ".join(f"{a} = {' or '.join(v)}" for a, v in frame.items()) or "every respondent"


def draw_table(profiles: pl.DataFrame, config: Config) -> tuple[pl.DataFrame, np.ndarray]:
    """Drawable profiles of the review frame in a stable order and their cumulative probabilities (last = 1)."""
    if config.waves:
        profiles = profiles.filter(pl.col("wave").is_in(list(config.waves)))
    for name in config.required_attributes:
        profiles = profiles.filter(pl.col(name).is_not_null())
    profiles = profiles.filter(pl.col("weight").is_not_null() & (pl.col("weight") > 0)).sort(["wave", "respondent_id"])
    if profiles.height == 0:
        raise UserError("pew_profiles: no drawable Pew profile (need a positive weight and "
                        f"{', '.join(config.required_attributes)}); expected at least one pulled ATP wave (`pisar pull pew-atp`)")
    framed = profiles.filter(in_frame(config.review_frame))
    if framed.height == 0:
        raise UserError(f"pew_profiles: none of the {profiles.height:,} drawable respondents is in the recipe's [personas] "
                        f"review_frame ({frame_text(config.review_frame)}); expected a wave with these variables, or a wider review_frame")
    profiles = framed
    waves = profiles["wave"].unique().sort().to_list()
    weights = profiles["weight"].to_numpy().astype(np.float64)
    wave_totals = profiles.group_by("wave").agg(pl.col("weight").sum().alias("total"))
    totals = profiles.join(wave_totals, on="wave", how="left")["total"].to_numpy()
    probabilities = weights / totals / len(waves)
    cumulative = np.cumsum(probabilities)
    cumulative[-1] = 1.0
    return profiles, cumulative


def frame_share(profiles: pl.DataFrame, config: Config) -> float:
    """Weighted share of the drawable respondents that is inside the review frame (waves averaged)."""
    usable = profiles.filter(pl.col("weight").is_not_null() & (pl.col("weight") > 0))
    if config.waves:
        usable = usable.filter(pl.col("wave").is_in(list(config.waves)))
    shares = usable.group_by("wave").agg((pl.col("weight").filter(in_frame(config.review_frame)).sum() / pl.col("weight").sum()).alias("share"))
    return float(shares["share"].mean()) if shares.height else 0.0


def draw(profiles: pl.DataFrame, cumulative: np.ndarray, row_ids: list[str], seed: int) -> np.ndarray:
    """Index into ``profiles`` for each row id (inverse CDF of a hash-derived uniform)."""
    u = np.fromiter((uniform(seed, row_id) for row_id in row_ids), dtype=np.float64, count=len(row_ids))
    return np.searchsorted(cumulative, u, side="right").clip(0, len(cumulative) - 1)


DROPS_SCHEMA = {"id": pl.Utf8, "reason": pl.Utf8}


def with_store_country(reviews: pl.DataFrame, tables: Tables) -> pl.DataFrame:
    """Review tuples with ``store_country``: their pull's ``country`` (null when the pull did not record one)."""
    source = tables.get("reviews")
    if source is None or "country" not in source.columns or "review_id" not in reviews.columns:
        return reviews.with_columns(pl.lit(None, dtype=pl.Utf8).alias("store_country"))
    countries = source.select("review_id", pl.col("country").str.to_lowercase().alias("store_country")).unique("review_id")
    return reviews.join(countries, on="review_id", how="left")


def run(tables: Tables, config: Config, ctx: BuildContext) -> StageResult:
    reviews = tables.get("review_tuples")
    opera = tables.get("opera_tuples")
    parts = []
    drops = pl.DataFrame(schema=DROPS_SCHEMA)
    counts: dict[str, int | float | str] = {}
    if reviews is not None:
        reviews = with_store_country(reviews, tables)
        for country, n in sorted(reviews.group_by("store_country").len().iter_rows(), key=lambda r: (r[0] is None, r[0] or "")):
            counts[f"store_country_{country or 'unknown'}"] = n
        outside = reviews.filter(pl.col("store_country").fill_null("") != WAVE_COUNTRY)
        counts["outside_wave_country"] = outside.height
        if config.only_wave_country and outside.height:
            drops = outside.select("id", pl.concat_str([pl.lit("store_country_"), pl.col("store_country").fill_null("unknown")]).alias("reason"))
            reviews = reviews.filter(pl.col("store_country") == WAVE_COUNTRY)
            ctx.log(f"      personas: dropped {outside.height:,} review tuples from stores outside {WAVE_COUNTRY} (only_wave_country)")
    if reviews is not None and reviews.height:
        profiles, cumulative = draw_table(tables["pew_profiles"], config)
        picks = draw(profiles, cumulative, reviews["id"].to_list(), ctx.seed)
        chosen = profiles[picks]
        attributes = chosen.select(pl.struct([pl.col(n).cast(pl.Utf8) for n in PERSONA_ATTRIBUTES]).alias("persona_attributes"))
        descriptions = [describe(row) for row in chosen.select(PERSONA_ATTRIBUTES).iter_rows(named=True)]
        parts.append(reviews.with_columns(
            pl.Series("persona", descriptions, dtype=pl.Utf8),
            attributes["persona_attributes"].cast(ATTRIBUTES_DTYPE),
            chosen["persona_source"].alias("persona_source"),
        ))
        counts.update(pew_profiles_drawable=profiles.height, waves=",".join(profiles["wave"].unique().sort().to_list()),
                      review_frame=frame_text(config.review_frame), frame_respondents=profiles.height,
                      frame_weight_share=round(frame_share(tables["pew_profiles"], config), 4),
                      distinct_personas=int(np.unique(picks).size))
    elif reviews is not None:  # no review rows: keep the (empty) table's columns for later stages
        parts.append(reviews.with_columns(pl.lit(None, dtype=pl.Utf8).alias("persona"), pl.lit(None, dtype=ATTRIBUTES_DTYPE).alias("persona_attributes"),
                                          pl.lit(None, dtype=pl.Utf8).alias("persona_source")))
    if opera is not None:
        parts.append(opera.with_columns(pl.col("persona_attributes").cast(ATTRIBUTES_DTYPE)))
    if not parts:
        raise UserError("personas: neither review_tuples nor opera_tuples was made; expected the extract and opera stages to run first")
    tuples = pl.concat(parts, how="diagonal_relaxed").sort("id")
    counts.update(review_rows=0 if reviews is None else reviews.height, opera_rows=0 if opera is None else opera.height,
                  out=tuples.height)
    for reason, n in sorted(drops.group_by("reason").len().iter_rows()):
        counts[f"dropped_{reason}"] = n
    return StageResult(tables={"tuples": tuples, "persona_drops": drops.sort("id")}, counts=counts)
