"""The LLM extractor (curation/extractors/llm.py) against fake OpenAI and Anthropic endpoints
(MockTransport) injected into the official SDK clients: no test touches the network."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from fake_model_server import FakeServer, user_text

from curation import recipe
from curation.extractors import Drop, Extraction, ReviewInput
from curation.extractors.llm import GUIDELINES, REVIEW_ACTION_TYPES, LlmExtractor, LlmSettings, read_reply, review_prompt
from curation.stages import BuildContext
from curation.stages import extract as extract_stage
from pisar_data.errors import UserError
from pisar_data.hashing import sha256_file

REAL_SAMPLES = Path(__file__).parents[1] / ".." / "shared" / "real-samples"
MODELS = {"openai": "gpt-4o", "anthropic": "claude-sonnet-4-5"}  # priced models that take a temperature
REVIEWS = [
    ReviewInput("r1", "Deleted it today. It logs me out every single time I open a thread.", None, 1, None, "Slack", "Business"),
    ReviewInput("r2", "good app", None, 5, None, "Slack", "Business"),
    ReviewInput("r3", "I use it to coordinate my team and the huddles are clear even on bad wifi.", "Solid", 5, "Thanks!", "Slack", "Business"),
]


def reviewed_text(body: dict) -> str:
    return re.search(r"^Review: (.*)$", user_text(body), re.M | re.S).group(1)


def fake_model(body: dict) -> str:
    """A deterministic stand-in for a model that follows the guidelines."""
    text = reviewed_text(body)
    if len(text.split()) < 3:
        return json.dumps({"keep": False, "drop_reason": "too_short", "action_type": "rate", "action": "", "rationale": "",
                           "intent": "", "intent_stated": False})
    uninstalled = bool(re.search(r"\b(?:deleted|uninstalled)\b", text, re.I))
    stated = re.search(r"I use it to ([^.]+?) and", text)
    return json.dumps({
        "keep": True, "drop_reason": "none", "action_type": "uninstall" if uninstalled else "rate",
        "action": "uninstalled Slack" if uninstalled else "rated Slack",
        "rationale": re.split(r"(?<=[.!?])\s+", text)[-1],
        "intent": stated.group(1) if stated else "communicate with a team on Slack", "intent_stated": bool(stated),
    })


class RecordingFallback:
    """The offline extractor's place: records what it is handed and drops it with a telltale reason."""

    name, version = "recording", "0"

    def __init__(self):
        self.seen: list[str] = []

    def extract_all(self, reviews, progress):
        self.seen += [r.review_id for r in reviews]
        return [Drop("fell_back") for _ in reviews]

    def stats(self):
        return {}


def _extractor(provider, server, tmp_path, fallback=None, sleeps=None, **settings):
    table = {"provider": provider, "model": MODELS[provider], "cache": str(tmp_path / "cache.sqlite"), "retries": 2, **settings}
    return LlmExtractor(LlmSettings.from_table(table), fallback or RecordingFallback(), http_client=server.client(),
                        sleep=(sleeps if sleeps is not None else []).append)


def _no_progress(items, description="", total=None):
    return items


@pytest.mark.parametrize("provider", MODELS)
def test_success_asks_for_the_schema_with_the_guidelines_and_reads_the_reply(provider, tmp_path, monkeypatch):
    monkeypatch.setenv(f"{provider.upper()}_API_KEY", "test-key")
    server = FakeServer(provider, fake_model)
    extractor = _extractor(provider, server, tmp_path)
    deleted, short, kept = extractor.extract_all(REVIEWS, _no_progress)
    assert deleted == Extraction(
        intent="communicate with a team on Slack", intent_source="genre", action="uninstalled Slack", action_type="uninstall",
        rationale="It logs me out every single time I open a thread.",
        evidence=json.dumps({"model": MODELS[provider], "rating": 1, "developer_replied": False}))
    assert short == Drop("too_short")
    assert (kept.action_type, kept.intent, kept.intent_source) == ("rate", "coordinate my team", "stated")
    body = server.requests[0]
    if provider == "openai":
        schema = body["response_format"]["json_schema"]["schema"]
        system = body["messages"][0]["content"]
    else:
        schema = body["output_config"]["format"]["schema"]
        system = body["system"]
    assert schema["properties"]["action_type"]["enum"] == list(REVIEW_ACTION_TYPES)
    assert "add_to_cart" not in REVIEW_ACTION_TYPES and REVIEW_ACTION_TYPES[-1] == "rate"
    assert GUIDELINES.read_text(encoding="utf-8").strip() in system  # the guidelines are the prompt
    assert body["temperature"] == 0.0 and body["max_tokens" if provider == "anthropic" else "max_completion_tokens"] == 2048
    prompts = sorted(user_text(b) for b in server.requests)
    assert prompts[2] == "App: Slack (Business)\nStar rating: 5 of 5\nTitle: Solid\nReview: " + REVIEWS[2].text
    assert extractor.version == extractor.version.split("+")[0] + f"+guidelines-{sha256_file(GUIDELINES)[:12]}"
    stats = extractor.stats()
    per_reply = (800, 200, 50) if provider == "openai" else (1000, 0, 50)
    assert (stats["calls"], stats["cache_hits"], stats["fallbacks"]) == (3, 0, 0)
    assert (stats["input_tokens"], stats["cached_input_tokens"], stats["output_tokens"]) == tuple(3 * n for n in per_reply)
    price = (800 * 2.5 + 200 * 1.25 + 50 * 10) / 1e6 if provider == "openai" else (1000 * 3 + 50 * 15) / 1e6
    assert stats["cost_usd"] == stats["paid_usd"] == pytest.approx(3 * price)


