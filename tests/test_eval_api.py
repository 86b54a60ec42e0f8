"""The API baselines (eval.api on the model client) against fake OpenAI and Anthropic endpoints
(MockTransport) injected into the official SDK clients. The client's own behaviour (retries, cache,
in-flight duplicates, cost) is tested in test_model_client.py."""

import base64
import json
import time

import pytest
from conftest import toy_rows
from fake_model_server import FakeServer

from eval.api import build_request, predict
from pisar_data.cache import KeyValueCache
from pisar_data.errors import UserError
from pisar_data.model_client import ClientConfig, ModelClient, make_adapter
from pisar_data.task import ANSWER_SCHEMA, user_prompt

ANSWER = {"action_type": "uninstall", "action": "uninstalled the app", "rationale": "it logs me out every time"}
CONFIG = ClientConfig(concurrency=2, retries=2, sdk_max_retries=0, backoff_s=2.0)
ANSWERS = {  # Anthropic's answer comes in a code fence: the task's parser is tolerant
    "openai": lambda body: json.dumps(ANSWER),
    "anthropic": lambda body: "```json\n" + json.dumps(ANSWER) + "\n```",
}
MODELS = {"openai": "gpt-5.5", "anthropic": "claude-opus-4-7"}


def _server(provider, **failures):
    return FakeServer(provider, ANSWERS[provider], **failures)


def _client(provider, server, tmp_path, model=None, config=CONFIG, sleeps=None):
    """A client on ``server`` whose waits are appended to ``sleeps`` instead of slept."""
    adapter = make_adapter(provider, model or MODELS[provider], config, http_client=server.client(), key="test-key")
    return ModelClient(adapter, config, KeyValueCache(tmp_path / "cache.sqlite"), sleep=(sleeps if sleeps is not None else []).append)


@pytest.mark.parametrize("provider", MODELS)
def test_success_sends_image_prompt_and_json_format(provider, tmp_path):
    server = _server(provider)
    rows = toy_rows(3)
    client = _client(provider, server, tmp_path)
    records = list(predict(client, rows))
    assert [r["id"] for r in records] == [r["id"] for r in rows]  # input order, despite the thread pool
    assert all({k: r[k] for k in ANSWER} == ANSWER for r in records)
    assert {r["model"] for r in records} == {f"{provider}:{MODELS[provider]}"}
    body = server.requests[0]
    assert "temperature" not in body  # both reference models reject it (prices.toml: temperature = false)
    if provider == "openai":
        image, _ = body["messages"][1]["content"]
        assert image["image_url"]["url"].startswith("data:image/png;base64,")
        png = base64.b64decode(image["image_url"]["url"].split(",", 1)[1])
        assert body["response_format"] == build_request(rows[0], client).output_format  # what is sent is what the cache key holds
        assert body["response_format"]["json_schema"] == {"name": "prediction", "strict": True, "schema": ANSWER_SCHEMA}
        assert body["messages"][0]["role"] == "system"
    else:
        image, _ = body["messages"][0]["content"]
        png = base64.b64decode(image["source"]["data"])
        assert body["output_config"]["format"] == build_request(rows[0], client).output_format
        assert body["output_config"]["format"] == {"type": "json_schema", "schema": ANSWER_SCHEMA}
        assert "JSON" in body["system"]
    assert png.startswith(b"\x89PNG")
    sent = [(b["messages"][-1]["content"][-1]["text"]) for b in server.requests]
    assert sorted(sent) == sorted(user_prompt(r) for r in rows)  # the task's own prompt, one per row


@pytest.mark.parametrize("provider", MODELS)
def test_429_then_success_is_retried(provider, tmp_path):
    server = _server(provider, failures=2)
    sleeps = []
    records = list(predict(_client(provider, server, tmp_path, sleeps=sleeps), toy_rows(1)))
    assert len(server.requests) == 3 and records[0]["action"] == ANSWER["action"]
    assert sleeps == [2.0, 4.0]  # CONFIG.backoff_s, doubled


@pytest.mark.parametrize("provider", MODELS)
def test_persistent_errors_name_the_row(provider, tmp_path):
    server = _server(provider, failures=100, status=503)
    with pytest.raises(UserError, match="request for row toy-0000 failed: HTTP 503"):
        list(predict(_client(provider, server, tmp_path, config=ClientConfig(concurrency=1, retries=0, sdk_max_retries=0)), toy_rows(1)))


