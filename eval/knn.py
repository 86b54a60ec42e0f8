"""`knn`: the offline retrieval floor. For each row, find the train row whose persona + intent +
screen text is most similar (cosine of sentence embeddings) and predict that row's action type,
action and rationale verbatim. Ties go to the smallest train id, so the result is deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pisar_data.embeddings import DEFAULT_MODEL
from pisar_data.errors import UserError
from pisar_data.task import target_text


def model_label(embedding_model: str | None) -> str:
    """``knn`` with the default embedder, ``knn:<embedder>`` otherwise, so files (and resumed runs)
    from different embedders are never mixed or confused in a report."""
    return "knn" if embedding_model in (None, DEFAULT_MODEL) else f"knn:{embedding_model}"


@dataclass(frozen=True)
class KnnConfig:
    """screen_chars: screen text beyond the first 500 characters is cut. all-MiniLM-L6-v2 reads at
    most 256 word pieces, which persona + intent + ~500 characters of screen text already fill, so
    longer text would only cost encoding time.
    """

    screen_chars: int = 500
    chunk: int = 1024  # query rows per similarity block (bounds memory to chunk x train floats)


def query_text(row: dict[str, Any], config: KnnConfig = KnnConfig()) -> str:
    screen = " ".join((row.get("screen_text") or "").split())[: config.screen_chars]
    return f"{row['persona']}\n{row['intent']}\n{screen}".strip()


def predict_knn(train: Sequence[dict[str, Any]], rows: Sequence[dict[str, Any]], scorer, config: KnnConfig = KnnConfig()) -> list[dict[str, Any]]:
    """One prediction record per row, in order. ``scorer`` is a `SemSimScorer` (its model embeds)."""
    if not train:
        raise UserError("knn: the train split is empty; expected train rows to retrieve from")
    train = sorted(train, key=lambda r: r["id"])
    train_vectors = scorer.embed([query_text(r, config) for r in train])
    records = []
    for start in range(0, len(rows), config.chunk):
        block = rows[start : start + config.chunk]
        sims = scorer.embed([query_text(r, config) for r in block]) @ train_vectors.T
        for row, best, sim in zip(block, sims.argmax(axis=1), sims.max(axis=1)):
            neighbor = train[int(best)]
            records.append(
                {
                    "id": row["id"],
                    "action_type": neighbor["action_type"],
                    "action": neighbor["action"],
                    "rationale": neighbor["rationale"],
                    "raw": target_text(neighbor),
                    "model": model_label(scorer.model_name),
                    "neighbor_id": neighbor["id"],
                    "neighbor_similarity": round(float(sim), 6),
                }
            )
    return records


