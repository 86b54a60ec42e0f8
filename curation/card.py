"""The dataset card: ``dataset_card.md`` (a Jinja2 template at the repo root) rendered with the build's figures.

Every number in the card comes from the build manifest, the build's tables or the bench reports
given to the build; the template only holds prose, and the paper's reference numbers, which it
labels as such. ``render_card`` is tolerant of missing tables: a section whose figures were not
produced says so instead of inventing them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
import polars as pl
import yaml

from curation.stages.personas import WAVE_COUNTRY
from curation.stages.select import CONTEXT_NOUNS
from pisar_data.schema import ACTION_TYPES, COLUMNS, FEATURES, PERSONA_ATTRIBUTES, SPLITS

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "dataset_card.md"
# Written by the dedup accuracy benchmark (another part of curation); absent until it has run.
DEDUP_ACCURACY = REPO / "curation" / "dedup_accuracy.json"

# Hugging Face size buckets: (upper bound, label).
SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"))
SOURCE_DATASETS = {"opera": "NEU-HAI/OPeRA", "google_play": "original", "app_store": "original"}
EXAMPLE_TEXT_LIMIT = 400  # characters of a text field shown in an example row


def fmt_number(value: Any) -> str:
    """Numbers as the card shows them: integers with thousands separators, floats with 4 significant digits."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) >= 1:
            return f"{int(value):,}"
        return f"{value:,.1f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


def fmt_percent(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.1f}%"


def to_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000).rstrip("\n")


def size_category(n: int) -> str:
    for bound, label in SIZE_CATEGORIES:
        if n < bound:
            return label
    return "n>10M"


def _split_files(manifest: Mapping) -> dict[str, list[str]]:
    """Data files per split, from the manifest's ``files`` (or ``data_files``) entries."""
    paths = set(manifest.get("data_files") or {}) | {p for p in manifest.get("files") or {} if p.startswith("data/")}
    return {split: sorted(p for p in paths if Path(p).name.startswith(f"{split}-")) for split in SPLITS}


def _front_matter(manifest: Mapping, rows: pl.DataFrame | None) -> dict[str, Any]:
    splits = manifest["splits"]
    files = manifest.get("files") or {}
    split_files = _split_files(manifest)
    present = [s for s in SPLITS if split_files[s] or splits.get(s)]
    split_infos = []
    for split in present:
        info: dict[str, Any] = {"name": split}
        if files and split_files[split]:
            info["num_bytes"] = sum(files[p]["bytes"] for p in split_files[split])
        info["num_examples"] = splits.get(split, 0)
        split_infos.append(info)
    dataset_info: dict[str, Any] = {"features": FEATURES._to_yaml_list(), "splits": split_infos}
    if all("num_bytes" in s for s in split_infos) and split_infos:
        dataset_info["download_size"] = sum(s["num_bytes"] for s in split_infos)
        dataset_info["dataset_size"] = dataset_info["download_size"]
    languages = sorted(set(rows["lang"].drop_nulls().to_list())) if rows is not None and "lang" in rows.columns else []
    sources = [s for s, n in manifest.get("sources", {}).items() if n]
    return {
        "languages": languages or ["en"],
        "size_category": size_category(sum(splits.values())),
        "source_datasets": sorted({SOURCE_DATASETS.get(s, "original") for s in sources}) or ["original"],
        "configs": to_yaml([{"config_name": "default",
                             "data_files": [{"split": s, "path": f"data/{s}-*"} for s in present]}]),
        "dataset_info": to_yaml(dataset_info),
    }


def _value_counts(frame: pl.DataFrame | None, column: str) -> list[tuple[str, int]]:
    if frame is None or column not in frame.columns or frame.height == 0:
        return []
    counts = frame.group_by(column).len().sort(["len", column], descending=[True, False], nulls_last=True)
    return [("(none)" if v is None else str(v), n) for v, n in counts.iter_rows()]


def _stages(manifest: Mapping) -> list[dict[str, Any]]:
    recipe = manifest.get("recipe") or {}
    stages = []
    for stage in manifest.get("stages", []):
        counts = dict(stage.get("counts") or {})
        params = recipe.get(stage["name"])
        stages.append({
            "name": stage["name"],
            "seconds": stage.get("seconds"),
            "before": counts.get("in"),
            "after": counts.get("out"),
            "counts": [(k, v) for k, v in counts.items() if k not in ("in", "out")],
            "params": list(params.items()) if isinstance(params, Mapping) else [],
        })
    return stages


def _dedup(manifest: Mapping, tables: Mapping[str, pl.DataFrame]) -> dict[str, Any] | None:
    stage = next((s for s in manifest.get("stages", []) if s["name"] == "dedup"), None)
    if stage is None:
        return None
    counts = stage.get("counts") or {}
    decisions = tables.get("dedup_decisions")
    largest = None
    if decisions is not None and decisions.height:
        largest = int(decisions.group_by("cluster_id").len()["len"].max()) + 1  # + the kept row
    accuracy = json.loads(DEDUP_ACCURACY.read_text(encoding="utf-8")) if DEDUP_ACCURACY.is_file() else None
    return {
        "counts": counts,
        "removed": (counts.get("exact_removed") or 0) + (counts.get("near_removed") or 0),
        "decisions": None if decisions is None else decisions.height,
        "largest_cluster": largest,
        "accuracy": _flatten(accuracy) if isinstance(accuracy, Mapping) else None,
    }


