"""`pisar bench`: score prediction files against a split and summarize them (the report's numbers).

Every gold id is scored for every model: a missing prediction scores 0 and is listed, an
unparseable one scores 0 and is counted, and predictions for ids not in the split are listed as
extra (never scored, never silently dropped).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.predictions import as_prediction, read_predictions
from eval.semsim import Scores, SemSimScorer
from eval.stats import THRESHOLD, BootstrapConfig, bootstrap_ci, mean, paired_bootstrap, share_at_least

# The paper's results on its 661-row test slice, shown beside ours for comparison (not recomputed here).
REFERENCE = [
    {"model": "Qwen3-VL-8B-Instruct", "setting": "LoRA SFT on PiSAR train", "mean": 0.783, "share_ge_0_7": 0.79, "share_ge_0_7_text": "79%"},
    {"model": "GPT-5.5", "setting": "zero-shot", "mean": 0.482, "share_ge_0_7": None, "share_ge_0_7_text": "1–2%"},
    {"model": "Claude Opus 4.7", "setting": "zero-shot", "mean": 0.459, "share_ge_0_7": None, "share_ge_0_7_text": "1–2%"},
    {"model": "Gemma-4-26B-A4B-IT", "setting": "same SFT data and recipe as Qwen", "mean": 0.441, "share_ge_0_7": None, "share_ge_0_7_text": "–"},
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

    model: str
    file: str
    scores: Scores
    present: np.ndarray  # bool: a prediction exists for the id
    parsed: np.ndarray  # bool: it exists and could be parsed
    extra_ids: list[str]
    cost_usd: float | None
    latency_s_mean: float | None
    usage: dict[str, int] | None


def gold_from_rows(rows: list[dict[str, Any]]) -> Gold:
    return Gold([r["id"] for r in rows], [r["source"] for r in rows], [(r["action"], r["rationale"]) for r in rows])


def _label(records: list[dict[str, Any]], path: Path) -> str:
    names = Counter(r["model"] for r in records if r.get("model"))
    return names.most_common(1)[0][0] if names else path.stem


def _total(records: list[dict[str, Any]], field: str) -> float | None:
    values = [r[field] for r in records if isinstance(r.get(field), (int, float))]
    return float(sum(values)) if values else None


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
    return ModelRun(
        model=_label(records, path),
        file=str(path),
        scores=scorer.score(gold.pairs, predictions),
        present=np.array([p is not None for p in predictions], dtype=bool),
        parsed=np.array([p is not None and p.parsed for p in predictions], dtype=bool),
        extra_ids=[r["id"] for r in records if r["id"] not in gold_ids],
        cost_usd=_total(records, "cost_usd"),
        latency_s_mean=float(np.mean(latency)) if latency else None,
        usage=_usage(records),
    )


def _disambiguate(runs: list[ModelRun]) -> None:
    counts = Counter(run.model for run in runs)
    for run in runs:
        if counts[run.model] > 1:
            run.model = f"{run.model} ({Path(run.file).name})"


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
        "latency_s_mean": _r(run.latency_s_mean, 3),
        "usage": run.usage,
    }


def paired_differences(runs: list[ModelRun], bootstrap: BootstrapConfig) -> list[dict[str, Any]]:
    """Model a minus model b on the ids both predicted, for every pair in file order."""
    out = []
    for i, a in enumerate(runs):
        for b in runs[i + 1 :]:
            common = a.present & b.present
            diff = paired_bootstrap(a.scores.combined[common], b.scores.combined[common], bootstrap)
            out.append(
                {"a": a.model, "b": b.model, "n": diff.n, "mean_diff": _r(diff.mean_diff), "ci95": [_r(x) for x in diff.ci95], "p_value": _r(diff.p_value)}
            )
    return out


def run_bench(paths: list[Path], gold: Gold, scorer: SemSimScorer, *, data: str, split: str, bootstrap: BootstrapConfig = BootstrapConfig()) -> tuple[dict[str, Any], list[ModelRun]]:
    """The report dict (report.json's content) and the scored runs (for figures and per-row scores)."""
    runs = [score_file(path, gold, scorer) for path in paths]
    _disambiguate(runs)
    report = {
        "sem_sim_model": scorer.model_name,
        "data": data,
        "split": split,
        "n_gold": len(gold.ids),
        "threshold": THRESHOLD,
        "bootstrap": {"resamples": bootstrap.resamples, "seed": bootstrap.seed, "confidence": bootstrap.confidence},
        "models": [model_summary(run, gold, bootstrap) for run in runs],
        "paired_differences": paired_differences(runs, bootstrap),
        "reference_label": REFERENCE_LABEL,
        "reference": REFERENCE,
    }
    return report, runs
