"""The normalize stage: snapshot -> reviews, apps, pew_profiles, opera_actions, opera_users, screens."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from test_sources_opera import SESSION, USER, write_opera_copy
from test_sources_pew import PEOPLE_NEWER, _write_sav

from curation.snapshot import Pull
from curation.sources import app_store, google_play, opera, pew_atp, screens
from curation.stages import BuildContext, normalize
from pisar_data.schema import PERSONA_ATTRIBUTES

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
CONTRACT_COLUMNS = {
    "reviews": [
        "review_id",
        "source",
        "context_id",
        "context_name",
        "genre",
        "title",
        "text",
        "rating",
        "reply_text",
        "app_version",
        "lang",
        "country",
        "created_at",
    ],
    "apps": ["context_id", "source", "context_name", "genre", "summary"],
    "pew_profiles": ["respondent_id", "wave", "weight", "persona_source", *PERSONA_ATTRIBUTES],
    "opera_actions": [
        "action_id",
        "session_id",
        "user_key",
        "timestamp",
        "action_type",
        "click_type",
        "semantic_id",
        "element_meta",
        "input_text",
        "rationale",
        "products",
        "url",
        "page_meta",
        "simplified_html",
        "image_path",
        "context_id",
        "context_name",
    ],
    "opera_users": ["user_key", "survey"],
    "screens": ["screen_id", "context_id", "image_path", "screen_text", "screen_source", "width", "height"],
}
FEED_ENTRY = {
    "author": {"name": {"label": "feeduser"}},
    "updated": {"label": "2024-05-01T12:00:00-07:00"},
    "im:rating": {"label": "2"},
    "im:version": {"label": "24.05.10"},
    "id": {"label": "11000042"},
    "title": {"label": "Crashes"},
    "content": {"label": "It crashes on start", "attributes": {"type": "text"}},
}


def _run(raw: Path, config: normalize.Config | None = None):
    return normalize.run({}, config or normalize.Config(), BuildContext(snapshot_dir=raw, work_dir=raw.parent / "work", seed=0))


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("normalize")
    raw = root / "raw"
    google_play.import_dump(FIXTURES / "gp_reviews_bom.csv", raw, "com.example.tasks", "en", "us")
    google_play.import_dump(FIXTURES / "gp_apps.csv", raw, None)
    app_store.import_dump(FIXTURES / "as_reviews.csv", raw, "618783545", "us")
    pull = Pull.open(raw, "app_store", {"app_id": "618783545", "country": "us"}, {})
    pull.add(
        "apps",
        [
            {
                "_id": "618783545",
                "trackId": 618783545,
                "trackName": "Slack",
                "primaryGenreName": "Business",
                "description": "Work chat.\nMore text.",
            }
        ],
    )
    pull.add("reviews", [{**FEED_ENTRY, "_id": "11000042"}], _app_id="618783545", _country="us")
    pull.finish()
    pew_atp.import_sav(_write_sav(root / "w110.sav", PEOPLE_NEWER), raw)
    opera.import_local(write_opera_copy(root / "OPeRA"), raw)
    shots = root / "shots"
    shots.mkdir()
    from PIL import Image

    Image.new("RGB", (100, 180), "white").save(shots / "home.png")
    (shots / "home.txt").write_text("Home\nSettings")
    screens.import_dir(shots, raw, "com.example.tasks")
    return raw


@pytest.fixture(scope="module")
def result(raw):
    return _run(raw)


def test_every_table_has_the_contract_columns_and_types(result):
    for name, columns in CONTRACT_COLUMNS.items():
        assert result.tables[name].columns[: len(columns)] == columns, name
    reviews = result.tables["reviews"]
    assert reviews.schema["rating"] == pl.Int32 and reviews.schema["created_at"] == pl.Datetime("us")
    assert result.tables["pew_profiles"].schema["weight"] == pl.Float64
    assert result.counts["reviews"] == 7 and result.counts["reviews_app_store"] == 4 and result.counts["opera_actions"] == 2


def test_google_play_reviews(result):
    reviews = result.tables["reviews"].filter(pl.col("source") == "google_play")
    raw_id = "a1b2c3d4-0001-4000-8000-000000000001"
    expected_id = "gp-" + hashlib.sha256(f"google_play:com.example.tasks:{raw_id}".encode()).hexdigest()[:16]
    row = reviews.filter(pl.col("review_id") == expected_id).row(0, named=True)
    assert row == {
        "review_id": expected_id,
        "source": "google_play",
        "context_id": "com.example.tasks",
        "context_name": "Example Tasks",
        "genre": "Productivity",
        "title": None,
        "text": "Loved the new map 😍, but it crashes\non launch sometimes",
        "rating": 4,
        "reply_text": "Thanks! Fixed in 2.11",
        "app_version": "2.10",
        "lang": "en",
        "country": "us",
        "created_at": datetime(2025, 3, 1, 9, 15),
    }
    assert not any(raw_id in value for value in reviews["review_id"])


def test_feed_and_dump_reviews_normalize_alike(result):
    store = result.tables["reviews"].filter(pl.col("source") == "app_store")
    feed = store.filter(pl.col("text") == "It crashes on start").row(0, named=True)
    assert (feed["title"], feed["rating"], feed["app_version"], feed["created_at"]) == (
        "Crashes",
        2,
        "24.05.10",
        datetime(2024, 5, 1, 19, 0),
    )
    assert (feed["context_name"], feed["genre"], feed["country"]) == ("Slack", "Business", "us")
    dump = store.filter(pl.col("title") == "Missed messages").row(0, named=True)
    assert (dump["rating"], dump["created_at"], dump["reply_text"]) == (2, datetime(2024, 5, 1, 12, 0), "Sorry! We're on it.")
    assert dump["text"] == "Notifications stopped.\nI missed a meeting." and dump["context_name"] == "Slack"
    assert store["review_id"].str.starts_with("as-").all()


def test_apps_pew_opera_and_screens(result, raw):
    apps = {r["context_id"]: r for r in result.tables["apps"].to_dicts()}
    assert apps["618783545"] == {
        "context_id": "618783545",
        "source": "app_store",
        "context_name": "Slack",
        "genre": "Business",
        "summary": "Work chat.",
    }
    assert apps["com.example.bank"]["summary"] == "Mobile banking"
    pew = result.tables["pew_profiles"]
    assert (
        pew.height == 5 and pew["persona_source"].unique().to_list() == ["pew_atp_w110"] and pew["age_group"].to_list().count("18-29") == 1
    )
    actions = result.tables["opera_actions"].to_dicts()
    assert [a["action_id"] for a in actions] == ["a1", "a2"] and actions[0]["session_id"] == SESSION
    assert actions[0]["user_key"] == normalize.user_key(USER) and USER not in actions[0]["user_key"]
    assert (actions[0]["context_id"], actions[0]["context_name"]) == ("amazon.com", "Amazon")
    assert Path(actions[0]["image_path"]).is_file() and actions[1]["image_path"] is None
    assert actions[1]["page_meta"] == "not json {" and actions[1]["rationale"] == "It was the cheapest with good reviews"
    users = result.tables["opera_users"]
    assert users["user_key"].to_list() == [normalize.user_key(USER)] and '"Gender": "Female"' in users["survey"][0]
    (screen,) = result.tables["screens"].to_dicts()
    assert (screen["screen_text"], screen["screen_source"], screen["width"], screen["height"]) == (
        "Home\nSettings",
        "user_supplied",
        100,
        180,
    )
    assert Path(screen["image_path"]).is_absolute() and Path(screen["image_path"]).is_file()


def test_output_is_deterministic_and_sources_can_be_left_out(raw, result):
    again = _run(raw)
    for name, frame in result.tables.items():
        assert frame.equals(again.tables[name]), name
    only_play = _run(raw, normalize.Config(sources=("google_play",)))
    assert set(only_play.tables["reviews"]["source"]) == {"google_play"}
    for name in ("pew_profiles", "opera_actions", "opera_users", "screens"):
        assert (
            only_play.tables[name].height == 0 and only_play.tables[name].columns[: len(CONTRACT_COLUMNS[name])] == CONTRACT_COLUMNS[name]
        )
    assert only_play.tables["reviews"].schema == result.tables["reviews"].schema


def test_site_of_urls():
    assert normalize.site_of("https://www.amazon.com/dp/B0X") == "amazon.com"
    assert normalize.site_of("https://smile.amazon.co.uk/x") == "amazon.co.uk"
    assert normalize.site_of('"https://www.target.com/"') == "target.com"
    assert normalize.site_of(None) is None


def test_real_samples_normalize(real_samples, tmp_path):
    gp = real_samples / "google_play"
    google_play.import_dump(gp / "app_reviews.csv", tmp_path, "com.nautilus.realcricket")
    google_play.import_dump(gp / "dashen_bank_raw.csv", tmp_path, "com.dashen.dashensuperapp", "en", "et")
    google_play.import_dump(gp / "apps.csv", tmp_path, None)
    app_store.import_dump(real_samples / "app_store" / "Slack-app-reviews.csv", tmp_path, "618783545", "us")
    opera.import_local(real_samples / "opera", tmp_path)
    result = _run(tmp_path)
    reviews = result.tables["reviews"]
    sizes = dict(reviews.group_by("context_id").len().iter_rows())
    assert sizes == {"com.nautilus.realcricket": 100, "com.dashen.dashensuperapp": 400, "618783545": 100}
    assert result.tables["apps"].height == 15 and result.tables["opera_users"].height == 2
    assert reviews["review_id"].n_unique() == 600 and reviews["rating"].null_count() == 0 and reviews["created_at"].null_count() == 0
    dashen = reviews.filter(pl.col("context_id") == "com.dashen.dashensuperapp")
    assert set(dashen["country"]) == {"et"} and dashen["app_version"].null_count() == 81
    slack = reviews.filter(pl.col("context_id") == "618783545")
    assert slack["reply_text"].drop_nulls().len() == 50 and slack["title"].null_count() == 0