@pytest.mark.parametrize("provider", MODELS)
def test_429_then_success_waits_as_told(provider, tmp_path, monkeypatch):
    monkeypatch.setenv(f"{provider.upper()}_API_KEY", "test-key")
    server = FakeServer(provider, fake_model, failures=2, retry_after="5")
    sleeps = []
    extractor = _extractor(provider, server, tmp_path, sleeps=sleeps, concurrency=1)
    results = extractor.extract_all(REVIEWS[:1], _no_progress)
    assert results[0].action_type == "uninstall" and len(server.requests) == 3
    assert sleeps == [5.0, 5.0]  # the server's retry-after, longer than the 2 s and 4 s backoff
    assert extractor.stats()["calls"] == 3 and extractor.stats()["fallbacks"] == 0


@pytest.mark.parametrize("provider", MODELS)
def test_a_rebuild_is_served_from_the_cache_with_zero_calls(provider, tmp_path, monkeypatch):
    monkeypatch.setenv(f"{provider.upper()}_API_KEY", "test-key")
    first = _extractor(provider, FakeServer(provider, fake_model), tmp_path)
    before = first.extract_all(REVIEWS, _no_progress)
    again_server = FakeServer(provider, fake_model)
    again = _extractor(provider, again_server, tmp_path)
    assert again.extract_all(REVIEWS, _no_progress) == before
    assert again_server.requests == []
    stats, first_stats = again.stats(), first.stats()
    assert (stats["calls"], stats["cache_hits"], stats["paid_usd"]) == (0, 3, 0.0)
    for same in ("input_tokens", "output_tokens", "cost_usd"):  # what the rows cost, paid now or before
        assert stats[same] == first_stats[same]
    # Another decoding setting is another request.
    hotter_server = FakeServer(provider, fake_model)
    _extractor(provider, hotter_server, tmp_path, temperature=0.7).extract_all(REVIEWS, _no_progress)
    assert len(hotter_server.requests) == 3


@pytest.mark.parametrize("provider", MODELS)
def test_unreadable_replies_fall_back_to_the_offline_extractor_and_are_counted(provider, tmp_path, monkeypatch):
    monkeypatch.setenv(f"{provider.upper()}_API_KEY", "test-key")
    good = json.loads(fake_model({"messages": [{"content": [{"text": "Review: " + REVIEWS[0].text}]}]}))
    broken = {
        "not JSON at all": "Sure! The reviewer uninstalled Slack because",
        "an action outside the vocabulary": json.dumps({**good, "action_type": "teleport"}),
        "a missing field": json.dumps({k: v for k, v in good.items() if k != "intent"}),
        "a kept review with no rationale": json.dumps({**good, "rationale": "  "}),
        "a drop without a reason": json.dumps({**good, "keep": False}),
        "a number for a string": json.dumps({**good, "action": 3}),
    }
    reviews = [ReviewInput(f"b{i}", f"{what}: the app logs me out every time.", None, 2, None, "Slack", None) for i, what in enumerate(broken)]
    answers = {review.text: raw for review, raw in zip(reviews, broken.values())}
    server = FakeServer(provider, lambda body: answers.get(reviewed_text(body)) or fake_model(body))
    fallback = RecordingFallback()
    extractor = _extractor(provider, server, tmp_path, fallback=fallback)
    results = extractor.extract_all([REVIEWS[0], *reviews, REVIEWS[2]], _no_progress)
    assert results[1:-1] == [Drop("fell_back")] * len(broken)
    assert fallback.seen == [r.review_id for r in reviews]  # each once, in order
    assert results[0].action_type == "uninstall" and results[-1].intent_source == "stated"
    assert extractor.stats()["fallbacks"] == len(broken)
    assert extractor.stats()["fallback_extractor"] == "recording 0"


