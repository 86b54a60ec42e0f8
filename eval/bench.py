"""`pisar bench`: score prediction files against a split and summarize them (the report's numbers).

Every gold id is scored for every model: a missing prediction scores 0 and is listed, an
unparseable one scores 0 and is counted, and predictions for ids not in the split are listed as
extra (never scored, never silently dropped). Two scores per row: sem_sim (the paper's metric) and
action-type correctness (the predicted ``action_type`` equals the gold one; a missing, unparseable
or unrecognised type is wrong). Runs of ablated inputs (``MODEL+no-INPUT``) are compared with their
full run (``MODEL``) rather than with every other model.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from eval.ablation import split_label
from eval.predictions import as_prediction, read_predictions
from eval.semsim import Scores, SemSimScorer
from eval.stats import (THRESHOLD, BootstrapConfig, bootstrap_ci, confusion, macro_f1, macro_f1_ci, mean, paired_bootstrap,
                        share_at_least, type_codes)

if TYPE_CHECKING:  # pisar_data.leakage (MinHash, MiniLM) is imported only when the audit runs
    from pisar_data.leakage import Embed, LeakageConfig

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
    action_types: list[str | None]


@dataclass
class ModelRun:
    """One predictions file scored against the gold rows (arrays aligned with ``Gold.ids``)."""

    label: str  # the model named in the file
    model: str  # the label, made unique among the runs of a report
    file: str
    scores: Scores
    present: np.ndarray  # bool: a prediction exists for the id
    parsed: np.ndarray  # bool: it exists and could be parsed
    action_types: list[str | None]  # the predicted type per gold id (None: missing, unparsed or not recognised)
    extra_ids: list[str]
    cost_usd: float | None
    paid_usd: float | None
    n_unpriced: int
    latency_s_mean: float | None
    usage: dict[str, int] | None


def gold_from_rows(rows: list[dict[str, Any]]) -> Gold:
    return Gold([r["id"] for r in rows], [r["source"] for r in rows], [(r["action"], r["rationale"]) for r in rows], [r["action_type"] for r in rows])


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
        action_types=[p.action_type if p is not None and p.parsed else None for p in predictions],
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


def type_correct(run: ModelRun, gold: Gold) -> np.ndarray:
    """1.0 where the predicted action type is the gold one, else 0.0 (aligned with ``gold.ids``)."""
    return np.array([p is not None and p == g for p, g in zip(run.action_types, gold.action_types)], dtype=np.float64)


def type_confusion(run: ModelRun, gold: Gold) -> dict[str, Any]:
    """``matrix[i][j]``: rows of gold type ``labels[i]`` predicted as ``labels[j]``; the last label is "unknown"."""
    labels, g, p = type_codes(gold.action_types, run.action_types)
    return {"labels": [*labels, "unknown"], "matrix": confusion(g, p, len(labels)).tolist()}


def model_summary(run: ModelRun, gold: Gold, bootstrap: BootstrapConfig) -> dict[str, Any]:
    combined = run.scores.combined
    correct = type_correct(run, gold)
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
        "action_type_accuracy": _r(mean(correct)),
        "action_type_accuracy_ci95": [_r(x) for x in bootstrap_ci(correct, bootstrap)],
        "action_type_macro_f1": _r(macro_f1(gold.action_types, run.action_types)),
        "action_type_macro_f1_ci95": [_r(x) for x in macro_f1_ci(gold.action_types, run.action_types, bootstrap)],
        "action_type_per_source": {s: _r(mean(correct[sources == s])) for s in sorted(set(gold.sources))},
        "action_type_unknown": int(sum(t is None for t, ok in zip(run.action_types, run.parsed) if ok)),
        "action_type_confusion": type_confusion(run, gold),
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


def _difference(a: np.ndarray, b: np.ndarray, bootstrap: BootstrapConfig) -> dict[str, Any]:
    diff = paired_bootstrap(a, b, bootstrap)
    return {"mean_diff": _r(diff.mean_diff), "ci95": [_r(x) for x in diff.ci95], "p_value": _r(diff.p_value)}


def paired_differences(runs: list[ModelRun], gold: Gold, bootstrap: BootstrapConfig) -> list[dict[str, Any]]:
    """Model a minus model b over every gold id, for every pair of full (not ablated) runs in file
    order: sem_sim (``mean_diff``, ``ci95``, ``p_value``) and action-type accuracy. A missing
    prediction scores 0 as in the headline means, so ``mean_diff`` is the difference of the two means."""
    full = [run for run in runs if split_label(run.label)[1] is None]
    out = []
    for i, a in enumerate(full):
        for b in full[i + 1 :]:
            out.append({"a": a.model, "b": b.model, "n": len(gold.ids), **_difference(a.scores.combined, b.scores.combined, bootstrap),
                        "action_type_accuracy": _difference(type_correct(a, gold), type_correct(b, gold), bootstrap)})
    return out


def ablation_differences(runs: list[ModelRun], gold: Gold, bootstrap: BootstrapConfig) -> list[dict[str, Any]]:
    """What each ablated input is worth: the full run minus its ablated run (``MODEL`` minus
    ``MODEL+no-INPUT``) over every gold id, for sem_sim and action-type accuracy. An ablated run
    without a full run of the same model in the report is listed with ``model`` null."""
    out = []
    for ablated in runs:
        base, ablation = split_label(ablated.label)
        if ablation is None:
            continue
        fulls = [run for run in runs if run.label == base]
        for full in fulls or [None]:
            entry: dict[str, Any] = {"ablation": ablation, "model": full and full.model, "ablated": ablated.model, "n": len(gold.ids)}
            if full is not None:
                entry["sem_sim"] = _difference(full.scores.combined, ablated.scores.combined, bootstrap)
                entry["action_type_accuracy"] = _difference(type_correct(full, gold), type_correct(ablated, gold), bootstrap)
            out.append(entry)
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


def run_bench(paths: list[Path], gold: Gold, scorer: SemSimScorer, *, data: str, split: str, bootstrap: BootstrapConfig = BootstrapConfig(),
              leakage: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[ModelRun]]:
    """The report dict (report.json's content) and the scored runs (for figures and per-row scores).
    ``leakage`` is the audit of the scored split against train (:func:`leakage_audit`), if one ran."""
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
        "paired_differences": paired_differences(runs, gold, bootstrap),
        "ablation_differences": ablation_differences(runs, gold, bootstrap),
        "leakage": leakage,
        "reference_label": REFERENCE_LABEL,
        "reference": REFERENCE,
        "paper_comparison": paper_comparison(runs, summaries),
    }
    return report, runs


def leakage_audit(split_rows: list[dict[str, Any]], train_rows: list[dict[str, Any]], split: str, embed: Embed | None = None,
                  embedding_model: str | None = None, config: LeakageConfig | None = None) -> dict[str, Any]:
    """Near-duplicate rationale pairs between the scored split and train (pisar_data.leakage): the
    counts, the thresholds and every pair with both texts. A dataset built by `pisar build` should
    show none (the build removes them from train); any found inflate what a model trained on train scores."""
    import polars as pl

    from pisar_data.leakage import LeakageConfig, cross_split_duplicates, summary

    config = config or LeakageConfig()
    rows = pl.DataFrame(
        [{"id": r["id"], "split": split, "rationale": r["rationale"]} for r in split_rows]
        + [{"id": r["id"], "split": "train", "rationale": r["rationale"]} for r in train_rows],
        schema={"id": pl.Utf8, "split": pl.Utf8, "rationale": pl.Utf8},
    )
    pairs = cross_split_duplicates(rows, config, embed)
    text = dict(zip(rows["id"].to_list(), rows["rationale"].to_list()))
    return {
        "split": split,
        "jaccard_threshold": config.jaccard_threshold,
        "cosine_threshold": config.cosine_threshold if embed is not None else None,
        "embedding_model": embedding_model if embed is not None else None,
        "embedding_min_words": config.embedding_min_words,
        "counts": summary(pairs, rows),
        "pairs": [{**pair, "jaccard": _r(pair["jaccard"]), "cosine": _r(pair["cosine"]), "eval_rationale": text[pair["eval_id"]],
                   "train_rationale": text[pair["train_id"]]} for pair in pairs.iter_rows(named=True)],
    }
