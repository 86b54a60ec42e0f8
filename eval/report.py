"""The bench report folder: report.json (stable keys), report.md (the tables), report.html (tables +
figures), figures/*.png and scores.csv (every row's scores, for anyone who wants to dig)."""

from __future__ import annotations

import csv
import html
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench import Gold, ModelRun
from pisar_data.atomic import output_dir

REPORT = "report.json"  # marks a folder as a bench report, which a later run may replace


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _signed(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "–"
    return f"{100 * value:+.1f} pp" if percent else f"{value:+.3f}"


def _cost(value: float | None, unpriced: int = 0) -> str:
    if value is None:
        return f"– ({unpriced} unpriced)" if unpriced else "–"
    return f"${value:.2f}" if value >= 1 else f"${value:.4f}"


def _ci(ci: list[float | None]) -> str:
    return f"[{_num(ci[0])}, {_num(ci[1])}]"


def _pct_ci(ci: list[float | None]) -> str:
    return f"[{_pct(ci[0])}, {_pct(ci[1])}]"


def _pp_ci(ci: list[float | None]) -> str:
    """A difference of shares: "[-1.2, +3.4] pp"."""
    return "–" if None in ci else f"[{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}] pp"


def _p(p: float | None, floor: float) -> str:
    return f"< {floor:g}" if p == 0 else _num(p)  # a p-value of 0 only means "below the bootstrap's resolution"


LISTED_LEAKAGE_PAIRS = 50  # pairs shown in report.md / report.html (report.json lists all)


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tables(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of every table, shared by the Markdown and HTML renderings."""
    models = report["models"]
    floor = 1 / report["bootstrap"]["resamples"]
    main = [
        [
            m["model"], str(m["n"]), _num(m["mean"]), f"[{_num(m['ci95'][0])}, {_num(m['ci95'][1])}]", _pct(m["share_ge_0_7"]),
            _num(m["action_mean"]), _num(m["rationale_mean"]), str(m["parse_failures"]), str(m["n_missing"]), str(m["n_extra"]),
            _cost(m["cost_usd"], m["n_unpriced"]), _cost(m["paid_usd"]),
            _num(m["latency_s_mean"], 2),
        ]
        for m in models
    ]
    sources = sorted({s for m in models for s in m["per_source"]})
    per_source = [[m["model"], *(f"{_num(m['per_source'].get(s))} (n={m['per_source_n'].get(s, 0)})" for s in sources)] for m in models]
    types = [
        [m["model"], str(m["n"]), _pct(m["action_type_accuracy"]), _pct_ci(m["action_type_accuracy_ci95"]),
         _num(m["action_type_macro_f1"]), _ci(m["action_type_macro_f1_ci95"]), str(m["action_type_unknown"]),
         *(_pct(m["action_type_per_source"].get(s)) for s in sources)]
        for m in models
    ]
    paired = [
        [d["a"], d["b"], str(d["n"]), _num(d["mean_diff"]), _ci(d["ci95"]), _p(d["p_value"], floor),
         _signed(d["action_type_accuracy"]["mean_diff"], percent=True), _pp_ci(d["action_type_accuracy"]["ci95"]), _p(d["action_type_accuracy"]["p_value"], floor)]
        for d in report["paired_differences"]
    ]
    ablations = []
    for d in report.get("ablation_differences", []):
        if d["model"] is None:
            ablations.append([d["ablation"], "– (no full run in this report)", d["ablated"], str(d["n"]), *("–",) * 6])
            continue
        sem, acc = d["sem_sim"], d["action_type_accuracy"]
        ablations.append([d["ablation"], d["model"], d["ablated"], str(d["n"]), _signed(sem["mean_diff"]), _ci(sem["ci95"]), _p(sem["p_value"], floor),
                          _signed(acc["mean_diff"], percent=True), _pp_ci(acc["ci95"]), _p(acc["p_value"], floor)])
    paper = {r["model"]: r for r in report["reference"]}
    comparison = [
        [
            c["paper_model"], paper[c["paper_model"]]["setting"], _num(paper[c["paper_model"]]["mean"]), paper[c["paper_model"]]["share_ge_0_7_text"],
            c["model"] or "–", _num(c["mean"]), _pct(c["share_ge_0_7"]), _signed(c["mean_diff"]), _signed(c["share_ge_0_7_diff"], percent=True),
        ]
        for c in report["paper_comparison"]
    ]
    out = [
        (
            f"Results on {report['data']} ({report['split']}, {report['n_gold']} rows; sem_sim model {report['sem_sim_model']})",
            ["model", "n", "mean sem_sim", "95% CI", "≥ 0.7", "action", "rationale", "parse failures", "missing", "extra", "cost (list price)", "paid (uncached)", "s/request"],
            main,
        ),
        ("Mean sem_sim per source", ["model", *sources], per_source),
        ("Action type (exact match with the gold type; missing, unparsed or unrecognised = wrong)",
         ["model", "n", "accuracy", "95% CI", "macro-F1", "95% CI", "answers without a known type", *(f"accuracy {s}" for s in sources)], types),
    ]
    if paired:
        out.append(("Paired differences (a − b over all gold ids, missing = 0; bootstrap)",
                    ["a", "b", "n", "sem_sim diff", "95% CI", "p", "type accuracy diff", "95% CI", "p"], paired))
    if ablations:
        out.append(("What each input is worth (full run − run with that input blanked, paired over all gold ids; bootstrap)",
                    ["blanked input", "full run", "ablated run", "n", "sem_sim diff", "95% CI", "p", "type accuracy diff", "95% CI", "p"], ablations))
    leakage = report.get("leakage")
    if leakage:
        counts = leakage["counts"]
        split = leakage["split"]
        cosine = "off" if leakage["cosine_threshold"] is None else f"≥ {leakage['cosine_threshold']} (texts of {leakage['embedding_min_words']}+ words)"
        out.append((
            f"Leakage audit: near-duplicate rationales between {split} and train (MinHash Jaccard ≥ {leakage['jaccard_threshold']} + edit check; embedding cosine {cosine})",
            ["pairs", f"{split} rows with a duplicate in train", "train rows involved", "exact", "near (MinHash)", "embedding only"],
            [[str(counts["pairs"]), f"{counts.get(f'{split}_rows_with_duplicates', 0)} of {counts.get(f'{split}_rows', 0)}", str(counts["train_rows_involved"]),
              str(counts["pairs_exact"]), str(counts["pairs_near"]), str(counts["pairs_embedding"])]],
        ))
        listed = leakage["pairs"][:LISTED_LEAKAGE_PAIRS]
        if listed:
            more = f"; {len(leakage['pairs']) - len(listed)} more in report.json" if len(leakage["pairs"]) > len(listed) else ""
            out.append((
                f"Near-duplicate pairs ({len(listed)} listed{more})",
                [f"{split} id", "train id", "method", "Jaccard", "cosine", f"{split} rationale", "train rationale"],
                [[x["eval_id"], x["train_id"], x["method"], _num(x["jaccard"]), _num(x["cosine"]), _short(x["eval_rationale"]), _short(x["train_rationale"])] for x in listed],
            ))
    out.append(
        (
            f"Comparison with {report['reference_label']}",
            ["paper model", "setting", "paper mean", "paper ≥ 0.7", "this run's model", "mean", "≥ 0.7", "Δ mean", "Δ ≥ 0.7"],
            comparison,
        )
    )
    return out


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: dict[str, Any]) -> str:
    parts = []
    for title, header, rows in tables(report):
        parts.append(f"### {title}\n")
        parts.append("| " + " | ".join(header) + " |")
        parts.append("|" + "|".join("---" for _ in header) + "|")
        parts += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
        parts.append("")
    failures = [m for m in report["models"] if m["n_missing"] or m["n_extra"]]
    for m in failures:
        parts.append(f"- {m['model']}: {m['n_missing']} missing ids (scored 0), {m['n_extra']} extra ids (not scored); listed in report.json.")
    return "\n".join(parts).rstrip() + "\n"


def _figure_png(draw, size: tuple[float, float] = (7, 4), grid: bool = True) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=size, dpi=100)
    draw(ax)
    if grid:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def figures(report: dict[str, Any], runs: list[ModelRun], gold: Gold) -> dict[str, bytes]:
    threshold = report["threshold"]

    def histogram(ax):
        bins = np.linspace(0, 1, 21)
        for run in runs:
            ax.hist(np.clip(run.scores.combined, 0, 1), bins=bins, histtype="step", linewidth=1.5, label=run.model)
        ax.axvline(threshold, color="grey", linestyle="--", linewidth=1)
        ax.set(xlabel="sem_sim (action + rationale)", ylabel="rows", title="sem_sim per row")
        ax.legend(fontsize=8)

    def cdf(ax):
        for run in runs:
            values = np.sort(run.scores.combined)
            share = np.arange(1, values.size + 1) / values.size
            ax.step(np.r_[values[:1], values], np.r_[0.0, share], where="post", label=run.model)
        ax.axvline(threshold, color="grey", linestyle="--", linewidth=1)
        ax.set(xlabel="sem_sim (action + rationale)", ylabel="share of rows ≤ x", title="Cumulative distribution", xlim=(min(0.0, ax.get_xlim()[0]), 1.02), ylim=(0, 1.02))
        ax.legend(fontsize=8)

    def per_source(ax):
        sources = sorted(set(gold.sources))
        width = 0.8 / max(1, len(runs))
        for k, m in enumerate(report["models"]):
            ax.bar(np.arange(len(sources)) + k * width, [m["per_source"][s] or 0 for s in sources], width, label=m["model"])
        ax.set_xticks(np.arange(len(sources)) + width * (len(runs) - 1) / 2, sources)
        ax.set(ylabel="mean sem_sim", title="Mean sem_sim per source", ylim=(0, 1))
        ax.legend(fontsize=8)

    def confusion_matrix(model: dict[str, Any]):
        labels, matrix = model["action_type_confusion"]["labels"], np.array(model["action_type_confusion"]["matrix"])
        gold_labels = labels[:-1]  # no gold row is "unknown"
        matrix = matrix[:-1]
        share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)

        def draw(ax):
            ax.imshow(share, cmap="Blues", vmin=0, vmax=1, aspect="auto")
            for (i, j), n in np.ndenumerate(matrix):
                if n:
                    ax.text(j, i, str(n), ha="center", va="center", fontsize=7, color="white" if share[i, j] > 0.5 else "black")
            ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
            ax.set_yticks(range(len(gold_labels)), gold_labels, fontsize=8)
            ax.set(xlabel="predicted action_type", ylabel="gold action_type",
                   title=f"{model['model']}: action types (accuracy {_pct(model['action_type_accuracy'])}; colour = share of the gold row)")
            ax.title.set_fontsize(9)

        side = 3 + 0.35 * len(labels)
        return _figure_png(draw, size=(side + 1, side), grid=False)

    out = {"sem_sim_hist.png": _figure_png(histogram), "sem_sim_cdf.png": _figure_png(cdf), "per_source.png": _figure_png(per_source)}
    for k, model in enumerate(report["models"], start=1):
        out[f"action_type_confusion_{k}.png"] = confusion_matrix(model)
    return out


def page(report: dict[str, Any], figure_names: list[str]) -> str:
    body = ["<h1>PiSAR benchmark report</h1>"]
    for title, header, rows in tables(report):
        body.append(f"<h2>{html.escape(title)}</h2><table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr></thead><tbody>")
        body += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows]
        body.append("</tbody></table>")
    body.append("<h2>Figures</h2>")
    body += [f'<p><img src="figures/{name}" alt="{html.escape(name)}"></p>' for name in figure_names]
    for m in report["models"]:
        if m["missing_ids"] or m["extra_ids"]:
            body.append(f"<h3>{html.escape(m['model'])}: ids not matched</h3>")
            body.append(f"<p>missing (scored 0): {html.escape(', '.join(m['missing_ids']) or 'none')}</p>")
            body.append(f"<p>extra (not scored): {html.escape(', '.join(m['extra_ids']) or 'none')}</p>")
    style = "body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}img{max-width:100%}"
    return f'<!doctype html>\n<html><head><meta charset="utf-8"><title>PiSAR benchmark report</title><style>{style}</style></head><body>\n' + "\n".join(body) + "\n</body></html>\n"


def scores_csv(runs: list[ModelRun], gold: Gold) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["model", "id", "source", "sem_sim", "action_sem_sim", "rationale_sem_sim", "present", "parsed", "gold_action_type", "action_type"])
    for run in runs:
        for k, row_id in enumerate(gold.ids):
            writer.writerow([run.model, row_id, gold.sources[k], f"{run.scores.combined[k]:.6f}", f"{run.scores.action[k]:.6f}", f"{run.scores.rationale[k]:.6f}",
                             int(run.present[k]), int(run.parsed[k]), gold.action_types[k] or "", run.action_types[k] or ""])
    return buffer.getvalue()


def write_report(out: Path, report: dict[str, Any], runs: list[ModelRun], gold: Gold) -> None:
    """Writes the whole folder at once: a failure leaves any earlier report in place."""
    pngs = figures(report, runs, gold)
    with output_dir(out, REPORT) as tmp:
        (tmp / "figures").mkdir()
        for name, data in pngs.items():
            (tmp / "figures" / name).write_bytes(data)
        (tmp / REPORT).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (tmp / "report.md").write_text(markdown(report), encoding="utf-8")
        (tmp / "report.html").write_text(page(report, list(pngs)), encoding="utf-8")
        (tmp / "scores.csv").write_text(scores_csv(runs, gold), encoding="utf-8")