def test_a_json_reply_in_a_code_fence_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    server = FakeServer("anthropic", lambda body: "```json\n" + fake_model(body) + "\n```")
    extractor = _extractor("anthropic", server, tmp_path)
    assert extractor.extract_all(REVIEWS[:1], _no_progress)[0].action_type == "uninstall"
    assert extractor.stats()["fallbacks"] == 0


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"model": "m", "concurrency": 0}, "my.toml [extract]: llm: concurrency must be 1 or more, got 0"),
        ({"model": "m", "temperature": "hot"}, "my.toml [extract]: llm.temperature must be a number, got 'hot'"),
        ({"model": "m", "retries": -1}, "my.toml [extract]: llm: retries must be 0 or more, got -1"),
        ({"model": "m", "provider": "mistral"}, "my.toml [extract]: llm: provider must be one of openai, anthropic (openai for any OpenAI-compatible server), got 'mistral'"),
        ({}, 'my.toml [extract]: llm: model must be the name of the model the endpoint serves, e.g. "Qwen/Qwen3-8B"'),
        ({"model": "m", "base_url": "localhost:8000"}, "my.toml [extract]: llm: base_url must be an http:// or https:// URL such as \"http://localhost:8000/v1\", got 'localhost:8000'"),
        ({"model": "m", "modle": "x"}, "my.toml [extract]: llm: unknown key 'modle'; expected one of api_key_env, base_url, cache, concurrency, max_tokens, model, provider, retries, temperature, timeout_s"),
        ({"model": "m", "api_key": "sk-secret"}, "my.toml [extract]: llm: api_key: a key is never stored in a recipe; put it in an environment variable and name that in api_key_env"),
        ({"model": "m", "api_key_env": "sk-secret"}, "my.toml [extract]: llm: api_key_env must be the name of an environment variable, such as OPENAI_API_KEY, never the key itself"),
    ],
)
def test_bad_settings_are_one_line_user_errors_naming_the_key(table, message):
    with pytest.raises(UserError) as raised:
        recipe.from_dict({"extract": {"extractor": "llm", "llm": table}}, Path("my.toml"))
    assert str(raised.value) == message
    assert "sk-secret" not in str(raised.value)


