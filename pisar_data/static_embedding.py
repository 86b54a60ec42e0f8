"""A static sentence-embedding model distilled from all-MiniLM-L6-v2: one vector per word piece.

``encode(texts)`` returns one L2-normalized float32 vector per text: the text is split into
MiniLM's word pieces (its own tokenizer) and the pieces' vectors are averaged. There is no network
to run, so it embeds ~35,000 review sentences per second on one CPU core, where MiniLM itself embeds
~110 (2 cores). It is a cheap semantic feature (e.g. for classifying review text), not a stand-in
for MiniLM: on ``bench/anchor_accuracy.py``'s labelled real screens it picks the screen MiniLM picks
for only about half of the rationales (top-1 0.64 against MiniLM's 0.88), so anchoring does not use
it (it uses MiniLM, or TF-IDF at scale).

Distillation (the model2vec recipe of Tulkens & van Dongen, 2024, done here with torch and
transformers, which the project already has): every word piece of the vocabulary (bar the
``[unused…]`` placeholders) goes through MiniLM alone, as ``[CLS] piece [SEP]``, mean-pooled over
the three positions; the vectors are reduced to ``DIMS`` principal components (which also removes
the direction all of them share) and each is weighted by SIF, ``a / (a + p)``, with the piece's
probability ``p`` taken from Zipf's law on its vocabulary rank and ``a = SIF_COEFFICIENT``, so
frequent pieces ("the", "##s") count less. It takes ~40 s in one CPU thread (one thread, so the
same sums in the same order give the same vectors on every run); the result (float32, ~30 MB) is
stored in
``<cache root>/static-embedding/`` (``pisar_data.cache``) under a name derived from the model
files and this recipe, and read from there afterwards.
"""

from __future__ import annotations

import functools
import hashlib
import io
from pathlib import Path

import numpy as np

from pisar_data import atomic
from pisar_data.cache import cache_root
from pisar_data.embeddings import DEFAULT_MODEL, resolve_model_path

DIMS = 256  # model2vec's default (MiniLM has 384)
SIF_COEFFICIENT = 1e-4
BATCH = 512
RECIPE = f"wordpiece-mean-pca{DIMS}-sif{SIF_COEFFICIENT}-v1"


class StaticEmbedding:
    """Word-piece vectors plus MiniLM's tokenizer; ``encode`` is the only operation."""

    def __init__(self, vectors: np.ndarray, tokenizer, name: str):
        self.vectors = vectors
        self.tokenizer = tokenizer
        self.name = name
        self.dims = vectors.shape[1]

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dims) float32, rows L2-normalized; a text without any word piece gives a zero row."""
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        ids = [np.asarray(e.ids, dtype=np.int64) for e in encodings]
        lengths = np.array([len(i) for i in ids])
        present = lengths > 0
        if present.any():
            flat = np.concatenate([i for i in ids if len(i)])
            starts = np.concatenate([[0], np.cumsum(lengths[present])[:-1]])
            sums = np.add.reduceat(self.vectors[flat], starts, axis=0)
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            out[present] = sums / np.where(norms > 0, norms, 1.0)
        return out


def _tokenizer(model_path: str):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(model_path) / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def distill(model_path: str) -> np.ndarray:
    """The (vocabulary size, min(DIMS, hidden size)) float32 word-piece vectors of the model at ``model_path``."""
    import torch
    from transformers import AutoModel

    tokenizer = _tokenizer(model_path)
    vocab = tokenizer.get_vocab()
    special = {tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]")}
    kept = sorted(i for token, i in vocab.items() if not (token.startswith("[unused") and token.endswith("]")) and i not in special)
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    model = AutoModel.from_pretrained(model_path).eval()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: the same sums in the same order on every run
    try:
        pooled = []
        with torch.inference_mode():
            for start in range(0, len(kept), BATCH):
                piece = torch.tensor(kept[start : start + BATCH], dtype=torch.long)[:, None]
                ids = torch.cat([torch.full_like(piece, cls), piece, torch.full_like(piece, sep)], dim=1)
                hidden = model(input_ids=ids, attention_mask=torch.ones_like(ids), token_type_ids=torch.zeros_like(ids)).last_hidden_state
                pooled.append(hidden.mean(dim=1).double().numpy())
    finally:
        torch.set_num_threads(threads)
    embeddings = np.concatenate(pooled)
    # PCA: eigenvectors of the covariance, largest first, each signed so its largest projection is positive.
    centred = embeddings - embeddings.mean(axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred / (len(centred) - 1))
    dims = min(DIMS, embeddings.shape[1])
    components = eigenvectors[:, ::-1][:, :dims]
    projected = centred @ components
    projected *= np.sign(projected[np.abs(projected).argmax(axis=0), np.arange(dims)])
    # SIF weights from Zipf's law on the rank (vocabulary order ≈ frequency order for WordPiece vocabularies).
    inverse_rank = 1.0 / np.arange(2, len(kept) + 2)
    weights = SIF_COEFFICIENT / (SIF_COEFFICIENT + inverse_rank / inverse_rank.sum())
    vectors = np.zeros((tokenizer.get_vocab_size(), dims), dtype=np.float32)
    vectors[kept] = (projected * weights[:, None]).astype(np.float32)
    return vectors


def _fingerprint(model_path: str) -> str:
    digest = hashlib.sha256(RECIPE.encode())
    for name in ("config.json", "tokenizer.json", "model.safetensors"):
        path = Path(model_path) / name
        if path.is_file():
            digest.update(f"{name}:{path.stat().st_size}".encode())
            with open(path, "rb") as handle:  # the first MB identifies the weights without reading 90 MB
                digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:16]


@functools.cache
def load(model: str | None = None) -> StaticEmbedding:
    """The static model of ``model`` (default all-MiniLM-L6-v2), distilled on first use into the cache."""
    model_path = resolve_model_path(model)
    target = cache_root() / "static-embedding" / f"{_fingerprint(model_path)}.npy"
    if target.is_file():
        vectors = np.load(target)
    else:
        vectors = distill(model_path)
        buffer = io.BytesIO()
        np.save(buffer, vectors)
        atomic.write_bytes(target, buffer.getvalue())
    return StaticEmbedding(vectors, _tokenizer(model_path), f"static:{model or DEFAULT_MODEL}")


def encode(texts: list[str], model: str | None = None) -> np.ndarray:
    """L2-normalized float32 embeddings of ``texts`` from the static model of ``model`` (default MiniLM)."""
    return load(model).encode(texts)
