"""Clean stage: repair, minimum content, spam, PII scrubbing, language, and the log/counts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from curation.stages import BuildContext
from curation.stages import clean
from pisar_data.pii import find_pii

CONFIG = clean.Config(candidate_languages=("en", "es", "de"))  # a small set keeps model loading fast

ROWS = [
    # review_id, text, reply_text, lang hint
    ("r01", "The app keeps logging me out after the update", None, "en"),
    ("r02", "It crashes when I open my statements â€” please fix", None, "en"),  # mojibake
    ("r03", "Great   app,\n\n\n fast   transfers", None, "en"),
    ("r04", "Call me on +251 91 123 4567, the branch lost my card", "Hi John, please email support@bank.example.com", "en"),
    ("r05", "👍👍👍", None, "en"),
    ("r06", "", None, "en"),
    ("r07", "Download the better app at https://bit.ly/x1y2 now", None, "en"),
    ("r08", "goooooooooooooood", None, "en"),
    ("r09", "Use my promo code WIN500 for free coins", None, "en"),
    ("r10", "La aplicación es muy lenta y se cierra sola", None, "en"),
    ("r11", "Die App stürzt ständig ab, sehr ärgerlich", None, "en"),
    ("r12", "good", None, "en"),
    ("r13", "nice app", None, "en"),
    ("r14", "ጥሩ ነው", None, "en"),
    ("r15", "ok ok ok ok ok ok", None, "en"),
]


def _reviews(rows) -> pl.DataFrame:
    n = len(rows)
    return pl.DataFrame(
        {
            "review_id": [r[0] for r in rows],
            "source": ["google_play"] * n,
            "context_id": ["com.example.bank"] * n,
            "context_name": ["Example Bank"] * n,
            "genre": ["Finance"] * n,
            "title": [None] * n,
            "text": [r[1] for r in rows],
            "rating": pl.Series([3] * n, dtype=pl.Int32),
            "reply_text": [r[2] for r in rows],
            "app_version": ["2.8.1"] * n,
            "lang": [r[3] for r in rows],
            "country": ["et"] * n,
            "created_at": pl.Series([datetime(2025, 1, 1)] * n, dtype=pl.Datetime("us")),
        }
    )


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("clean")
    return clean.run({"reviews": _reviews(ROWS)}, CONFIG, BuildContext(tmp, tmp, 0))


def _reason(result, review_id):
    log = result.tables["clean_log"].filter(pl.col("review_id") == review_id)
    return set(zip(log["action"], log["reason"]))


def test_kept_rows_and_columns(result):
    kept = result.tables["reviews_clean"]
    assert kept.columns == _reviews(ROWS).columns and kept.schema == _reviews(ROWS).schema
    assert kept["review_id"].to_list() == ["r01", "r02", "r03", "r04", "r12", "r13"]
    assert set(kept["lang"].to_list()) == {"en"}


def test_repair_and_whitespace(result):
    text = dict(zip(*result.tables["reviews_clean"].select("review_id", "text")))
    assert text["r02"] == "It crashes when I open my statements — please fix"
    assert text["r03"] == "Great app,\nfast transfers"
    assert ("altered", "unicode_repaired") in _reason(result, "r02")
    assert ("altered", "whitespace_normalized") in _reason(result, "r03")


def test_pii_scrubbed_in_text_and_reply(result):
    row = result.tables["reviews_clean"].filter(pl.col("review_id") == "r04").row(0, named=True)
    assert row["text"] == "Call me on [phone], the branch lost my card"
    assert row["reply_text"] == "Hi [name], please email [email]"
    for column in ("text", "title", "reply_text"):
        assert all(find_pii(value) == [] for value in result.tables["reviews_clean"][column].to_list())
    assert {("altered", "pii_phone"), ("altered", "pii_name"), ("altered", "pii_email")} <= _reason(result, "r04")


@pytest.mark.parametrize(
    "review_id,reason",
    [
        ("r05", "emoji_only"),
        ("r06", "empty"),
        ("r07", "spam_link"),
        ("r08", "spam_repetition"),
        ("r09", "spam_promo"),
        ("r10", "language_es"),
        ("r11", "language_de"),
        ("r14", "language_uncertain"),
        ("r15", "spam_repetition"),
    ],
)
def test_dropped_with_reason(result, review_id, reason):
    assert _reason(result, review_id) == {("dropped", reason)}


def test_short_english_kept_via_hint_and_counts(result):
    # "good"/"nice app" are below min_confidence on their own; the pull's lang hint decides.
    assert result.counts["in"] == len(ROWS) and result.counts["out"] == 6
    assert result.counts["dropped_spam_repetition"] == 2 and result.counts["dropped_language_es"] == 1
    assert sum(v for k, v in result.counts.items() if k.startswith("dropped_")) == len(ROWS) - 6


def test_kept_languages_configurable(tmp_path: Path):
    config = clean.Config(languages=("en", "es"), candidate_languages=("en", "es", "de"))
    out = clean.run({"reviews": _reviews(ROWS[9:10])}, config, BuildContext(tmp_path, tmp_path, 0))
    assert out.tables["reviews_clean"]["lang"].to_list() == ["es"]
