"""Train/test leakage: near-duplicate rationales on both sides of the split boundary.

Splits are grouped by context (app or site), but the same complaint can still be written twice —
one person reviewing two apps, a review copied across stores, one stock sentence extracted from two
different reviews — and sit in train and in test. A model trained on train then scores well on such
test rows by recall, not by prediction. Two detectors, both over the ``rationale`` text:

1. **MinHash** (:mod:`pisar_data.minhash` through its public ``DedupConfig``/``deduplicate``): exact
   duplicates after normalization, and near duplicates whose exact Jaccard over the shingle sets
   reaches ``jaccard_threshold`` and that pass the edit check (typos, dropped or appended words, no
   replaced word) — the rule the build's dedup stage applies to reviews. The whole set is clustered
   once; an (evaluation, train) pair inside a cluster counts when one of the two is the cluster's
   kept row (its decision gives the Jaccard) or, otherwise, when the pair alone is a duplicate.
2. **Embedding cosine** ≥ ``cosine_threshold`` between normalized sentence embeddings (default model
   all-MiniLM-L6-v2), for texts of at least ``embedding_min_words`` words on both sides: paraphrases
   that replace words, which the edit check lets through.

:func:`cross_split_duplicates` returns one row per (evaluation row, train row) pair found:
``eval_id, eval_split, train_id, method`` (``exact`` | ``near`` | ``embedding``: the MinHash kind
when MinHash found the pair, else ``embedding``), ``jaccard`` (null when MinHash did not pair them)
and ``cosine`` (null when no embedder was given). The build removes the train side of every pair
(``curation/stages/leakage.py``); ``pisar bench`` counts and lists the pairs of the data it scores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from pisar_data.minhash import DedupConfig, deduplicate

# texts -> their normalized embeddings, one row per text.
Embed = Callable[[list[str]], np.ndarray]

PAIR_SCHEMA = {"eval_id": pl.Utf8, "eval_split": pl.Utf8, "train_id": pl.Utf8, "method": pl.Utf8, "jaccard": pl.Float64, "cosine": pl.Float64}


# A leak may carry more edits than a duplicate the dedup stage removes (pisar_data.minhash's rule:
# 1 + one typo or added/dropped word per 8 words, one replaced word per 20): here one edit per 4
# words and one replaced word per 10 — about the allowance of the MinHash rule this audit was first
# measured with. Removing a train row on a false alarm costs one row; a missed leak inflates the score.
LEAK_EDITS = {"edit_every": 4, "replace_every": 10}


@dataclass(frozen=True)
class LeakageConfig:
    """What counts as a near-duplicate rationale across splits (defaults = the reference recipe).

    jaccard_threshold: MinHash verification threshold, the dedup stage's own default (0.5); the edit
        check that follows it is what keeps two different sentences apart (see
        :class:`pisar_data.minhash.DedupConfig`).
    cosine_threshold: 0.95. Measured with all-MiniLM-L6-v2 on the real reviews in
        ../shared/real-samples (383 distinct reviews of 6+ words): different reviews of *one* app
        reach 0.90-0.95 (27 pairs >= 0.90, 4 >= 0.95, one of them two different 8-word reviews at
        0.952); across apps no two such reviews reach 0.80. So 0.95 flags copies and close
        paraphrases and leaves reviews that merely say the same thing about an app.
    embedding_min_words: texts shorter than this (in words) are left to MinHash: MiniLM puts short
        stock phrases ("Good", "Nice app", an emoji) at cosine 0.9-1.0 from each other whatever they
        say, and MinHash still catches their exact copies.
    embedding_model: sentence-transformers model name or path for the cosine ("" = all-MiniLM-L6-v2,
        offline); "none" turns the embedding detector off (MinHash only). Embedding every distinct
        rationale once is the audit's whole cost: ``bench/leakage_speed.py`` measured 81-88 texts/s
        for two- and three-sentence rationales on a busy 2-core machine, ~150 s for 12,929 rows,
        against ~2 s for MinHash and the cosine search together. A TF-IDF prefilter (embed only train
        texts lexically close to an evaluation text) saved little there (0.5: 19% fewer texts, 1% of
        the pairs lost), so every text is embedded.
    """

    jaccard_threshold: float = 0.5
    cosine_threshold: float = 0.95
    embedding_min_words: int = 6
    embedding_model: str = ""

    def __post_init__(self) -> None:
        if not 0.0 < self.jaccard_threshold <= 1.0:
            raise ValueError(f"jaccard_threshold must be in (0, 1], got {self.jaccard_threshold!r}")
        if not -1.0 <= self.cosine_threshold <= 1.0:
            raise ValueError(f"cosine_threshold must be in [-1, 1], got {self.cosine_threshold!r}")
        if self.embedding_min_words < 1:
            raise ValueError(f"embedding_min_words must be at least 1, got {self.embedding_min_words!r}")

    @property
    def uses_embeddings(self) -> bool:
        return self.embedding_model != "none"


def sentence_embedder(config: LeakageConfig, batch_size: int = 64) -> Embed:
    """The configured sentence-transformers model as an :data:`Embed` (loaded once, offline by default)."""
    from pisar_data.embeddings import load_sentence_model

    model = load_sentence_model(config.embedding_model or None)

    def embed(texts: list[str]) -> np.ndarray:
        return np.asarray(model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False), dtype=np.float32)

    return embed


def _minhash_pairs(ids: list[str], texts: list[str], is_eval: dict[str, bool], config: DedupConfig) -> dict[tuple[str, str], tuple[str, float]]:
    """(eval id, train id) -> (kind, jaccard) for every MinHash duplicate pair across the boundary."""
    decisions = deduplicate(ids, texts, config).decisions
    direct = {(k, r): (kind, j) for k, r, j, kind in decisions.select("kept_id", "removed_id", "jaccard", "kind").iter_rows()}
    clusters: dict[str, list[str]] = {}
    for kept_id, removed_id in direct:
        clusters.setdefault(kept_id, [kept_id]).append(removed_id)
    text_of = dict(zip(ids, texts))
    pairs = {}
    for cluster in clusters.values():
        evals = [i for i in cluster if is_eval[i]]
        trains = [i for i in cluster if not is_eval[i]]
        for e in evals:
            for t in trains:
                found = direct.get((e, t)) or direct.get((t, e))
                if found is None:  # neither is the kept row: the two alone decide
                    alone = deduplicate([e, t], [text_of[e], text_of[t]], config).decisions
                    found = (alone["kind"][0], alone["jaccard"][0]) if alone.height else None
                if found is not None:
                    pairs[(e, t)] = found
    return pairs


def _embedding_pairs(ids: list[str], texts: list[str], is_eval: dict[str, bool], config: LeakageConfig, embed: Embed,
                     minhash_pairs: set[tuple[str, str]], chunk: int) -> dict[tuple[str, str], float]:
    """(eval id, train id) -> cosine, for every pair at or above ``cosine_threshold`` (both texts long
    enough) and for every MinHash pair (so that those carry their cosine too)."""
    position = {i: k for k, i in enumerate(ids)}
    long_enough = np.array([len(t.split()) >= config.embedding_min_words for t in texts])
    evals = np.flatnonzero(np.array([is_eval[i] for i in ids]) & long_enough)
    trains = np.flatnonzero(~np.array([is_eval[i] for i in ids]) & long_enough)
    needed = {k for pair in minhash_pairs for k in (position[pair[0]], position[pair[1]])}
    distinct = sorted({texts[k] for k in (*evals, *trains, *needed)})
    vectors = embed(distinct) if distinct else np.zeros((0, 0), dtype=np.float32)
    row_of = {t: k for k, t in enumerate(distinct)}
    vector = lambda k: vectors[row_of[texts[k]]]  # noqa: E731
    out: dict[tuple[str, str], float] = {}
    if len(evals) and len(trains):
        train_vectors = vectors[[row_of[texts[k]] for k in trains]]
        for start in range(0, len(evals), chunk):
            block = evals[start : start + chunk]
            sims = vectors[[row_of[texts[k]] for k in block]] @ train_vectors.T
            for a, b in zip(*np.nonzero(sims >= config.cosine_threshold)):
                out[(ids[block[a]], ids[trains[b]])] = float(sims[a, b])
    for e, t in minhash_pairs - out.keys():
        out[(e, t)] = float(vector(position[e]) @ vector(position[t]))
    return out


def cross_split_duplicates(rows: pl.DataFrame, config: LeakageConfig = LeakageConfig(), embed: Embed | None = None,
                           chunk: int = 512) -> pl.DataFrame:
    """Near-duplicate rationale pairs between the evaluation rows (``split`` not "train") and the train rows.

    ``rows`` has columns ``id``, ``split`` and ``rationale``. ``embed`` (e.g. :func:`sentence_embedder`)
    adds the cosine detector; without it only MinHash runs. Rows sorted by eval_id, train_id.
    """
    frame = rows.select("id", "split", pl.col("rationale").fill_null(""))
    ids, splits, texts = frame["id"].to_list(), frame["split"].to_list(), frame["rationale"].to_list()
    is_eval = {i: s != "train" for i, s in zip(ids, splits)}
    split_of = dict(zip(ids, splits))
    if not any(is_eval.values()) or all(is_eval.values()):
        return pl.DataFrame(schema=PAIR_SCHEMA)
    found: dict[tuple[str, str], tuple[str, float | None]] = dict(_minhash_pairs(ids, texts, is_eval, DedupConfig(threshold=config.jaccard_threshold, **LEAK_EDITS)))
    cosine = _embedding_pairs(ids, texts, is_eval, config, embed, set(found), chunk) if embed is not None else {}
    for key in cosine.keys() - found.keys():
        found[key] = ("embedding", None)
    records = [
        {"eval_id": e, "eval_split": split_of[e], "train_id": t, "method": kind, "jaccard": jaccard, "cosine": cosine.get((e, t))}
        for (e, t), (kind, jaccard) in sorted(found.items())
    ]
    return pl.DataFrame(records, schema=PAIR_SCHEMA)


def summary(pairs: pl.DataFrame, rows: pl.DataFrame) -> dict[str, int]:
    """Counts for a report: pairs, train rows involved, evaluation rows with a duplicate in train (per split), pairs per method."""
    counts = {"pairs": pairs.height, "train_rows_involved": pairs["train_id"].n_unique()}
    for split in sorted(set(rows["split"].to_list()) - {"train"}):
        counts[f"{split}_rows"] = rows.filter(pl.col("split") == split).height
        counts[f"{split}_rows_with_duplicates"] = pairs.filter(pl.col("eval_split") == split)["eval_id"].n_unique()
    for method in ("exact", "near", "embedding"):
        counts[f"pairs_{method}"] = pairs.filter(pl.col("method") == method).height
    return counts
