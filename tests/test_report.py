"""The build report: every figure drawn from the build's tables, the HTML links them, the funnel table."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import polars as pl
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "card"))
from card_build import shared_build  # noqa: E402

from curation import report  # noqa: E402

FIGURE_NAMES = ("source_mix", "funnel", "duplicate_clusters", "anchor_scores", "persona_marginals",
                "action_types", "text_lengths", "split_sizes")


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return shared_build(tmp_path_factory)


def test_report_links_every_figure_and_each_is_a_real_png(build):
    folder, manifest, _ = build
    html = (folder / "build" / "report.html").read_text(encoding="utf-8")
    assert [name for name, _, _ in report.FIGURES] == list(FIGURE_NAMES)
    for name in FIGURE_NAMES:
        assert f'src="figures/{name}.png"' in html
        with Image.open(folder / "build" / "figures" / f"{name}.png") as image:
            assert image.format == "PNG" and image.width >= 500 and image.height >= 250
            # not a blank canvas: a figure has many colours (bars, text, axes)
            assert len(image.convert("RGB").getcolors(maxcolors=1 << 16) or range(1 << 16)) > 20
    assert "Not drawn" not in html
    for step in manifest["funnel"]:
        assert f"<td>{step['step']}</td><td>{step['rows']:,}</td>" in html


def test_missing_tables_are_reported_not_invented(build, tmp_path, monkeypatch):
    _, manifest, tables = build
    figures = {entry[0]: entry for entry in report.FIGURES}
    monkeypatch.setattr(report, "FIGURES", (figures["duplicate_clusters"], figures["persona_marginals"]))
    path = report.write_report(manifest, {"rows": tables["rows"]}, tmp_path)
    html = path.read_text(encoding="utf-8")
    assert "<h2>Duplicate cluster sizes</h2><p class=missing>Not drawn" in html
    assert not (tmp_path / "figures" / "duplicate_clusters.png").exists()
    assert (tmp_path / "figures" / "persona_marginals.png").exists()  # corpus marginals, without Pew


def test_figures_are_byte_identical_across_runs(build):
    folder, manifest, tables = build
    assert report.fig_funnel(manifest, tables) == (folder / "build" / "figures" / "funnel.png").read_bytes()
    assert report.fig_persona_marginals(manifest, tables) == (folder / "build" / "figures" / "persona_marginals.png").read_bytes()


def test_persona_marginals_use_the_pew_weights(build):
    _, _, tables = build
    region = report.persona_marginals(tables)["region"]
    pew = tables["pew_profiles"]
    expected = pew.filter(pl.col("region") == "West")["weight"].sum() / pew["weight"].sum()
    west = region.filter(pl.col("value") == "West")
    assert west["pew"].item() == pytest.approx(expected)
    assert west["corpus"].item() == 0.0  # the toy rows have no West persona: the gap shows
    assert region["value"].to_list() == ["Northeast", "Midwest", "South", "West"]  # vocabulary order
    assert region["corpus"].sum() == pytest.approx(1.0) and region["pew"].sum() == pytest.approx(1.0)


def test_funnel_table_shows_the_manifest_funnel():
    from rich.console import Console

    manifest = {"funnel": [{"step": "reviews in snapshot", "rows": 15230}, {"step": "after cleaning", "rows": 14001},
                           {"step": "selected", "rows": 12929}]}
    console = Console(record=True, width=100)
    console.print(report.funnel_table(manifest))
    text = console.export_text()
    rows = [line for line in text.splitlines() if "│" in line]  # data rows (the header uses ┃)
    assert [re.split(r"\s*│\s*", line.strip("│ ")) for line in rows] == [
        ["reviews in snapshot", "15,230"], ["after cleaning", "14,001"], ["selected", "12,929"]]


def test_gallery_shows_best_and_worst_anchored_rows_and_dropped_ones_per_source(build):
    folder, manifest, tables = build
    rows = tables["rows"]
    dropped_ids = ["gp-d1", "gp-d2", "gp-d3", "gp-d4"]
    tuples = rows.head(4).with_columns(pl.Series("id", dropped_ids), pl.lit("google_play").alias("source")).drop("split")
    drops = pl.DataFrame({"id": dropped_ids, "reason": ["below_threshold", "below_threshold", "below_threshold", "no_screen"],
                          "anchor_score": pl.Series([0.11, 0.05, 0.02, 0.0], dtype=pl.Float32)})
    gallery = report.gallery_rows({**tables, "tuples": tuples, "anchor_drops": drops})
    assert sorted(gallery) == sorted(set(rows["source"]))
    for source, groups in gallery.items():
        scores = rows.filter(pl.col("source") == source)["anchor_score"].sort(descending=True).to_list()
        assert [r["anchor_score"] for r in groups["best"]] == pytest.approx(scores[:3])
        assert [r["anchor_score"] for r in groups["worst"]] == pytest.approx(sorted(scores[3:])[:3])
    # one row per reason first (most frequent first), then the next row of each reason
    assert [(r["id"], r["reason"]) for r in gallery["google_play"]["dropped"]] == [
        ("gp-d1", "below_threshold"), ("gp-d4", "no_screen"), ("gp-d2", "below_threshold")]
    assert gallery["opera"]["dropped"] == []

    html = (folder / "build" / "report.html").read_text(encoding="utf-8")
    assert "<h2>Rows by source</h2><h3>google_play</h3><h4>Best-anchored kept rows</h4>" in html
    assert html.count('src="data:image/jpeg;base64,') == sum(len(g["best"]) + len(g["worst"]) for g in report.gallery_rows(tables).values())
    best = gallery["google_play"]["best"][0]
    assert f"<dt>rationale</dt><dd>{best['rationale']}</dd>" in html and f"{best['anchor_score']:.3f}" in html


def test_stage_counts_are_tables(build):
    folder, manifest, _ = build
    html = (folder / "build" / "report.html").read_text(encoding="utf-8")
    assert "<h3>clean <small>0.12 s</small></h3>" in html
    clean = next(s["counts"] for s in manifest["stages"] if s["name"] == "clean")
    assert (f"<tr><td>in</td><td>{clean['in']}</td></tr><tr><td>out</td><td>{clean['out']}</td></tr>"
            "<tr><td>dropped language</td><td>2</td></tr>") in html
    assert "key=value" not in html and "dropped_language=2" not in html


def test_persona_marginals_compare_with_the_review_frame(build):
    _, _, tables = build
    pew = tables["pew_profiles"].with_columns(  # the first 10 respondents (of 40) are offline
        pl.when(pl.int_range(pl.len()) < 10).then(pl.lit("non-user")).otherwise(pl.col("internet_use")).alias("internet_use"))
    tables = {**tables, "pew_profiles": pew}
    framed = report.persona_marginals(tables, {"internet_use": ["internet user"]})["region"]
    inside = pew.filter(pl.col("internet_use") == "internet user")
    expected = inside.filter(pl.col("region") == "West")["weight"].sum() / inside["weight"].sum()
    assert framed.filter(pl.col("value") == "West")["pew"].item() == pytest.approx(expected)
    whole = report.persona_marginals(tables)["region"].filter(pl.col("value") == "West")["pew"].item()
    assert abs(expected - whole) > 0.005  # the frame moves the marginal the figure compares against
