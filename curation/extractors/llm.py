"""The LLM extractor (``[extract] extractor = "llm"``): each review goes to a chat model, which
answers with one JSON object constrained by a JSON schema to the review action vocabulary.

The prompt is the project's extraction guidelines (``curation/extraction_guidelines.md``, read at run
time) plus the review; ``version`` carries a hash of the prompt template and schema and one of the
guidelines, so a manifest says exactly what produced its rows. Every request goes through the
project's one model client (``pisar_data.model_client``): a persistent reply cache keyed by endpoint,
model, prompt, schema, temperature, token limit and review text (an interrupted build resumes, a
rebuild costs nothing), bounded concurrency, retries with backoff, token and cost accounting. A
reply that is not JSON or breaks the schema falls back to the offline extractor and is counted.

A recipe turns it on with::

    [extract]
    extractor = "llm"

    [extract.llm]
    provider = "openai"                     # any OpenAI-compatible endpoint, or "anthropic"
    base_url = "http://localhost:8000/v1"   # vLLM; Ollama: http://localhost:11434/v1; "" = the provider's API
    model = "Qwen/Qwen3-8B"
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curation.extractors import Drop, Extraction, Extractor, Progress, ReviewInput
from curation.recipe import load_config
from pisar_data.cache import KeyValueCache
from pisar_data.errors import UserError
from pisar_data.hashing import sha256_file
from pisar_data.model_client import (
    PROVIDERS,
    ClientConfig,
    ModelClient,
    Usage,
    cost_usd,
    default_cache_path,
    json_schema_format,
    make_adapter,
)
from pisar_data.schema import ACTION_TYPES

GUIDELINES = Path(__file__).parents[1] / "extraction_guidelines.md"
# The review types: ACTION_TYPES up to "rate" (the entries after it are OPeRA shopping actions).
REVIEW_ACTION_TYPES = tuple(ACTION_TYPES)[: tuple(ACTION_TYPES).index("rate") + 1]
DROP_REASONS = ("no_reason", "too_short", "not_english")  # the guidelines' drop reasons

REPLY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "keep": {"type": "boolean"},
        "drop_reason": {"type": "string", "enum": ["none", *DROP_REASONS]},
        "action_type": {"type": "string", "enum": list(REVIEW_ACTION_TYPES)},
        "action": {"type": "string"},
        "rationale": {"type": "string"},
        "intent": {"type": "string"},
        "intent_stated": {"type": "boolean"},
    },
    "required": ["keep", "drop_reason", "action_type", "action", "rationale", "intent", "intent_stated"],
    "additionalProperties": False,
}
REPLY_FORMAT = json_schema_format("review_extraction", REPLY_SCHEMA)

INSTRUCTIONS = """\
You extract one record from one app-store review, following the guidelines below exactly. Answer
with one JSON object and nothing else, with these fields:
- keep: true if the review gives a usable reason (a rationale), false if it is dropped.
- drop_reason: "none" for a kept review; for a dropped one {drop_reasons}.
- action_type: the reviewer's own action, one of {action_types}; the first in the guidelines'
  priority order when the review states several; "rate" when it states none.
- action: that action as a short phrase in the past tense naming the app, e.g. "uninstalled Spotify",
  "rated Uber 2 stars".
- rationale: why, in the reviewer's own words (the sentences or clauses that carry the reasons).
- intent: what the reviewer was doing or trying to do with the app; when the review does not say,
  what people usually do with this app, e.g. "listen to music on Spotify".
- intent_stated: true only if the review itself states the intent.
For a dropped review give action_type "rate" and empty action, rationale and intent.

# Guidelines

