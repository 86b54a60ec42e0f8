"""Rebuild ``public_reviews.parquet`` from the public dumps listed in README.md (texts only).

    python bench/data/collect_public_reviews.py MIRRORS_DIR

MIRRORS_DIR holds a git clone of each repository as ``OWNER+NAME/repo``. Only the review text is
kept: no user name, id, date, rating or image. Texts with an e-mail address, a URL or a run of 7+
digits (a phone or account number), a referral code or handle (letters then 3+ digits, @name) are dropped, and so are exact repeats (the first is kept).
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
# (source key, repository, commit, path, text column)
SOURCES = [
    ("edtech_play", "bot-aditya/edtech-review-mining", "647dc73522f208b8bf23b3d882a8160585a112c6", "playstore_reviews.csv", "content"),
    ("edtech_appstore", "bot-aditya/edtech-review-mining", "647dc73522f208b8bf23b3d882a8160585a112c6", "appstore_reviews.csv", "content"),
    ("moniepoint_play", "Jcboy101/Moniepoint-Customer-Sentiment-Analysis", "beeb13de129831cf42bde74fe0f61037d97e1060", "google_play_reviews.csv", "content"),
    ("opay_play", "dekings44/playstore_review", "bed518dd96fa3d0a89318d605126e161478d6070", "opay.csv", "content"),
    ("neobanks_appstore", "algerza/neobanks-topic-modelling", "28c8c33fff1d94d435363ce063598ce8feb54f80", "app_store_reviews.csv", "Comment"),
    ("media_play", "wyrsyyds/google-play-review-analysis", "4f5ceec472469651524deb151b5963efdd8f0a39",
     "google_play_reviews_project/google_play_reviews/data/raw/reviews_raw_20260130_140242_419ab981.csv", "review_text"),
    ("notes_appstore", "LikhithaAnuganti/notes_apps_product_analytics", "e98d35fbebe1b3346a9056931d0bf598f4301fd9", "data/apple_store_reviews.csv", "Review"),
]
# E-mail addresses, links, phone/account numbers, referral codes and handles ("diegov4053").
PERSONAL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|https?://|www\.|\d[\d \-]{5,}\d|\b[A-Za-z]+\d{3,}\b|@\w")


def main(mirrors: Path) -> None:
    frames = []
    for key, repo, commit, path, column in SOURCES:
        data = subprocess.run(["git", "-C", str(mirrors / repo.replace("/", "+") / "repo"), "show", f"{commit}:{path}"], capture_output=True, check=True).stdout
        texts = pl.read_csv(io.BytesIO(data), infer_schema_length=0, columns=[column])[column]
        frames.append(pl.DataFrame({"text": texts.str.strip_chars(), "source": key}))
    reviews = pl.concat(frames).filter(pl.col("text").str.len_chars() > 0)
    reviews = reviews.filter(~pl.col("text").str.contains(PERSONAL.pattern)).unique("text", keep="first", maintain_order=True)
    reviews.write_parquet(HERE / "public_reviews.parquet", compression="zstd", compression_level=19)
    print(reviews.group_by("source", maintain_order=True).len())


if __name__ == "__main__":
    main(Path(sys.argv[1]))
