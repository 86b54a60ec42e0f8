"""A fake OpenAI / Anthropic endpoint behind an ``httpx2.MockTransport``, handed to the official SDK
clients as their ``http_client`` (the SDKs, openai 3.x and anthropic 2.x, speak httpx2, the httpx fork
they vendor). Nothing reaches the network."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx2 as httpx

# Token counts every fake reply reports: OpenAI 1000 prompt tokens of which 200 from its prompt cache,
# Anthropic 1000 input tokens; 50 output tokens each.
OPENAI_USAGE = {"prompt_tokens": 1000, "completion_tokens": 50, "total_tokens": 1050, "prompt_tokens_details": {"cached_tokens": 200}}
ANTHROPIC_USAGE = {"input_tokens": 1000, "output_tokens": 50, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}


def openai_response(body: dict, text: str) -> httpx.Response:
    """A Chat Completions answer, from a dated snapshot of the model asked for."""
    choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
    return httpx.Response(200, json={"id": "chatcmpl-1", "object": "chat.completion", "created": 0,
                                     "model": body["model"] + "-2026-04-23", "choices": [choice], "usage": OPENAI_USAGE})


def anthropic_response(body: dict, text: str) -> httpx.Response:
    """A Messages answer."""
    return httpx.Response(200, json={"id": "msg_1", "type": "message", "role": "assistant", "model": body["model"],
                                     "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                                     "stop_sequence": None, "usage": ANTHROPIC_USAGE})


RESPONSES = {"openai": openai_response, "anthropic": anthropic_response}


def user_text(body: dict) -> str:
    """The text of the (last) user message of a request body."""
    return body["messages"][-1]["content"][-1]["text"]


class FakeServer:
    """A ``provider`` endpoint whose reply text is ``answer(request_body)``; the first ``failures``
    calls get the error ``status`` (with ``retry-after``) instead."""

    def __init__(self, provider: str, answer: Callable[[dict], str], failures: int = 0, status: int = 429, retry_after: str = "0"):
        self.provider, self.answer = provider, answer
        self.failures, self.status, self.retry_after = failures, status, retry_after
        self.requests: list[dict] = []
        self.urls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        self.urls.append(str(request.url))
        if len(self.requests) <= self.failures:
            return httpx.Response(self.status, json={"error": {"type": "rate_limit_error", "message": "slow down"}}, headers={"retry-after": self.retry_after})
        return RESPONSES[self.provider](body, self.answer(body))

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))
