"""`pisar build`: the whole curation pipeline from a raw snapshot to a dataset folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from pisar_data.errors import UserError

EPILOG = """examples:
  pisar build                                   # the embedded sample -> ./pisar
  pisar build --raw data/raw                    # everything in a snapshot, reference parameters
  pisar build --recipe curation/recipes/pisar-v1.toml --raw data/raw --out pisar
  pisar build --bench-report reports/qwen/report.json   # fill the card's results table
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pisar build",
        description="Build the PiSAR dataset folder from a raw snapshot (or, with no arguments, from the embedded sample).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--recipe", type=Path, help="TOML recipe (default: the reference recipe pisar-v1; the sample recipe with --sample)")
    parser.add_argument("--sample", action="store_true", help="build the embedded sample (the default when neither --recipe nor --raw is given)")
    parser.add_argument("--raw", type=Path, help="raw snapshot folder written by `pisar pull` (default: data/raw)")
    parser.add_argument("--out", type=Path, default=Path("pisar"), help="dataset folder to write (default: ./pisar); replaced only if the build succeeds, and only if new, empty or an earlier build")
    parser.add_argument("--work", type=Path, default=Path("data/work"), help="work folder for the DuckDB database of every stage's tables (default: data/work)")
    parser.add_argument("--bench-report", type=Path, action="append", default=[], metavar="REPORT.json",
                        help="a `pisar bench` report.json whose results go into the card (repeatable)")
    parser.add_argument("--quiet", action="store_true", help="no progress output, only the summary")
    return parser


def _read_bench_report(path: Path) -> dict:
    from pisar_data.user_files import read_json

    data = read_json(path, "report.json written by `pisar bench`")
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise UserError(f"{path}: bench report has no 'models' list; expected report.json written by `pisar bench`")
    return data


def build(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.sample and (args.raw or args.recipe):
        raise UserError("--sample builds the embedded sample; it cannot be combined with --raw or --recipe")
    bench_reports = [_read_bench_report(path) for path in args.bench_report]

    from rich.console import Console

    from curation import build as build_module
    from curation import embedded_sample, recipe as recipes
    from curation.progress import progress_callbacks

    console = Console(stderr=True, quiet=args.quiet)
    if args.sample or (args.raw is None and args.recipe is None):
        recipe = recipes.load(recipes.SAMPLE_RECIPE)
        work = args.work / recipe.name
        build_module.check_folders(work.parent / f"{recipe.name}-raw", args.out, work)
        raw = embedded_sample.import_sample(work.parent / f"{recipe.name}-raw")
        console.print(f"Building the embedded sample (imported into {raw})")
    else:
        recipe = recipes.load(args.recipe or recipes.REFERENCE_RECIPE)
        raw = args.raw or Path("data/raw")
        work = args.work / recipe.name
    with progress_callbacks(console) as (progress, log):
        result = build_module.build(recipe, raw, args.out, work, bench_reports=bench_reports, progress=progress, log=log)
    _summary(Console(), result)
    return 0


def _summary(console, result) -> None:
    from rich.table import Table

    from curation.build import peak_rss_mb
    from curation.report import funnel_table

    manifest = result.manifest
    console.print(funnel_table(manifest))
    splits = Table(title="Splits")
    for column in ("split", "rows"):
        splits.add_column(column, justify="right" if column == "rows" else "left")
    for split, count in manifest["splits"].items():
        splits.add_row(split, f"{count:,}" if count else "not written (no rows)")
    console.print(splits)
    out = result.out_dir.resolve()
    console.print(f"Wrote {out} in {result.seconds:.1f} s (peak memory {peak_rss_mb():,.0f} MB); stage tables in {result.work_db}",
                  soft_wrap=True)
    console.print("Load it in Python (no project code needed for the first):", soft_wrap=True)
    for line in (f'import datasets; ds = datasets.load_dataset("{out}")', f'import pisar_data; ds = pisar_data.load_dataset("{result.out_dir}")'):
        console.print(f"  {line}", markup=False, soft_wrap=True, highlight=False)
