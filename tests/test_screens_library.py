"""Screen library: real Rico screens import with text, normalization, phash collapse, OCR off or unavailable."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
from PIL import Image, ImageDraw

from curation.stages import BuildContext
from curation.stages.screens import Config, run


def screens_table(paths: list[Path], context_id: str) -> pl.DataFrame:
    from curation.sources.screens import screen_text

    rows = []
    for path in paths:
        text, source = screen_text(path)
        with Image.open(path) as image:
            width, height = image.size
        rows.append({"screen_id": path.stem, "context_id": context_id, "image_path": str(path), "screen_text": text,
                     "screen_source": source, "width": width, "height": height})
    return pl.DataFrame(rows)


def test_real_rico_screens_import_with_text_and_are_normalized(real_samples, tmp_path):
    paths = sorted((real_samples / "screens" / "rico").glob("*.jpg"))
    assert len(paths) == 8
    table = screens_table(paths, "rico")
    assert all(text.strip() for text in table["screen_text"])
    result = run({"screens": table}, Config(max_side=640), BuildContext(tmp_path, tmp_path / "work", seed=0))
    library = result.tables["screen_library"]
    assert library.height == 8  # distinct screens (phash distances >= 12 bits) are all kept
    assert (library["screen_text"] != "").all() and result.counts["without_text"] == 0
    assert "SIGN IN" in library.filter(pl.col("original_paths").list.contains(str(paths[1])))["screen_text"].item()
    for path in library["image_path"]:
        with Image.open(path) as image:
            assert max(image.size) <= 640 and image.format == "JPEG"
        assert Path(path).parent == tmp_path / "work" / "screens"


def _png(path: Path, color: str, label: str, size=(360, 640)) -> Path:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, size[0], size[1] // 5], fill=color)
    draw.ellipse([size[0] // 4, size[1] // 3, 3 * size[0] // 4, 2 * size[1] // 3], fill=color)
    draw.text((10, 10), label, fill="black")
    image.save(path)
    return path


def test_near_identical_screens_collapse_and_text_wins(real_samples, tmp_path):
    original = real_samples / "screens" / "rico" / "33603.jpg"
    copy = tmp_path / "copy.png"
    with Image.open(original) as image:  # re-encoded at another size with a status-bar change: the same screen
        image = image.convert("RGB").resize((500, 889))
        ImageDraw.Draw(image).rectangle([0, 0, 60, 12], fill="black")
        image.save(copy)
    other = real_samples / "screens" / "rico" / "33670.jpg"
    table = pl.DataFrame({
        "screen_id": ["a", "b", "c"], "context_id": ["app"] * 3, "image_path": [str(copy), str(original), str(other)],
        "screen_text": ["", "SIGN IN", "Routes"], "screen_source": ["store_listing", "view_hierarchy", "view_hierarchy"],
        "width": [1, 1, 1], "height": [1, 1, 1],
    })
    result = run({"screens": table}, Config(ocr=False), BuildContext(tmp_path, tmp_path / "work", seed=0))
    library = result.tables["screen_library"]
    assert library.height == 2 and result.counts["collapsed_near_duplicates"] == 1
    kept = library.filter(pl.col("screen_text") == "SIGN IN").row(0, named=True)
    assert sorted(kept["original_paths"]) == sorted([str(copy), str(original)])


def test_same_image_in_two_contexts_is_kept_in_each(tmp_path):
    image = _png(tmp_path / "s.png", "red", "Home")
    table = pl.DataFrame({"screen_id": ["x", "y"], "context_id": ["app1", "app2"], "image_path": [str(image)] * 2,
                          "screen_text": ["Home", "Home"], "screen_source": ["user_supplied"] * 2, "width": [1, 1], "height": [1, 1]})
    library = run({"screens": table}, Config(), BuildContext(tmp_path, tmp_path / "w", 0)).tables["screen_library"]
    assert library["context_id"].to_list() == ["app1", "app2"]


def test_screens_without_text_are_counted_when_ocr_is_off(tmp_path):
    blank = _png(tmp_path / "blank.png", "blue", "")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    table = pl.DataFrame({"screen_id": ["a", "b"], "context_id": ["app", "app"], "image_path": [str(blank), str(broken)],
                          "screen_text": [None, "x"], "screen_source": ["store_listing"] * 2, "width": [1, 1], "height": [1, 1]})
    messages = []
    result = run({"screens": table}, Config(ocr=False), BuildContext(tmp_path, tmp_path / "w", 0, log=messages.append))
    assert result.counts["without_text"] == 1 and result.counts["ocr_engine"] == "off" and result.counts["unreadable"] == 1
    assert any("1 screen(s) still have no text (ocr = false" in m for m in messages)


def test_a_missing_ocr_engine_is_logged_and_the_screen_kept_without_text(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "rapidocr", None)  # `import rapidocr` now fails, as on a broken install
    blank = _png(tmp_path / "blank.png", "blue", "")
    table = pl.DataFrame({"screen_id": ["a"], "context_id": ["app"], "image_path": [str(blank)], "screen_text": [""],
                          "screen_source": ["store_listing"], "width": [1], "height": [1]})
    messages = []
    config = Config(ocr_cache_dir=str(tmp_path / "cache"))
    result = run({"screens": table}, config, BuildContext(tmp_path, tmp_path / "w", 0, log=messages.append))
    assert result.counts["without_text"] == 1 and result.counts["ocr_engine"] == "unavailable"
    assert any("not OCR'd: cannot load RapidOCR" in m for m in messages)


def test_opera_screenshots_join_the_library(tmp_path):
    shot = _png(tmp_path / "shot.png", "orange", "Add to Cart")
    opera = pl.DataFrame({"id": ["op-1", "op-2"], "context_id": ["amazon.com"] * 2, "image_path": [str(shot), None],
                          "screen_text": ["Add to Cart", "x"], "screen_source": ["opera_screenshot"] * 2})
    library = run({"opera_tuples": opera}, Config(format="png"), BuildContext(tmp_path, tmp_path / "w", 0)).tables["screen_library"]
    assert library.height == 1 and library["screen_source"].item() == "opera_screenshot"
    assert library["image_path"].item().endswith(".png") and library["original_paths"].item().to_list() == [str(shot)]
