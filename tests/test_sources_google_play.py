"""Google Play: dump imports (project fixtures and real samples) and fetches through google-play-scraper
with fakes at the library's own transport (its `post`/`get`), so our code runs unchanged."""

from __future__ import annotations

import io
import json
import re
import urllib.parse
from pathlib import Path

import httpx
import pytest
from PIL import Image

from curation import snapshot
from curation.snapshot import Pull
from curation.sources import google_play
from curation.sources.http import FetchError, RetryPolicy
from pisar_data.errors import UserError

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
FAST = RetryPolicy(tries=3, base_delay=0.01, max_delay=0.05, min_interval=0)


def _table(raw, table="reviews"):
    return snapshot.read_table(raw, "google_play", table)


def _stored(raw, table="reviews") -> list[dict]:
    """Every record on disk, complete pulls or not (an interrupted pull keeps what it fetched)."""
    return [json.loads(line) for part in sorted(raw.glob(f"google_play/*/{table}-*.jsonl")) for line in part.read_text().splitlines()]


def _pull_dirs(raw) -> list:
    return [p for p in (raw / "google_play").iterdir() if p.is_dir()]


# ---------------------------------------------------------------- dump imports


def test_csv_with_bom_keeps_versions_multiline_emoji_and_scripts_as_written(tmp_path):
    result = google_play.import_dump(FIXTURES / "gp_reviews_bom.csv", tmp_path, "com.example.tasks", "en", "us")
    assert result.added == {"reviews": 3}
    rows = {r["reviewId"]: r for r in _table(tmp_path).to_dicts()}
    first = rows["a1b2c3d4-0001-4000-8000-000000000001"]
    assert first["appVersion"] == "2.10" and first["reviewCreatedVersion"] == "2.10"  # not the float 2.1
    assert first["content"] == "Loved the new map 😍, but it crashes\non launch sometimes"
    assert first["_app_id"] == "com.example.tasks" and first["_lang"] == "en"
    assert rows["a1b2c3d4-0001-4000-8000-000000000002"]["content"] == "ठीक है लेकिन बहुत धीमा"
    assert rows["a1b2c3d4-0001-4000-8000-000000000002"]["appVersion"] is None
    assert rows["gp:AOqpTOtest0003"]["content"] == 'Пароль не приходит, "ужас"'
    assert rows["gp:AOqpTOtest0003"]["appVersion"] == "2.8"


def test_csv_with_index_column_and_no_app_version(tmp_path):
    google_play.import_dump(FIXTURES / "gp_reviews_index_noversion.csv", tmp_path, "com.example.bank")
    frame = _table(tmp_path)
    assert frame.height == 3
    assert "Unnamed: 0" not in frame.columns and "appVersion" not in frame.columns
    assert frame["reviewCreatedVersion"].to_list() == ["1.0.16", None, "1.0.15"]
    assert frame["content"].to_list()[1] == "👍"


@pytest.mark.parametrize("name", ["gp_reviews.json", "gp_reviews.jsonl"])
def test_json_and_jsonl_dumps(tmp_path, name):
    google_play.import_dump(FIXTURES / name, tmp_path, "com.example.tasks")
    frame = _table(tmp_path)
    assert frame["reviewId"].to_list() == ["c0000000-0000-4000-8000-000000000001", "c0000000-0000-4000-8000-000000000002"]
    assert frame["score"].to_list() == ["5", "2"]
    # the JSON and the JSONL dump hold the same records: importing the other adds nothing
    other = "gp_reviews.jsonl" if name.endswith(".json") else "gp_reviews.json"
    assert google_play.import_dump(FIXTURES / other, tmp_path, "com.example.tasks").added == {}


