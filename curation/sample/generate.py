"""Write the embedded sample: each source's raw files in that source's native format.

    python -m curation.sample.generate [--out DIR]     # default: this folder

Deterministic: every random choice comes from a seeded ``random.Random``, and every file (CSV,
JSON, TOML, text, PNG, Parquet and the ``.sav``, whose header timestamp is pinned) comes out
byte-identical on the same library versions (pandas, pyarrow, Pillow, ReadStat).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import datetime
from pathlib import Path

from curation.sample import SAMPLE_DIR, draw, opera, pew_data, reviews
from curation.sample.catalog import APP_STORE_APPS, GOOGLE_PLAY_APPS, App

# How each Google Play dump is written: the formats users really have (see SOURCES.md).
#   csv-bom: utf-8-sig CSV with appVersion; csv-old: no appVersion column (scraper <= 1.2.2);
#   csv: plain CSV with appVersion; json: json.dump(result, default=str)
GOOGLE_PLAY_FORMATS = {
    "com.example.northwindbank": "csv-bom",
    "com.example.tempomusic": "csv-old",
    "com.example.zoomorides": "json",
    "com.example.forkful": "csv",
    "com.example.stridefit": "csv",
}
# App Store dumps: column order varies between dumps; the second has no developer reply at all.
APP_STORE_COLUMNS = {
    "1234567890": ["date", "developerResponse", "review", "rating", "isEdited", "userName", "title"],
    "1987654321": ["userName", "rating", "title", "isEdited", "date", "review"],
}
APP_STORE_FILES = {"1234567890": "huddle-app-reviews.csv", "1987654321": "lumen-photo-editor-app-reviews.csv"}


def _write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


# --- Google Play ---------------------------------------------------------------------------------

def google_play_file(app: App) -> str:
    suffix = "json" if GOOGLE_PLAY_FORMATS[app.app_id] == "json" else "csv"
    return f"google_play/{app.app_id}-reviews.{suffix}"


def write_google_play(out: Path) -> None:
    import pandas as pd

    for app in GOOGLE_PLAY_APPS:
        kind = GOOGLE_PLAY_FORMATS[app.app_id]
        records = reviews.google_play_reviews(app, with_app_version=kind != "csv-old")
        path = out / google_play_file(app)
        if kind == "json":
            _write_text(path, json.dumps(records, default=str, ensure_ascii=False, indent=2) + "\n")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            pd.DataFrame(records).to_csv(path, index=False, encoding="utf-8-sig" if kind == "csv-bom" else "utf-8")
    pd.DataFrame([app_metadata(app, i) for i, app in enumerate(GOOGLE_PLAY_APPS)]).to_csv(
        out / "google_play" / "apps.csv", index=None)


def app_metadata(app: App, index: int) -> dict:
    """All 45 keys of google-play-scraper's ``app()``, with invented values."""
    rng = random.Random(f"pisar-sample-app:{app.app_id}")
    ratings = rng.randint(20_000, 900_000)
    histogram = sorted(rng.sample(range(ratings // 40, ratings // 2), 4)) + [ratings]
    histogram = [histogram[0], histogram[1] - histogram[0], histogram[2] - histogram[1], histogram[3] - histogram[2],
                 ratings - histogram[3]]
    images = "https://example.com/store-images/{}-{}.png"
    released = datetime(2016 + index, 1 + 2 * index, 10)
    updated = datetime(2025, 9, 1 + 3 * index, 12, 30)
    return {
        "title": app.name, "description": app.description, "descriptionHTML": app.description.replace("\n", "<br>"),
        "summary": app.summary, "installs": "1,000,000+", "minInstalls": 1_000_000,
        "realInstalls": rng.randint(1_000_000, 9_999_999), "score": round(rng.uniform(3.1, 4.7), 7),
        "ratings": ratings, "reviews": ratings // 12, "histogram": histogram, "price": 0, "free": True,
        "currency": "USD", "sale": False, "saleTime": None, "originalPrice": None, "saleText": None,
        "offersIAP": True, "inAppProductPrice": "$0.99 - $99.99 per item", "developer": app.developer,
        "developerId": str(rng.randint(10**18, 10**19 - 1)), "developerEmail": f"support@{app.domain}",
        "developerWebsite": f"https://{app.domain}", "developerAddress": "1 Sample Street, Example City",
        "privacyPolicy": f"https://{app.domain}/privacy", "genre": app.genre, "genreId": app.genre_id,
        "categories": [{"name": app.genre, "id": app.genre_id}], "icon": images.format(app.app_id, "icon"),
        "headerImage": images.format(app.app_id, "header"),
        "screenshots": [images.format(app.app_id, f"screenshot-{i}") for i in range(1, 5)],
        "video": None, "videoImage": None, "contentRating": "Everyone", "contentRatingDescription": None,
        "adSupported": app.genre_id == "MUSIC_AND_AUDIO", "containsAds": app.genre_id == "MUSIC_AND_AUDIO",
        "released": released.strftime("%b %-d, %Y"), "lastUpdatedOn": updated.strftime("%b %-d, %Y"),
        "updated": int((updated - datetime(1970, 1, 1)).total_seconds()), "version": app.versions[-1],
        "comments": [], "appId": app.app_id,
        "url": f"https://play.google.com/store/apps/details?id={app.app_id}&hl=en&gl=us",
    }


# --- App Store -----------------------------------------------------------------------------------

def write_app_store(out: Path) -> None:
    import pandas as pd

    for app in APP_STORE_APPS:
        columns = APP_STORE_COLUMNS[app.app_id]
        records = reviews.app_store_reviews(app, with_responses="developerResponse" in columns)
        path = out / "app_store" / APP_STORE_FILES[app.app_id]
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(records)[columns].to_csv(path)


# --- Pew ATP -------------------------------------------------------------------------------------

def pew_frame():
    import pandas as pd

    rng = random.Random("pisar-sample:pew")
    n = pew_data.RESPONDENTS
    qkeys = sorted(rng.sample(range(100_000, 999_999), n // 2)) + sorted(
        rng.sample(range(201_500_000_000, 201_501_999_999), n - n // 2))
    weights = [rng.lognormvariate(0, 0.9) for _ in range(n)]
    mean = sum(weights) / n
    columns: dict[str, list] = {"QKEY": [float(q) for q in qkeys]}
    for name, (_, _, shares, blank) in pew_data.VARIABLES.items():
        codes, probs = zip(*shares.items())
        columns[name] = [None if rng.random() < blank else float(rng.choices(codes, probs)[0]) for _ in range(n)]
    columns["LOCALA_W17"] = [v if form == 1 else None for v, form in zip(columns["LOCALA_W17"], columns["FORM_W17"])]
    columns["WEIGHT_W17"] = [round(w / mean, 7) for w in weights]
    return pd.DataFrame(columns)


def write_pew(out: Path) -> None:
    import pyreadstat

    frame = pew_frame()
    path = out / "pew" / "atp_w17_sample.sav"
    path.parent.mkdir(parents=True, exist_ok=True)
    labels = {name: label for name, (label, _, _, _) in pew_data.VARIABLES.items()} | pew_data.LABELS
    pyreadstat.write_sav(
        frame, str(path), file_label="Synthetic sample in the layout of ATP Wave 17 (not Pew data)",
        column_labels={c: labels[c] for c in frame.columns},
        variable_value_labels={name: {float(k): v for k, v in value_labels.items()}
                               for name, (_, value_labels, _, _) in pew_data.VARIABLES.items()},
        variable_measure={c: "scale" if c == "WEIGHT_W17" else "nominal" for c in frame.columns},
        variable_format={c: pew_data.FORMATS.get(c, "F2.0") for c in frame.columns},
    )
    _pin_sav_timestamp(path)


SAV_CREATED = b"01 Jan 25" + b"00:00:00"


def _pin_sav_timestamp(path: Path) -> None:
    """ReadStat stamps the SAV header with the current time (creation_date at byte 92, creation_time
    at 101, 17 bytes in all); pin it so that regenerating gives a byte-identical file."""
    data = bytearray(path.read_bytes())
    assert data[:4] == b"$FL2", path
    data[92:109] = SAV_CREATED
    path.write_bytes(bytes(data))


# --- OPeRA ---------------------------------------------------------------------------------------

OPERA_FILES = {
    "action": "OPeRA_filtered/action/train-00000-of-00001.parquet",
    "session": "OPeRA_filtered/session/train/train.parquet",
    "user": "OPeRA_filtered/user/train/train.parquet",
    "image": "OPeRA_filtered/images/train-00000-of-00001.parquet",
}
OPERA_CARD = """---
# Embedded PiSAR sample laid out like the Hub dataset NEU-HAI/OPeRA (filtered configs, train split).
# Synthetic rows written by curation/sample/generate.py; not OPeRA data.
configs:
- config_name: filtered_action
  data_files:
  - split: train
    path: OPeRA_filtered/action/train-*
- config_name: filtered_image
  data_files:
  - split: train
    path: OPeRA_filtered/images/train-*
- config_name: filtered_session
  data_files:
  - split: train
    path: OPeRA_filtered/session/train/train.parquet
- config_name: filtered_user
  data_files:
  - split: train
    path: OPeRA_filtered/user/train/train.parquet
license: cc-by-4.0
---

Synthetic shopping sessions in the OPeRA layout, for PiSAR's offline sample build.
"""


def write_opera(out: Path) -> None:
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = opera.tables()
    string = pa.string()
    schemas = {
        "action": pa.schema([(k, string) for k in rows["action"][0]]),
        "session": pa.schema([("session_id", string), ("user_id", string), ("action_count", pa.int64())]),
        "user": pa.schema([(k, string) for k in rows["user"][0]]),
        # The Hub's image configs carry datasets' feature metadata, so `image` decodes as an Image.
        "image": datasets.Features({"image": datasets.Image(), "image_name": datasets.Value("string")}).arrow_schema,
    }
    for table, relpath in OPERA_FILES.items():
        path = out / "opera" / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows[table], schema=schemas[table]), path, row_group_size=100)
    _write_text(out / "opera" / "README.md", OPERA_CARD)


# --- screens -------------------------------------------------------------------------------------

def write_screens(out: Path) -> None:
    for app in GOOGLE_PLAY_APPS + APP_STORE_APPS:
        folder = out / "screens" / app.app_id
        for screen in app.screens:
            _write_bytes(folder / f"{screen.stem}.png", draw.render_screen(app, screen))
            if screen.sidecar == "json":
                _write_text(folder / f"{screen.stem}.json", draw.hierarchy_json(app, screen))
            elif screen.sidecar == "txt":
                _write_text(folder / f"{screen.stem}.txt", draw.screen_text(screen))


# --- sources.toml --------------------------------------------------------------------------------

SOURCES_HEADER = """\
# Embedded PiSAR sample: the raw files `pisar build` (no arguments) imports, and how.
# Written by `python -m curation.sample.generate`; every file is synthetic (see README.md).
# Paths are relative to this file. One array of tables per source:
#
# [[google_play]]       a google-play-scraper `reviews()` dump (.csv, or .json as json.dump(result, default=str))
#   file, app_id (package name), lang, country   -- as `pisar pull google-play --from-file FILE --app APP_ID`
# [[google_play_apps]]  `app()` metadata of the apps above, one row per app (pd.DataFrame([...]).to_csv)
#   file
# [[app_store]]         an app-store-scraper 0.3.5 dump (pd.DataFrame(reviews).to_csv())
#   file, app_id (numeric App Store id), country, app_name, genre
#   (app_name and genre stand in for metadata the dump does not carry)
# [[pew_atp]]           an ATP wave's SPSS file -- as `pisar pull pew-atp --sav FILE`
#   file
# [[opera]]             a folder in the Hub layout of NEU-HAI/OPeRA -- as `pisar pull opera --local DIR`
#   dir
# [[screens]]           screen images with a Rico-style .json hierarchy or .txt sidecar (or neither)
#   dir, context (the context_id the screens belong to) -- as `pisar pull screens --context C --from-dir DIR`
"""


def sources_toml() -> str:
    def entry(table: str, **fields) -> str:
        return f"\n[[{table}]]\n" + "".join(f"{k} = {json.dumps(v, ensure_ascii=False)}\n" for k, v in fields.items())

    text = SOURCES_HEADER
    for app in GOOGLE_PLAY_APPS:
        text += entry("google_play", file=google_play_file(app), app_id=app.app_id, lang="en", country="us")
    text += entry("google_play_apps", file="google_play/apps.csv")
    for app in APP_STORE_APPS:
        text += entry("app_store", file=f"app_store/{APP_STORE_FILES[app.app_id]}", app_id=app.app_id, country="us",
                      app_name=app.name, genre=app.genre)
    text += entry("pew_atp", file="pew/atp_w17_sample.sav")
    text += entry("opera", dir="opera")
    for app in GOOGLE_PLAY_APPS + APP_STORE_APPS:
        text += entry("screens", dir=f"screens/{app.app_id}", context=app.app_id)
    return text


def generate(out: Path = SAMPLE_DIR) -> list[Path]:
    """Write every sample file under ``out``; returns the files written."""
    out = Path(out)
    write_google_play(out)
    write_app_store(out)
    write_pew(out)
    write_opera(out)
    write_screens(out)
    _write_text(out / "sources.toml", sources_toml())
    return sample_files(out)


def sample_files(root: Path = SAMPLE_DIR) -> list[Path]:
    """The generated files under ``root`` (not the generator's code or the sample's README)."""
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and p.suffix != ".py" and p != root / "README.md")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m curation.sample.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SAMPLE_DIR, help="folder to write into (default: %(default)s)")
    args = parser.parse_args(argv)
    files = generate(args.out)
    total = sum(p.stat().st_size for p in files)
    print(f"wrote {len(files)} files, {total / 1e6:.2f} MB, under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
