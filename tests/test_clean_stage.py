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


# Promotional spam as it appears in store reviews (the sample's test split used to hold the first one).
PROMO_SPAM = [
    ("Best app ever, follow me @promo_king_77 for free gift cards", "spam_promo"),
    ("Use my code FREE500 to get 500 coins free!!", "spam_promo"),
    ("Use my referral code 7HK2P9 when you sign up and we both get $10", "spam_promo"),
    ("My invite code is GEMS4U, enter it for free diamonds", "spam_promo"),
    ("Nice game. Subscribe to my YouTube channel for more tips", "spam_promo"),
    ("please visit my channel and subscribe", "spam_promo"),
    ("Check out my TikTok page for free robux tips", "spam_promo"),
    ("Free gift cards giveaway! DM me on Instagram", "spam_promo"),
    ("whatsapp me for free coins +234 801 234 5678", "spam_promo"),
    ("good app. enter code BONUS2024 for 100 free spins", "spam_promo"),
    ("Earn $500 a day from home!!! Visit https://quick-cash.example.net/join", "spam_promo"),
    ("Download the better app at https://bit.ly/x1y2 now", "spam_link"),
    ("FREE iTunes gift card http://shhort.example.com/a?r=x6J4", "spam_link"),
]
# Genuine reviews that mention a code, a channel, a link, free stuff or money: kept.
GENUINE = [
    "Update: I was trying to book a car home when the promo code field says my code is invalid.",
    "I tried to use my code SAVE20 and it says expired",
    "The app won't let me use my code from the gift card",
    "My referral code never gave me the bonus, support ignores me",
    "I can't upload videos to my channel anymore since the update",
    "Every time I visit my profile page the app crashes",
    "If you have a lot of channels to follow, it helps to divide them into sections.",
    "To cancel, go to my account > subscriptions, then tap cancel. Took me ages to find.",
    "Please check my account, I was charged twice for the same ride",
    "When I click the link in my workspace to upgrade it led me to the wrong workspace",
    "Please fix this. I posted screenshots here: https://imgshare.example.org/e484f3fe",
    "Recommended it to my coworkers. My email is kenji.46@example.com, nobody ever answers.",
    "I had to visit https://support.example.com to reset my password, the in-app link is broken",
    "I use this app to make money on the side but withdrawals take a week",
    "I make $50 a day driving with this app but the fare estimates are wrong",
    "Give us free coins, the shop is too expensive",
    "The giveaway in the app was rigged, I never got my gift card",
    "The map doesn't follow me on the route anymore",
    "Call me on +1-555-0123, I have been waiting a week for a refund.",
]


@pytest.mark.parametrize("text,reason", PROMO_SPAM)
def test_promo_spam_is_dropped_with_its_reason_and_phrase(text, reason, tmp_path):
    rows = [("s1", text, None, "en")]
    out = clean.run({"reviews": _reviews(rows)}, CONFIG, BuildContext(tmp_path, tmp_path, 0))
    log = out.tables["clean_log"].row(0, named=True)
    assert out.tables["reviews_clean"].height == 0
    assert (log["action"], log["reason"]) == ("dropped", reason) and log["detail"]


@pytest.mark.parametrize("text", GENUINE)
def test_genuine_reviews_mentioning_codes_channels_links_or_money_are_not_spam(text):
    assert clean.spam_problem(text, CONFIG) is None


def test_no_real_review_is_dropped_as_promo_or_link_spam(real_samples):
    """600 real reviews (Google Play, App Store dumps): genuine, many mention codes, channels, links, money."""
    import pandas as pd

    texts = []
    for name, column in (("google_play/app_reviews.csv", "content"), ("google_play/dashen_bank_raw.csv", "content"),
                         ("app_store/Slack-app-reviews.csv", "review")):
        texts += pd.read_csv(real_samples / name, encoding="utf-8-sig")[column].dropna().tolist()
    assert len(texts) == 600
    flagged = [(t, p) for t in texts if (p := clean.spam_problem(t, CONFIG)) and p[0] in ("spam_promo", "spam_link")]
    assert flagged == []