def test_apps_dump_parses_python_reprs(tmp_path):
    result = google_play.import_dump(FIXTURES / "gp_apps.csv", tmp_path, None)
    assert result.added == {"apps": 2}
    apps = {r["appId"]: r for r in _table(tmp_path, "apps").to_dicts()}
    tasks = apps["com.example.tasks"]
    assert json.loads(tasks["histogram"]) == [10, 20, 30, 400, 774]
    assert json.loads(tasks["categories"]) == [{"name": "Productivity", "id": "PRODUCTIVITY"}]
    assert json.loads(tasks["screenshots"]) == ["https://example.org/s1.png", "https://example.org/s2.png"]
    assert tasks["description"] == "Plan your day.\nSync everywhere." and tasks["score"] == "4.25"


def test_reviews_dump_without_app_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="--app"):
        google_play.import_dump(FIXTURES / "gp_reviews.json", tmp_path, None)
    assert not (tmp_path / "google_play").exists()


# ---------------------------------------------------------------- real samples


@pytest.mark.parametrize(
    "name, app_id, count",
    [("app_reviews.csv", "com.nautilus.realcricket", 100), ("dashen_bank_raw.csv", "com.dashen.dashensuperapp", 400)],
)
def test_real_review_dumps_import_exactly_once(real_samples, tmp_path, name, app_id, count):
    path = real_samples / "google_play" / name
    assert google_play.import_dump(path, tmp_path, app_id, "en").added == {"reviews": count}
    assert google_play.import_dump(path, tmp_path, app_id, "en").added == {}
    frame = _table(tmp_path)
    assert frame.height == count and frame["reviewId"].n_unique() == count
    first = frame.row(0, named=True)
    if name == "app_reviews.csv":
        assert first["reviewId"] == "478b8e3f-1818-4504-862d-976081b407b7" and first["content"] == "hoi good"
        assert frame.filter(frame["reviewId"] == "ec11837c-b3d9-41b9-acfd-fc92acee45e8")["appVersion"].item() == "2.8"
        assert frame["replyContent"].drop_nulls().len() == 8
    else:
        assert first["reviewId"] == "d305d857-0fc0-4458-9ee7-5a742fe48c33" and first["score"] == "5"
        assert "appVersion" not in frame.columns


def test_real_apps_dump(real_samples, tmp_path):
    path = real_samples / "google_play" / "apps.csv"
    assert google_play.import_dump(path, tmp_path, None).added == {"apps": 15}
    assert google_play.import_dump(path, tmp_path, None).added == {}
    apps = {r["appId"]: r for r in _table(tmp_path, "apps").to_dicts()}
    assert len(apps) == 15
    anydo = apps["com.anydo"]
    assert anydo["title"] == "Any.do - To do list & Calendar" and anydo["genre"] == "Productivity"
    assert json.loads(anydo["histogram"]) == [35498, 11653, 21469, 71324, 344318]
    assert len(json.loads(anydo["screenshots"])) == 25


# ---------------------------------------------------------------- fetching through the library


def _review_item(i: int) -> list:
    return [
        f"r-{i:04d}",
        [f"User {i}", [None, None, None, [None, None, f"https://img/{i}"]]],
        1 + i % 5,
        None,
        f"review text {i}",
        [1735725600 + i * 60, 0],
        i,
        None,
        None,
        None,
        "1.2.3",
    ]


class FakePlay:
    """google-play-scraper's `post` (reviews) and `get` (app page) as Google would answer them."""

    def __init__(self, n_reviews: int, page_failures: dict[int, list[Exception]] | None = None, screenshots: list[str] = ()):
        """page_failures: errors to raise, in turn, for the page starting at that review index."""
        self.reviews = [_review_item(i) for i in range(n_reviews)]
        self.page_failures = page_failures or {}
        self.screenshots = list(screenshots)
        self.requests: list[tuple[str | None, int]] = []

    def post(self, url, data, headers):
        body = urllib.parse.unquote(data.decode() if isinstance(data, bytes) else data)
        token = (re.search(r"tok(\d+)", body) or [None, None])[1]
        count = int(re.search(r"\[2,\d+,\[(\d+)", body).group(1))
        self.requests.append((token, count))
        start = int(token) if token else 0
        failures = self.page_failures.get(start)
        if failures:
            raise failures.pop(0)
        items = self.reviews[start : start + count]
        end = start + len(items)
        payload = [items, [None, f"tok{end}"], None] if end < len(self.reviews) else [items]
        return ")]}'\n\n" + json.dumps([["wrb.fr", "UsvDTd", json.dumps(payload), None, None, None, "generic"]])

    def get(self, url):
        data2 = [None] * 101
        data2[0] = ["Fake Tasks"]
        data2[73] = [[None, "Plan your day"]]
        data2[78] = [[[None, None, None, [None, None, shot]] for shot in self.screenshots]]
        data2[79] = [[["Productivity", None, "PRODUCTIVITY"]]]
        data = json.dumps([None, [None, None, data2]])
        return f"<script>AF_initDataCallback({{key: 'ds:5', hash: '1', data:{data}, sideChannel: {{}}}});</script>"


