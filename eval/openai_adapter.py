"""`openai:MODEL`: zero-shot predictions through the official OpenAI SDK (Chat Completions)."""

from __future__ import annotations

from typing import Any

from eval.api import JSON_SCHEMA, ApiConfig, Reply, Request, Usage, api_key, retry_after, transient_status


class OpenAIAdapter:
    provider = "openai"
    output_format = {"type": "json_schema", "json_schema": {"name": "prediction", "strict": True, "schema": JSON_SCHEMA}}

    def __init__(self, model: str, config: ApiConfig, *, http_client: Any = None, key: str | None = None):
        import openai

        self.model = model
        self._openai = openai
        self.client = openai.OpenAI(
            api_key=api_key("OPENAI_API_KEY", key), max_retries=config.sdk_max_retries, timeout=config.timeout_s, http_client=http_client
        )
        self.base_url = str(self.client.base_url)  # in the cache key; $OPENAI_BASE_URL if set

    def call(self, request: Request) -> Reply:
        content: list[dict[str, Any]] = []
        if request.image_png:
            content.append({"type": "image_url", "image_url": {"url": f"data:image/png;base64,{request.image_base64()}"}})
        content.append({"type": "text", "text": request.prompt})
        options: dict[str, Any] = {}
        if request.temperature is not None:
            options["temperature"] = request.temperature
        response = self.client.chat.completions.create(
            model=request.model,
            messages=[{"role": "system", "content": request.system}, {"role": "user", "content": content}],
            max_completion_tokens=request.max_tokens,
            response_format=request.output_format,
            **options,
        )
        usage = response.usage
        details = getattr(usage, "prompt_tokens_details", None) if usage else None
        cached = (getattr(details, "cached_tokens", None) or 0) if details else 0
        return Reply(
            raw=(response.choices[0].message.content or "") if response.choices else "",
            usage=Usage(
                input_tokens=(usage.prompt_tokens - cached) if usage else 0,
                cached_input_tokens=cached,
                output_tokens=usage.completion_tokens if usage else 0,
            ),
            response_model=response.model or request.model,
        )

    def is_retryable(self, error: Exception) -> bool:
        return transient_status(error, self._openai.APIStatusError, self._openai.APIConnectionError)

    def retry_after_s(self, error: Exception) -> float | None:
        return retry_after(error, self._openai.APIStatusError)