def _flatten(data: Mapping, prefix: str = "") -> list[tuple[str, Any]]:
    """Scalar leaves of a nested JSON object as (dotted key, value)."""
    out = []
    for key, value in data.items():
        if isinstance(value, Mapping):
            out += _flatten(value, f"{prefix}{key}.")
        elif not isinstance(value, list):
            out.append((f"{prefix}{key}", value))
    return out


def _example(row: dict[str, Any]) -> str:
    shown: dict[str, Any] = {}
    for column in COLUMNS:
        value = row.get(column)
        if column == "screen":
            value = "<embedded screenshot (PNG/JPEG bytes)>"
        elif isinstance(value, (datetime, date)):
            value = value.isoformat()
        elif isinstance(value, float):
            value = round(value, 4)
        elif isinstance(value, str) and len(value) > EXAMPLE_TEXT_LIMIT:
            value = value[:EXAMPLE_TEXT_LIMIT] + f"… [{len(value) - EXAMPLE_TEXT_LIMIT:,} more characters]"
        shown[column] = value
    return json.dumps(shown, indent=2, ensure_ascii=False)


def _examples(rows: pl.DataFrame | None) -> dict[str, Any] | None:
    """A typical row (median rationale length within the largest source) and an atypical one (lowest anchor score)."""
    if rows is None or rows.height == 0:
        return None
    rows = rows.sort("id").with_columns(pl.col("rationale").str.len_chars().alias("_length"))
    top_source = _value_counts(rows, "source")[0][0]
    pool = rows.filter(pl.col("source") == top_source)
    median = pool["_length"].median()
    typical = pool.with_columns((pl.col("_length") - median).abs().alias("_distance")).sort(["_distance", "id"]).row(0, named=True)
    rest = rows.filter(pl.col("id") != typical["id"])
    atypical = rest.sort(["anchor_score", "id"], nulls_last=True).row(0, named=True) if rest.height else None
    return {
        "typical": _example(typical),
        "typical_source": top_source,
        "typical_length": int(typical["_length"]),
        "median_length": median,
        "atypical": atypical and _example(atypical),
        "atypical_score": atypical and atypical["anchor_score"],
        "anchor_median": rows["anchor_score"].median(),
    }


def _results(bench_reports: Iterable[Mapping]) -> list[dict[str, Any]]:
    results = []
    for report in bench_reports:
        for model in report.get("models", []):
            results.append({
                "model": model["model"],
                "split": report.get("split", "test"),
                "n": model.get("n"),
                "mean": model.get("mean"),
                "share": model.get("share_ge_0_7"),
                "ci95": model.get("ci95"),
                "action_mean": model.get("action_mean"),
                "rationale_mean": model.get("rationale_mean"),
                "parse_failures": model.get("parse_failures"),
                "action_type_accuracy": model.get("action_type_accuracy"),
                "sem_sim_model": report.get("sem_sim_model"),
            })
    return results


# --- Train/test leakage (the `leakage` stage, curation/stages/leakage.py) -----------------------------


def _leakage(manifest: Mapping) -> dict[str, Any] | None:
    """The leakage stage's counts and parameters; None when the build had no such stage."""
    stage = next((s for s in manifest.get("stages", []) if s["name"] == "leakage"), None)
    if stage is None:
        return None
    counts = dict(stage.get("counts") or {})
    evals = [(split, counts.get(f"{split}_rows_with_duplicates", 0), counts.get(f"{split}_rows", 0)) for split in ("test", "validation") if f"{split}_rows" in counts]
    return {"counts": counts, "evals": evals}


# ---------------------------------------------------------------------------------------------------------


def _persona_marginals(rows: pl.DataFrame | None, attribute: str) -> list[tuple[str, int]]:
    if rows is None or "persona_attributes" not in rows.columns:
        return []
    return _value_counts(rows.select(pl.col("persona_attributes").struct.field(attribute)), attribute)


def _stage_counts(manifest: Mapping, name: str) -> dict[str, Any]:
    return next((dict(s.get("counts") or {}) for s in manifest.get("stages", []) if s["name"] == name), {})


# How each split unit reads in the card, and what it means for leakage.
SPLIT_UNITS = {
    "context": "by {noun}: all rows of one {noun} are in one split, so test measures unseen {noun}s",
    "participant": "by participant: all sessions of one person are in one split, so test measures unseen people "
                   "on {noun}s that are also in train",
    "session": "by session: test measures unseen sessions, possibly of people and on {noun}s that are also in train",
    "review": "by review: its test rows are unseen reviews of {noun}s that are also in train (their screenshots too), "
              "not unseen {noun}s",
    "train_only": "train only: too few {noun}s for a leakage-free test and validation split",
}