@pytest.fixture
def fake_play(monkeypatch):
    import google_play_scraper.features.app as gp_app
    import google_play_scraper.features.reviews as gp_reviews

    def install(fake: FakePlay) -> FakePlay:
        monkeypatch.setattr(gp_reviews, "post", fake.post)
        monkeypatch.setattr(gp_app, "get", fake.get)
        return fake

    return install


def _png(size) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, (10, 200, 30, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_pagination_to_the_end_with_metadata_and_screenshots(tmp_path, fake_play):
    fake = fake_play(FakePlay(5, screenshots=["https://shots/1.png", "https://shots/2.png", "https://shots/broken.png"]))
    images = {"/1.png": _png((2000, 1000)), "/2.png": _png((300, 600)), "/broken.png": b"<html>nope</html>"}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=images[request.url.path]))
    result = google_play.pull(tmp_path, "com.fake.tasks", page_size=2, policy=FAST, transport=transport, log=lambda m: None)

    assert [token for token, _ in fake.requests] == [None, "2", "4"]
    assert result.added == {"apps": 1, "screenshots": 2, "reviews": 5}
    reviews = _table(tmp_path)
    assert reviews["reviewId"].to_list() == [f"r-{i:04d}" for i in range(5)]
    assert reviews["content"][0] == "review text 0" and reviews["appVersion"][0] == "1.2.3"
    app = _table(tmp_path, "apps").row(0, named=True)
    assert (app["title"], app["genre"], app["summary"]) == ("Fake Tasks", "Productivity", "Plan your day")
    shots = _table(tmp_path, "screenshots").to_dicts()
    assert [(s["width"], s["height"]) for s in shots] == [("1280", "640"), ("300", "600")]
    for shot in shots:
        stored = tmp_path / "google_play" / shot["file"]
        with Image.open(stored) as image:
            assert image.mode == "RGB" and image.format == "PNG"
        assert snapshot.sha256_file(stored) == shot["sha256"]
    manifest = json.loads((result.pull_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["record_count"] == 8
    assert manifest["tool_versions"]["google-play-scraper"]


def test_count_limits_the_pull(tmp_path, fake_play):
    fake = fake_play(FakePlay(10))
    result = google_play.pull(tmp_path, "com.fake", count=3, page_size=2, screenshots=0, policy=FAST, log=lambda m: None)
    assert result.added["reviews"] == 3 and [c for _, c in fake.requests] == [2, 1]


def test_429_then_success(tmp_path, fake_play):
    from google_play_scraper.exceptions import ExtraHTTPError

    sleeps = []
    fake = fake_play(FakePlay(3, {2: [ExtraHTTPError("App not found. Status code 429 returned.")]}))
    result = google_play.pull(tmp_path, "com.fake", page_size=2, screenshots=0, policy=FAST, sleep=sleeps.append, log=lambda m: None)
    assert result.added["reviews"] == 3
    assert [t for t, _ in fake.requests] == [None, "2", "2"] and len(sleeps) == 1


def test_500_three_times_is_a_clear_failure_that_keeps_what_was_fetched(tmp_path, fake_play):
    from google_play_scraper.exceptions import ExtraHTTPError

    boom = [ExtraHTTPError("App not found. Status code 500 returned.") for _ in range(3)]
    fake_play(FakePlay(4, {2: boom}))
    with pytest.raises(FetchError, match=r"HTTP 500 on 3 tries; giving up"):
        google_play.pull(tmp_path, "com.fake", page_size=2, screenshots=0, policy=FAST, sleep=lambda s: None, log=lambda m: None)
    assert len(_stored(tmp_path)) == 2
    (pull_dir,) = _pull_dirs(tmp_path)
    assert json.loads((pull_dir / "manifest.json").read_text())["status"] == "incomplete"
    with pytest.raises(UserError, match="no complete pull"):  # a build does not read it until it is resumed and completes
        _table(tmp_path)


def test_crash_mid_pull_then_resume_yields_every_record_once(tmp_path, fake_play, monkeypatch):
    fake = fake_play(FakePlay(7))
    real_save = Pull.save_cursor
    saves = []

    def crash_on_third_save(self, cursor):
        saves.append(cursor)
        if len(saves) == 3:  # after page 2's records were written, before its cursor is
            raise KeyboardInterrupt
        real_save(self, cursor)

    monkeypatch.setattr(Pull, "save_cursor", crash_on_third_save)
    with pytest.raises(KeyboardInterrupt):
        google_play.pull(tmp_path, "com.fake", page_size=2, screenshots=0, policy=FAST, log=lambda m: None)
    assert len(_stored(tmp_path)) == 4
    monkeypatch.setattr(Pull, "save_cursor", real_save)

    result = google_play.pull(tmp_path, "com.fake", page_size=2, screenshots=0, policy=FAST, log=lambda m: None)
    assert [t for t, _ in fake.requests] == [None, "2", "2", "4", "6"]  # resumed at the persisted token
    assert len(_pull_dirs(tmp_path)) == 1  # the same pull folder was continued
    reviews = _table(tmp_path)
    assert reviews["reviewId"].to_list() == [f"r-{i:04d}" for i in range(7)]
    assert result.total["reviews"] == 7 and result.total["apps"] == 1


def test_unknown_app_exits_2_and_writes_nothing(tmp_path, monkeypatch, capsys):
    import google_play_scraper.features.app as gp_app
    from google_play_scraper.exceptions import NotFoundError

    def not_found(url):
        raise NotFoundError("App not found(404).")

    monkeypatch.setattr(gp_app, "get", not_found)
    from pisar_data.cli import main

    assert main(["pull", "google-play", "--app", "com.does.not.exist", "--raw", str(tmp_path / "raw")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "com.does.not.exist" in err and "no such app" in err
    assert not (tmp_path / "raw").exists()


def test_requests_to_google_are_rate_limited(tmp_path, fake_play):
    fake_play(FakePlay(3))
    sleeps = []
    google_play.pull(
        tmp_path, "com.fake", page_size=2, screenshots=0, policy=RetryPolicy(min_interval=5.0), sleep=sleeps.append, log=lambda m: None
    )
    assert len(sleeps) == 2 and all(4.5 < s <= 5.0 for s in sleeps)  # app page, then review pages 1 and 2


def test_cli_fetch_and_rerun(tmp_path, fake_play, capsys):
    from pisar_data.cli import main

    fake_play(FakePlay(3))
    argv = ["pull", "google-play", "--app", "com.fake", "--count", "3", "--screenshots", "0", "--raw", str(tmp_path)]
    assert main(argv) == 0
    assert "reviews: +3 (total 3)" in capsys.readouterr().out
    assert main(argv) == 0  # a new pull of the same app finds nothing new, and leaves no empty pull folder
    assert "reviews: +0 (total 3)" in capsys.readouterr().out
    manifests = [json.loads(p.read_text()) for p in sorted((tmp_path / "google_play").glob("*/manifest.json"))]
    assert [m["status"] for m in manifests] == ["complete"] and manifests[0]["params"]["count"] == 3
