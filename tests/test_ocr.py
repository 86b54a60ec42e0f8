"""OCR of screenshot-only screens: reading order, line filters, the real engine on real-format screens, the cache."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from curation.ocr import RapidOcr, ScreenReader, TextFilter, TextLine, reading_order, screen_text
from curation.stages import BuildContext
from curation.stages.screens import Config, run
from pisar_data.cache import KeyValueCache

SAMPLE_SCREENS = Path(__file__).resolve().parents[1] / "curation" / "sample" / "screens"
EXPORT = SAMPLE_SCREENS / "1987654321" / "export.png"  # the sample's one screenshot without hierarchy or sidecar
PAYWALL = SAMPLE_SCREENS / "1987654321" / "paywall.png"


def line(text: str, left: float, top: float, right: float, bottom: float, score: float = 0.99) -> TextLine:
    return TextLine(text, score, (left, top, right, bottom))


def test_reading_order_is_rows_top_to_bottom_then_left_to_right():
    lines = [
        line("Send money", 0.3, 0.40, 0.7, 0.44),
        line("$120.50", 0.7, 0.195, 0.95, 0.235),  # a right-aligned value, a little higher than its label
        line("Balance", 0.05, 0.20, 0.30, 0.24),
        line("of your last period", 0.05, 0.30, 0.60, 0.34),
        line("Based on the first day", 0.05, 0.26, 0.65, 0.30),
    ]
    assert [item.text for item in reading_order(lines)] == ["Balance", "$120.50", "Based on the first day", "of your last period", "Send money"]


def test_text_filter_drops_unsure_lines_icons_and_the_status_bar():
    lines = [
        line("12:47", 0.85, 0.0, 0.95, 0.03, 1.0),  # status-bar clock
        line("Other modules", 0.03, 0.05, 0.4, 0.09, 1.0),
        line("f", 0.1, 0.2, 0.12, 0.22, 1.0),  # an icon read as a letter
        line("卡き", 0.4, 0.4, 0.6, 0.5, 0.53),  # a picture read as text, unsure
        line("OK", 0.45, 0.9, 0.55, 0.92, 0.97),
    ]
    assert screen_text(lines, TextFilter()) == "Other modules\nOK"


@pytest.fixture(scope="module")
def engine():
    return RapidOcr()


def test_ocr_reads_a_drawn_screen_in_reading_order(engine, tmp_path):
    from PIL import Image

    reader = ScreenReader(engine, KeyValueCache(tmp_path / "ocr.sqlite"))
    with Image.open(EXPORT) as image:
        text = reader.read(image, "export")
    # two-column rows stay label-then-value; the status-bar clock (12:30) is dropped
    assert text.split("\n") == ["Export", "Format", "JPEG", "Resolution", "Original (4032 x 3024)", "Save to Photos"]


def test_ocr_text_matches_the_hierarchy_of_a_sample_screen(engine, tmp_path):
    import re

    from PIL import Image

    from curation.sources.screens import screen_text as hierarchy_text_of

    reference, _ = hierarchy_text_of(PAYWALL)
    with Image.open(PAYWALL) as image:
        text = ScreenReader(engine, KeyValueCache(tmp_path / "ocr.sqlite")).read(image, "paywall")
    words = lambda s: re.findall(r"[a-z0-9]+", s.lower())  # noqa: E731
    found, expected = words(text), words(reference)
    assert sum(w in found for w in expected) / len(expected) >= 0.9
    assert sum(w in expected for w in found) / len(found) >= 0.9
    assert text.split("\n")[0] == "Lumen Pro"


def counting_engine_class():
    """A stand-in for ``rapidocr.RapidOCR`` (the library boundary) that counts the screens it reads."""
    import rapidocr

    real = rapidocr.RapidOCR

    class CountingRapidOCR(real):
        calls = 0

        def __call__(self, image, *args, **kwargs):
            CountingRapidOCR.calls += 1
            return super().__call__(image, *args, **kwargs)

    return CountingRapidOCR


def _screenshot_only(paths: list[Path], context_id: str) -> pl.DataFrame:
    return pl.DataFrame({"screen_id": [p.stem for p in paths], "context_id": [context_id] * len(paths),
                         "image_path": [str(p) for p in paths], "screen_text": [""] * len(paths),
                         "screen_source": ["google_play_listing"] * len(paths)})


def test_screenshot_only_screens_are_ocrd_once_and_cached_by_image_hash(tmp_path, monkeypatch):
    import rapidocr

    counting = counting_engine_class()
    monkeypatch.setattr(rapidocr, "RapidOCR", counting)
    table = _screenshot_only([EXPORT, PAYWALL], "1987654321")
    config = Config(ocr_cache_dir=str(tmp_path / "ocr-cache"))
    first = run({"screens": table}, config, BuildContext(tmp_path, tmp_path / "work1", 0))
    assert counting.calls == 2 and first.counts["ocr_engine_calls"] == 2 and first.counts["ocr_read"] == 2
    library = first.tables["screen_library"]
    assert (library["screen_source"] == "google_play_listing+ocr").all() and first.counts["without_text"] == 0
    assert any(text.startswith("Export\nFormat\nJPEG") for text in library["screen_text"])
    assert (tmp_path / "ocr-cache" / "ocr.sqlite").is_file()

    messages = []
    again = run({"screens": table}, config, BuildContext(tmp_path, tmp_path / "work2", 0, log=messages.append))  # a rebuild
    assert counting.calls == 2 and again.counts["ocr_engine_calls"] == 0 and again.counts["ocr_cache_hits"] == 2
    assert again.tables["screen_library"]["screen_text"].to_list() == library["screen_text"].to_list()
    assert any("OCR read 2 screen(s) without text or with a partial hierarchy (0 by rapidocr, 2 from the cache" in m for m in messages)


def test_screens_with_hierarchy_text_are_not_ocrd(tmp_path):
    from curation.sources.screens import screen_text as hierarchy_text_of

    text, source = hierarchy_text_of(PAYWALL)
    table = pl.DataFrame({"screen_id": ["paywall"], "context_id": ["app"], "image_path": [str(PAYWALL)], "screen_text": [text],
                          "screen_source": ["user_supplied"]})
    result = run({"screens": table}, Config(ocr_cache_dir=str(tmp_path)), BuildContext(tmp_path, tmp_path / "w", 0))
    assert result.counts["ocr_read"] == 0 and result.tables["screen_library"]["screen_source"].item() == "user_supplied"


def test_real_rico_screenshots_without_their_hierarchy_get_their_text(real_samples, tmp_path):
    rico = real_samples / "screens" / "rico"
    table = _screenshot_only([rico / "33603.jpg", rico / "33632.jpg"], "rico")
    library = run({"screens": table}, Config(ocr_cache_dir=str(tmp_path)), BuildContext(tmp_path, tmp_path / "w", 0)).tables["screen_library"]
    texts = {Path(paths[0]).stem: text for paths, text in zip(library["original_paths"].to_list(), library["screen_text"])}
    assert texts["33603"].split("\n") == ["YOUR ADDRESSES", "You need to sign in to do that :)", "SIGN IN"]
    assert texts["33632"].startswith("Settings\nLocal network (home)\nACMC Gateway IP address")


def test_a_partial_hierarchy_gets_the_ocr_lines_it_lacks(tmp_path):
    # a hierarchy that recorded only a popup's button: OCR adds the rest of the screen behind it
    table = pl.DataFrame({"context_id": ["1987654321"], "image_path": [str(EXPORT)], "screen_text": ["Save to Photos"],
                          "screen_source": ["user_supplied"], "text_source": ["view_hierarchy_partial"]})
    result = run({"screens": table}, Config(ocr_cache_dir=str(tmp_path)), BuildContext(tmp_path, tmp_path / "w", 0))
    row = result.tables["screen_library"].row(0, named=True)
    assert row["screen_text"].split("\n") == ["Save to Photos", "Export", "Format", "JPEG", "Resolution", "Original (4032 x 3024)"]
    assert row["screen_source"] == "user_supplied+ocr" and result.counts["ocr_read"] == 1
