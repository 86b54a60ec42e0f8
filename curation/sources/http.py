"""One small retrying HTTP layer for every source.

``with_retries`` retries any call that fails transiently (network errors, HTTP 429 and 5xx),
waiting with exponential backoff plus jitter, or as long as a ``Retry-After`` header asks; after
``RetryPolicy.tries`` attempts it raises ``FetchError`` (a one-line ``UserError``).
``HttpClient`` wraps httpx with it and keeps a polite minimum interval between requests; tests
inject an ``httpx.MockTransport`` and a fake ``sleep``.
"""

from __future__ import annotations

import email.utils
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import httpx

from pisar_data.errors import UserError

T = TypeVar("T")
USER_AGENT = "pisar-pull/0.1 (+https://github.com/pisar; research corpus builder)"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Defaults suit public endpoints that rate-limit anonymous clients.

    tries: attempts per request before giving up (1 first try + 4 retries).
    base_delay: seconds before the first retry; doubles on each further retry (1, 2, 4, 8 s).
    max_delay: cap on one wait, also applied to a server's Retry-After.
    jitter: each backoff wait is multiplied by a random factor in [1, 1 + jitter] so that
        parallel clients do not retry in lockstep.
    min_interval: at least this many seconds between two requests (polite rate limit).
    """

    tries: int = 5
    base_delay: float = 1.0
    max_delay: float = 120.0
    jitter: float = 0.5
    min_interval: float = 1.0


DEFAULT_POLICY = RetryPolicy()


class FetchError(UserError):
    """A request still failed after every retry, or failed in a way retrying cannot fix."""


@dataclass
class Transient(Exception):
    """A failure worth retrying; ``retry_after`` in seconds when the server said so."""

    what: str
    retry_after: float | None = None

    def __str__(self) -> str:
        return self.what


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def with_retries(call: Callable[[], T], what: str, policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep) -> T:
    """Run ``call``; on ``Transient`` wait and try again, up to ``policy.tries`` attempts in all."""
    for attempt in range(1, policy.tries + 1):
        try:
            return call()
        except Transient as error:
            if attempt == policy.tries:
                raise FetchError(
                    f"{what}: {error} on {attempt} tries; giving up (what was fetched is kept; rerun the same command to resume)"
                ) from None
            if error.retry_after is not None:
                delay = min(policy.max_delay, error.retry_after)
            else:
                delay = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1)) * (1 + random.uniform(0, policy.jitter))
            sleep(delay)
    raise AssertionError("unreachable")


def is_transient_status(status: int) -> bool:
    return status == 429 or status >= 500


class RateLimiter:
    """Keeps at least ``min_interval`` seconds between calls to ``wait``."""

    def __init__(self, min_interval: float, sleep: Callable[[float], None] = time.sleep):
        self.min_interval = min_interval
        self.sleep = sleep
        self._last = -float("inf")

    def wait(self) -> None:
        pause = self.min_interval - (time.monotonic() - self._last)
        if pause > 0:
            self.sleep(pause)
        self._last = time.monotonic()


class HttpClient:
    """GET with retries and a polite rate limit. ``transport`` is injectable (httpx.MockTransport)."""

    def __init__(
        self,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy = DEFAULT_POLICY,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 30.0,
    ):
        self.policy = policy
        self.sleep = sleep
        self._client = httpx.Client(transport=transport, timeout=timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=True)
        self._limiter = RateLimiter(policy.min_interval, sleep)

    def _get_once(self, url: str, params: dict | None) -> httpx.Response:
        self._limiter.wait()
        try:
            response = self._client.get(url, params=params)
        except httpx.TransportError as error:
            raise Transient(f"network error ({type(error).__name__}: {error})") from None
        if is_transient_status(response.status_code):
            raise Transient(f"HTTP {response.status_code}", parse_retry_after(response.headers.get("Retry-After")))
        return response

    def get(self, url: str, params: dict | None = None, ok_statuses: tuple[int, ...] = ()) -> httpx.Response:
        """The response (2xx, or a status in ``ok_statuses``); FetchError otherwise."""
        response = with_retries(lambda: self._get_once(url, params), f"GET {url}", self.policy, self.sleep)
        if not response.is_success and response.status_code not in ok_statuses:
            raise FetchError(f"GET {url}: HTTP {response.status_code}; expected 200")
        return response

    def get_json(self, url: str, params: dict | None = None):
        response = self.get(url, params)
        try:
            return response.json()
        except ValueError:
            raise FetchError(f"GET {url}: the response is not JSON (starts {response.text[:60]!r})") from None
