"""The build report: ``build/report.html`` with a gallery of rows, stage tables and matplotlib figures,
and the funnel table of the terminal summary.

- Gallery, per source: the best- and the worst-anchored kept rows and a few dropped ones with their
  reason, each with its screen thumbnail (a JPEG embedded as a data: URI, so the page needs no other
  file), persona, intent, action (type), rationale and anchor score.
- Tables: the funnel, the splits (and why a missing one is missing), and every stage's counts.
- Figures (PNG under ``build/figures/``, linked relatively): source mix, the funnel of rows through
  every stage, duplicate cluster sizes, anchor scores, persona marginals against the Pew weighted
  marginals of the review frame, action types, text lengths and split sizes. A figure whose table the build did not
  produce is listed as missing instead.
PNGs and thumbnails are written without a timestamp or software tag, so the same build gives
byte-identical files.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Mapping
from pathlib import Path

import polars as pl
from rich.table import Table

from curation.stages.personas import in_frame
from pisar_data import atomic
from pisar_data.schema import ACTION_TYPES, PERSONA_ATTRIBUTES, PERSONA_VOCABULARY, SPLITS

TEXT_COLUMNS = ("intent", "action", "rationale", "screen_text")
SOURCE_COLORS = {"google_play": "#3b7dd8", "app_store": "#8a5cc2", "opera": "#e08a1e"}


def funnel_table(manifest: Mapping) -> Table:
    """The manifest's funnel as a rich table: rows after each step (the review and OPeRA branches join
    at the persona step, so a difference between consecutive steps is not always a loss)."""
    table = Table(title="Rows through the build")
    table.add_column("step")
    table.add_column("rows", justify="right")
    for step in manifest.get("funnel", []):
        table.add_row(step["step"], f"{step['rows']:,}")
    return table


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    _pyplot().close(figure)
    return buffer.getvalue()


def fig_source_mix(manifest: Mapping, tables: Mapping) -> bytes | None:
    sources = {s: n for s, n in manifest.get("sources", {}).items()}
    if not sources:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3))
    bars = ax.bar(list(sources), list(sources.values()), color=[SOURCE_COLORS.get(s, "grey") for s in sources])
    ax.bar_label(bars, labels=[f"{n:,}" for n in sources.values()], fontsize=8)
    ax.set_ylim(0, max(sources.values()) * 1.15 or 1)
    ax.set_ylabel("rows")
    ax.set_title("Rows per source")
    return _png(fig)


def fig_funnel(manifest: Mapping, tables: Mapping) -> bytes | None:
    funnel = manifest.get("funnel", [])
    if not funnel:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(funnel) + 1))
    steps = [f["step"] for f in funnel][::-1]
    counts = [f["rows"] for f in funnel][::-1]
    bars = ax.barh(steps, counts, color="#4c72b0")
    ax.bar_label(bars, labels=[f"{n:,}" for n in counts], fontsize=8, padding=2)
    ax.set_xlabel("rows")
    ax.set_title("Rows through every stage")
    ax.set_xlim(0, max(counts) * 1.15 or 1)
    return _png(fig)


def fig_duplicate_clusters(manifest: Mapping, tables: Mapping) -> bytes | None:
    decisions = tables.get("dedup_decisions")
    if decisions is None or decisions.height == 0:
        return None
    sizes = decisions.group_by("cluster_id").len()["len"] + 1  # removed rows + the kept one
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(6, 3))
    counts = sizes.value_counts().sort(sizes.name)
    ax.bar(counts[sizes.name].to_list(), counts["count"].to_list(), color="#55a868", width=0.8)
    ax.set_xlabel("rows in the cluster (kept + removed)")
    ax.set_ylabel("clusters")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if counts["count"].max() > 50:  # a long tail of big clusters is invisible on a linear axis
        ax.set_yscale("log")
    ax.set_title(f"Duplicate clusters (exact and near): {decisions['cluster_id'].n_unique():,} clusters, {decisions.height:,} rows removed")
    return _png(fig)


def fig_anchor_scores(manifest: Mapping, tables: Mapping) -> bytes | None:
    rows = tables.get("rows")
    if rows is None or "anchor_score" not in rows.columns or rows.height == 0:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3))
    for source in sorted(rows["source"].unique().to_list()):
        scores = rows.filter(pl.col("source") == source)["anchor_score"].drop_nulls().to_list()
        ax.hist(scores, bins=20, range=(0, 1), alpha=0.6, label=f"{source} ({len(scores):,})", color=SOURCE_COLORS.get(source))
    ax.set_xlabel("anchor_score")
    ax.set_ylabel("rows")
    ax.legend(fontsize=8)
    ax.set_title("Anchor scores of the selected rows")
    return _png(fig)


def persona_marginals(tables: Mapping, frame: Mapping | None = None) -> dict[str, pl.DataFrame]:
    """Per attribute: value, share of rows, share of the Pew weight (both over non-null values); with
    ``frame`` (the recipe's ``[personas] review_frame``), the weight of the respondents inside it only,
    the population review personas are drawn from."""
    rows, pew = tables.get("rows"), tables.get("pew_profiles")
    if rows is None or "persona_attributes" not in rows.columns:
        return {}
    if pew is not None and frame:
        pew = pew.filter(in_frame({a: tuple(v) for a, v in frame.items()}))
    out = {}
    attributes = rows.select(pl.col("persona_attributes").struct.unnest())
    for attribute in PERSONA_ATTRIBUTES:
        corpus = attributes[attribute].drop_nulls().value_counts(name="n")
        corpus = corpus.select(pl.col(attribute).cast(pl.Utf8).alias("value"), (pl.col("n") / pl.col("n").sum()).alias("corpus"))
        if pew is not None and attribute in pew.columns:
            weights = pew.filter(pl.col(attribute).is_not_null()).group_by(attribute).agg(pl.col("weight").sum())
            weights = weights.select(pl.col(attribute).cast(pl.Utf8).alias("value"), (pl.col("weight") / pl.col("weight").sum()).alias("pew"))
            corpus = corpus.join(weights, on="value", how="full", coalesce=True)
        else:
            corpus = corpus.with_columns(pew=pl.lit(None, pl.Float64))
        if corpus.height:
            order = {value: i for i, value in enumerate(PERSONA_VOCABULARY[attribute])}
            out[attribute] = corpus.fill_null(0.0).sort(pl.col("value").replace_strict(order, default=len(order)), "value")
    return out


def fig_persona_marginals(manifest: Mapping, tables: Mapping) -> bytes | None:
    review_frame = ((manifest.get("recipe") or {}).get("personas") or {}).get("review_frame")
    marginals = persona_marginals(tables, review_frame)
    if not marginals:
        return None
    plt = _pyplot()
    columns = 2
    lines = (len(marginals) + columns - 1) // columns
    fig, axes = plt.subplots(lines, columns, figsize=(10, 2.3 * lines), squeeze=False)
    for ax, (attribute, frame) in zip(axes.flat, marginals.items()):
        positions = range(frame.height)
        ax.barh([p + 0.2 for p in positions], frame["corpus"].to_list(), height=0.4, label="PiSAR rows", color="#4c72b0")
        ax.barh([p - 0.2 for p in positions], frame["pew"].to_list(), height=0.4, label="Pew ATP (weighted" + (", review frame)" if review_frame else ")"),
                color="#c44e52")
        # "$75k-$150k" would otherwise be read as mathtext between the dollar signs
        ax.set_yticks(list(positions), [v.replace("$", r"\$") for v in frame["value"].to_list()], fontsize=7)
        ax.set_title(attribute, fontsize=9)
        ax.set_xlim(0, 1)
    for ax in list(axes.flat)[len(marginals):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7, loc="lower right")
    fig.suptitle("Persona marginals: share of rows vs Pew weighted share")
    return _png(fig)


def fig_action_types(manifest: Mapping, tables: Mapping) -> bytes | None:
    rows = tables.get("rows")
    if rows is None or rows.height == 0:
        return None
    counts = dict(rows.group_by("action_type").len().iter_rows())
    names = [n for n in ACTION_TYPES if counts.get(n)] + sorted(n for n in counts if n not in ACTION_TYPES)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(names) + 1.2))
    values = [counts[n] for n in names][::-1]
    bars = ax.barh(names[::-1], values, color=["#c44e52" if n not in ACTION_TYPES else "#4c72b0" for n in names[::-1]])
    ax.bar_label(bars, labels=[f"{v:,}" for v in values], fontsize=8, padding=2)
    ax.set_xlim(0, max(values) * 1.12)
    ax.set_xlabel("rows")
    ax.set_title("action_type distribution")
    return _png(fig)


def fig_text_lengths(manifest: Mapping, tables: Mapping) -> bytes | None:
    rows = tables.get("rows")
    columns = [c for c in TEXT_COLUMNS if rows is not None and c in rows.columns]
    if not columns or rows.height == 0:
        return None
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(1, len(columns), figsize=(3 * len(columns), 2.8), squeeze=False)
    for ax, column in zip(axes.flat, columns):
        words = rows[column].fill_null("").str.split(" ").list.len().to_list()
        ax.hist(words, bins=20, color="#8172b2")
        ax.set_title(f"{column} (median {sorted(words)[len(words) // 2]:,})", fontsize=9)
        ax.set_xlabel("words")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.flat[0].set_ylabel("rows")
    return _png(fig)


def fig_split_sizes(manifest: Mapping, tables: Mapping) -> bytes | None:
    splits = manifest.get("splits", {})
    rows = tables.get("rows")
    if not splits:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3))
    names = [s for s in SPLITS if s in splits]
    if rows is not None and "split" in rows.columns:
        bottom = [0] * len(names)
        for source in sorted(rows["source"].unique().to_list()):
            part = rows.filter(pl.col("source") == source)
            values = [part.filter(pl.col("split") == s).height for s in names]
            ax.bar(names, values, bottom=bottom, label=source, color=SOURCE_COLORS.get(source))
            bottom = [b + v for b, v in zip(bottom, values)]
        ax.legend(fontsize=8)
    else:
        ax.bar(names, [splits[s] for s in names])
    for i, name in enumerate(names):
        ax.annotate(f"{splits[name]:,}", (i, splits[name]), ha="center", va="bottom", fontsize=8)
    ax.set_ylim(0, max(splits.values(), default=0) * 1.15 or 1)
    ax.set_ylabel("rows")
    ax.set_title("Split sizes (by source)")
    return _png(fig)


FIGURES: tuple[tuple[str, str, Callable[[Mapping, Mapping], bytes | None]], ...] = (
    ("source_mix", "Source mix", fig_source_mix),
    ("funnel", "Rows through every stage", fig_funnel),
    ("duplicate_clusters", "Duplicate cluster sizes", fig_duplicate_clusters),
    ("anchor_scores", "Anchor score histogram", fig_anchor_scores),
    ("persona_marginals", "Persona marginals against the Pew weighted marginals", fig_persona_marginals),
    ("action_types", "action_type distribution", fig_action_types),
    ("text_lengths", "Text length distributions", fig_text_lengths),
    ("split_sizes", "Split sizes", fig_split_sizes),
)


def _html_table(header: list[str], rows: list[list]) -> str:
    cells = lambda tag, values: "".join(f"<{tag}>{html.escape(str(v))}</{tag}>" for v in values)  # noqa: E731
    body = "".join(f"<tr>{cells('td', r)}</tr>" for r in rows)
    return f"<table><thead><tr>{cells('th', header)}</tr></thead><tbody>{body}</tbody></table>"


GALLERY_ROWS = 3  # rows per group (best-anchored, worst-anchored, dropped) and source
THUMBNAIL_SIZE = (180, 320)  # bounding box in pixels (a phone screenshot's 9:16)
TEXT_LIMIT = 300  # characters of a text field shown in the gallery


def thumbnail(path: str | None) -> str | None:
    """A data: URI of a small JPEG of the image at ``path`` (None when there is none or it cannot be read)."""
    from PIL import Image, UnidentifiedImageError

    if not path:
        return None
    try:
        with Image.open(path) as image:
            small = image.convert("RGB")
            small.thumbnail(THUMBNAIL_SIZE)
    except (OSError, UnidentifiedImageError):
        return None
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _dropped(tables: Mapping) -> pl.DataFrame | None:
    """Tuples dropped after they had a persona (anchoring, store country): id, reason, anchor_score, image_path."""
    tuples = tables.get("tuples")
    frames = [tables[name].select("id", "reason", *(["anchor_score"] if "anchor_score" in tables[name].columns else []),
                                  *(["screen_id"] if "screen_id" in tables[name].columns else []))
              for name in ("anchor_drops", "persona_drops") if tables.get(name) is not None and tables[name].height]
    if tuples is None or not frames:
        return None
    drops = pl.concat(frames, how="diagonal_relaxed").join(tuples.drop("anchor_score", "image_path", "screen_id", strict=False), on="id")
    library = tables.get("screen_library")
    if "screen_id" in drops.columns and library is not None:  # the screen a below-threshold row came closest to
        drops = drops.join(library.select("context_id", "screen_id", "image_path"), on=["context_id", "screen_id"], how="left")
    return drops


def gallery_rows(tables: Mapping) -> dict[str, dict[str, list[dict]]]:
    """{source: {"best": rows, "worst": rows, "dropped": rows}}: kept rows by anchor score, dropped ones
    one reason at a time (most frequent reason first), all ties broken by id."""
    rows = tables.get("rows")
    drops = _dropped(tables)
    sources = sorted(set(rows["source"].to_list() if rows is not None else []) | set(drops["source"].to_list() if drops is not None else []))
    out = {}
    for source in sources:
        kept = rows.filter(pl.col("source") == source) if rows is not None else None
        best = kept.sort(["anchor_score", "id"], descending=[True, False]).head(GALLERY_ROWS) if kept is not None else None
        worst = (kept.filter(~pl.col("id").is_in(best["id"])).sort(["anchor_score", "id"]).head(GALLERY_ROWS)
                 if kept is not None else None)
        dropped = []
        if drops is not None:
            part = drops.filter(pl.col("source") == source)
            order = {r: i for i, (r, _) in enumerate(part.group_by("reason").len().sort(["len", "reason"], descending=[True, False]).iter_rows())}
            part = part.with_columns(pl.col("reason").replace_strict(order, return_dtype=pl.Int64).alias("_reason_rank"),
                                     pl.col("id").cum_count().over("reason").alias("_nth"))
            dropped = part.sort(["_nth", "_reason_rank", "id"]).head(GALLERY_ROWS).to_dicts()
        out[source] = {"best": best.to_dicts() if best is not None else [], "worst": worst.to_dicts() if worst is not None else [],
                       "dropped": dropped}
    return out


def _cut(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + "…"


def _row_card(row: Mapping) -> str:
    uri = thumbnail(row.get("image_path"))
    screen = (f'<img class=thumb src="{uri}" alt="screen of {html.escape(row.get("context_name") or row.get("context_id") or "")}">'
              if uri else '<div class="thumb none">no screen</div>')
    score = row.get("anchor_score")
    facts = [("context", f"{row.get('context_name') or ''} ({row.get('context_id') or ''})"), ("persona", row.get("persona")),
             ("intent", row.get("intent")), ("action", f"{row.get('action') or ''} [{row.get('action_type') or ''}]"),
             ("rationale", row.get("rationale")),
             ("anchor score", "–" if score is None else f"{score:.3f}" + (f" ({row['anchor_method']})" if row.get("anchor_method") else ""))]
    if row.get("reason"):
        facts.insert(0, ("dropped", row["reason"]))
    if row.get("screen_text") is not None:
        facts.append(("screen text", row.get("screen_text")))
    items = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(_cut(v))}</dd>" for k, v in facts)
    return f"<div class=row>{screen}<dl>{items}</dl></div>"


def _gallery(tables: Mapping) -> str:
    groups = (("best", "Best-anchored kept rows"), ("worst", "Worst-anchored kept rows"), ("dropped", "Dropped rows and why"))
    parts = []
    for source, rows in gallery_rows(tables).items():
        parts.append(f"<h3>{html.escape(source)}</h3>")
        for key, title in groups:
            cards = "".join(_row_card(r) for r in rows[key]) or "<p class=missing>None.</p>"
            parts.append(f"<h4>{title}</h4><div class=rows>{cards}</div>")
    return "".join(parts) or "<p class=missing>The build selected no rows.</p>"


def _stage_tables(manifest: Mapping) -> str:
    parts = []
    for stage in manifest.get("stages", []):
        counts = dict(stage.get("counts") or {})
        lines = [[k, counts.pop(k)] for k in ("in", "out") if k in counts]
        lines += [[k.replace("_", " "), v] for k, v in counts.items()]
        body = _html_table(["count", "value"], [[k, f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else v] for k, v in lines])
        parts.append(f"<div class=stage><h3>{html.escape(stage['name'])} <small>{stage.get('seconds', '')} s</small></h3>{body}</div>")
    return "".join(parts)


def _html(manifest: Mapping, tables: Mapping, figures: list[tuple[str, str, str | None]]) -> str:
    funnel = _html_table(["step", "rows"], [[f["step"], f"{f['rows']:,}"] for f in manifest.get("funnel", [])])
    missing = manifest.get("missing_splits") or {}
    splits = _html_table(["split", "rows"], [[s, f"{n:,}" if n else f"not written: {missing.get(s, 'no rows')}"]
                                             for s, n in manifest.get("splits", {}).items()])
    sections = []
    for name, title, path in figures:
        if path is None:
            sections.append(f"<h2>{html.escape(title)}</h2><p class=missing>Not drawn: the build produced no data for it.</p>")
        else:
            sections.append(f'<h2>{html.escape(title)}</h2><img src="{path}" alt="{html.escape(title)}">')
    title = f"PiSAR build report — {manifest.get('recipe_name', '')} (PiSAR {manifest.get('pisar_version', '')}, seed {manifest.get('seed', '')})"
    return (
        "<!doctype html><html><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;max-width:1100px;margin:auto;padding:0 1em}}"
        "table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}"
        "img{max-width:100%}.missing{color:#a00}.rows{display:flex;flex-wrap:wrap;gap:12px}"
        ".row{display:flex;gap:10px;width:520px;border:1px solid #ddd;border-radius:6px;padding:8px;font-size:13px}"
        ".thumb{width:180px;flex:none;object-fit:contain;align-self:flex-start;border:1px solid #eee}"
        ".thumb.none{height:120px;display:flex;align-items:center;justify-content:center;color:#888;background:#f4f4f4}"
        "dl{margin:0}dt{font-weight:bold;color:#555}dd{margin:0 0 4px 0}"
        ".stages{display:flex;flex-wrap:wrap;gap:16px}.stage h3{margin:.3em 0}small{color:#777;font-weight:normal}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><h2>Funnel</h2>{funnel}<h2>Splits</h2>{splits}"
        f"<h2>Rows by source</h2>{_gallery(tables)}<h2>Stages</h2><div class=stages>{_stage_tables(manifest)}</div>"
        + "".join(sections) + "</body></html>\n"
    )


def write_report(manifest: dict, tables: dict[str, pl.DataFrame], build_dir: Path) -> Path:
    """Write ``build_dir/report.html`` and its figures under ``build_dir/figures``; returns the HTML path."""
    build_dir = Path(build_dir)
    drawn = []
    for name, title, draw in FIGURES:
        png = draw(manifest, tables)
        if png is None:
            drawn.append((name, title, None))
            continue
        atomic.write_bytes(build_dir / "figures" / f"{name}.png", png)
        drawn.append((name, title, f"figures/{name}.png"))
    path = build_dir / "report.html"
    atomic.write_text(path, _html(manifest, tables, drawn))
    return path
