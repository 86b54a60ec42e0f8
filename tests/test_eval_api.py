"""OpenAI and Anthropic adapters against fake HTTP transports (MockTransport) injected into the official SDK clients."""

import base64
import dataclasses
import json
import time

import httpx2 as httpx  # the SDKs (openai 3.x, anthropic 2.x) speak httpx2, the httpx fork they vendor
import pytest
from conftest import toy_rows

from eval.anthropic_adapter import AnthropicAdapter
from eval.api import ApiConfig, ApiPredictor, ResponseCache, build_request, model_price
from eval.openai_adapter import OpenAIAdapter
from pisar_data.errors import UserError
from pisar_data.task import user_prompt

ANSWER = {"action": "uninstalled the app", "rationale": "it logs me out every time"}
CONFIG = ApiConfig(concurrency=2, retries=2, sdk_max_retries=0, backoff_s=2.0)


def _openai_reply(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"] + "-2026-04-23",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": json.dumps(ANSWER)}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 50, "total_tokens": 1050, "prompt_tokens_details": {"cached_tokens": 200}},
        },
    )


def _anthropic_reply(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    return httpx.Response(
        200,
        json={
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": [{"type": "text", "text": "```json\n" + json.dumps(ANSWER) + "\n```"}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 1000, "output_tokens": 50, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0},
        },
    )


class FakeServer:
    """Answers with ``reply``; the first ``failures`` calls get the given error status (and ``retry-after``) instead."""

    def __init__(self, reply, failures=0, status=429, retry_after="0"):
        self.reply, self.failures, self.status, self.retry_after = reply, failures, status, retry_after
        self.requests: list[dict] = []
        self.urls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(json.loads(request.content))
        self.urls.append(str(request.url))
        if len(self.requests) <= self.failures:
            return httpx.Response(self.status, json={"error": {"type": "rate_limit_error", "message": "slow down"}}, headers={"retry-after": self.retry_after})
        return self.reply(request)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


ADAPTERS = {
    "openai": (OpenAIAdapter, _openai_reply, "gpt-5.5"),
    "anthropic": (AnthropicAdapter, _anthropic_reply, "claude-opus-4-7"),
}


def _predictor(provider, server, tmp_path, model=None, config=CONFIG, sleeps=None):
    """A predictor on ``server`` whose waits are appended to ``sleeps`` instead of slept."""
    adapter_class, _, default_model = ADAPTERS[provider]
    adapter = adapter_class(model or default_model, config, http_client=server.client(), key="test-key")
    return ApiPredictor(adapter, config, ResponseCache(tmp_path / "cache.sqlite"), sleep=(sleeps if sleeps is not None else []).append)


@pytest.mark.parametrize("provider", ADAPTERS)
def test_success_sends_image_prompt_and_json_format(provider, tmp_path):
    server = FakeServer(ADAPTERS[provider][1])
    rows = toy_rows(3)
    records = list(_predictor(provider, server, tmp_path).predict(rows))
    assert [r["id"] for r in records] == [r["id"] for r in rows]  # input order, despite the thread pool
    assert all((r["action"], r["rationale"]) == (ANSWER["action"], ANSWER["rationale"]) for r in records)
    assert {r["model"] for r in records} == {f"{provider}:{ADAPTERS[provider][2]}"}
    body = server.requests[0]
    assert "temperature" not in body  # both reference models reject it (prices.toml: temperature = false)
    if provider == "openai":
        image, _ = body["messages"][1]["content"]
        assert image["image_url"]["url"].startswith("data:image/png;base64,")
        png = base64.b64decode(image["image_url"]["url"].split(",", 1)[1])
        assert body["response_format"] == OpenAIAdapter.output_format  # what is sent is what the cache key holds
        assert body["response_format"]["json_schema"]["schema"]["required"] == ["action", "rationale"]
        assert body["messages"][0]["role"] == "system"
    else:
        image, _ = body["messages"][0]["content"]
        png = base64.b64decode(image["source"]["data"])
        assert body["output_config"]["format"] == AnthropicAdapter.output_format
        assert body["output_config"]["format"]["schema"]["required"] == ["action", "rationale"]
        assert "JSON" in body["system"]
    assert png.startswith(b"\x89PNG")
    sent = [(b["messages"][-1]["content"][-1]["text"]) for b in server.requests]
    assert sorted(sent) == sorted(user_prompt(r) for r in rows)  # the task's own prompt, one per row


def test_temperature_zero_is_sent_to_models_that_accept_it(tmp_path):
    server = FakeServer(_openai_reply)
    list(_predictor("openai", server, tmp_path, model="gpt-4o").predict(toy_rows(1)))
    assert server.requests[0]["temperature"] == 0.0


@pytest.mark.parametrize("provider", ADAPTERS)
def test_429_then_success_is_retried(provider, tmp_path):
    server = FakeServer(ADAPTERS[provider][1], failures=2)
    sleeps = []
    records = list(_predictor(provider, server, tmp_path, sleeps=sleeps).predict(toy_rows(1)))
    assert len(server.requests) == 3 and records[0]["action"] == ANSWER["action"]
    assert sleeps == [2.0, 4.0]  # CONFIG.backoff_s, doubled


@pytest.mark.parametrize("provider", ADAPTERS)
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
    server = FakeServer(ADAPTERS[provider][1], failures=6, status=status, retry_after=retry_after)
    sleeps = []
    config = ApiConfig(concurrency=1, retries=6, sdk_max_retries=0, backoff_s=2.0)
    records = list(_predictor(provider, server, tmp_path, config=config, sleeps=sleeps).predict(toy_rows(1)))
    assert len(server.requests) == 7 and records[0]["action"] == ANSWER["action"]
    assert sleeps == expected


@pytest.mark.parametrize("provider", ADAPTERS)
def test_persistent_errors_stop_the_run_with_a_user_error(provider, tmp_path):
    server = FakeServer(ADAPTERS[provider][1], failures=100, status=503)
    with pytest.raises(UserError, match="HTTP 503"):
        list(_predictor(provider, server, tmp_path, config=ApiConfig(concurrency=1, retries=1, sdk_max_retries=0, backoff_s=0.0)).predict(toy_rows(1)))
    assert len(server.requests) == 2  # one try + one retry
    no_retries = FakeServer(ADAPTERS[provider][1], failures=100, status=503)
    with pytest.raises(UserError, match="HTTP 503"):
        list(_predictor(provider, no_retries, tmp_path, config=ApiConfig(concurrency=1, retries=0, sdk_max_retries=0)).predict(toy_rows(1)))
    assert len(no_retries.requests) == 1
    bad_request = FakeServer(ADAPTERS[provider][1], failures=100, status=400)
    with pytest.raises(UserError, match="HTTP 400"):
        list(_predictor(provider, bad_request, tmp_path).predict(toy_rows(1)))
    assert len(bad_request.requests) == 1  # a 400 is not retried


@pytest.mark.parametrize("provider", ADAPTERS)
def test_rerun_is_served_from_the_cache_with_zero_calls(provider, tmp_path):
    rows = toy_rows(4)
    first_server = FakeServer(ADAPTERS[provider][1])
    first = list(_predictor(provider, first_server, tmp_path).predict(rows))
    assert len(first_server.requests) == 4
    second_server = FakeServer(ADAPTERS[provider][1])
    predictor = _predictor(provider, second_server, tmp_path)
    second = list(predictor.predict(rows))
    assert second_server.requests == []
    assert (predictor.stats.calls, predictor.stats.cache_hits, predictor.stats.paid_usd) == (0, 4, 0.0)
    assert all(r["cached"] for r in second) and not any(r["cached"] for r in first)
    assert [r["raw"] for r in second] == [r["raw"] for r in first]
    # A different prompt (another row) is a different key.
    third_server = FakeServer(ADAPTERS[provider][1])
    list(_predictor(provider, third_server, tmp_path).predict(toy_rows(5)[4:]))
    assert len(third_server.requests) == 1


@pytest.mark.parametrize("provider", ADAPTERS)
def test_concurrent_duplicates_make_one_call(provider, tmp_path):
    def held_reply(request):
        # Hold the first call until the duplicate has either called too (two payments) or joined it (a cache hit).
        deadline = time.monotonic() + 30
        while len(server.requests) < 2 and predictor.stats.cache_hits == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        return ADAPTERS[provider][1](request)

    server = FakeServer(held_reply)
    predictor = _predictor(provider, server, tmp_path)  # CONFIG.concurrency == 2
    row = toy_rows(1)[0]
    records = list(predictor.predict([row, {**row, "id": "toy-again"}]))  # same prompt and screen, e.g. two OPeRA actions on one page
    assert len(server.requests) == 1
    assert (predictor.stats.calls, predictor.stats.cache_hits) == (1, 1)
    assert sorted(r["cached"] for r in records) == [False, True]
    assert records[0]["raw"] == records[1]["raw"] and records[0]["cost_usd"] == records[1]["cost_usd"] > 0
    assert predictor.stats.paid_usd == pytest.approx(records[0]["cost_usd"])  # paid once


@pytest.mark.parametrize("provider", ADAPTERS)
def test_cache_key_includes_the_endpoint(provider, tmp_path, monkeypatch):
    calls = []
    for base_url in ("https://proxy-a.example/v1", "https://proxy-b.example/v1", "https://proxy-a.example/v1"):
        monkeypatch.setenv(f"{provider.upper()}_BASE_URL", base_url)
        server = FakeServer(ADAPTERS[provider][1])
        list(_predictor(provider, server, tmp_path).predict(toy_rows(1)))
        calls.append(len(server.requests))
        assert all(url.startswith(base_url) for url in server.urls)
    assert calls == [1, 1, 0]  # another endpoint is another reply; the same one is served from the cache


@pytest.mark.parametrize("provider", ADAPTERS)
def test_cache_key_includes_the_output_format(provider, tmp_path):
    adapter_class, _, model = ADAPTERS[provider]
    adapter = adapter_class(model, CONFIG, key="test-key")
    request = build_request(toy_rows(1)[0], adapter, CONFIG, model_price(provider, model))
    assert request.output_format == adapter.output_format
    other_schema = {**adapter.output_format, "schema": {"type": "object"}}
    assert dataclasses.replace(request, output_format=other_schema).key() != request.key()
    assert dataclasses.replace(request, output_format=dict(adapter.output_format)).key() == request.key()


def test_unpriced_model_costs_null_not_zero(tmp_path):
    rows = toy_rows(1)
    first = list(_predictor("openai", FakeServer(_openai_reply), tmp_path, model="no-such-model").predict(rows))[0]
    again = list(_predictor("openai", FakeServer(_openai_reply), tmp_path, model="no-such-model").predict(rows))[0]
    assert (first["cost_usd"], first["cached"]) == (None, False)
    assert (again["cost_usd"], again["cached"]) == (None, True)
    assert first["usage"] == {"input_tokens": 800, "cached_input_tokens": 200, "output_tokens": 50}  # still known


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--retries", "-1", "--retries must be 0 or more, got -1"),
        ("--temperature", "-0.5", "--temperature must be 0 or more, got -0.5"),
        ("--temperature", "nan", "--temperature must be 0 or more, got nan"),
        ("--concurrency", "0", "--concurrency must be 1 or more, got 0"),
        ("--max-tokens", "0", "--max-tokens must be 1 or more, got 0"),
    ],
)
def test_bad_numeric_api_flags_are_user_errors(flag, value, message, tmp_path):
    from eval.cli import predict

    args = ["--model", "openai:gpt-5.5", "--data", str(tmp_path / "no-data"), "--out", str(tmp_path / "out.jsonl"), flag, value]
    with pytest.raises(UserError) as raised:
        predict(args)
    assert str(raised.value) == message


