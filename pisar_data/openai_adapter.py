"""The ``openai`` provider: the Chat Completions API through the official OpenAI SDK.

Any OpenAI-compatible server speaks it too (vLLM, SGLang, llama.cpp server, Ollama): give its
``base_url`` (e.g. ``http://localhost:8000/v1``); without one the SDK uses ``$OPENAI_BASE_URL`` or
OpenAI itself.
"""

from __future__ import annotations

from typing import Any

from pisar_data.model_client import OutputFormat, Reply, Request, SdkAdapter, Usage


class OpenAIAdapter(SdkAdapter):
    provider = "openai"
    client_class = "OpenAI"

    def wire_format(self, output: OutputFormat) -> dict[str, Any] | None:
        if output.kind == "json_schema":
            return {"type": "json_schema", "json_schema": {"name": output.name, "strict": True, "schema": output.schema}}
        if output.kind == "json_object":
            return {"type": "json_object"}
        return None

    def call(self, request: Request) -> Reply:
        content: list[dict[str, Any]] = []
        if request.image_png:
            content.append({"type": "image_url", "image_url": {"url": f"data:image/png;base64,{request.image_base64()}"}})
        content.append({"type": "text", "text": request.prompt})
        options: dict[str, Any] = {}
        if request.temperature is not None:
            options["temperature"] = request.temperature
        if request.output_format is not None:
            options["response_format"] = request.output_format
        response = self.client.chat.completions.create(
            model=request.model,
            messages=[{"role": "system", "content": request.system}, {"role": "user", "content": content}],
            max_completion_tokens=request.max_tokens,
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