def _split_units(manifest: Mapping) -> list[tuple[str, str]]:
    counts = _stage_counts(manifest, "select")
    units = [(k.removeprefix("split_unit_"), v) for k, v in counts.items() if k.startswith("split_unit_")]
    return [(source, SPLIT_UNITS.get(unit, unit).format(noun=CONTEXT_NOUNS.get(source, "context"))) for source, unit in units]


def _missing_splits(manifest: Mapping) -> list[tuple[str, str]]:
    """("`validation` and `test` splits", why) for each reason a split is missing."""
    grouped: dict[str, list[str]] = {}
    for split, note in (manifest.get("missing_splits") or {}).items():
        grouped.setdefault(note, []).append(f"`{split}`")
    return [(" and ".join(splits) + (" splits" if len(splits) > 1 else " split"), note) for note, splits in grouped.items()]


def _personas(manifest: Mapping, tables: Mapping[str, pl.DataFrame]) -> dict[str, Any]:
    """The review frame and the store countries of the selected review rows."""
    counts = _stage_counts(manifest, "personas")
    rows, tuples = tables.get("rows"), tables.get("tuples")
    countries: list[tuple[str, int]] = []
    if rows is not None and tuples is not None and "store_country" in tuples.columns:
        reviews = rows.filter(pl.col("source") != "opera").select("id").join(tuples.select("id", "store_country"), on="id", how="left")
        countries = _value_counts(reviews.with_columns(pl.col("store_country").fill_null("unknown")), "store_country")
    only = ((manifest.get("recipe") or {}).get("personas") or {}).get("only_wave_country")
    return {
        "frame": counts.get("review_frame"),
        "frame_respondents": counts.get("frame_respondents"),
        "frame_share": counts.get("frame_weight_share"),
        "wave_country": WAVE_COUNTRY,
        "store_countries": countries,
        "outside": sum(n for c, n in countries if c != WAVE_COUNTRY),
        "only_wave_country": bool(only),
        "dropped_outside": sum(v for k, v in counts.items() if k.startswith("dropped_store_country_")),
    }


def card_context(manifest: Mapping, tables: Mapping[str, pl.DataFrame], bench_reports: Iterable[Mapping] = ()) -> dict[str, Any]:
    """Everything the template shows, computed from the manifest, the tables and the bench reports."""
    rows = tables.get("rows")
    action_counts = dict(_value_counts(rows, "action_type"))
    clean_log = tables.get("clean_log")
    pew = tables.get("pew_profiles")
    return {
        "version": manifest.get("pisar_version", "unknown"),
        "recipe_name": manifest.get("recipe_name", "unknown"),
        "recipe_description": (manifest.get("recipe") or {}).get("description", ""),
        "seed": manifest.get("seed"),
        "total_rows": sum(manifest["splits"].values()),
        "splits": [(s, manifest["splits"].get(s, 0)) for s in SPLITS if manifest["splits"].get(s, 0)],
        "missing_splits": _missing_splits(manifest),
        "split_units": _split_units(manifest),
        "personas": _personas(manifest, tables),
        "sources": list(manifest.get("sources", {}).items()),
        "funnel": manifest.get("funnel", []),
        "stages": _stages(manifest),
        "dedup": _dedup(manifest, tables),
        "leakage": _leakage(manifest),
        "front": _front_matter(manifest, rows),
        "examples": _examples(rows),
        "results": _results(bench_reports),
        "action_types": [(name, text, action_counts.get(name, 0)) for name, text in ACTION_TYPES.items()],
        "persona_sources": _value_counts(rows, "persona_source"),
        "screen_sources": _value_counts(rows, "screen_source"),
        "anchor_methods": _value_counts(rows, "anchor_method"),
        "languages": _value_counts(rows, "lang"),
        "regions": _persona_marginals(rows, "region"),
        "persona_attributes": PERSONA_ATTRIBUTES,
        "pew_respondents": None if pew is None else pew.height,
        "contexts": None if rows is None else rows["context_id"].n_unique(),
        "clean_log": [] if clean_log is None or clean_log.height == 0
        else [(a, r, n) for a, r, n in clean_log.group_by(["action", "reason"]).len().sort(["action", "reason"]).iter_rows()],
        "inputs": manifest.get("inputs", []),
        "input_bytes": sum(i.get("bytes", 0) for i in manifest.get("inputs", [])),
        "versions": list((manifest.get("versions") or {}).items()),
    }


def render_card(manifest: dict, tables: dict[str, pl.DataFrame], bench_reports: list[dict] = ()) -> str:
    """The dataset folder's ``README.md``: ``dataset_card.md`` rendered with this build's figures."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE.parent), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False)
    env.filters.update(num=fmt_number, pct=fmt_percent, yaml=to_yaml)
    template = env.get_template(TEMPLATE.name)
    return template.render(**card_context(manifest, tables, bench_reports))
