"""Stage ``dedup``: exact and near-duplicate removal over ``reviews_clean`` (all sources together).

Reads ``reviews_clean``; writes ``reviews_dedup`` (the kept rows, same columns, in the input order)
and ``dedup_decisions`` (cluster_id, kept_id, removed_id, jaccard, kind) — one row per removed review.
Google Play and App Store reviews are compared with each other, so the same review posted on both
stores is one cluster. The engine, the survivor rule and every parameter are documented in
:mod:`pisar_data.minhash`; the counts carry the card's "Deduplication" figures (shingling, num_perm,
bands, rows, threshold, detection probabilities, exact_removed, near_removed, clusters, ...).
"""

from __future__ import annotations

import polars as pl

from pisar_data.minhash import DedupConfig, deduplicate
from curation.stages import BuildContext, StageResult, Tables

NAME = "dedup"


class Config(DedupConfig):
    """Recipe section ``[dedup]``: the fields of :class:`pisar_data.minhash.DedupConfig`."""


def run(tables: Tables, config: Config, ctx: BuildContext) -> StageResult:
    reviews = tables["reviews_clean"]
    # The review text only: titles (App Store only) are stock phrases ("Great app") and Google Play
    # has none, so the same review posted on both stores compares equal.
    result = deduplicate(reviews["review_id"].to_list(), reviews["text"].to_list(), config, ctx.progress, ctx.log)
    kept = reviews.filter(pl.Series(result.kept))
    counts = dict(result.counts)
    for source in sorted(reviews["source"].unique().to_list()):
        counts[f"out_{source}"] = int((kept["source"] == source).sum())
    removed_sources = reviews.select("review_id", "source").join(
        result.decisions.select(pl.col("removed_id").alias("review_id"), "kept_id"), on="review_id"
    ).join(reviews.select(pl.col("review_id").alias("kept_id"), pl.col("source").alias("kept_source")), on="kept_id")
    counts["cross_source_removed"] = int((removed_sources["source"] != removed_sources["kept_source"]).sum())
    return StageResult(tables={"reviews_dedup": kept, "dedup_decisions": result.decisions}, counts=counts)
