"""The embedded sample: every file listed in sources.toml exists, parses in its native format, has
the planned contents and traps, and the generator reproduces it."""

from __future__ import annotations

import ast
import io
import json
import re
import tomllib
from collections import Counter
from datetime import datetime
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest
from PIL import Image

from curation.sample import SAMPLE_DIR, SOURCES_TOML

GP_COLUMNS = ["reviewId", "userName", "userImage", "content", "score", "thumbsUpCount", "reviewCreatedVersion", "at",
              "replyContent", "repliedAt"]
AS_COLUMNS = {"date", "review", "rating", "isEdited", "userName", "title"}
APP_KEYS = ["title", "description", "descriptionHTML", "summary", "installs", "minInstalls", "realInstalls", "score",
            "ratings", "reviews", "histogram", "price", "free", "currency", "sale", "saleTime", "originalPrice",
            "saleText", "offersIAP", "inAppProductPrice", "developer", "developerId", "developerEmail",
            "developerWebsite", "developerAddress", "privacyPolicy", "genre", "genreId", "categories", "icon",
            "headerImage", "screenshots", "video", "videoImage", "contentRating", "contentRatingDescription",
            "adSupported", "containsAds", "released", "lastUpdatedOn", "updated", "version", "comments", "appId", "url"]
CLICK_TYPES = {"purchase", "search", "review", "filter", "quantity", "product_option", "cart_side_bar", "suggested_term",
               "nav_bar", "page_related", "cart_page_select", "product_link", "other"}
PEW_DEMOGRAPHICS = ["F_AGECAT_FINAL", "F_SEX_FINAL", "F_EDUCCAT_FINAL", "F_CREGION_FINAL", "F_INCOME_FINAL",
                    "F_RACETHN_RECRUITMENT", "F_PARTY_FINAL", "F_INTUSER_FINAL", "F_SNSUSER_FINAL"]


@pytest.fixture(scope="module")
def sources() -> dict:
    return tomllib.loads(SOURCES_TOML.read_text(encoding="utf-8"))