@pytest.mark.parametrize("provider", MODELS)
def test_rerun_is_served_from_the_cache_with_zero_calls(provider, tmp_path):
    rows = toy_rows(4)
    first = list(predict(_client(provider, _server(provider), tmp_path), rows))
    second_server = _server(provider)
    client = _client(provider, second_server, tmp_path)
    second = list(predict(client, rows))
    assert second_server.requests == []
    assert (client.stats.calls, client.stats.cache_hits, client.stats.paid_usd) == (0, 4, 0.0)
    assert all(r["cached"] for r in second) and not any(r["cached"] for r in first)
    assert [r["raw"] for r in second] == [r["raw"] for r in first]
    assert [r["cost_usd"] for r in second] == [r["cost_usd"] for r in first]  # list price of the reply, paid or not


@pytest.mark.parametrize("provider", MODELS)
def test_rows_with_one_prompt_and_screen_in_flight_make_one_call(provider, tmp_path):
    def held(body):
        # Hold the first call until the duplicate has either called too (two payments) or joined it (a cache hit).
        deadline = time.monotonic() + 30
        while len(server.requests) < 2 and client.stats.cache_hits == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        return ANSWERS[provider](body)

    server = FakeServer(provider, held)
    client = _client(provider, server, tmp_path)  # CONFIG.concurrency == 2
    row = toy_rows(1)[0]
    records = list(predict(client, [row, {**row, "id": "toy-again"}]))  # e.g. two OPeRA actions on one page
    assert len(server.requests) == 1
    assert (client.stats.calls, client.stats.cache_hits) == (1, 1)
    assert sorted(r["cached"] for r in records) == [False, True]
    assert records[0]["raw"] == records[1]["raw"] and records[0]["cost_usd"] == records[1]["cost_usd"] > 0
    assert client.stats.paid_usd == pytest.approx(records[0]["cost_usd"])  # paid once


def test_unpriced_model_costs_null_not_zero(tmp_path):
    rows = toy_rows(1)
    first = list(predict(_client("openai", _server("openai"), tmp_path, model="no-such-model"), rows))[0]
    again = list(predict(_client("openai", _server("openai"), tmp_path, model="no-such-model"), rows))[0]
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
    from eval.cli import predict as predict_command

    args = ["--model", "openai:gpt-5.5", "--data", str(tmp_path / "no-data"), "--out", str(tmp_path / "out.jsonl"), flag, value]
    with pytest.raises(UserError) as raised:
        predict_command(args)
    assert str(raised.value) == message


def test_cost_accounting(tmp_path):
    openai = _client("openai", _server("openai"), tmp_path)
    record = list(predict(openai, toy_rows(1)))[0]
    # gpt-5.5: 800 uncached input x $5 + 200 cached x $0.50 + 50 output x $30, per million tokens
    assert record["usage"] == {"input_tokens": 800, "cached_input_tokens": 200, "output_tokens": 50}
    assert record["cost_usd"] == pytest.approx((800 * 5 + 200 * 0.5 + 50 * 30) / 1e6)
    assert openai.stats.paid_usd == pytest.approx(record["cost_usd"])
    anthropic = _client("anthropic", _server("anthropic"), tmp_path)
    records = list(predict(anthropic, toy_rows(2)))
    assert records[0]["cost_usd"] == pytest.approx((1000 * 5 + 50 * 25) / 1e6)
    assert anthropic.stats.paid_usd == pytest.approx(2 * (1000 * 5 + 50 * 25) / 1e6)


def test_missing_key_is_a_user_error_before_anything_is_written(tmp_path, monkeypatch):
    from eval.cli import predict as predict_command

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    cache = tmp_path / "cache.sqlite"
    args = ["--model", "openai:gpt-5.5", "--data", str(tmp_path / "no-data"), "--out", str(tmp_path / "out.jsonl"), "--cache", str(cache)]
    with pytest.raises(UserError, match="OPENAI_API_KEY is not set"):
        predict_command(args)
    assert not cache.exists()


def test_openai_through_the_cli_resumes_and_never_pays_twice(built_dataset_dir, tmp_path, monkeypatch):
    import openai

    from pisar_data import load_dataset
    from pisar_data.cli import main
    from pisar_data.task import ANSWER_SCHEMA, user_prompt

    server = _server("openai", failures=1)
    real_client = openai.OpenAI
    monkeypatch.setattr(openai, "OpenAI", lambda **kw: real_client(**{**kw, "http_client": server.client(), "max_retries": 0}))
    sleeps = []
    monkeypatch.setattr("pisar_data.model_client.time.sleep", sleeps.append)
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
    assert sleeps == [ClientConfig().backoff_s]  # the 429's retry-after is 0
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
