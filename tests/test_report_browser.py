"""The build report in a real browser: headless Chromium renders the sample build's report.html with
every image loaded (figures and embedded thumbnails), and the page needs no file outside the folder."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--hide-scrollbars"]
# Appended to a copy of the page: after load, record how many images there are and which did not load.
IMAGE_CHECK = ("<script>window.addEventListener('load',()=>{const imgs=[...document.images];"
               "document.body.dataset.images=imgs.length;document.body.dataset.broken=JSON.stringify("
               "imgs.filter(i=>!i.complete||i.naturalWidth===0).map(i=>(i.getAttribute('src')||'').slice(0,80)));});</script>")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run installs it)")


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120)


def _loaded_images(page: Path, profile: Path) -> tuple[int, list[str]]:
    checked = page.with_name("check-" + page.name)
    checked.write_text(page.read_text(encoding="utf-8").replace("</body>", IMAGE_CHECK + "</body>"), encoding="utf-8")
    result = _chromium("--virtual-time-budget=10000", "--dump-dom", checked.as_uri(), profile=profile)
    body = re.search(r"<body[^>]*>", result.stdout)
    assert body, f"chromium rendered no page (exit {result.returncode}): {result.stderr[-2000:]}"
    images = re.search(r'data-images="(\d+)"', body.group())
    broken = re.search(r'data-broken="([^"]*)"', body.group())
    assert images and broken, f"the page's load handler did not run: {body.group()}"
    return int(images.group(1)), json.loads(broken.group(1).replace("&quot;", '"'))


def test_report_renders_in_chromium_with_no_broken_images(built_dataset_dir, tmp_path):
    folder = tmp_path / "build"
    shutil.copytree(built_dataset_dir / "build", folder)  # only the dataset folder's own files travel with the page
    page = folder / "report.html"
    html = page.read_text(encoding="utf-8")
    sources = re.findall(r'<img[^>]* src="([^"]+)"', html)
    thumbnails = [s for s in sources if s.startswith("data:image/jpeg;base64,")]
    assert len(thumbnails) >= 6 and all(s.startswith("figures/") for s in sources if s not in thumbnails)
    assert "http://" not in html and "https://" not in html

    images, broken = _loaded_images(page, tmp_path / "profile")
    assert images == len(sources) and broken == []

    shot = tmp_path / "report.png"
    _chromium("--window-size=1200,3000", f"--screenshot={shot}", page.as_uri(), profile=tmp_path / "profile")
    with Image.open(shot) as image:
        assert image.size == (1200, 3000)
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or range(1 << 20)) > 500  # text, tables, screenshots


def test_a_missing_figure_is_reported_as_broken(built_dataset_dir, tmp_path):
    """The check itself can fail: a page whose figure file is gone shows up as one broken image."""
    folder = tmp_path / "build"
    shutil.copytree(built_dataset_dir / "build", folder)
    (folder / "figures" / "funnel.png").unlink()
    images, broken = _loaded_images(folder / "report.html", tmp_path / "profile")
    assert broken == ["figures/funnel.png"] and images > 1