def _read_google_play(path: Path) -> pd.DataFrame:
    if path.suffix == ".json":
        return pd.DataFrame(json.loads(path.read_text(encoding="utf-8")))
    return pd.read_csv(path, dtype={"reviewCreatedVersion": str, "appVersion": str}, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def all_reviews(sources) -> pd.DataFrame:
    """Every review of both stores as (store, app_id, text, rating, at, reply)."""
    frames = []
    for entry in sources["google_play"]:
        df = _read_google_play(SAMPLE_DIR / entry["file"])
        frames.append(pd.DataFrame({"store": "google_play", "app_id": entry["app_id"], "text": df["content"],
                                    "rating": df["score"], "at": pd.to_datetime(df["at"]), "reply": df["replyContent"]}))
    for entry in sources["app_store"]:
        df = pd.read_csv(SAMPLE_DIR / entry["file"], index_col=0)
        reply = df["developerResponse"].map(lambda v: ast.literal_eval(v)["body"] if isinstance(v, str) else None) \
            if "developerResponse" in df else None
        frames.append(pd.DataFrame({"store": "app_store", "app_id": entry["app_id"], "text": df["review"],
                                    "rating": df["rating"], "at": pd.to_datetime(df["date"]), "reply": reply}))
    return pd.concat(frames, ignore_index=True)


def test_sources_toml_lists_existing_files_under_3_mb(sources):
    assert set(sources) == {"google_play", "google_play_apps", "app_store", "pew_atp", "opera", "screens"}
    for table, entries in sources.items():
        for entry in entries:
            target = SAMPLE_DIR / (entry.get("file") or entry["dir"])
            assert target.exists(), f"{table}: {target} missing"
    for entry in sources["google_play"]:
        assert set(entry) == {"file", "app_id", "lang", "country"}
    for entry in sources["app_store"]:
        assert set(entry) == {"file", "app_id", "country", "app_name", "genre"} and entry["app_id"].isdigit()
    files = [p for p in SAMPLE_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert sum(p.stat().st_size for p in files) < 3_000_000


def test_google_play_dumps_parse_in_their_native_formats(sources):
    entries = {e["app_id"]: SAMPLE_DIR / e["file"] for e in sources["google_play"]}
    assert len(entries) == 5
    assert entries["com.example.northwindbank"].read_bytes().startswith(b"\xef\xbb\xbfreviewId,")
    assert not entries["com.example.forkful"].read_bytes().startswith(b"\xef\xbb\xbf")
    assert entries["com.example.zoomorides"].suffix == ".json"
    for app_id, path in entries.items():
        df = _read_google_play(path)
        with_version = app_id != "com.example.tempomusic"
        assert list(df.columns) == GP_COLUMNS + (["appVersion"] if with_version else []), app_id
        assert 50 <= len(df) <= 70 and df["reviewId"].is_unique
        assert set(df["score"]) == {1, 2, 3, 4, 5}
        at = pd.to_datetime(df["at"])
        assert at.min() >= datetime(2024, 1, 1) and at.max() < datetime(2026, 1, 1)
        assert at.is_monotonic_decreasing  # sort=NEWEST
        replied = df["repliedAt"].notna()
        assert replied.sum() > 0 and (df["replyContent"].notna() == replied).all()
        if path.suffix == ".csv":  # polars reads the same file (BOM included)
            assert pl.read_csv(path, infer_schema=False).height == len(df)
    # the version column is the float trap: "5.10" must survive when read as text
    versions = _read_google_play(entries["com.example.northwindbank"])["reviewCreatedVersion"].dropna()
    assert "5.10" in set(versions)


def test_apps_csv_has_every_app_key(sources):
    (entry,) = sources["google_play_apps"]
    df = pd.read_csv(SAMPLE_DIR / entry["file"])
    assert list(df.columns) == APP_KEYS
    assert sorted(df["appId"]) == sorted(e["app_id"] for e in sources["google_play"])
    assert df["genre"].nunique() == 5
    for value in df["screenshots"]:
        shots = ast.literal_eval(value)
        assert shots and all(s.startswith("https://") for s in shots)
    assert all(ast.literal_eval(v)[0]["id"] for v in df["categories"])


def test_app_store_dumps_parse_in_their_native_format(sources):
    column_orders = []
    for entry in sources["app_store"]:
        path = SAMPLE_DIR / entry["file"]
        assert path.read_text(encoding="utf-8").startswith(",")  # unnamed pandas index column
        df = pd.read_csv(path, index_col=0)
        assert list(df.index) == list(range(len(df))) and 35 <= len(df) <= 45
        assert AS_COLUMNS <= set(df.columns) <= AS_COLUMNS | {"developerResponse"}
        assert df["isEdited"].dtype == bool and set(df["rating"]) <= {1, 2, 3, 4, 5}
        assert df["review"].str.contains("\n").any()  # multi-line reviews
        column_orders.append(list(df.columns))
        if "developerResponse" in df:
            responses = [ast.literal_eval(v) for v in df["developerResponse"].dropna()]
            assert responses and all(set(r) == {"id", "body", "modified"} and isinstance(r["id"], int) for r in responses)
            assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["modified"]) for r in responses)
    assert len(column_orders) == 2 and column_orders[0] != column_orders[1]
    assert sum("developerResponse" in c for c in column_orders) == 1  # one dump without replies at all


def test_reviews_exercise_every_cleaning_and_extraction_step(all_reviews):
    texts = all_reviews["text"].astype(str)
    assert len(texts) == 380 and texts.nunique() > 300
    # several hundred distinct sentences, so the reviews do not all look alike
    sentences = {s for t in texts for s in re.split(r"(?<=[.!?])\s+", t) if len(s) > 3}
    assert len(sentences) >= 300
    for phrase in ("Uninstalled because", "Switched (?:to|from)|moving to|going back to", "Paid for|Upgraded to",
                   "Cancelled", "Contacted support|Wrote to support", "Reinstalled|Updated to", "recommend",
                   "keep using it because", "I was trying to"):
        assert texts.str.contains(phrase, case=False).sum() >= 3, phrase
    assert texts.isin(["good", "👍", "nice app"]).sum() >= 3
    assert texts[texts.str.len() > 40].duplicated().sum() >= 10  # exact repeats
    cross = all_reviews.groupby("text")["store"].nunique()
    assert (cross > 1).any()  # the same review on both stores
    assert texts.str.contains("[\u1200-\u137f]").sum() >= 2  # Amharic
    assert texts.str.contains("[\u0900-\u097f]").sum() >= 2  # Hindi
    assert texts.str.contains("aplicación").sum() >= 2  # Spanish
    assert texts.str.contains(r"[\w.]+@example\.com").sum() >= 5
    assert texts.str.contains(r"555[- ]01\d\d").sum() >= 3
    assert texts.str.contains(r"https?://").sum() >= 3 and texts.str.contains(r"(?<!\w)@\w+_\d+").sum() >= 1
    replies = all_reviews["reply"].dropna()
    assert replies.str.match(r"(Hi|Hello) [A-Z][a-z]+, ").sum() >= 10
    for (store, app_id), group in all_reviews.groupby(["store", "app_id"]):
        assert set(group["rating"]) == {1, 2, 3, 4, 5}, app_id


