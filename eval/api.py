"""Shared machinery of the API baselines (`openai:MODEL`, `anthropic:MODEL`).

A request is fully determined by provider, endpoint, model, system prompt, user prompt, screen
image, output format, temperature and token limit; its SHA-256 is the key of a persistent SQLite
cache, so an interrupted or repeated run never pays twice for the same reply, and identical
requests in flight at the same time make one call. Calls run in a thread pool, with the SDK's own
retries plus ours (exponential backoff, or the server's longer ``retry-after``) on 429, 5xx and
connection errors.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sqlite3
import threading
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from pisar_data.errors import UserError
from pisar_data.task import build_messages, parse_prediction

PRICES_FILE = Path(__file__).with_name("prices.toml")


def cache_root() -> Path:
    """``$PISAR_CACHE_DIR``, else ``~/.cache/pisar``: the API reply cache and the embedding cache."""
    return Path(os.environ.get("PISAR_CACHE_DIR") or Path.home() / ".cache" / "pisar")


def default_cache_path() -> Path:
    return cache_root() / "api-cache.sqlite"


@dataclass(frozen=True)
class ApiConfig:
    """Settings of an API prediction run.

    max_tokens: 2048 leaves room for the hidden reasoning tokens of reasoning models, which count
      against the limit before any visible output; a JSON answer itself is ~100 tokens.
    temperature: 0 (greedy-like) for models that accept it; models marked ``temperature = false``
      in prices.toml are sent no temperature.
    concurrency: parallel requests; 4 stays well inside the default rate limits of both providers.
    retries / backoff_s: our retries after the SDK's own ``sdk_max_retries``; waits double from
      ``backoff_s`` (or are the server's longer ``retry-after``) and are capped at 60 s.
    max_image_side: screens are downscaled so their longer side is at most 1568 px, the largest
      size Anthropic uses without resizing (OpenAI resizes larger images itself).
    """

    max_tokens: int = 2048
    temperature: float = 0.0
    concurrency: int = 4
    retries: int = 4
    backoff_s: float = 2.0
    sdk_max_retries: int = 2
    timeout_s: float = 300.0
    max_image_side: int = 1568
    cache_path: Path | None = None


@dataclass(frozen=True)
class ModelPrice:
    input_per_mtok: float
    cached_input_per_mtok: float
    output_per_mtok: float
    temperature: bool


def load_prices(path: Path = PRICES_FILE) -> dict[str, dict[str, ModelPrice]]:
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
        return {
            provider: {
                model: ModelPrice(
                    float(entry["input_per_mtok"]),
                    float(entry.get("cached_input_per_mtok", entry["input_per_mtok"])),
                    float(entry["output_per_mtok"]),
                    bool(entry.get("temperature", True)),
                )
                for model, entry in models.items()
            }
            for provider, models in table.items()
        }
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError, AttributeError) as error:
        raise UserError(f"{path}: unreadable price table ({error}); expected [provider.\"model\"] tables with input_per_mtok and output_per_mtok") from error


def model_price(provider: str, model: str, path: Path = PRICES_FILE) -> ModelPrice | None:
    """The model's entry, or that of its undated name (``gpt-5.5-2026-04-23`` -> ``gpt-5.5``)."""
    models = load_prices(path).get(provider, {})
    if model in models:
        return models[model]
    parts = model.split("-")
    for cut in range(len(parts) - 1, 0, -1):
        if "-".join(parts[:cut]) in models and all(p.isdigit() for p in parts[cut:]):
            return models["-".join(parts[:cut])]
    return None


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0  # uncached input tokens
    cached_input_tokens: int = 0
    output_tokens: int = 0


def cost_usd(price: ModelPrice | None, usage: Usage) -> float | None:
    if price is None:
        return None
    return (
        usage.input_tokens * price.input_per_mtok
        + usage.cached_input_tokens * price.cached_input_per_mtok
        + usage.output_tokens * price.output_per_mtok
    ) / 1e6


@dataclass(frozen=True)
class Request:
    """Everything that determines a reply, and so the cache key.

    A field added here changes every key: replies cached before are missed, not misread.
    """

    provider: str
    base_url: str  # an OpenAI-compatible proxy answers differently from the provider itself
    model: str
    system: str
    prompt: str
    image_png: bytes | None
    output_format: dict[str, Any]  # the structured-output parameter, sent as is
    temperature: float | None
    max_tokens: int

    def key(self) -> str:
        fields = {k: v for k, v in asdict(self).items() if k != "image_png"}
        fields["image_sha256"] = hashlib.sha256(self.image_png).hexdigest() if self.image_png else None
        return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def image_base64(self) -> str:
        return base64.b64encode(self.image_png or b"").decode("ascii")


@dataclass(frozen=True)
class Reply:
    raw: str
    usage: Usage
    response_model: str
    latency_s: float = 0.0


class Adapter(Protocol):
    provider: str
    model: str
    base_url: str
    output_format: dict[str, Any]

    def call(self, request: Request) -> Reply: ...

    def is_retryable(self, error: Exception) -> bool: ...

    def retry_after_s(self, error: Exception) -> float | None: ...


class ResponseCache:
    """Replies by request key in one SQLite file, safe to share between threads and runs."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=60)
        self._db.execute("CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._db.commit()

    def get(self, key: str) -> Reply | None:
        with self._lock:
            found = self._db.execute("SELECT value FROM replies WHERE key = ?", (key,)).fetchone()
        if found is None:
            return None
        value = json.loads(found[0])
        return Reply(value["raw"], Usage(**value["usage"]), value["response_model"], value["latency_s"])

    def put(self, key: str, reply: Reply) -> None:
        value = json.dumps({"raw": reply.raw, "usage": asdict(reply.usage), "response_model": reply.response_model, "latency_s": reply.latency_s})
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO replies (key, value) VALUES (?, ?)", (key, value))
            self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()


def encode_screen(screen: Any, max_side: int) -> bytes | None:
    """PNG bytes of a row's screen (PIL image or ``{"bytes": ...}``), downscaled to ``max_side``."""
    if screen is None:
        return None
    from PIL import Image

    if isinstance(screen, dict):
        if not screen.get("bytes"):
            return None
        screen = Image.open(io.BytesIO(screen["bytes"]))
    image = screen.convert("RGB")
    if max(image.size) > max_side:
        scale = max_side / max(image.size)
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def build_request(row: dict[str, Any], adapter: Adapter, config: ApiConfig, price: ModelPrice | None) -> Request:
    """The request for a row, from the task's own chat messages."""
    system, user = build_messages(row)
    image = next((part["image"] for part in user["content"] if part["type"] == "image"), None)
    return Request(
        provider=adapter.provider,
        base_url=adapter.base_url,
        model=adapter.model,
        system="".join(part["text"] for part in system["content"] if part["type"] == "text"),
        prompt="".join(part["text"] for part in user["content"] if part["type"] == "text"),
        image_png=encode_screen(image, config.max_image_side),
        output_format=adapter.output_format,
        temperature=None if price is not None and not price.temperature else config.temperature,
        max_tokens=config.max_tokens,
    )


def with_retries(call: Callable[[], Reply], adapter: Adapter, config: ApiConfig, sleep: Callable[[float], None]) -> Reply:
    """``call()``, retried up to ``config.retries`` times on errors the adapter calls transient.

    The n-th wait is ``backoff_s * 2**n``, or the server's ``retry-after`` when longer, capped at 60 s.
    No jitter: at most ``concurrency`` requests retry together, and the SDK's own retries before
    ours are already jittered.
    """
    attempt = 0
    while True:
        try:
            return call()
        except Exception as error:  # noqa: BLE001 - the adapter decides what is transient
            if attempt >= config.retries or not adapter.is_retryable(error):
                raise
            sleep(min(max(config.backoff_s * 2**attempt, adapter.retry_after_s(error) or 0.0), 60.0))
            attempt += 1


@dataclass
class RunStats:
    calls: int = 0
    cache_hits: int = 0
    paid_usd: float = 0.0


class ApiPredictor:
    """Turns rows into prediction records through an adapter, the cache and the retry policy."""

    def __init__(self, adapter: Adapter, config: ApiConfig, cache: ResponseCache, sleep: Callable[[float], None] | None = None):
        self.adapter = adapter
        self.config = config
        self.cache = cache
        self.price = model_price(adapter.provider, adapter.model)
        self.stats = RunStats()
        self._sleep = sleep or time.sleep
        self._lock = threading.Lock()
        self._in_flight: dict[str, Future] = {}  # request key -> its reply, for identical requests made meanwhile

    @property
    def name(self) -> str:
        return f"{self.adapter.provider}:{self.adapter.model}"

    def _reply(self, request: Request, row_id: str) -> tuple[Reply, bool]:
        """The reply, and True if it cost nothing: it came from the cache or from an identical call in flight."""
        key = request.key()
        with self._lock:
            first = self._in_flight.get(key)
            if first is None:
                self._in_flight[key] = mine = Future()
            else:
                self.stats.cache_hits += 1
        if first is not None:
            return first.result(), True
        try:
            reply, cached = self._cached_or_called(request, key, row_id)
            mine.set_result(reply)
        except BaseException as error:
            mine.set_exception(error)
            raise
        finally:
            with self._lock:
                del self._in_flight[key]
        return reply, cached

    def _cached_or_called(self, request: Request, key: str, row_id: str) -> tuple[Reply, bool]:
        cached = self.cache.get(key)
        if cached is not None:
            with self._lock:
                self.stats.cache_hits += 1
            return cached, True

        def timed_call() -> Reply:
            with self._lock:
                self.stats.calls += 1
            start = time.perf_counter()
            reply = self.adapter.call(request)
            return Reply(reply.raw, reply.usage, reply.response_model, round(time.perf_counter() - start, 3))

        try:
            reply = with_retries(timed_call, self.adapter, self.config, self._sleep)
        except Exception as error:
            status = getattr(error, "status_code", None)
            if status is None and not self.adapter.is_retryable(error):
                raise  # not an API answer: a bug, not something the user can fix
            what = f"HTTP {status}" if status else type(error).__name__
            hint = " (rerun the same command to resume; finished rows and replies are kept)"
            if status == 400 and "temperature" in str(error):
                hint = f" (mark the model `temperature = false` in {PRICES_FILE})"
            raise UserError(f"{self.name}: request for row {row_id} failed: {what}: {error}{hint}") from error
        self.cache.put(key, reply)
        cost = cost_usd(self.price, reply.usage)
        with self._lock:
            self.stats.paid_usd += cost or 0.0
        return reply, False

    def predict_row(self, row: dict[str, Any]) -> dict[str, Any]:
        request = build_request(row, self.adapter, self.config, self.price)
        reply, cached = self._reply(request, row["id"])
        prediction = parse_prediction(reply.raw)
        return {
            "id": row["id"],
            "action": prediction.action,
            "rationale": prediction.rationale,
            "raw": reply.raw,
            "model": self.name,
            "usage": asdict(reply.usage),
            "cost_usd": cost_usd(self.price, reply.usage),
            "latency_s": reply.latency_s,
            "cached": cached,
            "response_model": reply.response_model,
        }

    def predict(self, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Records in input order; requests run ``config.concurrency`` at a time."""
        workers = max(1, self.config.concurrency)
        pool = ThreadPoolExecutor(max_workers=workers)
        window: deque[Future] = deque()  # bounded, so rows (and their images) are read as they are needed
        try:
            for row in rows:
                window.append(pool.submit(self.predict_row, row))
                if len(window) >= 2 * workers:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
        finally:
            # On a failure or an interrupt, requests not yet started are dropped; running ones finish and are cached.
            pool.shutdown(wait=True, cancel_futures=True)


def transient_status(error: Exception, status_error: type, connection_error: type) -> bool:
    """True for rate limits, server errors and dropped connections: worth another try."""
    if isinstance(error, connection_error):
        return True
    return isinstance(error, status_error) and (error.status_code == 429 or error.status_code >= 500)


def retry_after(error: Exception, status_error: type) -> float | None:
    """The seconds a 429 or 503 answer asks to wait in its ``retry-after`` header, if it has one."""
    if not isinstance(error, status_error) or error.status_code not in (429, 503):
        return None
    try:
        return float(error.response.headers["retry-after"])
    except (KeyError, ValueError):
        return None  # absent, or an HTTP date: the backoff alone


JSON_SCHEMA = {
    "type": "object",
    "properties": {"action": {"type": "string"}, "rationale": {"type": "string"}},
    "required": ["action", "rationale"],
    "additionalProperties": False,
}


def api_key(variable: str, given: str | None) -> str:
    key = given or os.environ.get(variable)
    if not key:
        raise UserError(f"{variable} is not set; expected the provider's API key in the environment")
    return key
