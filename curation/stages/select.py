"""Selection and splits: the recipe's quotas, stratified by source, split by context (no leakage).

1. Quotas. ``total_rows`` rows, ``test_rows`` in test and ``validation_rows`` in validation; with
   fewer eligible (anchored) rows than ``total_rows`` every quota is scaled by eligible/total and the
   shortfall is reported. Each source's share is ``source_shares`` (normalized) or, when empty, its
   share of the eligible rows; per-source quotas use largest-remainder rounding, so they sum exactly.
2. Contexts (apps, sites) are the unit of splitting: all rows of a context_id land in one split.
   Within each source, contexts are taken in a seeded hash order (``sha256(seed:context_id)``),
   contexts with at most ``max_eval_rows_per_context`` rows first; test is filled, then validation,
   and every other context goes to train. A context contributes at most
   ``max_eval_rows_per_context`` rows to test/validation (many apps rather than a few big ones) and
   the last context taken is trimmed so that test and validation hit their sizes exactly; trimmed
   rows are dropped (they cannot move to train without leaking the context) and counted. Sources
   with fewer than ``min_eval_contexts`` contexts (e.g. OPeRA: one site) go to train only, and their
   test/validation share goes to the other sources.
3. Train takes each source's remaining quota from its train contexts' rows, in seeded hash order of
   row ids; a source short of rows leaves its remainder to the others.
Everything is ordered by hashes of stable ids, so the same input rows and seed give the same splits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import polars as pl

from curation.stages import BuildContext, StageResult, Tables
from pisar_data.schema import POLARS_SCHEMA, SOURCES, SPLITS

NAME = "select"


@dataclass
class Config:
    """Quotas and split rules (reference: 12,929 rows, 661 test).

    total_rows: rows in the corpus (all splits).
    test_rows: rows in the held-out test slice (exact when enough rows exist).
    validation_rows: rows in validation (the same size as test: enough for a stable mean sem_sim).
    source_shares: {source: share}; empty = proportional to each source's eligible rows.
    max_eval_rows_per_context: cap on the rows one context contributes to test/validation, so the
        661-row slice spans at least 17 contexts.
    min_eval_contexts: a source needs this many contexts to appear in test/validation (with fewer,
        one context would make up its whole evaluation share).
    """

    total_rows: int = 12929
    test_rows: int = 661
    validation_rows: int = 661
    source_shares: dict[str, float] = field(default_factory=dict)
    max_eval_rows_per_context: int = 40
    min_eval_contexts: int = 3

    def __post_init__(self):
        if self.test_rows < 0 or self.validation_rows < 0 or self.total_rows < self.test_rows + self.validation_rows:
            raise ValueError("total_rows must be at least test_rows + validation_rows, all non-negative; got "
                             f"total_rows={self.total_rows}, test_rows={self.test_rows}, validation_rows={self.validation_rows}")
        unknown = sorted(set(self.source_shares) - set(SOURCES))
        if unknown:
            raise ValueError(f"source_shares: unknown source {unknown[0]!r}; expected {', '.join(SOURCES)}")


def _key(seed: int, kind: str, value: str) -> str:
    return hashlib.sha256(f"{seed}:{kind}:{value}".encode()).hexdigest()


def allocate(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Largest-remainder split of ``total`` over ``weights`` (ties by name)."""
    mass = sum(weights.values())
    if total <= 0 or mass <= 0:
        return dict.fromkeys(weights, 0)
    exact = {k: total * w / mass for k, w in weights.items()}
    out = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: (-(exact[k] - out[k]), k))[: total - sum(out.values())]:
        out[k] += 1
    return out


OUTPUT_COLUMNS = [c for c in POLARS_SCHEMA if c != "screen"]


