"""The retrying HTTP layer: backoff with jitter, Retry-After, rate limit, clear failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from curation.sources.http import FetchError, HttpClient, RetryPolicy, parse_retry_after

BACKOFF = RetryPolicy(tries=4, base_delay=1.0, jitter=0.5, min_interval=0)


def _client(responses, policy=BACKOFF):
    sleeps, seen = [], []

    def handler(request):
        seen.append(request)
        item = responses.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return HttpClient(httpx.MockTransport(handler), policy, sleeps.append), sleeps, seen


def test_backoff_doubles_with_bounded_jitter_then_succeeds():
    client, sleeps, seen = _client(
        [httpx.Response(503), httpx.ConnectError("refused"), httpx.Response(502), httpx.Response(200, json={"ok": 1})]
    )
    assert client.get_json("https://api.example/x") == {"ok": 1}
    assert len(seen) == 4 and len(sleeps) == 3
    for delay, base in zip(sleeps, (1.0, 2.0, 4.0), strict=True):
        assert base <= delay <= base * 1.5
    assert seen[0].headers["User-Agent"].startswith("pisar-pull/")


def test_gives_up_after_the_configured_tries_with_one_line():
    client, sleeps, seen = _client([httpx.Response(500)] * 4)
    with pytest.raises(FetchError) as error:
        client.get("https://api.example/x")
    assert len(seen) == 4 and len(sleeps) == 3
    assert str(error.value).startswith("GET https://api.example/x: HTTP 500 on 4 tries; giving up")


def test_client_errors_are_not_retried():
    client, sleeps, seen = _client([httpx.Response(403)])
    with pytest.raises(FetchError, match="HTTP 403; expected 200"):
        client.get("https://api.example/x")
    assert len(seen) == 1 and sleeps == []


def test_retry_after_seconds_and_dates():
    assert parse_retry_after("12") == 12.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= parse_retry_after(later) <= 31
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    client, sleeps, _ = _client(
        [httpx.Response(429, headers={"Retry-After": "500"}), httpx.Response(200)], RetryPolicy(max_delay=60, min_interval=0)
    )
    client.get("https://api.example/x")
    assert sleeps == [60]  # capped by max_delay


def test_polite_rate_limit_between_requests():
    client, sleeps, _ = _client([httpx.Response(200), httpx.Response(200)], RetryPolicy(min_interval=5.0))
    client.get("https://api.example/a")
    client.get("https://api.example/b")
    assert len(sleeps) == 1 and 4.5 < sleeps[0] <= 5.0
