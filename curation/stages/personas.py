"""Personas: every tuple gets a persona (attributes in one vocabulary + a short description).

* Review rows (no persona of their own) get a Pew ATP profile drawn with the wave's survey weights,
  deterministically: ``u = sha256(f"{seed}:{row id}") / 2**256`` (uniform in [0, 1)) picks the profile
  whose cumulative normalized weight first exceeds ``u``, profiles sorted by ``(wave, respondent_id)``.
  Over many rows the persona mix therefore matches the wave's weighted population, and a row keeps
  its persona across rebuilds whatever else changes in the corpus.
* Several waves may be combined (``waves``): each wave's weights are normalized to sum to 1 and the
  waves are mixed in equal shares, so a bigger wave does not dominate.
* Profiles with a missing ``required_attributes`` value or a non-positive weight are never drawn.
* OPeRA rows keep the persona mapped from the participant's survey (``curation.stages.opera``).

The description is short natural language from the attributes, e.g. "A woman aged 30-49 in the
South, college graduate, household income $30k-$75k, Democrat, employed."
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import polars as pl

from curation.stages import BuildContext, StageResult, Tables
from pisar_data.errors import UserError
from pisar_data.schema import PERSONA_ATTRIBUTES

NAME = "personas"

ATTRIBUTES_DTYPE = pl.Struct({name: pl.Utf8 for name in PERSONA_ATTRIBUTES})


@dataclass
class Config:
    """Persona assignment.

    waves: Pew waves to draw from (e.g. ["w17"]); empty = every wave in ``pew_profiles``.
    required_attributes: profiles missing any of these are not drawn (a persona needs an age and gender).
    """

    waves: tuple[str, ...] = ()
    required_attributes: tuple[str, ...] = ("age_group", "gender")


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
    if a.get("social_media_use"):
        parts.append("uses social media" if a["social_media_use"] == "social media user" else "does not use social media")
    parts.extend(extra)
    return ", ".join(parts) + "."


def uniform(seed: int, row_id: str) -> float:
    digest = hashlib.sha256(f"{seed}:{row_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def draw_table(profiles: pl.DataFrame, config: Config) -> tuple[pl.DataFrame, np.ndarray]:
    """Drawable profiles in a stable order and their cumulative probabilities (last = 1)."""
    if config.waves:
        profiles = profiles.filter(pl.col("wave").is_in(list(config.waves)))
    for name in config.required_attributes:
        profiles = profiles.filter(pl.col(name).is_not_null())
    profiles = profiles.filter(pl.col("weight").is_not_null() & (pl.col("weight") > 0)).sort(["wave", "respondent_id"])
    if profiles.height == 0:
        raise UserError("pew_profiles: no drawable Pew profile (need a positive weight and "
                        f"{', '.join(config.required_attributes)}); expected at least one pulled ATP wave (`pisar pull pew-atp`)")
    waves = profiles["wave"].unique().sort().to_list()
    weights = profiles["weight"].to_numpy().astype(np.float64)
    wave_totals = profiles.group_by("wave").agg(pl.col("weight").sum().alias("total"))
    totals = profiles.join(wave_totals, on="wave", how="left")["total"].to_numpy()
    probabilities = weights / totals / len(waves)
    cumulative = np.cumsum(probabilities)
    cumulative[-1] = 1.0
    return profiles, cumulative


def draw(profiles: pl.DataFrame, cumulative: np.ndarray, row_ids: list[str], seed: int) -> np.ndarray:
    """Index into ``profiles`` for each row id (inverse CDF of a hash-derived uniform)."""
    u = np.fromiter((uniform(seed, row_id) for row_id in row_ids), dtype=np.float64, count=len(row_ids))
    return np.searchsorted(cumulative, u, side="right").clip(0, len(cumulative) - 1)


def run(tables: Tables, config: Config, ctx: BuildContext) -> StageResult:
    reviews = tables.get("review_tuples")
    opera = tables.get("opera_tuples")
    parts = []
    counts: dict[str, int | float | str] = {}
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
    return StageResult(tables={"tuples": tuples}, counts=counts)
