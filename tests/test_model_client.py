"""The one model client (pisar_data.model_client) against fake OpenAI and Anthropic endpoints
(MockTransport) injected into the official SDK clients. Identical requests in flight making one call
is tested through the benchmark's rows in test_eval_api.py."""

import dataclasses
import json

import pytest
from fake_model_server import FakeServer, user_text

from pisar_data.cache import KeyValueCache
from pisar_data.errors import UserError
from pisar_data.model_client import (
    JSON_OBJECT,
    TEXT,
    ClientConfig,
    ModelClient,
    json_schema_format,
    make_adapter,
    model_price,
)

PROVIDERS = {"openai": "gpt-5.5", "anthropic": "claude-opus-4-7"}
CONFIG = ClientConfig(concurrency=2, retries=2, sdk_max_retries=0, backoff_s=2.0)
SCHEMA = json_schema_format("answer", {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": False})


def echo(body: dict) -> str:
    return json.dumps({"a": user_text(body)})


def _client(provider, server, tmp_path, model=None, config=CONFIG, sleeps=None, **options):
    """A client on ``server`` whose waits are appended to ``sleeps`` instead of slept."""
    adapter = make_adapter(provider, model or PROVIDERS[provider], config, http_client=server.client(), key="test-key", **options)
    return ModelClient(adapter, config, KeyValueCache(tmp_path / "cache.sqlite"), sleep=(sleeps if sleeps is not None else []).append)


def _ask(client, prompts, output=SCHEMA):
    """Replies (and whether each was free) for ``prompts``, in order, through the client's pool."""
    return list(client.map(lambda prompt: client.reply(client.request(system="Answer in JSON.", prompt=prompt, output=output), prompt), prompts))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_success_returns_the_reply_and_its_tokens(provider, tmp_path):
    server = FakeServer(provider, echo)
    client = _client(provider, server, tmp_path)
    replies = _ask(client, ["one", "two", "three"])
    assert [json.loads(reply.raw)["a"] for reply, _ in replies] == ["one", "two", "three"]  # input order, despite the pool
    assert not any(cached for _, cached in replies)
    assert client.stats.calls == 3 and client.stats.cache_hits == 0
    per_call = (800, 200, 50) if provider == "openai" else (1000, 0, 50)
    assert dataclasses.astuple(client.stats.usage) == tuple(3 * n for n in per_call)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_output_formats_on_the_wire(provider, tmp_path):
    server = FakeServer(provider, echo)
    client = _client(provider, server, tmp_path, model="gpt-4o" if provider == "openai" else "claude-sonnet-4-5")
    for output in (TEXT, JSON_OBJECT, SCHEMA):
        _ask(client, [output.kind], output=output)
    text, json_object, schema = server.requests
    if provider == "openai":
        assert "response_format" not in text
        assert json_object["response_format"] == {"type": "json_object"}
        assert schema["response_format"] == {"type": "json_schema", "json_schema": {"name": "answer", "strict": True, "schema": SCHEMA.schema}}
        assert schema["messages"][0] == {"role": "system", "content": "Answer in JSON."}
    else:
        assert "output_config" not in text and "output_config" not in json_object  # no plain JSON mode: the prompt asks
        assert schema["output_config"] == {"format": {"type": "json_schema", "schema": SCHEMA.schema}}
        assert schema["system"] == "Answer in JSON."
    assert all(body["temperature"] == 0.0 for body in server.requests)  # these models accept a temperature


@pytest.mark.parametrize("provider", PROVIDERS)
def test_models_that_reject_a_temperature_are_sent_none(provider, tmp_path):
    server = FakeServer(provider, echo)
    _ask(_client(provider, server, tmp_path), ["x"])  # prices.toml: temperature = false
    assert "temperature" not in server.requests[0]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_429_then_success_is_retried(provider, tmp_path):
    server = FakeServer(provider, echo, failures=2)
    sleeps = []
    client = _client(provider, server, tmp_path, sleeps=sleeps)
    (reply, cached), = _ask(client, ["x"])
    assert len(server.requests) == 3 and json.loads(reply.raw) == {"a": "x"} and not cached
    assert sleeps == [2.0, 4.0]  # CONFIG.backoff_s, doubled
    assert client.stats.calls == 3


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [
        (429, "0", [2.0, 4.0, 8.0, 16.0, 32.0, 60.0]),  # doubling from backoff_s, capped at 60 s
        (429, "7", [7.0, 7.0, 8.0, 16.0, 32.0, 60.0]),  # the longer of backoff and retry-after
        (503, "100", [60.0] * 6),  # retry-after is capped too
        (500, "7", [2.0, 4.0, 8.0, 16.0, 32.0, 60.0]),  # retry-after counts on 429 and 503 only
        (429, "Wed, 21 Oct 2026 07:28:00 GMT", [2.0, 4.0, 8.0, 16.0, 32.0, 60.0]),  # an HTTP date: backoff alone
    ],
)
def test_backoff_doubles_and_honours_retry_after(provider, status, retry_after, expected, tmp_path):
    server = FakeServer(provider, echo, failures=6, status=status, retry_after=retry_after)
    sleeps = []
    config = ClientConfig(concurrency=1, retries=6, sdk_max_retries=0, backoff_s=2.0)
    (reply, _), = _ask(_client(provider, server, tmp_path, config=config, sleeps=sleeps), ["x"])
    assert len(server.requests) == 7 and json.loads(reply.raw) == {"a": "x"}
    assert sleeps == expected


@pytest.mark.parametrize("provider", PROVIDERS)
def test_persistent_errors_stop_the_run_with_a_user_error(provider, tmp_path):
    server = FakeServer(provider, echo, failures=100, status=503)
    with pytest.raises(UserError, match="request for x failed: HTTP 503"):
        _ask(_client(provider, server, tmp_path, config=ClientConfig(concurrency=1, retries=1, sdk_max_retries=0, backoff_s=0.0)), ["x"])
    assert len(server.requests) == 2  # one try + one retry
    no_retries = FakeServer(provider, echo, failures=100, status=503)
    with pytest.raises(UserError, match="HTTP 503"):
        _ask(_client(provider, no_retries, tmp_path, config=ClientConfig(concurrency=1, retries=0, sdk_max_retries=0)), ["x"])
    assert len(no_retries.requests) == 1
    bad_request = FakeServer(provider, echo, failures=100, status=400)
    with pytest.raises(UserError, match="HTTP 400"):
        _ask(_client(provider, bad_request, tmp_path), ["x"])
    assert len(bad_request.requests) == 1  # a 400 is not retried


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_repeated_run_is_served_from_the_cache_with_zero_calls(provider, tmp_path):
    first_server = FakeServer(provider, echo)
    first = _ask(_client(provider, first_server, tmp_path), ["a", "b", "c"])
    assert len(first_server.requests) == 3
    second_server = FakeServer(provider, echo)
    client = _client(provider, second_server, tmp_path)
    second = _ask(client, ["a", "b", "c"])
    assert second_server.requests == []
    assert (client.stats.calls, client.stats.cache_hits, client.stats.paid_usd, client.stats.usage.output_tokens) == (0, 3, 0.0, 0)
    assert all(cached for _, cached in second)
    assert [r.raw for r, _ in second] == [r.raw for r, _ in first]
    # Another prompt is another key.
    third_server = FakeServer(provider, echo)
    _ask(_client(provider, third_server, tmp_path), ["d"])
    assert len(third_server.requests) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_cache_key_includes_the_endpoint(provider, tmp_path, monkeypatch):
    calls = []
    for base_url in ("https://proxy-a.example/v1", "https://proxy-b.example/v1", "https://proxy-a.example/v1"):
        monkeypatch.setenv(f"{provider.upper()}_BASE_URL", base_url)
        server = FakeServer(provider, echo)
        _ask(_client(provider, server, tmp_path), ["x"])
        calls.append(len(server.requests))
        assert all(url.startswith(base_url) for url in server.urls)
    assert calls == [1, 1, 0]  # another endpoint is another reply; the same one is served from the cache
    explicit = FakeServer(provider, echo)
    _ask(_client(provider, explicit, tmp_path, base_url="http://localhost:8000/v1"), ["x"])  # a self-hosted server
    assert explicit.urls[0].startswith("http://localhost:8000/v1/") and len(explicit.requests) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_cache_key_includes_the_output_format_and_decoding(provider, tmp_path):
    client = _client(provider, FakeServer(provider, echo), tmp_path)
    request = client.request(system="s", prompt="p", output=SCHEMA)
    assert request.output_format == client.adapter.wire_format(SCHEMA)  # what is sent is what the key holds
    other_schema = json_schema_format("answer", {"type": "object"})
    assert client.request(system="s", prompt="p", output=other_schema).key() != request.key()
    assert client.request(system="s", prompt="p", output=TEXT).key() != request.key()
    assert client.request(system="s", prompt="p", output=json_schema_format("answer", dict(SCHEMA.schema))).key() == request.key()
    for change in ({"max_tokens": 10}, {"temperature": 0.5}, {"model": "other"}, {"image_png": b"png"}):
        assert dataclasses.replace(request, **change).key() != request.key()


def test_cost_accounting(tmp_path):
    from pisar_data.model_client import cost_usd

    openai = _client("openai", FakeServer("openai", echo), tmp_path)
    (reply, _), = _ask(openai, ["x"])
    # gpt-5.5: 800 uncached input x $5 + 200 cached x $0.50 + 50 output x $30, per million tokens
    assert dataclasses.astuple(reply.usage) == (800, 200, 50)
    assert cost_usd(openai.price, reply.usage) == pytest.approx((800 * 5 + 200 * 0.5 + 50 * 30) / 1e6)
    assert openai.stats.paid_usd == pytest.approx(cost_usd(openai.price, reply.usage))
    anthropic = _client("anthropic", FakeServer("anthropic", echo), tmp_path)
    _ask(anthropic, ["y", "z"])
    assert anthropic.stats.paid_usd == pytest.approx(2 * (1000 * 5 + 50 * 25) / 1e6)
    unpriced = _client("openai", FakeServer("openai", echo), tmp_path, model="my-local-model")
    (reply, _), = _ask(unpriced, ["x"])
    assert unpriced.price is None and cost_usd(None, reply.usage) is None
    assert unpriced.stats.paid_usd == 0.0 and unpriced.stats.usage.output_tokens == 50  # tokens still known


def test_price_table_lookup():
    assert model_price("openai", "gpt-5.5-2026-04-23") == model_price("openai", "gpt-5.5")
    assert model_price("anthropic", "claude-opus-4-7").output_per_mtok == 25.0
    assert model_price("openai", "no-such-model") is None


@pytest.mark.parametrize("provider", PROVIDERS)
def test_missing_key_is_a_user_error_unless_the_server_is_self_hosted(provider, monkeypatch):
    variable = f"{provider.upper()}_API_KEY"
    monkeypatch.delenv(variable, raising=False)
    with pytest.raises(UserError, match=f"{variable} is not set"):
        make_adapter(provider, PROVIDERS[provider], CONFIG)
    with pytest.raises(UserError, match="MY_KEY is not set"):
        make_adapter(provider, PROVIDERS[provider], CONFIG, key_variable="MY_KEY")
    monkeypatch.setenv("MY_KEY", "from-the-environment")
    assert make_adapter(provider, PROVIDERS[provider], CONFIG, key_variable="MY_KEY").client.api_key == "from-the-environment"
    assert make_adapter(provider, "local", CONFIG, base_url="http://localhost:11434/v1").base_url.startswith("http://localhost:11434/v1")


def test_unknown_provider_is_a_user_error():
    with pytest.raises(UserError, match="provider 'mistral': expected one of openai, anthropic"):
        make_adapter("mistral", "m", CONFIG)
