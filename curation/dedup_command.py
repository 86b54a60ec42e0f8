"""``pisar dedup FILE.parquet|csv|jsonl --text-column COL [--id-column COL] --out DIR``.

The dedup stage as a standalone command on any table. The input file is never modified. Writes, all
at once (a failed run leaves an existing DIR untouched):

    DIR/kept.parquet        the kept rows with every input column, in the input order
    DIR/duplicates.parquet  cluster_id, kept_id, removed_id, jaccard, kind (exact|near)
    DIR/stats.json          the input file, the parameters and the counts of every phase

Without ``--id-column`` the ids are the input row numbers (0-based, as strings in duplicates.parquet).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

from pisar_data.atomic import check_replaceable, output_dir
from pisar_data.errors import UserError
from pisar_data.user_files import read_table

STATS = "stats.json"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pisar dedup", description="Remove exact and near-duplicate texts (MinHash LSH + verification).")
    parser.add_argument("file", type=Path, help="input table: .parquet, .csv or .jsonl")
    parser.add_argument("--text-column", required=True, help="column holding the text to compare")
    parser.add_argument("--id-column", help="column with unique row ids (default: the row number)")
    parser.add_argument("--out", required=True, type=Path, help="output folder (replaced as a whole on success; must be new, empty or an earlier dedup output)")
    parser.add_argument("--threshold", type=float, help="minimum exact Jaccard of a duplicate pair (default 0.5)")
    parser.add_argument("--num-perm", type=int, help="MinHash permutations, a multiple of 5; bands = num_perm / 5 (default 160)")
    parser.add_argument("--shingling", help="wcharN (default wchar4), charN or wordN")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    return parser


def _config(args: argparse.Namespace):
    from pisar_data.minhash import DedupConfig

    try:
        config = DedupConfig.with_perm(args.num_perm) if args.num_perm is not None else DedupConfig()
        overrides = {k: v for k, v in (("threshold", args.threshold), ("shingling", args.shingling)) if v is not None}
        return replace(config, **overrides)
    except ValueError as error:
        raise UserError(f"--threshold/--num-perm/--shingling: {error}") from error


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    config = _config(args)
    table = read_table(args.file)
    for flag, column in (("--text-column", args.text_column), ("--id-column", args.id_column)):
        if column is not None and column not in table.columns:
            raise UserError(f"{args.file}: no column {column!r} ({flag}); columns are {', '.join(table.columns)}")
    if table.schema[args.text_column] not in (pl.Utf8, pl.Null):
        raise UserError(f"{args.file}: column {args.text_column!r} (--text-column) must hold text, got {table.schema[args.text_column]}")
    if args.id_column is not None:
        ids = table[args.id_column].cast(pl.Utf8)
        if ids.null_count() or ids.n_unique() != len(ids):
            raise UserError(f"{args.file}: column {args.id_column!r} (--id-column) must hold unique, non-null ids")
    else:
        # Zero-padded so that id order (the survivor rule) is row order.
        width = len(str(max(len(table) - 1, 0)))
        ids = pl.Series("row", np.arange(len(table))).cast(pl.Utf8).str.zfill(width)

    check_replaceable(args.out, STATS, inputs=[args.file])
    from pisar_data.minhash import deduplicate

    progress, log = _reporting(args.quiet)
    result = deduplicate(ids, table[args.text_column], config, progress, log)
    decisions = result.decisions
    if args.id_column is None:
        decisions = decisions.with_columns(pl.col("kept_id", "removed_id").cast(pl.Int64).cast(pl.Utf8))
    stats = {"input": str(args.file), "text_column": args.text_column, "id_column": args.id_column, **result.counts}
    with output_dir(args.out, STATS, inputs=[args.file]) as tmp:
        table.filter(pl.Series(result.kept)).write_parquet(tmp / "kept.parquet")
        decisions.write_parquet(tmp / "duplicates.parquet")
        (tmp / STATS).write_text(json.dumps(stats, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{args.file}: {result.counts['in']} rows -> {result.counts['out']} kept "
          f"({result.counts['exact_removed']} exact, {result.counts['near_removed']} near duplicates removed) -> {args.out}")
    return 0


def _reporting(quiet: bool):
    import sys

    if quiet or not sys.stderr.isatty():
        return (lambda items, description="", total=None: items), (lambda message: None)
    from rich.progress import track

    def progress(items, description="", total=None):
        return track(items, description=description, total=total, transient=True)

    return progress, lambda message: print(message, file=sys.stderr)
