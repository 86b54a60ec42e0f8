"""The one model client: every call the project makes to a chat model behind an HTTP API.

The benchmark's API baselines (`pisar predict --model openai:… / anthropic:…`) and the build's LLM
extractor both go through it. A request is a system prompt, a user prompt, an optional image and an
output format (free text, a JSON object, or JSON valid against a schema), sent to one model at one
endpoint with one temperature and token limit. The request is fully determined by those fields; its
SHA-256 is the key of a persistent cache (``pisar_data.cache.KeyValueCache``, one SQLite file), so an interrupted or repeated run never pays twice
for the same reply, and identical requests in flight at the same time make one call. Calls run in a
thread pool, with the SDK's own retries plus ours (exponential backoff, or the server's longer
``retry-after``) on 429, 5xx and connection errors. Token counts and the cost at list price
(``prices.toml``) are kept per reply and per run.

Providers: ``openai`` (the Chat Completions API: OpenAI itself or any OpenAI-compatible server —
vLLM, SGLang, llama.cpp server, Ollama) and ``anthropic`` (the Messages API), each an adapter
module that turns a ``Request`` into the official SDK's call and its answer into a ``Reply``.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import io
import json
import os
import threading
import time
import tomllib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pisar_data.cache import KeyValueCache, cache_root
from pisar_data.errors import UserError

PRICES_FILE = Path(__file__).with_name("prices.toml")
PROVIDERS = {"openai": "pisar_data.openai_adapter:OpenAIAdapter", "anthropic": "pisar_data.anthropic_adapter:AnthropicAdapter"}

T = TypeVar("T")
R = TypeVar("R")


def default_cache_path() -> Path:
    """The reply cache: ``api-cache.sqlite`` in the project's cache root (``$PISAR_CACHE_DIR`` or ~/.cache/pisar)."""
    return cache_root() / "api-cache.sqlite"


@dataclass(frozen=True)
class ClientConfig:
    """Settings of a run of requests.

    max_tokens: 2048 leaves room for the hidden reasoning tokens of reasoning models, which count
      against the limit before any visible output; a JSON answer itself is ~100-200 tokens.
    temperature: 0 (greedy-like) for models that accept it; models marked ``temperature = false``
      in prices.toml are sent no temperature.
    concurrency: parallel requests; 4 stays well inside the default rate limits of both providers.
    retries / backoff_s: our retries after the SDK's own ``sdk_max_retries``; waits double from
      ``backoff_s`` (or are the server's longer ``retry-after``) and are capped at 60 s.
    max_image_side: images are downscaled so their longer side is at most 1568 px, the largest
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
class OutputFormat:
    """What a reply must be: ``kind`` is "text" (free text), "json_object" (any JSON object) or
    "json_schema" (JSON valid against ``schema``, asked for as the provider's strict structured
    output under ``name``). Each adapter turns it into its API's parameter (``wire_format``)."""

    kind: str = "text"
    name: str = ""
    schema: dict[str, Any] | None = None

    def __post_init__(self):
        if self.kind not in ("text", "json_object", "json_schema"):
            raise ValueError(f"output format {self.kind!r}; expected text, json_object or json_schema")
        if (self.kind == "json_schema") != (self.schema is not None):
            raise ValueError("a json_schema output format needs a schema, and only it takes one")


TEXT = OutputFormat("text")
JSON_OBJECT = OutputFormat("json_object")


def json_schema_format(name: str, schema: dict[str, Any]) -> OutputFormat:
    return OutputFormat("json_schema", name, schema)


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

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.input_tokens + other.input_tokens, self.cached_input_tokens + other.cached_input_tokens,
                     self.output_tokens + other.output_tokens)


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
    base_url: str  # an OpenAI-compatible proxy or server answers differently from the provider itself
    model: str
    system: str
    prompt: str
    image_png: bytes | None
    output_format: dict[str, Any] | None  # the adapter's structured-output parameter, sent as is (None: free text)
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

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> Reply:
        """The reply as ``asdict`` stored it in the cache."""
        return cls(value["raw"], Usage(**value["usage"]), value["response_model"], value["latency_s"])


def api_key(variable: str, given: str | None = None, *, self_hosted: bool = False) -> str:
    """The key given, else ``$variable``. A self-hosted server (an explicit base URL) may need none."""
    key = given or os.environ.get(variable)
    if key:
        return key
    if self_hosted:
        return "unused"  # vLLM, SGLang, llama.cpp server and Ollama accept any key unless started with one
    raise UserError(f"{variable} is not set; expected the provider's API key in the environment")


class SdkAdapter:
    """What the two adapters share: the provider's official SDK (the module named ``provider``) and its
    client class ``client_class``, whose errors are ``APIStatusError`` (with the HTTP status and
    headers) and ``APIConnectionError``; the key in ``$<PROVIDER>_API_KEY`` unless ``key_variable``
    names another variable.

    A subclass names its ``provider`` and ``client_class`` and implements ``wire_format`` and ``call``.
    ``base_url`` None means the SDK's default (its ``<PROVIDER>_BASE_URL`` variable, else the provider
    itself); an explicit one is a self-hosted or proxy endpoint.
    """

    provider: str
    client_class: str

    def __init__(self, model: str, config: ClientConfig, *, base_url: str | None = None, key: str | None = None,
                 key_variable: str | None = None, http_client: Any = None):
        self.model = model
        self._sdk = importlib.import_module(self.provider)
        self.client = getattr(self._sdk, self.client_class)(
            api_key=api_key(key_variable or f"{self.provider.upper()}_API_KEY", key, self_hosted=base_url is not None),
            base_url=base_url, max_retries=config.sdk_max_retries, timeout=config.timeout_s, http_client=http_client,
        )
        self.base_url = str(self.client.base_url)  # in the cache key

    def is_retryable(self, error: Exception) -> bool:
        """True for rate limits, server errors and dropped connections: worth another try."""
        if isinstance(error, self._sdk.APIConnectionError):
            return True
        return isinstance(error, self._sdk.APIStatusError) and (error.status_code == 429 or error.status_code >= 500)

    def retry_after_s(self, error: Exception) -> float | None:
        """The seconds a 429 or 503 answer asks to wait in its ``retry-after`` header, if it has one."""
        if not isinstance(error, self._sdk.APIStatusError) or error.status_code not in (429, 503):
            return None
        try:
            return float(error.response.headers["retry-after"])
        except (KeyError, ValueError):
            return None  # absent, or an HTTP date: the backoff alone


