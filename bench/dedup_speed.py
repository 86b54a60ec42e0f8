"""Speed and memory of near-duplicate removal on N generated review-like texts.

    python bench/dedup_speed.py --n 1000000 [--check]

Texts are generated deterministically (fixed seed): 1–60 words (geometric, mean 10) drawn by Zipf's
law from 50,000 pseudo-words whose length grows with their rank (short texts dominate, as in app
reviews; random pairs have a mean word-4-gram Jaccard of ~0.02, the real samples ~0.03), with a share
(``--dup-share``, default 0.2) of texts being edited copies of earlier ones (typo, word drop,
adjacent swap, one appended word, exact copy). The whole engine (normalize, exact hash, short-text
joins, shingles, signatures, LSH, verification, survivors, decisions) runs on N/10 and then on N texts, so the growth
from N/10 to N is printed; then a plain per-document datasketch loop (``MinHash.update`` per shingle,
``MinHashLSH.insert`` per document) runs on a 2,000-text sample for the speed-up. F1 is pairwise
against the generator's ground truth. Peak RSS is the process maximum (generation included).

Last line: ``docs_per_s=<float> peak_rss_mb=<float> speedup_vs_naive=<float> f1=<float>``.
With ``--check`` the exit status is 1 when a target (>= 25,000 docs/s, <= 4,096 MB, growth from
N/10 to N at most 10× (linear) plus 10%) is missed.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pisar_data.minhash import DedupConfig, deduplicate, normalize  # noqa: E402

SEED = 7
VOCABULARY = 50_000
NAIVE_SAMPLE = 2_000
LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))


def _vocabulary(rng: np.random.Generator) -> np.ndarray:
    # Frequent words are short, rare ones long (as in real text): length grows with log(rank).
    lengths = np.clip(2 + np.round(0.5 * np.log1p(np.arange(VOCABULARY)) + rng.integers(0, 3, VOCABULARY)), 2, 14).astype(int)
    return np.array(["".join(rng.choice(LETTERS, n)) for n in lengths])


def generate(n: int, dup_share: float, seed: int = SEED) -> tuple[list[str], np.ndarray]:
    """``n`` texts and each one's ground-truth group (the index of the original it copies)."""
    rng = np.random.default_rng(seed)
    words = _vocabulary(rng)
    weights = 1.0 / np.arange(1, VOCABULARY + 1)  # Zipf's law, exponent 1
    cdf = np.cumsum(weights) / weights.sum()
    originals = n - int(n * dup_share)
    lengths = np.clip(rng.geometric(0.1, originals), 1, 60)
    flat = words[np.searchsorted(cdf, rng.random(int(lengths.sum())))]
    bounds = np.concatenate(([0], np.cumsum(lengths)))
    texts = [" ".join(flat[bounds[i] : bounds[i + 1]]) for i in range(originals)]
    # Originals that happen to be the same text are one group (their exact duplicates are correct).
    first: dict[str, int] = {}
    groups = [first.setdefault(text, i) for i, text in enumerate(texts)]
    sources = rng.integers(0, originals, n - originals)
    kinds = rng.integers(0, 5, n - originals)
    for source, kind in zip(sources.tolist(), kinds.tolist()):
        tokens = texts[source].split()
        if kind == 0 and len(tokens) >= 3:  # typo (transposition) in the longest word
            i = int(np.argmax([len(t) for t in tokens]))
            if len(tokens[i]) >= 4:
                tokens[i] = tokens[i][:2] + tokens[i][3] + tokens[i][2] + tokens[i][4:]
        elif kind == 1 and len(tokens) >= 4:
            del tokens[len(tokens) // 2]
        elif kind == 2 and len(tokens) >= 3:
            tokens[0], tokens[1] = tokens[1], tokens[0]
        elif kind == 3 and len(tokens) >= 3:
            tokens += ["thanks"]  # one added word: a duplicate at any length (the rule in pisar_data.minhash)
        texts.append(" ".join(tokens))
        groups.append(groups[source])
    return texts, np.array(groups)


def pairwise_f1(predicted: np.ndarray, truth: np.ndarray) -> float:
    frame = pl.DataFrame({"p": predicted, "t": truth})
    pairs = lambda counts: float((counts * (counts - 1) // 2).sum())  # noqa: E731
    both = pairs(frame.group_by("p", "t").len()["len"].to_numpy().astype(np.int64))
    pred = pairs(frame.group_by("p").len()["len"].to_numpy().astype(np.int64))
    true = pairs(frame.group_by("t").len()["len"].to_numpy().astype(np.int64))
    precision, recall = both / pred if pred else 1.0, both / true if true else 1.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def run_engine(texts: list[str], config: DedupConfig) -> tuple[float, np.ndarray, dict]:
    ids = [f"{i:09d}" for i in range(len(texts))]
    start = time.perf_counter()
    result = deduplicate(ids, texts, config, log=lambda message: print("  " + message, flush=True))
    seconds = time.perf_counter() - start
    survivor = np.arange(len(texts))
    decisions = result.decisions
    survivor[decisions["removed_id"].cast(pl.Int64).to_numpy()] = decisions["kept_id"].cast(pl.Int64).to_numpy()
    return seconds, survivor, result.counts


def naive_docs_per_s(texts: list[str], config: DedupConfig) -> float:
    """A plain per-document datasketch loop: MinHash.update per shingle, MinHashLSH.insert per document."""
    from datasketch import MinHash, MinHashLSH

    sample = normalize(pl.Series(texts[:NAIVE_SAMPLE])).to_list()
    n = config.shingle_kind()[1]
    lsh = MinHashLSH(num_perm=config.num_perm, params=(config.bands, config.rows))
    start = time.perf_counter()
    for index, text in enumerate(sample):
        minhash = MinHash(num_perm=config.num_perm, seed=config.seed)
        for word in text.split():
            framed = f" {word} "
            for k in range(max(len(framed) - n + 1, 1)):
                minhash.update(framed[k : k + n].encode("utf-8"))
        lsh.insert(str(index), minhash)
    return len(sample) / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dup-share", type=float, default=0.2)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    config = DedupConfig()

    texts, groups = generate(args.n, args.dup_share)
    print(f"generated {len(texts)} texts ({args.dup_share:.0%} edited copies), mean {np.mean([len(t) for t in texts]):.0f} chars")
    small = args.n // 10
    small_texts, _ = generate(small, args.dup_share, seed=SEED + 1)
    print(f"engine on N/10 = {small}:")
    small_seconds, _, _ = run_engine(small_texts, config)
    print(f"engine on N = {args.n}:")
    seconds, survivor, counts = run_engine(texts, config)
    f1 = pairwise_f1(survivor, groups)
    naive = naive_docs_per_s(texts, config)
    docs_per_s = args.n / seconds
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    growth = seconds / small_seconds if small_seconds else float("inf")
    print(f"time_n10={small_seconds:.2f}s (n={small}) time_n={seconds:.2f}s (n={args.n}) growth={growth:.2f}x for 10x the texts")
    print(f"short_duplicate_pairs={counts['short_duplicate_pairs']} long_candidate_pairs={counts['long_candidate_pairs']} exact_removed={counts['exact_removed']} near_removed={counts['near_removed']}")
    print(f"naive per-document datasketch loop: {naive:.0f} docs/s")
    missed = [name for name, ok in (("docs/s", docs_per_s >= 25_000), ("memory", peak_mb <= 4096), ("growth", growth <= 11.0)) if not ok]
    print("targets (>= 25,000 docs/s, <= 4,096 MB, growth <= linear):", "met" if not missed else f"NOT met: {', '.join(missed)}")
    print(f"docs_per_s={docs_per_s:.1f} peak_rss_mb={peak_mb:.1f} speedup_vs_naive={docs_per_s / naive:.1f} f1={f1:.4f}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
