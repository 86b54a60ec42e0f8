"""The static embedding model: distillation is deterministic, encoding is normalized and order-free, the cache is used."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from pisar_data import static_embedding
from pisar_data.embeddings import resolve_model_path


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A random-weight 2-layer BERT with MiniLM's tokenizer (distilling the real MiniLM takes ~40 s)."""
    import torch
    from transformers import BertConfig, BertModel

    folder = tmp_path_factory.mktemp("tiny-bert")
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)).save_pretrained(folder)
    shutil.copy(f"{resolve_model_path(None)}/tokenizer.json", folder / "tokenizer.json")
    return str(folder)


def test_distillation_is_deterministic(tiny_model):
    first, second = static_embedding.distill(tiny_model), static_embedding.distill(tiny_model)
    assert first.shape == (30522, 32) and first.dtype == np.float32
    assert np.array_equal(first, second)
    assert not first[1:100].any() and not first[104:999].any()  # [unused…] placeholders get no vector
    assert first[100].any() and first[999].any()  # [UNK] and "!" do


def test_encode_is_normalized_and_independent_of_the_batch(tiny_model):
    model = static_embedding.StaticEmbedding(static_embedding.distill(tiny_model), static_embedding._tokenizer(tiny_model), "static:tiny")
    texts = ["I can't log in, it keeps rejecting my password", "Sign in\nEmail\nPassword", "", "Now playing"]
    vectors = model.encode(texts)
    assert vectors.shape == (4, 32) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[[0, 1, 3]], axis=1), 1.0, atol=1e-5) and not vectors[2].any()
    assert np.array_equal(model.encode([texts[3], texts[0]]), vectors[[3, 0]])


def test_load_distils_once_into_the_cache(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setenv("PISAR_CACHE_DIR", str(tmp_path))
    static_embedding.load.cache_clear()
    first = static_embedding.load(tiny_model)
    (stored,) = (tmp_path / "static-embedding").glob("*.npy")
    written = stored.stat().st_mtime_ns
    static_embedding.load.cache_clear()
    again = static_embedding.load(tiny_model)
    assert stored.stat().st_mtime_ns == written and np.array_equal(first.vectors, again.vectors)
    assert again.name == f"static:{tiny_model}"
    static_embedding.load.cache_clear()
