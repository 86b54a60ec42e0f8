"""Cost and recall of the train/test leakage audit (pisar_data.leakage) at the reference corpus size.

    python bench/leakage_speed.py [--rows 12929] [--eval-rows 1322] [--planted 300] [--samples ../shared/real-samples]

Rationales are built deterministically (fixed seed) from the sentences of the real reviews in the
real-samples folder: each is two or three sentences drawn from different reviews (so nearly all are
distinct, as in the corpus). The first ``--eval-rows`` are the evaluation split, the rest train.
``--planted`` train rows are paraphrases of evaluation rows that MinHash's edit check rejects: one
or two words replaced (by words of other reviews) in each of two sentences.

Prints the time of the MinHash pass alone, of embedding every distinct text with all-MiniLM-L6-v2
(the build's default) and of the whole audit with those embeddings, the pairs found, and the recall
of the planted paraphrases at the default cosine threshold and at 0.90. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pisar_data.leakage import LeakageConfig, cross_split_duplicates, sentence_embedder  # noqa: E402

SEED = 20261201


def sentences(samples: Path) -> list[str]:
    texts = []
    for path in sorted((samples / "google_play").glob("*.csv")) + sorted((samples / "app_store").glob("*.csv")):
        frame = pl.read_csv(path, infer_schema_length=0, encoding="utf8-lossy")
        texts += [t for column in ("content", "review") if column in frame.columns for t in frame[column].drop_nulls().to_list()]
    return sorted({s.strip() for t in texts for s in re.split(r"(?<=[.!?])\s+", t) if len(s.split()) >= 4})


def paraphrase(text: str, rng: random.Random, vocabulary: list[str]) -> str:
    words = text.split()
    for k in rng.sample(range(len(words)), min(len(words), rng.choice((2, 3, 4)))):
        words[k] = rng.choice(vocabulary)
    return " ".join(words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=12929)
    parser.add_argument("--eval-rows", type=int, default=1322)
    parser.add_argument("--planted", type=int, default=300)
    parser.add_argument("--samples", type=Path, default=REPO.parent / "shared" / "real-samples")
    args = parser.parse_args()
    pool = sentences(args.samples)
    vocabulary = sorted({w for s in pool for w in s.split() if w.isalpha()})
    rng = random.Random(SEED)
    texts = [" ".join(rng.sample(pool, rng.choice((2, 3)))) for _ in range(args.rows - args.planted)]
    planted = [paraphrase(texts[k], rng, vocabulary) for k in range(args.planted)]
    ids = [f"r{i:06d}" for i in range(len(texts))] + [f"p{i:06d}" for i in range(args.planted)]
    rows = pl.DataFrame({"id": ids, "split": ["test" if i < args.eval_rows else "train" for i in range(len(ids))], "rationale": texts + planted})
    planted_pairs = {(f"r{k:06d}", f"p{k:06d}") for k in range(args.planted)}

    config = LeakageConfig()
    started = time.perf_counter()
    minhash = cross_split_duplicates(rows, config)
    minhash_s = time.perf_counter() - started

    embed = sentence_embedder(config)
    embed(["warm up"])
    distinct = sorted(set(rows["rationale"].to_list()))
    started = time.perf_counter()
    vectors = dict(zip(distinct, embed(distinct)))
    embed_s = time.perf_counter() - started

    def embedded(batch: list[str]) -> np.ndarray:  # the audit's own embedding call, served from the timed pass
        return np.stack([vectors[t] for t in batch])

    found = {}
    for threshold in (config.cosine_threshold, 0.90):
        started = time.perf_counter()
        pairs = cross_split_duplicates(rows, replace(config, cosine_threshold=threshold), embedded)
        found[threshold] = (set(zip(pairs["eval_id"], pairs["train_id"])), pairs, time.perf_counter() - started)
    pairs_set, pairs, audit_s = found[config.cosine_threshold]
    figures = {
        "benchmark": "bench/leakage_speed.py", "rows": rows.height, "distinct_texts": len(distinct), "minhash_seconds": round(minhash_s, 2),
        "embedding_seconds": round(embed_s, 1), "texts_per_second": round(len(distinct) / embed_s, 1), "audit_seconds_without_embedding": round(audit_s, 2),
        "pairs": len(pairs_set), "pairs_minhash_only": minhash.height, "pairs_by_method": dict(pairs.group_by("method").len().sort("method").iter_rows()),
        "planted_recall": round(len(pairs_set & planted_pairs) / max(1, args.planted), 4),
        "planted_recall_at_0.90": round(len(found[0.90][0] & planted_pairs) / max(1, args.planted), 4), "pairs_at_0.90": len(found[0.90][0]),
    }
    print(f"{rows.height:,} rationales ({len(distinct):,} distinct), {args.eval_rows:,} evaluation rows, {args.planted} planted paraphrases")
    print(f"MinHash alone:            {minhash_s:6.1f} s  ({minhash.height} pairs)")
    print(f"all-MiniLM-L6-v2 embed:   {embed_s:6.1f} s  ({figures['texts_per_second']:.0f} texts/s)")
    print(f"audit, embeddings given:  {audit_s:6.1f} s  ({len(pairs_set)} pairs: {figures['pairs_by_method']})")
    print(f"planted paraphrases found: {figures['planted_recall']:.3f} at cosine >= {config.cosine_threshold}, "
          f"{figures['planted_recall_at_0.90']:.3f} at >= 0.90 ({figures['pairs_at_0.90']} pairs)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
