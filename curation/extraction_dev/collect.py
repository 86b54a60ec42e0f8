"""Rebuild the unlabelled rows of the extraction development set from the public dumps they came from.

    python -m curation.extraction_dev.collect --shared ../shared/real-samples --mirror DIR --out rows.jsonl

``--mirror`` holds git mirrors of the source repositories as ``DIR/<owner>+<name>/repo`` (bare or not);
each file is read at its pinned commit with ``git show``. The three dumps in ``../shared/real-samples``
are read from there. Only what a row needs is kept: app, genre, store, title, text, rating and a key
(a hash of the repository, path and source record id or row number), with e-mail addresses, phone
numbers, URLs and handles scrubbed (``pisar_data.pii.scrub``). No user names, images or review ids.

Sampling is deterministic: rows are ordered by their key; from a dump larger than its quota, 70% of
the quota is taken from reviews of at least 8 words (they carry most stated actions) and the rest
from all remaining reviews, so one-word reviews keep a realistic share. Exact duplicate texts within
an app are kept once. The labels are added by hand afterwards (see README.md); this script only
documents and reproduces where the text came from.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import ftfy

from pisar_data.pii import scrub


@dataclass(frozen=True)
class Source:
    app: str
    genre: str
    store: str
    repo: str
    commit: str
    path: str
    quota: int
    text: str  # column names in the dump
    rating: str
    title: str | None = None
    record_id: str | None = None  # None: the row number is the record id
    app_column: str | None = None  # a dump holding several apps
    shared: str | None = None  # path under ../shared/real-samples when the dump is there
    encoding: str = "utf-8-sig"  # "mac_roman": a dump written by R on a Mac (UTF-8 text read as cp1252, saved as Mac Roman)


SOURCES = [
    Source("Slack", "Business", "app_store", "ArtyomKhokhlov/pythonLearning", "7cc77f55", "scrapper/Slack-app-reviews.csv",
           100, "review", "rating", title="title", record_id="", shared="app_store/Slack-app-reviews.csv"),
    Source("Real Cricket", "Sports", "google_play", "AiYuvabe/google-play-scraper-nautilus.realcricket", "df45dce8", "app_reviews.csv",
           100, "content", "score", record_id="reviewId", shared="google_play/app_reviews.csv"),
    Source("Dashen Super App", "Finance", "google_play", "Amdemichael/bank-app-reviews-analysis", "b576861e",
           "notebooks/data/raw/dashen_bank_raw.csv", 80, "content", "score", record_id="reviewId", shared="google_play/dashen_bank_raw.csv"),
    # The file is named opay.csv but holds reviews of the Hiking Project app (trails, offline maps).
    Source("Hiking Project", "Travel & Local", "google_play", "dekings44/playstore_review", "bed518dd",
           "opay.csv", 90, "content", "score", record_id="reviewId"),
    Source("Duolingo", "Education", "google_play", "mnalbantli/duolingo-freemium-user-behavior-analysis-", "c15e8f3f",
           "duolingo_reviews.csv", 100, "content", "score"),
    Source("Moniepoint", "Finance", "google_play", "Jcboy101/Moniepoint-Customer-Sentiment-Analysis", "beeb13de",
           "google_play_reviews.csv", 80, "content", "score"),
    Source("GOAT", "Shopping", "app_store", "beigebrucewayne/goat-itunes-app", "1acc4cfa", "data/app_reviews.csv",
           90, "review", "rating", title="title", encoding="mac_roman"),
    Source("Mercari", "Shopping", "google_play", "Ro-shni/MERCARI", "3b2b77b2", "playstore_reviews.csv",
           90, "content", "score", record_id="reviewId"),
    *[
        Source(app, "Productivity", "app_store", "LikhithaAnuganti/notes_apps_product_analytics", "e98d35fb",
               "data/apple_store_reviews.csv", 30, "Review", "Rating", title="Title", app_column="App")
        for app in ("Notes", "OneNote", "Notion", "Evernote", "GoodNotes", "Bear")
    ],
]
LONG_SHARE = 0.7
LONG_WORDS = 8


def _read(source: Source, shared: Path, mirror: Path) -> list[dict]:
    if source.shared:
        raw = (shared / source.shared).read_bytes()
    else:
        repo = mirror / source.repo.replace("/", "+") / "repo"
        raw = subprocess.run(["git", "-C", str(repo), "show", f"{source.commit}:{source.path}"], check=True, capture_output=True).stdout
    records = list(csv.DictReader(io.StringIO(raw.decode(source.encoding))))
    if source.encoding != "utf-8-sig":  # undo the double decoding field by field; emoji in such dumps stay lost
        records = [{k: ftfy.fix_text(v) for k, v in record.items()} for record in records]
    return records


def _key(source: Source, record: dict, number: int) -> str:
    record_id = record[source.record_id] if source.record_id else str(number)  # "" is the pandas index column
    return hashlib.sha256(f"{source.repo}:{source.path}:{record_id}".encode()).hexdigest()[:16]


def collect(shared: Path, mirror: Path) -> list[dict]:
    rows: list[dict] = []
    for source in SOURCES:
        seen: set[str] = set()
        candidates = []
        for number, record in enumerate(_read(source, shared, mirror)):
            if source.app_column and record[source.app_column] != source.app:
                continue
            text = (record[source.text] or "").strip()
            if not text or text.lower() in seen:
                continue
            seen.add(text.lower())
            title = (record[source.title] or "").strip() if source.title else None
            candidates.append({
                "key": _key(source, record, number), "app": source.app, "genre": source.genre, "store": source.store,
                "source": f"{source.repo}@{source.commit}:{source.path}",
                "title": scrub(title)[0] if title else None, "text": scrub(text)[0], "rating": int(float(record[source.rating])),
            })
        candidates.sort(key=lambda row: row["key"])
        if len(candidates) > source.quota:
            n_long = round(source.quota * LONG_SHARE)
            long = [row for row in candidates if len(row["text"].split()) >= LONG_WORDS][:n_long]
            taken = {row["key"] for row in long}
            rest = [row for row in candidates if row["key"] not in taken][: source.quota - len(long)]
            candidates = sorted(long + rest, key=lambda row: row["key"])
        rows.extend(candidates)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared/real-samples"))
    parser.add_argument("--mirror", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    rows = collect(args.shared, args.mirror)
    args.out.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    print(f"{len(rows)} rows -> {args.out}")


if __name__ == "__main__":
    main()