def test_a_hosted_endpoint_needs_its_key_from_the_environment(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(UserError, match="OPENAI_API_KEY is not set"):
        extract_stage.make_extractor(extract_stage.Config(extractor="llm", llm={"model": "gpt-5.5"}))
    monkeypatch.setenv("TEAM_KEY", "from-the-environment")
    extractor = extract_stage.make_extractor(extract_stage.Config(extractor="llm", llm={"model": "gpt-5.5", "api_key_env": "TEAM_KEY"}))
    assert extractor.client.adapter.client.api_key == "from-the-environment"


def _real_reviews(n: int) -> pl.DataFrame:
    """The first ``n`` reviews of two real dumps (App Store: Slack; Google Play: Real Cricket, many of
    them a word or two), as the dedup stage leaves them."""
    slack = pd.read_csv(REAL_SAMPLES / "app_store" / "Slack-app-reviews.csv").head(n)
    cricket = pd.read_csv(REAL_SAMPLES / "google_play" / "app_reviews.csv", encoding="utf-8-sig").head(n)
    frames = [
        ("app_store", "618783545", "Slack", "Business", [f"as-{i}" for i in slack["Unnamed: 0"]], slack["title"], slack["review"],
         slack["rating"], slack["developerResponse"]),
        ("google_play", "com.nautilus.RealCricket3D", "Real Cricket", "Sports", [f"gp-{i}" for i in range(n)], [None] * n,
         cricket["content"], cricket["score"], cricket["replyContent"]),
    ]
    return pl.concat(
        pl.DataFrame(
            {
                "review_id": ids, "source": source, "context_id": context_id, "context_name": name, "genre": genre,
                "title": list(titles), "text": list(texts), "rating": list(ratings),
                "reply_text": [r if isinstance(r, str) else None for r in replies], "lang": "en", "created_at": datetime(2025, 1, 1),
            },
            schema_overrides={"rating": pl.Int32, "title": pl.Utf8},
        )
        for source, context_id, name, genre, ids, titles, texts, ratings, replies in frames
    )


def test_the_extract_stage_runs_the_llm_extractor_end_to_end_and_resumes_from_the_cache(tmp_path, monkeypatch):
    """A recipe with ``extractor = "llm"`` and a self-hosted endpoint (no key), through the stage's run()."""
    import openai

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    reviews = _real_reviews(8)
    garbled = set(reviews["text"].to_list()[1::3])  # every 3rd reply is cut short
    server = None
    real_client = openai.OpenAI
    monkeypatch.setattr(openai, "OpenAI", lambda **kw: real_client(**{**kw, "http_client": server.client()}))
    loaded = recipe.from_dict({"extract": {"extractor": "llm", "llm": {
        "base_url": "http://localhost:8000/v1", "model": "Qwen/Qwen3-8B", "concurrency": 3, "cache": str(tmp_path / "llm.sqlite")}}})
    config = loaded.config("extract")
    assert loaded.to_dict()["extract"]["llm"]["model"] == "Qwen/Qwen3-8B"  # the manifest's recipe names the model

    def run():
        return extract_stage.run({"reviews_dedup": reviews}, config, BuildContext(tmp_path / "raw", tmp_path / "work", seed=0))

    server = FakeServer("openai", lambda body: fake_model(body)[:40] if reviewed_text(body) in garbled else fake_model(body))
    first = run()
    assert len(server.requests) == 16 and all(url == "http://localhost:8000/v1/chat/completions" for url in server.urls)
    inputs = [ReviewInput(r["review_id"], r["text"], r["title"], r["rating"], r["reply_text"], r["context_name"], r["genre"])
              for r in reviews.iter_rows(named=True)]
    offline = extract_stage.make_extractor(extract_stage.Config())

    def answered(review):  # what the fake model answers for the review, as the extractor reads it
        return read_reply(fake_model({"messages": [{"content": [{"text": review_prompt(review)}]}]}), review, "Qwen/Qwen3-8B")

    expected = {r.review_id: offline.extract_all([r], _no_progress)[0] if r.text in garbled else answered(r) for r in inputs}
    assert {type(expected[r.review_id]) for r in inputs if r.text in garbled} == {Extraction, Drop}  # the fallback keeps some
    tuples, drops = first.tables["review_tuples"], first.tables["extract_drops"]
    assert dict(drops.iter_rows()) == {i: result.reason for i, result in expected.items() if isinstance(result, Drop)}
    kept = {row["review_id"]: row for row in tuples.iter_rows(named=True)}
    assert kept.keys() == {i for i, result in expected.items() if isinstance(result, Extraction)}
    for review_id, row in kept.items():
        assert Extraction(**{field: row[field] for field in Extraction.__dataclass_fields__}) == expected[review_id]
    counts = first.counts
    assert counts["extractor"] == "llm" and counts["extractor_version"].startswith("prompt-")
    assert (counts["calls"], counts["cache_hits"], counts["fallbacks"]) == (16, 0, len(garbled))
    assert counts["endpoint"] == "http://localhost:8000/v1/" and counts["model"] == "Qwen/Qwen3-8B"
    assert (counts["temperature"], counts["max_tokens"]) == (0.0, 2048)
    assert (counts["input_tokens"], counts["output_tokens"]) == (16 * 800, 16 * 50)
    assert counts["cost_usd"] == counts["paid_usd"] == "unknown (model not in pisar_data/prices.toml)"
    assert counts["in"] == 16 and counts["out"] == tuples.height

    server = FakeServer("openai", fake_model)
    second = run()
    assert server.requests == []
    assert second.tables["review_tuples"].equals(tuples) and second.tables["extract_drops"].equals(first.tables["extract_drops"])
    assert (second.counts["calls"], second.counts["cache_hits"], second.counts["fallbacks"]) == (0, 16, len(garbled))
    assert second.counts["input_tokens"] == counts["input_tokens"]


def test_the_llm_recipe_is_the_reference_with_llm_extraction():
    loaded, reference = recipe.load(recipe.RECIPES_DIR / "pisar-v1-llm.toml"), recipe.load(recipe.REFERENCE_RECIPE)
    assert {name for name in recipe.STAGE_NAMES if loaded.config(name) != reference.config(name)} == {"extract"}
    settings = LlmSettings.from_table(loaded.config("extract").llm)
    assert (settings.provider, settings.base_url, settings.model) == ("openai", "http://localhost:8000/v1", "Qwen/Qwen3-8B")
    assert loaded.seed == reference.seed
