"""User-supplied screens: Rico-style hierarchy text, .txt sidecars, image normalization, idempotence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from curation import snapshot
from curation.sources import screens
from pisar_data.errors import UserError

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def test_hierarchy_text_is_visible_text_in_reading_order_deduplicated():
    hierarchy = json.loads((FIXTURES / "rico_main.json").read_text())
    assert screens.hierarchy_text(hierarchy).splitlines() == ["My tasks", "Search", "Buy milk", "Call mum", "Save"]


def _screen_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "shots"
    folder.mkdir()
    Image.new("RGBA", (1440, 2560), (0, 0, 255, 128)).save(folder / "main.png")
    shutil.copy(FIXTURES / "rico_main.json", folder / "main.json")
    Image.new("RGB", (300, 500), "white").save(folder / "login.jpg", quality=80)
    (folder / "login.txt").write_text("Sign in\nForgot password?\n")
    Image.new("RGB", (200, 200), "gray").save(folder / "blank.webp")
    (folder / "notes.md").write_text("ignored")
    return folder


def test_import_dir_normalizes_images_and_reads_text(tmp_path):
    folder = _screen_dir(tmp_path)
    result = screens.import_dir(folder, tmp_path / "raw", "com.example.tasks")
    assert result.added == {"screens": 3}
    rows = {r["original_name"]: r for r in snapshot.read_table(tmp_path / "raw", "screens", "screens").to_dicts()}
    assert set(rows) == {"main.png", "login.jpg", "blank.webp"}
    main = rows["main.png"]
    assert (main["width"], main["height"], main["text_source"]) == ("720", "1280", "view_hierarchy")
    assert main["screen_text"].startswith("My tasks\nSearch") and main["file"].endswith(".png")
    assert (rows["login.jpg"]["screen_text"], rows["login.jpg"]["text_source"]) == ("Sign in\nForgot password?", "sidecar_text")
    assert (rows["blank.webp"]["screen_text"], rows["blank.webp"]["text_source"]) == ("", "none")
    assert rows["blank.webp"]["file"].endswith(".jpg")
    for row in rows.values():
        stored = tmp_path / "raw" / "screens" / row["file"]
        assert snapshot.sha256_file(stored) == row["sha256"] and row["_id"] == f"com.example.tasks:{row['sha256']}"
        with Image.open(stored) as image:
            assert image.mode == "RGB" and max(image.size) <= 1280
    assert screens.import_dir(folder, tmp_path / "raw", "com.example.tasks").added == {}


def test_bad_image_is_a_user_error_naming_it_and_writes_nothing(tmp_path):
    folder = _screen_dir(tmp_path)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    with pytest.raises(UserError, match="broken.png: not a readable image"):
        screens.import_dir(folder, tmp_path / "raw", "com.example.tasks")
    assert not (tmp_path / "raw").exists()


def test_real_rico_screens(real_samples, tmp_path):
    result = screens.import_dir(real_samples / "screens" / "rico", tmp_path, "rico")
    assert result.added == {"screens": 8}
    rows = {r["original_name"]: r for r in snapshot.read_table(tmp_path, "screens", "screens").to_dicts()}
    assert rows["33603.jpg"]["screen_text"].splitlines() == [
        "Navigate up",
        "YOUR ADDRESSES",
        "You need to sign in to do that :)",
        "SIGN IN",
    ]
    assert rows["336.jpg"]["screen_text"].splitlines()[:2] == ["Print…", "Other modules"]
    # a WebView (336), a dialog (33627) and two popups (33638, 33670): the hierarchy holds only part of the visible text
    partial = {"336.jpg", "33627.jpg", "33638.jpg", "33670.jpg"}
    assert {name: r["text_source"] for name, r in rows.items()} == {name: "view_hierarchy_partial" if name in partial else "view_hierarchy" for name in rows}