def test_pew_sav_has_w17_variables_labels_and_refusals(sources):
    import pyreadstat

    (entry,) = sources["pew_atp"]
    df, meta = pyreadstat.read_sav(SAMPLE_DIR / entry["file"])
    assert 200 <= len(df) <= 500 and df["QKEY"].is_unique
    assert {"QKEY", "WEIGHT_W17", *PEW_DEMOGRAPHICS} <= set(df.columns)
    assert len(set(df.columns) - {"QKEY", "WEIGHT_W17", *PEW_DEMOGRAPHICS}) >= 2  # a few survey items
    labels = meta.variable_value_labels
    assert labels["F_AGECAT_FINAL"] == {1.0: "18-29", 2.0: "30-49", 3.0: "50-64", 4.0: "65+", 99.0: "Dk/Refused"}
    assert labels["F_SEX_FINAL"] == {1.0: "Male", 2.0: "Female", 9.0: "Refused"}
    assert labels["F_INCOME_FINAL"][99.0] == "(VOL) Don't know/Refused" and len(labels["F_INCOME_FINAL"]) == 10
    assert meta.column_names_to_labels["WEIGHT_W17"] == "Wave 17 weight"
    assert all(name in labels for name in PEW_DEMOGRAPHICS)
    assert (df[["F_AGECAT_FINAL", "F_INCOME_FINAL", "F_PARTY_FINAL"]] == 99).any().all()
    assert df["F_AGECAT_FINAL"].isna().any()  # blank = not asked
    for name in PEW_DEMOGRAPHICS:  # every code present is a labelled one
        assert set(df[name].dropna()) <= set(labels[name]), name
    assert abs(df["WEIGHT_W17"].mean() - 1) < 1e-3 and (df["WEIGHT_W17"] > 0).all()
    assert meta.missing_ranges == {}  # refusals are ordinary labelled values, as in Pew's files


def test_opera_tables_follow_the_hub_layout(sources):
    (entry,) = sources["opera"]
    root = SAMPLE_DIR / entry["dir"] / "OPeRA_filtered"
    action = pq.read_table(root / "action" / "train-00000-of-00001.parquet")
    session = pq.read_table(root / "session" / "train" / "train.parquet")
    user = pq.read_table(root / "user" / "train" / "train.parquet")
    images = pq.read_table(root / "images" / "train-00000-of-00001.parquet")
    for table in (action, session, user):
        for f in table.schema:
            assert str(f.type) == ("int64" if f.name == "action_count" else "string"), f.name
    assert set(user.column_names) == {"user_id", "survey", "raw_survey", "interview_transcript",
                                      "interview_transcript_processed"}
    actions, sessions, users = action.to_pylist(), session.to_pylist(), user.to_pylist()
    assert 2 <= len(users) <= 3 and 5 <= len(sessions) <= 8 and 50 <= len(actions) <= 70
    for u in users:
        assert {"Demographic Information", "Shopping Preference"} <= set(json.loads(u["survey"]))
    user_ids = {u["user_id"] for u in users}
    for s in sessions:
        assert s["user_id"] in user_ids and s["session_id"].startswith(s["user_id"] + "_")
        assert sum(a["session_id"] == s["session_id"] for a in actions) == s["action_count"]
    assert {a["action_type"] for a in actions} == {"click", "input", "terminate"}
    assert {a["click_type"] for a in actions if a["action_type"] == "click"} <= CLICK_TYPES
    assert 25 <= sum(bool(a["rationale"]) for a in actions) <= 35
    image_rows = {r["image_name"]: r["image"] for r in images.to_pylist()}
    for a in actions:
        for key in ("element_meta", "mouse_position", "window_size", "page_meta", "products"):
            if a[key] is not None:
                json.loads(a[key])
        assert a["url"].startswith("https://www.amazon.com/") and a["image"] in image_rows
        if a["action_type"] != "terminate":
            assert f'id="{a["semantic_id"]}"' in a["simplified_html"]
    some = next(iter(image_rows.values()))
    assert Image.open(io.BytesIO(some["bytes"])).size == (640, 400)
    assert b"huggingface" in images.schema.metadata  # decodes as datasets.Image on the Hub layout


