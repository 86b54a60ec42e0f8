"""The ``anthropic`` provider: the Messages API through the official Anthropic SDK.

Without a ``base_url`` the SDK uses ``$ANTHROPIC_BASE_URL`` or Anthropic itself.
"""

from __future__ import annotations

from typing import Any

from pisar_data.model_client import OutputFormat, Reply, Request, SdkAdapter, Usage


class AnthropicAdapter(SdkAdapter):
    provider = "anthropic"
    client_class = "Anthropic"

    def wire_format(self, output: OutputFormat) -> dict[str, Any] | None:
        if output.kind == "json_schema":
            return {"type": "json_schema", "schema": output.schema}
        # The Messages API has no plain JSON mode: for "json_object" the prompt must ask for JSON.
        return None

    def call(self, request: Request) -> Reply:
        content: list[dict[str, Any]] = []
        if request.image_png:
            content.append({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": request.image_base64()}})
        content.append({"type": "text", "text": request.prompt})
        options: dict[str, Any] = {}
        if request.temperature is not None:
            # anthropic 1.0 removed `temperature` from the method's signature, not from the API: the SDK's
            # MIGRATION.md says to send it in the body as is.
            options["extra_body"] = {"temperature": request.temperature}
        if request.output_format is not None:
            options["output_config"] = {"format": request.output_format}
        response = self.client.messages.create(
            model=request.model,
            system=request.system,
            messages=[{"role": "user", "content": content}],
            max_tokens=request.max_tokens,
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