{guidelines}"""


@dataclass(frozen=True)
class LlmSettings:
    """The recipe's ``[extract.llm]`` table.

    provider: "openai" — the Chat Completions API of OpenAI or of any OpenAI-compatible server (vLLM,
        SGLang, llama.cpp server, Ollama) — or "anthropic".
    base_url: the endpoint, e.g. "http://localhost:8000/v1" (vLLM, SGLang), "http://localhost:11434/v1"
        (Ollama), "http://localhost:8080/v1" (llama.cpp server); "" = the provider's own API (or
        ``$OPENAI_BASE_URL`` / ``$ANTHROPIC_BASE_URL``).
    model: the model name the endpoint serves (required), e.g. "Qwen/Qwen3-8B", "gpt-5.5".
    api_key_env: the environment variable holding the API key; "" = OPENAI_API_KEY / ANTHROPIC_API_KEY.
        The key itself is never in a recipe. A server given by ``base_url`` may need none.
    concurrency: parallel requests; 4 stays inside hosted APIs' default rate limits (a local vLLM
        server batches more: raise it to 16-64 there).
    retries: retries on 429, 5xx and dropped connections (the SDK's own are off); waits double from
        2 s, or are the server's longer ``retry-after``, capped at 60 s: 6 retries wait up to ~2 min.
    temperature: 0 for labels that do not change between rebuilds (models that reject a temperature,
        per pisar_data/prices.toml, are sent none).
    max_tokens: 2048: the JSON answer is ~100-200 tokens, but reasoning models spend hidden tokens
        against the same limit first.
    timeout_s: seconds one request may take.
    cache: the reply cache file; "" = ``$PISAR_CACHE_DIR/api-cache.sqlite``, else
        ``~/.cache/pisar/api-cache.sqlite`` (shared with `pisar predict`).
    """

    provider: str = "openai"
    base_url: str = ""
    model: str = ""
    api_key_env: str = ""
    concurrency: int = 4
    retries: int = 6
    timeout_s: float = 300.0
    temperature: float = 0.0
    max_tokens: int = 2048
    cache: str = ""

    def __post_init__(self):
        if self.provider not in PROVIDERS:
            raise ValueError(f"provider must be one of {', '.join(PROVIDERS)} (openai for any OpenAI-compatible server), got {self.provider!r}")
        if not self.model.strip():
            raise ValueError("model must be the name of the model the endpoint serves, e.g. \"Qwen/Qwen3-8B\"")
        if self.base_url and not re.match(r"https?://[^/\s]+", self.base_url):
            raise ValueError(f"base_url must be an http:// or https:// URL such as \"http://localhost:8000/v1\", got {self.base_url!r}")
        if self.api_key_env and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.api_key_env):
            # not echoed: it may be the key itself
            raise ValueError("api_key_env must be the name of an environment variable, such as OPENAI_API_KEY, never the key itself")
        at_least = {"concurrency": 1, "retries": 0, "temperature": 0.0, "max_tokens": 1}
        for name, least in at_least.items():
            value = getattr(self, name)
            if not value >= least:  # `not >=` also rejects nan
                raise ValueError(f"{name} must be {least} or more, got {value}")
        if not self.timeout_s > 0:
            raise ValueError(f"timeout_s must be a positive number of seconds, got {self.timeout_s}")

    @classmethod
    def from_table(cls, table: dict[str, Any], where: str = "[extract.llm]") -> LlmSettings:
        """Settings from a recipe table; a bad key or value is a one-line ``UserError`` naming it."""
        if "api_key" in table:
            raise UserError(f"{where}: api_key: a key is never stored in a recipe; put it in an environment variable and name that in api_key_env")
        return load_config(cls, table, where)


def prompt_version(guidelines_sha256: str) -> str:
    """``prompt-<template and schema>+guidelines-<guidelines file>``: 12 hex digits of each SHA-256."""
    template = hashlib.sha256((INSTRUCTIONS + json.dumps(REPLY_SCHEMA, sort_keys=True)).encode()).hexdigest()
    return f"prompt-{template[:12]}+guidelines-{guidelines_sha256[:12]}"


def review_prompt(review: ReviewInput) -> str:
    """The review as the model sees it: app, star rating, title and text (the developer's reply is not the reviewer's)."""
    app = f"{review.context_name} ({review.genre})" if review.genre else review.context_name
    lines = [f"App: {app}", f"Star rating: {review.rating} of 5" if review.rating is not None else "Star rating: none"]
    if review.title:
        lines.append(f"Title: {review.title}")
    lines.append(f"Review: {review.text}")
    return "\n".join(lines)


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


def read_reply(raw: str, review: ReviewInput, model: str) -> Extraction | Drop | None:
    """The reply as an extraction or a drop; None when it is not JSON or breaks the schema or its rules
    (a kept review needs an action, a rationale and an intent; a dropped one a drop reason)."""
    try:
        reply = json.loads(_FENCE.sub("", raw.strip()))
    except json.JSONDecodeError:
        return None
    properties = REPLY_SCHEMA["properties"]
    if not isinstance(reply, dict) or set(reply) != set(properties):
        return None
    for key, spec in properties.items():
        if not isinstance(reply[key], bool if spec["type"] == "boolean" else str):
            return None
        if "enum" in spec and reply[key] not in spec["enum"]:
            return None
    if not reply["keep"]:
        return Drop(reply["drop_reason"]) if reply["drop_reason"] != "none" else None
    action, rationale, intent = (" ".join(reply[key].split()) for key in ("action", "rationale", "intent"))
    if reply["drop_reason"] != "none" or not (action and rationale and intent):
        return None
    evidence = {"model": model, "rating": review.rating, "developer_replied": bool(review.reply_text)}
    return Extraction(
        intent=intent,
        intent_source="stated" if reply["intent_stated"] else "genre",
        action=action,
        action_type=reply["action_type"],
        rationale=rationale,
        evidence=json.dumps(evidence, ensure_ascii=False),
    )


class LlmExtractor:
    """``Extractor`` through a chat model; ``fallback`` (the offline extractor) takes unreadable replies.

    ``http_client`` and ``sleep`` are for tests: a fake transport for the SDK, and a recorder of waits.
    """

    name = "llm"

    def __init__(self, settings: LlmSettings, fallback: Extractor, *, http_client: Any = None,
                 sleep: Callable[[float], None] | None = None):
        self.settings = settings
        self.fallback = fallback
        try:
            guidelines = GUIDELINES.read_text(encoding="utf-8")
        except OSError as error:
            raise UserError(f"{GUIDELINES}: cannot read the extraction guidelines, the LLM extractor's prompt ({error.strerror})") from None
        self.guidelines_sha256 = sha256_file(GUIDELINES)
        self.version = prompt_version(self.guidelines_sha256)
        self.system = INSTRUCTIONS.format(
            drop_reasons=" or ".join(f'"{reason}"' for reason in DROP_REASONS),
            action_types=", ".join(f'"{t}"' for t in REVIEW_ACTION_TYPES),
            guidelines=guidelines.strip(),
        )
        config = ClientConfig(max_tokens=settings.max_tokens, temperature=settings.temperature, concurrency=settings.concurrency,
                              retries=settings.retries, sdk_max_retries=0, timeout_s=settings.timeout_s)
        adapter = make_adapter(settings.provider, settings.model, config, base_url=settings.base_url or None,
                               key_variable=settings.api_key_env or None, http_client=http_client)
        self.client = ModelClient(adapter, config, KeyValueCache(Path(settings.cache) if settings.cache else default_cache_path()), sleep=sleep)
        self.fallbacks = 0
        self.used = Usage()  # tokens of every reply the extraction used, cached or not

    def _extract(self, review: ReviewInput) -> tuple[Extraction | Drop | None, Usage]:
        request = self.client.request(system=self.system, prompt=review_prompt(review), output=REPLY_FORMAT)
        reply, _ = self.client.reply(request, f"review {review.review_id}")
        return read_reply(reply.raw, review, self.settings.model), reply.usage

    def extract_all(self, reviews, progress: Progress) -> list[Extraction | Drop]:
        results: list[Extraction | Drop | None] = []
        for result, usage in progress(self.client.map(self._extract, reviews), f"extracting tuples ({self.client.name})", len(reviews)):
            results.append(result)
            self.used += usage
        unreadable = [i for i, result in enumerate(results) if result is None]
        if unreadable:
            for i, result in zip(unreadable, self.fallback.extract_all([reviews[i] for i in unreadable], progress), strict=True):
                results[i] = result
            self.fallbacks += len(unreadable)
        return results

    def stats(self) -> dict[str, int | float | str]:
        """For the manifest. Tokens and ``cost_usd`` cover every reply used (the same on a rebuild from
        the cache); ``calls``, ``cache_hits`` and ``paid_usd`` are this run's."""
        client = self.client
        unknown = "unknown (model not in pisar_data/prices.toml)"
        cost = cost_usd(client.price, self.used)
        return {
            "provider": client.adapter.provider,
            "endpoint": client.adapter.base_url,
            "model": client.adapter.model,
            "guidelines_sha256": self.guidelines_sha256,
            "temperature": "not sent (the model takes none)" if client.temperature is None else client.temperature,
            "max_tokens": client.config.max_tokens,
            "calls": client.stats.calls,
            "cache_hits": client.stats.cache_hits,
            "fallbacks": self.fallbacks,
            "fallback_extractor": f"{self.fallback.name} {self.fallback.version}",
            "input_tokens": self.used.input_tokens,
            "cached_input_tokens": self.used.cached_input_tokens,
            "output_tokens": self.used.output_tokens,
            "cost_usd": round(cost, 6) if cost is not None else unknown,
            "paid_usd": round(client.stats.paid_usd, 6) if client.price is not None else unknown,
        }