def test_screens_have_images_and_sidecars(sources):
    sidecars = Counter()
    for entry in sources["screens"]:
        folder = SAMPLE_DIR / entry["dir"]
        pngs = sorted(folder.glob("*.png"))
        assert 3 <= len(pngs) <= 5, folder
        for png in pngs:
            with Image.open(png) as image:
                assert image.size == (360, 640)
            assert png.stat().st_size < 20_000
            hierarchy, text = png.with_suffix(".json"), png.with_suffix(".txt")
            sidecars["json" if hierarchy.exists() else "txt" if text.exists() else "none"] += 1
            if hierarchy.exists():
                data = json.loads(hierarchy.read_text(encoding="utf-8"))
                assert set(data) == {"activity_name", "activity", "is_keyboard_deployed", "request_id"}
                nodes, stack = [], [data["activity"]["root"]]
                while stack:
                    node = stack.pop()
                    nodes.append(node)
                    stack += node.get("children", [])
                assert all(0 <= b <= 2560 for n in nodes for b in n["bounds"])
                assert {"class", "bounds", "content-desc", "clickable", "visible-to-user"} <= set(nodes[0])
                assert any(n.get("text") for n in nodes) and any(n.get("clickable") for n in nodes)
            elif text.exists():
                assert text.read_text(encoding="utf-8").strip()
    assert sidecars["json"] >= 15 and sidecars["txt"] >= 3 and sidecars["none"] == 1


def test_login_and_error_screens_show_the_text_reviews_talk_about():
    folder = SAMPLE_DIR / "screens" / "com.example.northwindbank"
    login = (folder / "login.json").read_text(encoding="utf-8")
    assert "Forgot password?" in login and "Sign in with fingerprint" in login
    assert "could not be completed" in (folder / "transfer_error.json").read_text(encoding="utf-8")


def test_generator_reproduces_the_committed_files(tmp_path):
    import pyreadstat

    from curation.sample.generate import generate, sample_files

    written = generate(tmp_path)
    committed = sample_files(SAMPLE_DIR)
    assert [p.relative_to(tmp_path) for p in written] == [p.relative_to(SAMPLE_DIR) for p in committed]
    for new in written:
        old = SAMPLE_DIR / new.relative_to(tmp_path)
        if new.suffix in (".csv", ".json", ".toml", ".txt", ".md"):
            assert new.read_bytes() == old.read_bytes(), f"{old} is stale or the generator is not deterministic"
        elif new.suffix == ".parquet":  # binary: compare contents (bytes depend on the pyarrow version)
            assert pq.read_table(new).equals(pq.read_table(old)) or new.parent.name == "images", old
        elif new.suffix == ".sav":
            (a, meta_a), (b, meta_b) = pyreadstat.read_sav(new), pyreadstat.read_sav(old)
            pd.testing.assert_frame_equal(a, b)
            assert meta_a.variable_value_labels == meta_b.variable_value_labels
        elif new.suffix == ".png":
            with Image.open(new) as a, Image.open(old) as b:
                assert a.size == b.size
    images_new = pq.read_table(next(p for p in written if p.parent.name == "images"))
    images_old = pq.read_table(next(p for p in committed if p.parent.name == "images"))
    assert images_new.column("image_name").equals(images_old.column("image_name"))


def test_every_app_gets_the_planned_mix_of_traps():
    from difflib import SequenceMatcher

    from curation.sample import reviews
    from curation.sample.catalog import APPS

    for app in APPS:
        kinds = reviews.review_kinds(app)
        assert sum(kinds.values()) == app.review_count
        assert (kinds["short"], kinds["foreign"], kinds["exact_repeat"], kinds["near_repeat"]) == (5, 2, 2, 3), app.app_id
        assert sum(v for k, v in kinds.items() if k in {"uninstall", "switch_app", "pay", "cancel", "contact_support",
                                                         "update", "recommend", "keep_using", "stop_using"}) >= app.review_count // 2
        records = reviews._reviews(app)
        originals = [r["text"] for r in records if not r["kind"].startswith(("near_repeat", "exact_repeat"))]
        for near in (r["text"] for r in records if r["kind"].startswith("near_repeat")):
            assert near not in originals
            best = max(SequenceMatcher(None, near.lower(), o.lower()).ratio() for o in originals)
            assert best > 0.9, near