def make_adapter(provider: str, model: str, config: ClientConfig, **options: Any) -> SdkAdapter:
    """The provider's adapter; ``options`` are its keyword arguments (base_url, key, key_variable, http_client)."""
    if provider not in PROVIDERS:
        raise UserError(f"provider {provider!r}: expected one of {', '.join(PROVIDERS)}")
    module, _, name = PROVIDERS[provider].partition(":")
    return getattr(importlib.import_module(module), name)(model, config, **options)


def encode_image(image: Any, max_side: int) -> bytes | None:
    """PNG bytes of an image (PIL image or a ``datasets`` ``{"bytes": ...}`` dict), downscaled to ``max_side``."""
    if image is None:
        return None
    from PIL import Image

    if isinstance(image, dict):
        if not image.get("bytes"):
            return None
        image = Image.open(io.BytesIO(image["bytes"]))
    image = image.convert("RGB")
    if max(image.size) > max_side:
        scale = max_side / max(image.size)
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def with_retries(call: Callable[[], Reply], adapter: SdkAdapter, config: ClientConfig, sleep: Callable[[float], None]) -> Reply:
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
class ClientStats:
    """What a run asked for: calls made, replies served without a call, and what the calls cost."""

    calls: int = 0
    cache_hits: int = 0  # from the cache, or from an identical request in flight
    paid_usd: float = 0.0  # at list price; 0 for a model with no price
    usage: Usage = field(default_factory=Usage)  # tokens of the calls made (cache hits cost none)


class ModelClient:
    """Requests to one model through an adapter, the cache and the retry policy."""

    def __init__(self, adapter: SdkAdapter, config: ClientConfig, cache: KeyValueCache, sleep: Callable[[float], None] | None = None):
        self.adapter = adapter
        self.config = config
        self.cache = cache
        self.price = model_price(adapter.provider, adapter.model)
        self.stats = ClientStats()
        self._sleep = sleep or time.sleep
        self._lock = threading.Lock()
        self._in_flight: dict[str, Future] = {}  # request key -> its reply, for identical requests made meanwhile

    @property
    def name(self) -> str:
        return f"{self.adapter.provider}:{self.adapter.model}"

    @property
    def temperature(self) -> float | None:
        """The temperature sent: none to a model that rejects one (``temperature = false`` in prices.toml)."""
        return None if self.price is not None and not self.price.temperature else self.config.temperature

    def request(self, *, system: str, prompt: str, image_png: bytes | None = None, output: OutputFormat = TEXT) -> Request:
        """The request with this client's endpoint, model and decoding settings."""
        return Request(
            provider=self.adapter.provider,
            base_url=self.adapter.base_url,
            model=self.adapter.model,
            system=system,
            prompt=prompt,
            image_png=image_png,
            output_format=self.adapter.wire_format(output),
            temperature=self.temperature,
            max_tokens=self.config.max_tokens,
        )

    def reply(self, request: Request, what: str) -> tuple[Reply, bool]:
        """The reply, and True if it cost nothing: it came from the cache or from an identical call in flight.

        ``what`` names the request in an error ("row toy-0001")."""
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
            reply, cached = self._cached_or_called(request, key, what)
            mine.set_result(reply)
        except BaseException as error:
            mine.set_exception(error)
            raise
        finally:
            with self._lock:
                del self._in_flight[key]
        return reply, cached

    def _cached_or_called(self, request: Request, key: str, what: str) -> tuple[Reply, bool]:
        cached = self.cache.get(key)
        if cached is not None:
            with self._lock:
                self.stats.cache_hits += 1
            return Reply.from_dict(cached), True

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
            kind = f"HTTP {status}" if status else type(error).__name__
            hint = " (rerun the same command to resume; replies already received are kept in the cache)"
            if status == 400 and "temperature" in str(error):
                hint = f" (mark the model `temperature = false` in {PRICES_FILE})"
            raise UserError(f"{self.name}: request for {what} failed: {kind}: {error}{hint}") from error
        self.cache.put(key, asdict(reply))
        with self._lock:
            self.stats.paid_usd += cost_usd(self.price, reply.usage) or 0.0
            self.stats.usage += reply.usage
        return reply, False

    def map(self, work: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """``work(item)`` for every item, yielded in input order; ``config.concurrency`` run at a time."""
        workers = max(1, self.config.concurrency)
        pool = ThreadPoolExecutor(max_workers=workers)
        window: deque[Future] = deque()  # bounded, so items (and their images) are read as they are needed
        try:
            for item in items:
                window.append(pool.submit(work, item))
                if len(window) >= 2 * workers:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
        finally:
            # On a failure or an interrupt, requests not yet started are dropped; running ones finish and are cached.
            pool.shutdown(wait=True, cancel_futures=True)