def test_cost_accounting(tmp_path):
    openai = _predictor("openai", FakeServer(_openai_reply), tmp_path)
    record = list(openai.predict(toy_rows(1)))[0]
    # gpt-5.5: 800 uncached input x $5 + 200 cached x $0.50 + 50 output x $30, per million tokens
    assert record["usage"] == {"input_tokens": 800, "cached_input_tokens": 200, "output_tokens": 50}
    assert record["cost_usd"] == pytest.approx((800 * 5 + 200 * 0.5 + 50 * 30) / 1e6)
    assert openai.stats.paid_usd == pytest.approx(record["cost_usd"])
    anthropic = _predictor("anthropic", FakeServer(_anthropic_reply), tmp_path)
    records = list(anthropic.predict(toy_rows(2)))
    assert records[0]["cost_usd"] == pytest.approx((1000 * 5 + 50 * 25) / 1e6)
    assert anthropic.stats.paid_usd == pytest.approx(2 * (1000 * 5 + 50 * 25) / 1e6)


def test_price_table_lookup():
    assert model_price("openai", "gpt-5.5-2026-04-23") == model_price("openai", "gpt-5.5")
    assert model_price("anthropic", "claude-opus-4-7").output_per_mtok == 25.0
    assert model_price("openai", "no-such-model") is None


