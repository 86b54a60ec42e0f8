"""Stage ``leakage``: no train row's rationale is a near duplicate of a test or validation rationale.

Reads ``rows`` (the selection); writes ``selected`` (the selection as it came, for the funnel and for
SQL), ``rows`` (the selection without the train rows removed here) and ``leakage_decisions``: one row
per (evaluation row, train row) pair found by :func:`pisar_data.leakage.cross_split_duplicates` —
eval_id, eval_split, train_id, method (exact | near | embedding), jaccard, cosine, removed. The
evaluation side is never touched: test and validation keep their sizes and their rows, and the test
split is clean by construction. The removed train rows are not replaced (a handful of rows against
the train quota; refilling would re-open selection).

Cost: the embedding detector encodes every distinct rationale once (MiniLM: ~170 review rationales/s
on 2 CPU cores, about 75 s for the reference 12,929 rows); ``embedding_model = "none"`` in the recipe
keeps MinHash only (about 1 s).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import polars as pl

from curation.stages import BuildContext, StageResult, Tables
from pisar_data.leakage import LeakageConfig, cross_split_duplicates, sentence_embedder, summary

NAME = "leakage"


@dataclass(frozen=True)
class Config(LeakageConfig):
    """Recipe section ``[leakage]``: the fields of :class:`pisar_data.leakage.LeakageConfig`, and

    remove_from_train: true (reference) removes the train side of every pair found; false only
        records the pairs (``removed`` = false), e.g. to measure the leakage of an existing selection.
    batch_size: sentences per embedding batch (64: the sem_sim scorer's measured best on 2 CPU cores).
    """

    remove_from_train: bool = True
    batch_size: int = 64


class _TrackedEmbed:
    """The sentence embedder, encoding in blocks so that the build's progress bar moves."""

    def __init__(self, config: Config, ctx: BuildContext, block: int = 1024):
        self.embed, self.ctx, self.block = sentence_embedder(config, config.batch_size), ctx, block

    def __call__(self, texts: list[str]) -> np.ndarray:
        starts = range(0, len(texts), self.block)
        parts = [self.embed(texts[s : s + self.block]) for s in self.ctx.track(starts, "leakage: embedding rationales", total=len(starts))]
        return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)


def run(tables: Tables, config: Config, ctx: BuildContext) -> StageResult:
    selected = tables["rows"]
    started = time.perf_counter()
    embed = _TrackedEmbed(config, ctx) if config.uses_embeddings else None
    pairs = cross_split_duplicates(selected, config, embed).with_columns(pl.lit(config.remove_from_train).alias("removed"))
    removed = set(pairs["train_id"].to_list()) if config.remove_from_train else set()
    rows = selected.filter(~pl.col("id").is_in(sorted(removed)))
    counts: dict[str, int | float | str] = {
        "in": selected.height, "out": rows.height, **summary(pairs, selected), "train_removed": len(removed),
        "jaccard_threshold": config.jaccard_threshold, "cosine_threshold": config.cosine_threshold,
        "embedding_min_words": config.embedding_min_words, "embedding_model": config.embedding_model or "all-MiniLM-L6-v2",
        "seconds_audit": round(time.perf_counter() - started, 3),
    }
    if pairs.height:
        ctx.log(f"      leakage: {pairs.height} near-duplicate rationale pair(s) across splits; {len(removed)} train row(s) removed")
    return StageResult(tables={"selected": selected, "rows": rows, "leakage_decisions": pairs}, counts=counts)
