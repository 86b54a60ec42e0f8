"""``pisar extract FILE.parquet|csv|jsonl --text-column COL [--id-column COL] [--title-column COL]
[--rating-column COL] [--reply-column COL] [--app-name NAME] [--extractor NAME] --out DIR``.

The build's extraction stage as a standalone command on any review table (e.g. a google-play-scraper
or app-store-scraper dump). The input file is never modified. Writes, all at once (a failed run
leaves an existing DIR untouched):

    DIR/extracted.parquet   one row per input row, in input order: id, kept, drop_reason, action_type,
                            action, intent, intent_source, rationale (nulls where a review is dropped)
    DIR/stats.json          the input file, the columns and extractor used, and the counts

Without ``--id-column`` the ids are the input row numbers (0-based, as strings). ``--extractor``
takes any name of ``curation.extractors.EXTRACTORS`` (default: the offline "hybrid"); "llm" reads its
endpoint from the ``[extract.llm]`` table of ``--recipe FILE``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import polars as pl

from pisar_data.atomic import check_replaceable, output_dir
from pisar_data.errors import UserError
from pisar_data.user_files import read_table

STATS = "stats.json"
OUTPUT_SCHEMA = {
    "id": pl.Utf8, "kept": pl.Boolean, "drop_reason": pl.Utf8, "action_type": pl.Utf8, "action": pl.Utf8,
    "intent": pl.Utf8, "intent_source": pl.Utf8, "rationale": pl.Utf8,
}
TEXT_TYPES = (pl.Utf8, pl.Null)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pisar extract",
        description="Extract intent, action and rationale from app-store reviews (curation/extraction_guidelines.md).",
        epilog="example: pisar extract reviews.csv --text-column content --id-column reviewId --rating-column score "
               "--app-name Spotify --out extracted/",
    )
    parser.add_argument("file", type=Path, help="input table: .parquet, .csv or .jsonl")
    parser.add_argument("--text-column", required=True, help="column holding the review text")
    parser.add_argument("--id-column", help="column with unique row ids (default: the row number)")
    parser.add_argument("--title-column", help="column holding the review title (App Store)")
    parser.add_argument("--rating-column", help="column holding the star rating, 1-5")
    parser.add_argument("--reply-column", help="column holding the developer's reply")
    parser.add_argument("--app-name", default="the app", help='the app\'s name, used in the action text ("uninstalled NAME") (default: "the app")')
    parser.add_argument("--extractor", help="extractor name: hybrid (default, offline), rules, llm")
    parser.add_argument("--recipe", type=Path, help="take the [extract] table (e.g. [extract.llm] for --extractor llm) from this recipe")
    parser.add_argument("--out", required=True, type=Path, help="output folder (replaced as a whole on success; must be new, empty or an earlier extract output)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    return parser


def _config(args: argparse.Namespace):
    from curation.extractors import EXTRACTORS
    from curation.extractors.config import Config

    config = Config()
    if args.recipe:
        from curation import recipe

        config = recipe.load(args.recipe).config("extract")
    if args.extractor is not None:
        if args.extractor not in EXTRACTORS:
            raise UserError(f"--extractor: unknown extractor {args.extractor!r}; expected one of {', '.join(sorted(EXTRACTORS))}")
        try:
            config = replace(config, extractor=args.extractor)
        except ValueError as error:
            raise UserError(f"--extractor {args.extractor}: {error}" + ("; give its endpoint in a recipe with --recipe" if args.extractor == "llm" else "")) from None
    return config


def _column(table: pl.DataFrame, file: Path, flag: str, name: str | None, kinds: tuple, expected: str) -> pl.Series | None:
    if name is None:
        return None
    if name not in table.columns:
        raise UserError(f"{file}: no column {name!r} ({flag}); columns are {', '.join(table.columns)}")
    if kinds and table.schema[name] not in kinds:
        raise UserError(f"{file}: column {name!r} ({flag}) must hold {expected}, got {table.schema[name]}")
    return table[name]


def _ratings(series: pl.Series, file: Path, name: str) -> list[int | None]:
    bad = f"{file}: column {name!r} (--rating-column) must hold star ratings 1-5 (or be empty)"
    if series.dtype in TEXT_TYPES:
        series = series.str.strip_chars().replace("", None)
    try:
        numbers = series.cast(pl.Float64, strict=True)
    except pl.exceptions.InvalidOperationError:
        raise UserError(bad) from None
    if ((numbers.is_not_null() & ((numbers != numbers.round()) | (numbers < 1) | (numbers > 5))).any()):
        raise UserError(bad)
    return numbers.cast(pl.Int32).to_list()


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    config = _config(args)
    table = read_table(args.file)
    texts = _column(table, args.file, "--text-column", args.text_column, TEXT_TYPES, "text")
    ids = _column(table, args.file, "--id-column", args.id_column, (), "")
    titles = _column(table, args.file, "--title-column", args.title_column, TEXT_TYPES, "text")
    replies = _column(table, args.file, "--reply-column", args.reply_column, TEXT_TYPES, "text")
    ratings = _column(table, args.file, "--rating-column", args.rating_column, (), "")
    if ids is not None:
        ids = ids.cast(pl.Utf8)
        if ids.null_count() or ids.n_unique() != len(ids):
            raise UserError(f"{args.file}: column {args.id_column!r} (--id-column) must hold unique, non-null ids")
        id_list = ids.to_list()
    else:
        id_list = [str(i) for i in range(len(table))]
    n = len(table)
    rating_list = _ratings(ratings, args.file, args.rating_column) if ratings is not None else [None] * n
    if not args.app_name.strip():
        raise UserError("--app-name: expected the app's name, got an empty string")

    inputs = [args.file, *([args.recipe] if args.recipe else [])]
    check_replaceable(args.out, STATS, inputs=inputs)
    from curation.extractors import Drop, ReviewInput, make_extractor, result_counts

    extractor = make_extractor(config)
    text_list = texts.to_list()
    title_list = titles.to_list() if titles is not None else [None] * n
    reply_list = replies.to_list() if replies is not None else [None] * n
    reviews = [
        ReviewInput(review_id, text or "", title, rating, reply, args.app_name, None)
        for review_id, text, title, rating, reply in zip(id_list, text_list, title_list, rating_list, reply_list, strict=True)
    ]
    if args.quiet:
        results = extractor.extract_all(reviews, lambda items, description="", total=None: items)
    else:
        from rich.console import Console

        from curation.progress import progress_callbacks

        with progress_callbacks(Console(stderr=True)) as (progress, _):
            results = extractor.extract_all(reviews, progress)
    rows = []
    for review_id, result in zip(id_list, results, strict=True):
        if isinstance(result, Drop):
            rows.append({"id": review_id, "kept": False, "drop_reason": result.reason})
        else:
            rows.append({"id": review_id, "kept": True, "action_type": result.action_type, "action": result.action, "intent": result.intent,
                         "intent_source": result.intent_source, "rationale": result.rationale})
    extracted = pl.DataFrame(rows, schema=OUTPUT_SCHEMA)
    kept = extracted.filter(pl.col("kept"))
    counts = {"in": n, "kept": kept.height, **result_counts(results)}
    stats = {
        "input": str(args.file),
        "columns": {flag: name for flag, name in (("text", args.text_column), ("id", args.id_column), ("title", args.title_column),
                                                   ("rating", args.rating_column), ("reply", args.reply_column)) if name},
        "app_name": args.app_name,
        "extractor": extractor.name,
        "extractor_version": extractor.version,
        "extractor_stats": extractor.stats(),
        **counts,
    }
    with output_dir(args.out, STATS, inputs=inputs) as tmp:
        extracted.write_parquet(tmp / "extracted.parquet")
        (tmp / STATS).write_text(json.dumps(stats, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{args.file}: {n} reviews -> {kept.height} kept, {n - kept.height} dropped ({extractor.name} {extractor.version}) -> {args.out}")
    return 0
