"""App Store: Apple's review feed and lookup API through an injected httpx transport, and dump imports."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from curation import snapshot
from curation.sources import app_store
from curation.sources.http import FetchError, RetryPolicy
from pisar_data.errors import UserError

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
FAST = RetryPolicy(tries=3, base_delay=0.01, max_delay=10, min_interval=0)
APP = "618783545"


def _entry(i: int) -> dict:
    return {
        "author": {"uri": {"label": f"https://itunes.apple.com/us/reviews/id{i}"}, "name": {"label": f"user{i}"}, "label": ""},
        "updated": {"label": f"2024-05-{1 + i % 28:02d}T12:00:00-07:00"},
        "im:rating": {"label": str(1 + i % 5)},
        "im:version": {"label": "24.05.10"},
        "id": {"label": str(11000000 + i)},
        "title": {"label": f"title {i}"},
        "content": {"label": f"review body {i}", "attributes": {"type": "text"}},
        "im:voteSum": {"label": "0"},
        "im:voteCount": {"label": "0"},
    }


class FakeApple:
    """Apple's lookup API and customer-review feed; ``failures[page]`` = responses to give first."""

    def __init__(self, pages: int, per_page: int = 2, failures: dict[int, list] | None = None, known: bool = True):
        self.pages, self.per_page, self.known = pages, per_page, known
        self.failures = failures or {}
        self.requested: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/lookup":
            results = (
                [{"trackId": int(APP), "trackName": "Slack", "primaryGenreName": "Business", "description": "Work chat.\nMore."}]
                if self.known
                else []
            )
            return httpx.Response(200, json={"resultCount": len(results), "results": results})
        page = int(request.url.path.split("page=")[1].split("/")[0])
        self.requested.append(page)
        if self.failures.get(page):
            failure = self.failures[page].pop(0)
            if isinstance(failure, BaseException):
                raise failure
            return failure
        feed = {"author": {}, "link": []}
        if page <= self.pages:
            start = (page - 1) * self.per_page
            entries = [_entry(i) for i in range(start, start + self.per_page)]
            feed["entry"] = entries[0] if len(entries) == 1 else entries
        return httpx.Response(200, json={"feed": feed})


def _pull(tmp_path, fake, sleeps=None):
    sleep = sleeps.append if sleeps is not None else (lambda s: None)
    return app_store.pull(tmp_path, APP, "us", policy=FAST, transport=httpx.MockTransport(fake), sleep=sleep, log=lambda m: None)


def _reviews(raw):
    return snapshot.read_table(raw, "app_store", "reviews")


def test_feed_pagination_to_the_end(tmp_path):
    fake = FakeApple(pages=3)
    result = _pull(tmp_path, fake)
    assert fake.requested == [1, 2, 3, 4]  # page 4 is empty: the end
    assert result.added == {"apps": 1, "reviews": 6}
    frame = _reviews(tmp_path)
    assert frame["_id"].to_list() == [str(11000000 + i) for i in range(6)]
    assert json.loads(frame["content"][0])["label"] == "review body 0"
    assert snapshot.read_table(tmp_path, "app_store", "apps")["trackName"].to_list() == ["Slack"]


def test_feed_stops_after_ten_pages_and_a_single_entry_page_is_read(tmp_path):
    fake = FakeApple(pages=50, per_page=1)
    result = _pull(tmp_path, fake)
    assert fake.requested == list(range(1, 11)) and result.added["reviews"] == 10


def test_429_with_retry_after_then_success(tmp_path):
    sleeps = []
    fake = FakeApple(pages=1, failures={1: [httpx.Response(429, headers={"Retry-After": "7"})]})
    result = _pull(tmp_path, fake, sleeps)
    assert result.added["reviews"] == 2
    assert fake.requested == [1, 1, 2] and sleeps == [7.0]


def test_500_three_times_is_a_clear_failure(tmp_path):
    fake = FakeApple(pages=3, failures={2: [httpx.Response(500) for _ in range(3)]})
    with pytest.raises(FetchError, match=r"itunes\.apple\.com.*HTTP 500 on 3 tries; giving up") as error:
        _pull(tmp_path, fake)
    assert isinstance(error.value, UserError) and "\n" not in str(error.value)
    stored = [line for part in tmp_path.glob("app_store/*/reviews-*.jsonl") for line in part.read_text().splitlines()]
    assert len(stored) == 2  # page 1 is kept, to be used once a resumed pull completes


