"""The API baselines (`openai:MODEL`, `anthropic:MODEL`): a benchmark row -> one request through the
project's model client (``pisar_data.model_client``: cache, retries, concurrency, cost) -> a
prediction record.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict
from functools import partial
from typing import Any

from pisar_data.model_client import ModelClient, Request, cost_usd, encode_image, json_schema_format
from pisar_data.task import ANSWER_SCHEMA, build_messages, parse_prediction

PREDICTION_FORMAT = json_schema_format("prediction", ANSWER_SCHEMA)


def build_request(row: dict[str, Any], client: ModelClient) -> Request:
    """The request for a row, from the task's own chat messages."""
    system, user = build_messages(row)
    image = next((part["image"] for part in user["content"] if part["type"] == "image"), None)
    return client.request(
        system="".join(part["text"] for part in system["content"] if part["type"] == "text"),
        prompt="".join(part["text"] for part in user["content"] if part["type"] == "text"),
        image_png=encode_image(image, client.config.max_image_side),
        output=PREDICTION_FORMAT,
    )


def predict_row(client: ModelClient, row: dict[str, Any]) -> dict[str, Any]:
    reply, cached = client.reply(build_request(row, client), f"row {row['id']}")
    prediction = parse_prediction(reply.raw)
    return {
        "id": row["id"],
        "action_type": prediction.action_type,
        "action": prediction.action,
        "rationale": prediction.rationale,
        "raw": reply.raw,
        "model": client.name,
        "usage": asdict(reply.usage),
        "cost_usd": cost_usd(client.price, reply.usage),
        "latency_s": reply.latency_s,
        "cached": cached,
        "response_model": reply.response_model,
    }


def predict(client: ModelClient, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Prediction records in input order; requests run ``client.config.concurrency`` at a time."""
    return client.map(partial(predict_row, client), rows)
