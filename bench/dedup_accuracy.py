"""Accuracy of near-duplicate removal on a labelled set built from real app reviews.

    python bench/dedup_accuracy.py [--samples ../shared/real-samples] [--write]

The set is built deterministically (fixed seed) from the real review files in the real-samples
folder (Google Play ``content``, App Store ``review``); nothing is written there.

Ground truth is what a user means: every document belongs to the *group* of one original review.
- real exact repeats: reviews whose texts are equal after case/punctuation folding ("good", "Good")
  are one group;
- planted edits: for every distinct review of 3+ words, one or two edited copies (typo, word drop,
  adjacent-word swap, appended short phrase, case/punctuation change — one or two edits each), all in
  the original's group, *whatever their Jaccard*;
- look-alike negatives: pairs of different short reviews that get the same stock tail of 4+ words
  appended ("Highly recommend this app to everyone!", an emoji run) — each tailed text is a new
  review (its own group: different from its base and from the other tailed text, with which it
  shares most of its text); plus the real pairs of different reviews with the highest
  character-5-gram Jaccard.

Metrics are over pairs: a predicted pair is two documents in the same predicted cluster, a true pair
two documents in the same group. Precision = correct predicted pairs / predicted pairs, recall =
found true pairs / true pairs. Also reported for pairs whose texts both have fewer than 8 words, and
whether every predicted cluster keeps exactly one survivor. ``pairs`` = true pairs + look-alike
negative pairs. ``--write`` stores the figures in ``curation/dedup_accuracy.json`` for the card.
Exits 1 when F1 < 0.95 or a cluster does not keep exactly one survivor.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pisar_data.minhash import DedupConfig, deduplicate, normalize, shingle, signatures  # noqa: E402
from pisar_data.atomic import write_text  # noqa: E402

DEFAULT_SAMPLES = REPO.parent / "shared" / "real-samples"
SEED = 20261122
APPENDED = ["thanks", "so far", "please fix", "love it", "👍", "👍👍", "5 stars", "well done", "update", "for now"]
# Stock tails are 4+ words: longer than any planted appended phrase (an edit), so a review with a tail is new content.
STOCK_TAILS = ["Highly recommend this app to everyone!", "5 stars from me guys", "👍👍👍👍", "Thank you so much developers ❤️", "keep it up guys, well done"]
KEYBOARD_NEIGHBOURS = dict(zip("abcdefghijklmnopqrstuvwxyz", "sqvsrdfgjhkkjbpolteyibeuta"))


def read_reviews(samples: Path) -> list[str]:
    texts: list[str] = []
    for path in sorted((samples / "google_play").glob("*.csv")):
        frame = pl.read_csv(path, infer_schema_length=0, encoding="utf8-lossy")
        if "content" in frame.columns:
            texts += frame["content"].drop_nulls().to_list()
    for path in sorted((samples / "app_store").glob("*.csv")):
        frame = pl.read_csv(path, infer_schema_length=0, encoding="utf8-lossy")
        if "review" in frame.columns:
            texts += frame["review"].drop_nulls().to_list()
    return [t.lstrip("\ufeff").strip() for t in texts if t and t.strip()]


def _typo(words: list[str], rng: random.Random) -> list[str]:
    choices = [i for i, w in enumerate(words) if sum(c.isalpha() for c in w) >= 4]
    if not choices:
        return words
    i = rng.choice(choices)
    w = words[i]
    k = rng.choice([j for j, c in enumerate(w) if c.isalpha()][1:-1] or [0])
    kind = rng.choice(["substitute", "delete", "double", "transpose"])
    if kind == "substitute":
        w = w[:k] + KEYBOARD_NEIGHBOURS.get(w[k].lower(), "e") + w[k + 1 :]
    elif kind == "delete":
        w = w[:k] + w[k + 1 :]
    elif kind == "double":
        w = w[: k + 1] + w[k:]
    elif k + 1 < len(w):
        w = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
    return words[:i] + [w] + words[i + 1 :]


def _drop(words: list[str], rng: random.Random) -> list[str]:
    if len(words) < 4:
        return words
    i = rng.randrange(len(words))
    return words[:i] + words[i + 1 :]


def _swap(words: list[str], rng: random.Random) -> list[str]:
    i = rng.randrange(len(words) - 1)
    return words[:i] + [words[i + 1], words[i]] + words[i + 2 :]


def _append(words: list[str], rng: random.Random) -> list[str]:
    return words + rng.choice(APPENDED).split()


def _case_punct(words: list[str], rng: random.Random) -> list[str]:
    style = rng.choice(["lower", "upper", "dots", "bang"])
    if style == "lower":
        return [w.lower() for w in words]
    if style == "upper":
        return [w.upper() for w in words]
    if style == "dots":
        return [w.rstrip(".!,") for w in words[:-1]] + [words[-1] + "..."]
    return words[:-1] + [words[-1].rstrip(".!") + "!!"]


EDITS = {"typo": _typo, "drop": _drop, "swap": _swap, "append": _append, "case_punct": _case_punct}


def build_set(reviews: list[str]) -> tuple[list[str], list[int], list[tuple[int, int]]]:
    """Documents, their group labels, and the look-alike negative pairs (document indices)."""
    rng = random.Random(SEED)
    folded = normalize(pl.Series(reviews)).to_list()
    group_of_text: dict[str, int] = {}
    docs: list[str] = []
    groups: list[int] = []
    originals: dict[int, str] = {}
    for text, key in zip(reviews, folded):
        if not key:
            continue
        group = group_of_text.setdefault(key, len(group_of_text))
        originals.setdefault(group, text)
        docs.append(text)
        groups.append(group)
    for group, text in sorted(originals.items()):
        words = text.split()
        if len(words) < 3:
            continue
        for _ in range(rng.choice([1, 1, 2])):
            edited = words
            for name in rng.sample(sorted(EDITS), rng.choice([1, 1, 2])):
                edited = EDITS[name](edited, rng)
            docs.append(" ".join(edited))
            groups.append(group)
    negatives: list[tuple[int, int]] = []
    short = [g for g, t in sorted(originals.items()) if 1 <= len(t.split()) <= 6]
    rng.shuffle(short)
    for k in range(0, len(short) - 1, 2):
        tail = STOCK_TAILS[(k // 2) % len(STOCK_TAILS)]
        pair = []
        for group in short[k : k + 2]:
            docs.append(f"{originals[group].rstrip()} {tail}")
            groups.append(len(originals) + len(negatives) * 2 + len(pair))
            pair.append(len(docs) - 1)
        negatives.append((pair[0], pair[1]))
    negatives += _similar_real_pairs(originals, docs, groups)
    return docs, groups, negatives


def _similar_real_pairs(originals: dict[int, str], docs: list[str], groups: list[int], top: int = 150) -> list[tuple[int, int]]:
    """The ``top`` most similar pairs of different real reviews (MinHash-estimated character-5-gram Jaccard)."""
    first_doc: dict[int, int] = {}
    for index, group in enumerate(groups):
        first_doc.setdefault(group, index)
    order = sorted(originals)
    config = DedupConfig()
    sigs = signatures(shingle(normalize(pl.Series([originals[g] for g in order])).to_list(), config), config)
    estimate = np.zeros((len(order), len(order)), dtype=np.float32)
    for column in sigs.T:
        estimate += column[:, None] == column[None, :]
    upper = np.triu(estimate, k=1).ravel()
    best = np.argsort(-upper, kind="stable")[:top]
    return [(first_doc[order[k // len(order)]], first_doc[order[k % len(order)]]) for k in best]


def _pairs_in(labels: list[int] | np.ndarray) -> set[tuple[int, int]]:
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(int(label), []).append(index)
    return {pair for group in members.values() for pair in combinations(group, 2)}


def score(predicted: set, truth: set) -> tuple[float, float, float]:
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate(docs: list[str], groups: list[int], negatives: list[tuple[int, int]], config: DedupConfig) -> dict:
    ids = [f"d{i:06d}" for i in range(len(docs))]
    result = deduplicate(ids, docs, config)
    index = {doc_id: i for i, doc_id in enumerate(ids)}
    survivor = np.arange(len(docs))
    for kept, removed in result.decisions.select("kept_id", "removed_id").iter_rows():
        survivor[index[removed]] = index[kept]
    predicted, truth = _pairs_in(survivor), _pairs_in(groups)
    short = {i for i, d in enumerate(docs) if len(d.split()) < 8}
    only_short = lambda pairs: {p for p in pairs if p[0] in short and p[1] in short}  # noqa: E731
    precision, recall, f1 = score(predicted, truth)
    s_precision, s_recall, s_f1 = score(only_short(predicted), only_short(truth))
    one_survivor = all(bool(result.kept[survivor == s].sum() == 1) for s in np.unique(survivor))
    merged_negatives = sum(survivor[a] == survivor[b] for a, b in negatives)
    return {
        "documents": len(docs),
        "groups": len(set(groups)),
        "true_pairs": len(truth),
        "negative_pairs": len(negatives),
        "pairs": len(truth) + len(negatives),
        "predicted_pairs": len(predicted),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "short_precision": round(s_precision, 4),
        "short_recall": round(s_recall, 4),
        "short_f1": round(s_f1, 4),
        # For the card: share of removed-as-duplicate pairs that were different reviews, and of true duplicate pairs missed.
        "false_duplicate_rate": round(1 - precision, 4),
        "missed_duplicate_rate": round(1 - recall, 4),
        "merged_lookalike_negatives": int(merged_negatives),
        "every_cluster_one_survivor": one_survivor,
        "config": {k: v for k, v in result.counts.items() if k in ("shingling", "num_perm", "bands", "rows", "threshold")},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    parser.add_argument("--write", action="store_true", help="store the figures in curation/dedup_accuracy.json")
    args = parser.parse_args(argv)
    if not (args.samples / "google_play").is_dir():
        print(f"SKIP: real-sample reviews not found at {args.samples} (pass --samples DIR); nothing measured")
        return 0
    docs, groups, negatives = build_set(read_reviews(args.samples))
    figures = evaluate(docs, groups, negatives, DedupConfig())
    for key, value in figures.items():
        print(f"{key}: {value}")
    if args.write:
        write_text(REPO / "curation" / "dedup_accuracy.json", json.dumps({"benchmark": "bench/dedup_accuracy.py", **figures}, indent=2) + "\n")
    ok = figures["f1"] >= 0.95 and figures["every_cluster_one_survivor"]
    print("target (F1 >= 0.95, one survivor per cluster):", "met" if ok else "NOT met")
    print(f"precision={figures['precision']} recall={figures['recall']} f1={figures['f1']} pairs={figures['pairs']}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
