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
