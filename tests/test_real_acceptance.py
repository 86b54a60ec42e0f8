"""Acceptance on real files, as a new user would run it: `pisar pull` then `pisar build` through the CLI.

Inputs (../shared/real-samples, files other people published): the google-play-scraper dumps of two apps
(a cricket game, no store country; a bank's super app, store `et`) with the `apps.csv` metadata dump, the
Rico screenshots imported as plain images — the .jpg files only, without their view-hierarchy JSON, exactly
what a store listing gives — attached to both review contexts (the Rico screens are of other apps: the build
must still read their text from the pixels and anchor or drop honestly), and the real Pew ATP wave 17 .sav.
With two apps there are too few contexts for a leakage-free test split: the build writes train only and the
card says why, so `datasets.load_dataset` must load exactly the splits the card lists.
"""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest

from pisar_data import cli
from pisar_data.schema import SPLITS

REVIEW_DUMPS = {  # app id -> (dump, store country the dump was pulled from; None = unknown)
    "com.nautilus.realcricket": ("google_play/app_reviews.csv", None),
    "com.dashen.dashensuperapp": ("google_play/dashen_bank_raw.csv", "et"),
}


def _run(*argv: str) -> None:
    assert cli.main(list(argv)) == 0, argv


@pytest.fixture(scope="module")
def real_build(real_samples, tmp_path_factory):
    root = tmp_path_factory.mktemp("real-build")
    raw, screenshots = root / "raw", root / "rico-screenshots"
    screenshots.mkdir()
    for image in sorted((real_samples / "screens" / "rico").glob("*.jpg")):
        shutil.copy(image, screenshots / image.name)
    assert len(list(screenshots.iterdir())) == 8 and not list(screenshots.glob("*.json"))
    for app, (dump, country) in REVIEW_DUMPS.items():
        _run("pull", "google-play", "--from-file", str(real_samples / dump), "--app", app, "--raw", str(raw),
             *(["--lang", "en", "--country", country] if country else []))
        _run("pull", "screens", "--context", app, "--from-dir", str(screenshots), "--raw", str(raw))
    _run("pull", "google-play", "--from-file", str(real_samples / "google_play" / "apps.csv"), "--raw", str(raw))
    _run("pull", "pew-atp", "--sav", str(real_samples / "pew" / "atp_w17_data.sav"), "--raw", str(raw))
    out = root / "pisar"
    _run("build", "--raw", str(raw), "--out", str(out), "--work", str(root / "work"), "--quiet")
    return out


def test_real_files_give_rows_with_screen_text_loadable_as_the_card_says(real_build):
    import datasets
    from huggingface_hub import DatasetCard

    card = DatasetCard((real_build / "README.md").read_text(encoding="utf-8"))
    listed = [entry["split"] for entry in card.data.configs[0]["data_files"]]
    loaded = datasets.load_dataset(str(real_build))
    assert sorted(loaded) == sorted(listed) and listed
    rows = pd.concat([loaded[split].remove_columns("screen").to_pandas() for split in listed])
    assert len(rows) > 0
    assert rows["screen_text"].str.strip().str.len().gt(0).all()
    assert rows["screen_source"].str.contains("ocr").all()  # no hierarchy was given: every text was read from pixels
    assert not rows["persona"].str.contains("does not use the internet").any()  # the review frame: internet users
    missing = [f"`{split}`" for split in SPLITS if split not in listed]
    # two apps: the card says which splits are missing and why (one line per reason; splits sharing one are joined)
    said = [name for line in re.findall(r"\*\*This copy has no (.+?) splits?\*\*: \S", card.text) for name in re.findall(r"`\w+`", line)]
    assert sorted(said) == sorted(missing)
    manifest = json.loads((real_build / "build" / "manifest.json").read_text(encoding="utf-8"))
    assert {split: len(loaded[split]) for split in listed} == {s: n for s, n in manifest["splits"].items() if n}


def test_no_user_name_of_the_input_reaches_a_row(real_build, real_samples):
    import datasets

    names = set()
    for dump, _ in REVIEW_DUMPS.values():
        names |= set(pd.read_csv(real_samples / dump, encoding="utf-8-sig")["userName"].dropna().str.strip())
    assert len(names) == 500
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(name)}(?!\w)" for name in sorted(names, key=len, reverse=True)), re.IGNORECASE)
    loaded = datasets.load_dataset(str(real_build))
    for split in loaded:
        for row in loaded[split].remove_columns("screen"):
            texts = [v for v in row.values() if isinstance(v, str)] + [v for v in row["persona_attributes"].values() if v]
            hits = [m.group() for text in texts for m in pattern.finditer(text)]
            assert not hits, (row["id"], hits)