def test_missing_key_is_a_user_error(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(UserError, match="OPENAI_API_KEY is not set"):
        OpenAIAdapter("gpt-5.5", CONFIG)


def test_openai_through_the_cli_resumes_and_never_pays_twice(built_dataset_dir, tmp_path, monkeypatch):
    import openai

    from pisar_data import load_dataset
    from pisar_data.cli import main
    from pisar_data.task import user_prompt

    server = FakeServer(_openai_reply, failures=1)
    real_client = openai.OpenAI
    monkeypatch.setattr(openai, "OpenAI", lambda **kw: real_client(**{**kw, "http_client": server.client(), "max_retries": 0}))
    sleeps = []
    monkeypatch.setattr("eval.api.time.sleep", sleeps.append)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("PISAR_CACHE_DIR", str(tmp_path / "cache"))
    test = load_dataset(built_dataset_dir, split="test")
    n = len(test)
    # Rows with the same prompt and screen (e.g. two OPeRA actions on one page) are one request.
    distinct = len({(user_prompt(row), row["screen"].tobytes()) for row in test})
    first_two_distinct = len({(user_prompt(row), row["screen"].tobytes()) for row in test.select(range(2))})
    preds = tmp_path / "gpt.jsonl"
    args = ["predict", "--model", "openai:gpt-5.5", "--data", str(built_dataset_dir), "--out", str(preds), "--cache", str(tmp_path / "cache.sqlite")]
    assert main([*args, "--limit", "2"]) == 0  # an "interrupted" run: 2 rows (one 429 retried)
    assert len(server.requests) == 1 + first_two_distinct
    assert sleeps == [ApiConfig().backoff_s]  # the 429's retry-after is 0
    assert main(args) == 0  # resumes with the remaining rows only
    assert len(server.requests) == 1 + distinct
    assert main([*args[:-3], str(tmp_path / "again.jsonl"), *args[-2:]]) == 0  # a repeated run: all from the cache
    assert len(server.requests) == 1 + distinct
    assert main(["bench", str(preds), "--data", str(built_dataset_dir), "--out", str(tmp_path / "report"), "--resamples", "100"]) == 0
    (model,) = json.loads((tmp_path / "report" / "report.json").read_text())["models"]
    assert model["model"] == "openai:gpt-5.5" and model["mean"] < 0.9
    assert model["cost_usd"] == pytest.approx(n * (800 * 5 + 200 * 0.5 + 50 * 30) / 1e6)
    assert model["usage"] == {"cached_input_tokens": 200 * n, "input_tokens": 800 * n, "output_tokens": 50 * n}
    assert model["latency_s_mean"] is not None  # calls made (not cache hits) are timed
