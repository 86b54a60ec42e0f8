"""Selection and splits: the recipe's quotas, stratified by source, split by context (no leakage).

1. Quotas. ``total_rows`` rows, ``test_rows`` in test and ``validation_rows`` in validation; with
   fewer eligible (anchored) rows than ``total_rows`` every quota is scaled by eligible/total and the
   shortfall is reported. Each source's share is ``source_shares`` (normalized) or, when empty, its
   share of the eligible rows; per-source quotas use largest-remainder rounding, so they sum exactly.
2. Split units. All rows of one unit land in one split. The unit is the context (app, site) for a
   source with at least ``min_eval_contexts`` contexts. A source with fewer (OPeRA: one site; a user
   with two apps) is split by its ``fallback_split_unit`` when the recipe gives one — participants or
   sessions for OPeRA, single reviews for app stores — and otherwise stays in train only; the build
   log says so in one line and the card names the missing split and why.
3. Test, then validation. Within each source, units are taken in a seeded hash order
   (``sha256(seed:unit)``), units with at most ``max_eval_rows_per_context`` rows first. A unit
   contributes at most ``max_eval_rows_per_context`` rows to test/validation (many apps rather than a
   few big ones) and the last unit taken is trimmed so that test and validation hit their sizes
   exactly; trimmed rows are dropped (they cannot move to train without leaking the unit) and
   counted. A source always keeps one unit for train, and with three or more units test leaves one
   for validation too. A source that runs out of units hands its share to the others.
4. Train takes each source's remaining quota from its train units' rows, in seeded hash order of
   row ids; a source short of rows leaves its remainder to the others.
Everything is ordered by hashes of stable ids, so the same input rows and seed give the same splits.
Tables: ``rows`` (the selected rows with their split) and ``split_notes`` (split, note: why a split is
empty, one row per empty split).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import polars as pl

from curation.stages import BuildContext, StageResult, Tables
from pisar_data.schema import POLARS_SCHEMA, SOURCES, SPLITS

NAME = "select"

# Split units: the column that groups rows, and which sources may use it as a fallback.
UNIT_COLUMNS = {"context": "context_id", "participant": "participant_key", "session": "session_key", "review": "id"}
FALLBACK_UNITS = {"opera": ("participant", "session"), "google_play": ("review",), "app_store": ("review",)}
CONTEXT_NOUNS = {"opera": "site", "google_play": "app", "app_store": "app"}
EVAL_SPLITS = ("test", "validation")


@dataclass
class Config:
    """Quotas and split rules (reference: 12,929 rows, 661 test).

    total_rows: rows in the corpus (all splits).
    test_rows: rows in the held-out test slice (exact when enough rows exist).
    validation_rows: rows in validation (the same size as test: enough for a stable mean sem_sim).
    source_shares: {source: share}; empty = proportional to each source's eligible rows.
    max_eval_rows_per_context: cap on the rows one split unit (context, participant, …) contributes to
        test/validation, so the 661-row slice spans at least 17 contexts.
    min_eval_contexts: a source needs this many split units to appear in test/validation (with fewer,
        one unit would make up its whole evaluation share).
    fallback_split_unit: {source: unit} for a source with fewer than ``min_eval_contexts`` contexts;
        a source not listed stays in train only. Units: "participant" or "session" (OPeRA), "review"
        (google_play, app_store). Leakage: the source's test rows then come from contexts that are also
        in train, so its test measures unseen people (participant), unseen sessions of possibly known
        people (session) or unseen reviews of known apps (review: the same app's screenshots appear in
        train and test), not unseen apps or sites. Reference: OPeRA (one site, 51 participants) is split
        by participant — all sessions of one person stay in one split — and app-store sources never fall
        back (a corpus of a few apps gets no leakage-free test split, and the build says so).
    """

    total_rows: int = 12929
    test_rows: int = 661
    validation_rows: int = 661
    source_shares: dict[str, float] = field(default_factory=dict)
    max_eval_rows_per_context: int = 40
    min_eval_contexts: int = 3
    fallback_split_unit: dict[str, str] = field(default_factory=lambda: {"opera": "participant"})

    def __post_init__(self):
        if self.test_rows < 0 or self.validation_rows < 0 or self.total_rows < self.test_rows + self.validation_rows:
            raise ValueError("total_rows must be at least test_rows + validation_rows, all non-negative; got "
                             f"total_rows={self.total_rows}, test_rows={self.test_rows}, validation_rows={self.validation_rows}")
        unknown = sorted(set(self.source_shares) - set(SOURCES))
        if unknown:
            raise ValueError(f"source_shares: unknown source {unknown[0]!r}; expected {', '.join(SOURCES)}")
        for source, unit in self.fallback_split_unit.items():
            if source not in FALLBACK_UNITS:
                raise ValueError(f"fallback_split_unit: unknown source {source!r}; expected {', '.join(FALLBACK_UNITS)}")
            if unit not in FALLBACK_UNITS[source]:
                raise ValueError(f"fallback_split_unit.{source}: unknown unit {unit!r}; expected {' or '.join(FALLBACK_UNITS[source])}")


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
NOTES_SCHEMA = {"split": pl.Utf8, "note": pl.Utf8}


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def split_units(anchored: pl.DataFrame, config: Config) -> tuple[dict[str, str], dict[str, int], list[str]]:
    """(unit per source — a key of UNIT_COLUMNS or "train_only", contexts per source, one log line per
    source not split by context)."""
    units, lines = {}, []
    contexts = dict(anchored.group_by("source").agg(pl.col("context_id").n_unique()).iter_rows())
    need = config.min_eval_contexts
    for source in sorted(contexts):
        n, noun = contexts[source], CONTEXT_NOUNS.get(source, "context")
        if n >= need:
            units[source] = "context"
            continue
        fallback = config.fallback_split_unit.get(source)
        have = (anchored.filter(pl.col("source") == source)[UNIT_COLUMNS[fallback]].drop_nulls().n_unique()
                if fallback and UNIT_COLUMNS[fallback] in anchored.columns else 0)
        if fallback and have >= need:
            units[source] = fallback
            lines.append(f"select: {source} has {_count(n, noun)}, fewer than min_eval_contexts = {need}; split by "
                         f"{fallback} instead ({_count(have, fallback)}), so its test rows share their {noun} with train")
            continue
        units[source] = "train_only"
        tried = f" and {_count(have, fallback)}" if fallback else ""
        advice = (f"add {noun}s" + (f", or set [select] fallback_split_unit = {{ {source} = \"{FALLBACK_UNITS[source][0]}\" }} "
                  f"(its test rows then share their {noun}s with train)" if not fallback and source in FALLBACK_UNITS else ""))
        lines.append(f"select: {source} has {_count(n, noun)}{tried}; a leakage-free test and validation split needs "
                     f"min_eval_contexts = {need}, so its rows are in train only — {advice}")
    return units, contexts, lines


def run(tables: Tables, config: Config, ctx: BuildContext) -> StageResult:
    anchored = tables["anchored"]
    seed = ctx.seed
    eligible = anchored.height
    sources = sorted(anchored["source"].unique().to_list())
    eligible_by_source = {s: anchored.filter(pl.col("source") == s).height for s in sources}
    units, contexts, unit_lines = split_units(anchored, config)
    for line in unit_lines:
        ctx.log(f"      {line}")

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

    # Rows and split units in seeded hash order; a unit key is "source:unit:value", so units never collide.
    unit_key = pl.lit(None, dtype=pl.Utf8)
    for source in sources:
        column = UNIT_COLUMNS.get(units[source], "context_id")
        unit_key = pl.when(pl.col("source") == source).then(
            pl.concat_str([pl.lit(f"{source}:{units[source]}:"), pl.col(column).cast(pl.Utf8).fill_null(pl.col("id"))])
        ).otherwise(unit_key)
    rows = anchored.with_columns(
        pl.col("id").map_elements(lambda i: _key(seed, "row", i), return_dtype=pl.Utf8).alias("_row_key"),
        unit_key.alias("_unit"),
    ).sort("_row_key")
    unit_sizes = rows.group_by(["source", "_unit"]).len()
    units_by_source: dict[str, list[tuple[str, int]]] = {}
    for source, unit, size in unit_sizes.iter_rows():
        units_by_source.setdefault(source, []).append((unit, size))
    cap = config.max_eval_rows_per_context
    for source in units_by_source:
        units_by_source[source].sort(key=lambda c: (c[1] > cap, _key(seed, "context", c[0].split(":", 2)[2])))
    eval_sources = [s for s in sources if units[s] != "train_only"]
    train_only = [s for s in sources if s not in eval_sources]

    # Test, then validation: whole units, each contributing at most `cap` rows, the last one trimmed. Each
    # source keeps one unit for train, and (with 3+ units) test leaves one for validation.
    eval_weights = {s: weights[s] for s in eval_sources}
    assignment: dict[str, str] = {}  # unit -> split
    take: dict[str, int] = {}  # unit -> rows taken (eval splits)
    queues = {s: list(units_by_source[s]) for s in eval_sources}
    for split in EVAL_SPLITS:
        keep = {s: 2 if split == "test" and len(units_by_source[s]) >= 3 else 1 for s in eval_sources}

        def fill(source: str, wanted: int) -> int:
            while wanted > 0 and len(queues[source]) > keep[source]:
                unit, size = queues[source].pop(0)
                n = min(size, cap, wanted)
                assignment[unit], take[unit] = split, n
                wanted -= n
            return wanted

        needs = allocate(eval_sizes[split], eval_weights)
        leftover = sum(fill(source, needs[source]) for source in eval_sources)
        for source in eval_sources:  # a source that ran out of units hands its remainder to the others
            leftover = fill(source, leftover)

    rows = rows.with_columns(
        pl.col("_unit").replace_strict(assignment, default="train", return_dtype=pl.Utf8).alias("split"),
        pl.col("_row_key").cum_count().over("_unit").alias("_rank"),
    )
    limits = pl.col("_unit").replace_strict(take, default=0, return_dtype=pl.Int64)
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
        counts[f"split_unit_{source}"] = units[source]
    if counts["shortfall"]:
        ctx.log(f"      select: {eligible:,} eligible rows for a quota of {config.total_rows:,}; splits scaled by {scale:.3f} "
                f"(shortfall {counts['shortfall']:,} rows)")
    notes = _split_notes(counts, config, sources, units, contexts, eval_sizes, units_by_source, assignment)
    for note, group in notes.group_by("note", maintain_order=True).agg("split").iter_rows():
        ctx.log(f"      select: no {' and no '.join(group)} split: {note}")
    return StageResult(tables={"rows": out, "split_notes": notes}, counts=counts)


def _unit_noun(source: str, unit: str) -> str:
    return CONTEXT_NOUNS.get(source, "context") if unit == "context" else unit


def _split_notes(counts: dict, config: Config, sources: list[str], units: dict[str, str], contexts: dict[str, int],
                 eval_sizes: dict[str, int], units_by_source: dict[str, list], assignment: dict[str, str]) -> pl.DataFrame:
    """One row per empty split: why it is empty, in words the card can show."""
    eval_sources = [s for s in sources if units[s] != "train_only"]
    notes = []
    for split in SPLITS:
        if counts[split]:
            continue
        if not sources:
            note = "the build has no eligible rows"
        elif split == "train":
            note = "every selected row went to test or validation"
        elif not (config.test_rows if split == "test" else config.validation_rows):
            note = f"the recipe asks for none ([select] {split}_rows = 0)"
        elif not eval_sources:  # checked first: with no source able to give eval rows, the scaling below is moot
            have = ", ".join(f"{s} {_count(contexts[s], CONTEXT_NOUNS.get(s, 'context'))}" for s in sources)
            note = (f"a leakage-free split needs a source with at least min_eval_contexts = {config.min_eval_contexts} "
                    f"contexts and this build has {have}, so every row is in train")
        elif not eval_sizes[split]:
            note = (f"only {counts['eligible']:,} eligible rows for total_rows = {config.total_rows:,}, so {split}_rows "
                    f"= {config.test_rows if split == 'test' else config.validation_rows:,} scaled down to 0")
        else:
            taken = []
            for source in eval_sources:
                noun = _unit_noun(source, units[source])
                used = {s: sum(1 for unit, _ in units_by_source[source] if assignment.get(unit) == s) for s in EVAL_SPLITS}
                taken.append(f"{source} {_count(len(units_by_source[source]), noun)}, "
                             f"{used['test']} in test, {used['validation']} in validation")
            note = f"the split units ran out before {split} ({'; '.join(taken)}; each source keeps one for train)"
        notes.append({"split": split, "note": note})
    return pl.DataFrame(notes, schema=NOTES_SCHEMA)
