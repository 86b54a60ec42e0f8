"""`pisar bench`: score prediction files against a split and summarize them (the report's numbers).

Every gold id is scored for every model: a missing prediction scores 0 and is listed, an
unparseable one scores 0 and is counted, and predictions for ids not in the split are listed as
extra (never scored, never silently dropped).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.predictions import as_prediction, read_predictions
from eval.semsim import Scores, SemSimScorer
from eval.stats import THRESHOLD, BootstrapConfig, bootstrap_ci, mean, paired_bootstrap, share_at_least

# The paper's results on its 661-row test slice, compared with ours (not recomputed here).
# `aliases` say which models of a run stand for a paper row: regular expressions matched against a
# predictions file's whole model label, ignoring case. An API row takes the model id and its dated
# snapshots (as pisar_data/prices.toml does); an SFT row takes a `pisar train` run, labelled
# `run:FOLDER` by `pisar predict`, whose folder name contains the recipe name.
REFERENCE = [
    {"model": "Qwen3-VL-8B-Instruct", "setting": "LoRA SFT on PiSAR train", "mean": 0.783, "share_ge_0_7": 0.79, "share_ge_0_7_text": "79%", "aliases": [r"run:.*qwen3-vl-8b.*"]},
    {"model": "GPT-5.5", "setting": "zero-shot", "mean": 0.482, "share_ge_0_7": None, "share_ge_0_7_text": "1–2%", "aliases": [r"openai:gpt-5\.5(-\d{4}-\d{2}-\d{2})?"]},
    {"model": "Claude Opus 4.7", "setting": "zero-shot", "mean": 0.459, "share_ge_0_7": None, "share_ge_0_7_text": "1–2%", "aliases": [r"anthropic:claude-opus-4-7(-\d{8})?"]},
    {"model": "Gemma-4-26B-A4B-IT", "setting": "same SFT data and recipe as Qwen", "mean": 0.441, "share_ge_0_7": None, "share_ge_0_7_text": "–", "aliases": [r"run:.*gemma-4-26b-a4b.*"]},
]
REFERENCE_LABEL = "the paper's reported numbers (661-row test slice), not recomputed by this run"


@dataclass
class Gold:
    ids: list[str]
    sources: list[str]
    pairs: list[tuple[str, str]]  # (action, rationale)


@dataclass
class ModelRun:
    """One predictions file scored against the gold rows (arrays aligned with ``Gold.ids``)."""

    label: str  # the model named in the file
    model: str  # the label, made unique among the runs of a report
    file: str
    scores: Scores
    present: np.ndarray  # bool: a prediction exists for the id
    parsed: np.ndarray  # bool: it exists and could be parsed
    extra_ids: list[str]
    cost_usd: float | None
    paid_usd: float | None
    n_unpriced: int
    latency_s_mean: float | None
    usage: dict[str, int] | None


def gold_from_rows(rows: list[dict[str, Any]]) -> Gold:
    return Gold([r["id"] for r in rows], [r["source"] for r in rows], [(r["action"], r["rationale"]) for r in rows])


def _label(records: list[dict[str, Any]], path: Path) -> str:
    names = Counter(r["model"] for r in records if r.get("model"))
    return names.most_common(1)[0][0] if names else path.stem


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _costs(records: list[dict[str, Any]]) -> tuple[float | None, float | None, int]:
    """(list price of all the predictions, price of the requests actually sent, unpriced rows).

    Only API records carry `cost_usd` (null when the model is not in pisar_data/prices.toml), so a file
    without any has no cost at all. A reply served from the response cache (`cached: true`) was not
    paid again. One unpriced row makes a total unknown (null) rather than a partial sum.
    """
    api = [r for r in records if "cost_usd" in r]
    if not api:
        return None, None, 0
    sent = [r for r in api if not r.get("cached")]
    unpriced = sum(not _is_number(r["cost_usd"]) for r in api)
    cost = None if unpriced else float(sum(r["cost_usd"] for r in api))
    paid = None if any(not _is_number(r["cost_usd"]) for r in sent) else float(sum(r["cost_usd"] for r in sent))
    return cost, paid, unpriced


def _usage(records: list[dict[str, Any]]) -> dict[str, int] | None:
    totals: Counter = Counter()
    for record in records:
        if isinstance(record.get("usage"), dict):
            totals.update({k: v for k, v in record["usage"].items() if isinstance(v, int)})
    return dict(sorted(totals.items())) if totals else None


def score_file(path: Path, gold: Gold, scorer: SemSimScorer) -> ModelRun:
    records = read_predictions(path)
    by_id = {r["id"]: r for r in records}
    gold_ids = set(gold.ids)
    predictions = [as_prediction(by_id[i]) if i in by_id else None for i in gold.ids]
    latency = [r["latency_s"] for r in records if isinstance(r.get("latency_s"), (int, float)) and not r.get("cached")]
    label = _label(records, path)
    cost, paid, unpriced = _costs(records)
    return ModelRun(
        label=label,
        model=label,
        file=str(path),
        scores=scorer.score(gold.pairs, predictions),
        present=np.array([p is not None for p in predictions], dtype=bool),
        parsed=np.array([p is not None and p.parsed for p in predictions], dtype=bool),
        extra_ids=[r["id"] for r in records if r["id"] not in gold_ids],
        cost_usd=cost,
        paid_usd=paid,
        n_unpriced=unpriced,
        latency_s_mean=float(np.mean(latency)) if latency else None,
        usage=_usage(records),
    )


def _disambiguate(runs: list[ModelRun]) -> None:
    """Runs sharing a model label are told apart by file name, or by the whole path where those clash too."""
    counts = Counter(run.model for run in runs)
    names = Counter((run.model, Path(run.file).name) for run in runs)
    for run in runs:
        if counts[run.model] > 1:
            name = Path(run.file).name
            run.model = f"{run.model} ({name if names[(run.model, name)] == 1 else run.file})"


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), digits)


def model_summary(run: ModelRun, gold: Gold, bootstrap: BootstrapConfig) -> dict[str, Any]:
    combined = run.scores.combined
    sources = np.array(gold.sources)
    missing = [i for i, ok in zip(gold.ids, run.present) if not ok]
    return {
        "model": run.model,
        "file": run.file,
        "n": int(combined.size),
        "mean": _r(mean(combined)),
        "share_ge_0_7": _r(share_at_least(combined, THRESHOLD)),
        "ci95": [_r(x) for x in bootstrap_ci(combined, bootstrap)],
        "per_source": {s: _r(mean(combined[sources == s])) for s in sorted(set(gold.sources))},
        "per_source_n": {s: int((sources == s).sum()) for s in sorted(set(gold.sources))},
        "action_mean": _r(mean(run.scores.action)),
        "rationale_mean": _r(mean(run.scores.rationale)),
        "parse_failures": int((run.present & ~run.parsed).sum()),
        "missing_ids": missing,
        "extra_ids": run.extra_ids,
        "n_missing": len(missing),
        "n_extra": len(run.extra_ids),
        "failures": int((~run.parsed).sum()),
        "cost_usd": _r(run.cost_usd, 6),
        "paid_usd": _r(run.paid_usd, 6),
        "n_unpriced": run.n_unpriced,
        "latency_s_mean": _r(run.latency_s_mean, 3),
        "usage": run.usage,
    }


def paired_differences(runs: list[ModelRun], bootstrap: BootstrapConfig) -> list[dict[str, Any]]:
    """Model a minus model b over every gold id, for every pair in file order. A missing prediction
    scores 0 as in the headline means, so `mean_diff` is the difference of the two means."""
    out = []
    for i, a in enumerate(runs):
        for b in runs[i + 1 :]:
            diff = paired_bootstrap(a.scores.combined, b.scores.combined, bootstrap)
            out.append(
                {"a": a.model, "b": b.model, "n": diff.n, "mean_diff": _r(diff.mean_diff), "ci95": [_r(x) for x in diff.ci95], "p_value": _r(diff.p_value)}
            )
    return out


def _diff(ours: float | None, paper: float | None) -> float | None:
    return None if ours is None or paper is None else _r(ours - paper)


def paper_comparison(runs: list[ModelRun], summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each paper row beside the models of this run its aliases match (one row per match); a paper
    row that nothing matches stays, with nulls. Differences are ours minus the paper's."""
    out = []
    for paper in REFERENCE:
        matches = [m for run, m in zip(runs, summaries) if any(re.fullmatch(a, run.label, re.IGNORECASE) for a in paper["aliases"])]
        for m in matches or [None]:
            ours = m or {"model": None, "mean": None, "share_ge_0_7": None}
            out.append(
                {
                    "paper_model": paper["model"],
                    "model": ours["model"],
                    "mean": ours["mean"],
                    "share_ge_0_7": ours["share_ge_0_7"],
                    "mean_diff": _diff(ours["mean"], paper["mean"]),
                    "share_ge_0_7_diff": _diff(ours["share_ge_0_7"], paper["share_ge_0_7"]),
                }
            )
    return out


def run_bench(paths: list[Path], gold: Gold, scorer: SemSimScorer, *, data: str, split: str, bootstrap: BootstrapConfig = BootstrapConfig()) -> tuple[dict[str, Any], list[ModelRun]]:
    """The report dict (report.json's content) and the scored runs (for figures and per-row scores)."""
    runs = [score_file(path, gold, scorer) for path in paths]
    _disambiguate(runs)
    summaries = [model_summary(run, gold, bootstrap) for run in runs]
    report = {
        "sem_sim_model": scorer.model_name,
        "data": data,
        "split": split,
        "n_gold": len(gold.ids),
        "threshold": THRESHOLD,
        "bootstrap": {"resamples": bootstrap.resamples, "seed": bootstrap.seed, "confidence": bootstrap.confidence},
        "models": summaries,
        "paired_differences": paired_differences(runs, bootstrap),
        "reference_label": REFERENCE_LABEL,
        "reference": REFERENCE,
        "paper_comparison": paper_comparison(runs, summaries),
    }
    return report, runs