def test_network_crash_mid_pull_then_resume_yields_every_record_once(tmp_path):
    fake = FakeApple(pages=3, failures={2: [KeyboardInterrupt()]})
    with pytest.raises(KeyboardInterrupt):
        _pull(tmp_path, fake)
    result = _pull(tmp_path, fake)
    assert fake.requested == [1, 2, 2, 3, 4]  # resumed at page 2, page 1 not fetched again
    assert _reviews(tmp_path)["_id"].to_list() == [str(11000000 + i) for i in range(6)]
    assert result.total["reviews"] == 6 and len([p for p in (tmp_path / "app_store").iterdir() if p.is_dir()]) == 1


def test_unknown_app_is_a_user_error_and_writes_nothing(tmp_path):
    with pytest.raises(UserError, match="no such app"):
        _pull(tmp_path, FakeApple(pages=1, known=False))
    assert not (tmp_path / "app_store").exists()
    with pytest.raises(UserError, match="numeric id"):
        app_store.pull(tmp_path, "com.slack", transport=httpx.MockTransport(FakeApple(1)))


def test_dump_with_index_column_and_developer_response(tmp_path):
    result = app_store.import_dump(FIXTURES / "as_reviews.csv", tmp_path, APP, "us")
    assert result.added == {"reviews": 3}
    rows = _reviews(tmp_path).to_dicts()
    assert "Unnamed: 0" not in rows[0]
    assert json.loads(rows[0]["developerResponse"]) == {"id": 111, "body": "Sorry! We're on it.", "modified": "2024-05-02T08:00:00Z"}
    assert rows[0]["review"] == "Notifications stopped.\nI missed a meeting."
    assert rows[1]["developerResponse"] is None and rows[1]["isEdited"] == "True"
    assert len({r["_id"] for r in rows}) == 3 and all(r["_id"] != r["userName"] for r in rows)


def test_dump_without_developer_response_column_in_another_order(tmp_path):
    app_store.import_dump(FIXTURES / "as_reviews_noresponse.csv", tmp_path, APP)
    frame = _reviews(tmp_path)
    assert frame.height == 2 and "developerResponse" not in frame.columns
    assert frame["review"].to_list() == ["Takes forever to load channels", "Does the job"]


def test_real_slack_dump_imports_exactly_once(real_samples, tmp_path):
    path = real_samples / "app_store" / "Slack-app-reviews.csv"
    assert app_store.import_dump(path, tmp_path, APP, "us").added == {"reviews": 100}
    assert app_store.import_dump(path, tmp_path, APP, "us").added == {}
    frame = _reviews(tmp_path)
    assert frame.height == 100
    assert frame["developerResponse"].drop_nulls().len() == 50 and (frame["isEdited"] == "True").sum() == 5
    first = frame.row(0, named=True)
    assert first["title"] == "A few months in. Mostly good." and first["rating"] == "4" and first["date"] == "2021-11-19 15:37:47"
    assert json.loads(first["developerResponse"])["id"] == 26382584
    assert first["review"].startswith("The app is easy to learn") and "\n" in first["review"]


KILLED_PULL = """
import sys, time, httpx
sys.path.insert(0, {tests!r})
from test_sources_app_store import FakeApple, FAST, APP
from curation.sources import app_store

fake = FakeApple(pages=6)
def slow(request):
    time.sleep(0.3)
    return fake(request)
app_store.pull({raw!r}, APP, "us", policy=FAST, transport=httpx.MockTransport(slow), log=lambda m: None)
"""


def test_killed_process_then_resume_yields_every_record_once(tmp_path):
    import subprocess
    import sys
    import time

    raw = tmp_path / "raw"
    script = KILLED_PULL.format(tests=str(Path(__file__).parent), raw=str(raw))
    process = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 60
    while len(list(raw.glob("app_store/*/reviews-*.jsonl"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.kill()  # SIGKILL: no cleanup code runs
    process.wait()
    parts = len(list(raw.glob("app_store/*/reviews-*.jsonl")))
    assert 2 <= parts < 6

    fake = FakeApple(pages=6)
    result = _pull(raw, fake)
    # resumed at the page after the last saved cursor: the last written page again if the kill came before its cursor
    assert fake.requested[0] in (parts, parts + 1) and fake.requested[-1] == 7
    assert _reviews(raw)["_id"].to_list() == [str(11000000 + i) for i in range(12)]
    assert result.total["reviews"] == 12