def run(tables: Tables, config: Config, ctx: BuildContext) -> StageResult:
    anchored = tables["anchored"]
    seed = ctx.seed
    eligible = anchored.height
    sources = sorted(anchored["source"].unique().to_list())
    eligible_by_source = {s: anchored.filter(pl.col("source") == s).height for s in sources}

    scale = min(1.0, eligible / config.total_rows) if config.total_rows else 0.0
    total = min(config.total_rows, eligible)
    eval_sizes = allocate(round((config.test_rows + config.validation_rows) * scale),
                          {"test": config.test_rows, "validation": config.validation_rows})
    if config.source_shares:
        weights = {s: float(config.source_shares.get(s, 0.0)) for s in sources}
    else:
        weights = {s: float(n) for s, n in eligible_by_source.items()}
    quota = allocate(total, weights)
    quota = {s: min(q, eligible_by_source[s]) for s, q in quota.items()}

    # Rows and contexts in seeded hash order.
    rows = anchored.with_columns(
        pl.col("id").map_elements(lambda i: _key(seed, "row", i), return_dtype=pl.Utf8).alias("_row_key")
    ).sort("_row_key")
    context_sizes = rows.group_by(["source", "context_id"]).len()
    contexts_by_source: dict[str, list[tuple[str, int]]] = {}
    for source, context_id, size in context_sizes.iter_rows():
        contexts_by_source.setdefault(source, []).append((context_id, size))
    cap = config.max_eval_rows_per_context
    for source in contexts_by_source:
        contexts_by_source[source].sort(key=lambda c: (c[1] > cap, _key(seed, "context", c[0])))
    eval_sources = [s for s in sources if len(contexts_by_source.get(s, [])) >= config.min_eval_contexts]
    train_only = [s for s in sources if s not in eval_sources]

    # Test, then validation: whole contexts, each contributing at most `cap` rows, the last one trimmed.
    eval_weights = {s: weights[s] for s in eval_sources}
    assignment: dict[str, str] = {}  # context_id -> split
    take: dict[str, int] = {}  # context_id -> rows taken (eval splits)
    queues = {s: list(contexts_by_source.get(s, [])) for s in eval_sources}
    for split in ("test", "validation"):
        needs = allocate(eval_sizes[split], eval_weights)
        for source in eval_sources:
            while needs[source] > 0 and queues[source]:
                context_id, size = queues[source].pop(0)
                n = min(size, cap, needs[source])
                assignment[context_id], take[context_id] = split, n
                needs[source] -= n
        leftover = sum(needs.values())
        for source in eval_sources:  # a source that ran out of contexts hands its remainder to the others
            while leftover > 0 and queues[source]:
                context_id, size = queues[source].pop(0)
                n = min(size, cap, leftover)
                assignment[context_id], take[context_id] = split, n
                leftover -= n

    rows = rows.with_columns(
        pl.col("context_id").replace_strict(assignment, default="train", return_dtype=pl.Utf8).alias("split"),
        pl.col("_row_key").cum_count().over("context_id").alias("_rank"),
    )
    limits = pl.col("context_id").replace_strict(take, default=0, return_dtype=pl.Int64)
    eval_rows = rows.filter((pl.col("split") != "train") & (pl.col("_rank") <= limits))
    trimmed = rows.filter(pl.col("split") != "train").height - eval_rows.height

    # Train: each source's remaining quota, in row-hash order; unused quota passes to sources with spare rows.
    train_pool = rows.filter(pl.col("split") == "train")
    eval_by_source = {s: eval_rows.filter(pl.col("source") == s).height for s in sources}
    train_target = max(0, total - eval_rows.height)
    train_quota = allocate(train_target, {s: float(max(0, quota[s] - eval_by_source[s])) for s in sources})
    chosen = []
    spare = []
    for source in sources:
        pool = train_pool.filter(pl.col("source") == source)
        chosen.append(pool.head(train_quota[source]))
        spare.append(pool.slice(train_quota[source]))
    picked = pl.concat(chosen) if chosen else train_pool.head(0)
    missing = train_target - picked.height
    if missing > 0 and spare:
        picked = pl.concat([picked, pl.concat(spare).sort("_row_key").head(missing)])
    selected = pl.concat([eval_rows, picked])

    split_order = {s: i for i, s in enumerate(SPLITS)}
    out = (
        selected.with_columns(pl.col("split").replace_strict(split_order, return_dtype=pl.Int32).alias("_split_order"))
        .sort(["_split_order", "id"])
        .select([pl.col(c).cast(POLARS_SCHEMA[c]) for c in OUTPUT_COLUMNS] + [pl.col("image_path").cast(pl.Utf8), "split"])
    )

    counts: dict[str, int | float | str] = {
        "eligible": eligible, "total_quota": config.total_rows, "test_quota": config.test_rows,
        "validation_quota": config.validation_rows, "rows": out.height,
        "shortfall": max(0, config.total_rows - out.height), "scale": round(scale, 4),
        "trimmed_in_eval_contexts": trimmed, "train_only_sources": ",".join(train_only),
    }
    for split in SPLITS:
        part = out.filter(pl.col("split") == split)
        counts[split] = part.height
        counts[f"{split}_contexts"] = part["context_id"].n_unique()
        for source in sources:
            counts[f"{split}_{source}"] = part.filter(pl.col("source") == source).height
    for source in sources:
        counts[f"eligible_{source}"] = eligible_by_source[source]
    if counts["shortfall"]:
        ctx.log(f"      select: {eligible:,} eligible rows for a quota of {config.total_rows:,}; splits scaled by {scale:.3f} "
                f"(shortfall {counts['shortfall']:,} rows)")
    return StageResult(tables={"rows": out}, counts=counts)
