"""`anthropic:MODEL`: zero-shot predictions through the official Anthropic SDK (Messages API)."""

from __future__ import annotations

from typing import Any

from eval.api import JSON_SCHEMA, ApiConfig, Reply, Request, Usage, api_key, retry_after, transient_status


class AnthropicAdapter:
    provider = "anthropic"
    output_format = {"type": "json_schema", "schema": JSON_SCHEMA}

    def __init__(self, model: str, config: ApiConfig, *, http_client: Any = None, key: str | None = None):
        import anthropic

        self.model = model
        self._anthropic = anthropic
        self.client = anthropic.Anthropic(
            api_key=api_key("ANTHROPIC_API_KEY", key), max_retries=config.sdk_max_retries, timeout=config.timeout_s, http_client=http_client
        )
        self.base_url = str(self.client.base_url)  # in the cache key; $ANTHROPIC_BASE_URL if set

    def call(self, request: Request) -> Reply:
        content: list[dict[str, Any]] = []
        if request.image_png:
            content.append({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": request.image_base64()}})
        content.append({"type": "text", "text": request.prompt})
        options: dict[str, Any] = {}
        if request.temperature is not None:
            options["temperature"] = request.temperature
        response = self.client.messages.create(
            model=request.model,
            system=request.system,
            messages=[{"role": "user", "content": content}],
            max_tokens=request.max_tokens,
            output_config={"format": request.output_format},
            **options,
        )
        usage = response.usage
        return Reply(
            raw="".join(block.text for block in response.content if block.type == "text"),
            usage=Usage(
                # Prompt-cache writes (billed at 1.25x input) count as plain input: a slight underestimate, and
                # this adapter never asks for prompt caching.
                input_tokens=usage.input_tokens + (usage.cache_creation_input_tokens or 0),
                cached_input_tokens=usage.cache_read_input_tokens or 0,
                output_tokens=usage.output_tokens,
            ),
            response_model=response.model or request.model,
        )

    def is_retryable(self, error: Exception) -> bool:
        return transient_status(error, self._anthropic.APIStatusError, self._anthropic.APIConnectionError)

    def retry_after_s(self, error: Exception) -> float | None:
        return retry_after(error, self._anthropic.APIStatusError)
