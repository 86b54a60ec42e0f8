"""Accuracy of near-duplicate removal on labelled sets built from real app reviews.

    python bench/dedup_accuracy.py [--samples ../shared/real-samples] [--n 50000] [--write]

Sets (``bench/dedup_set.py``, seeded; the module says what a duplicate is and how the truth is made):
- ``held_out``: the 600 reviews of ``../shared/real-samples`` only (never used while choosing the rules);
- ``public``: the 17k texts of ``bench/data/public_reviews.parquet`` only (used while choosing them);
- with ``--n N``: the mixed set of N records that ``bench/dedup_peers.py`` runs (both sources,
  composites and bigram walks).
Each holds real exact repeats, planted copies (typos, case/punctuation, swaps, one added or dropped
word, repeated emoji), and look-alikes built to trigger chaining: one replaced word ("good app" ->
"good game" -> "great game"), with emoji tails, stock tails on different short reviews.

Per set: pairwise precision/recall/F1 (a predicted pair: two records with the same survivor; a true
pair: two records of one group), the same for records under 8 words, **lost groups** (true groups
none of whose records was kept: distinct reviews deleted), cross-group removals (records removed as
a duplicate of another group's record) per kind of record (``lookalike``/``tail`` are the chaining
cases), and merged clusters. ``--write`` stores the figures in ``curation/dedup_accuracy.json`` for
the dataset card. Exits 1 when a set has F1 < 0.98, short-text F1 < 0.99 or a lost group.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path


REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from dedup_set import DEFAULT_SAMPLES, LabelledSet, build, score, survivors_from_decisions  # noqa: E402
from pisar_data.atomic import write_text  # noqa: E402
from pisar_data.minhash import DedupConfig, deduplicate  # noqa: E402


def evaluate(labelled: LabelledSet, config: DedupConfig) -> dict:
    result = deduplicate(labelled.ids, labelled.texts, config)
    survivor = survivors_from_decisions(labelled.ids, result.decisions["kept_id"].to_list(), result.decisions["removed_id"].to_list())
    figures = score(labelled, survivor)
    across = labelled.groups[survivor] != labelled.groups
    kinds = Counter(labelled.kinds)
    figures["cross_group_removals_by_kind"] = {kind: int(sum(across[i] for i, k in enumerate(labelled.kinds) if k == kind)) for kind in sorted(kinds)}
    figures["records_by_kind"] = dict(sorted(kinds.items()))
    figures["config"] = {k: v for k, v in result.counts.items() if k in ("short_words", "edit_every", "replace_every", "shingling", "num_perm", "bands", "rows", "threshold")}
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    parser.add_argument("--n", type=int, help="also score the mixed set of N records (as bench/dedup_peers.py)")
    parser.add_argument("--write", action="store_true", help="store the figures in curation/dedup_accuracy.json")
    args = parser.parse_args(argv)
    have_samples = (args.samples / "google_play").is_dir()
    sets = {"public": build(None, samples=None, public=True)}
    if have_samples:
        sets["held_out"] = build(None, samples=args.samples, public=False)
    else:
        print(f"note: real-sample reviews not found at {args.samples} (pass --samples DIR); the held-out set is skipped")
    if args.n:
        sets[f"mixed_{args.n}"] = build(args.n, samples=args.samples if have_samples else None)
    config = DedupConfig()
    figures = {name: evaluate(labelled, config) for name, labelled in sets.items()}
    for name, values in figures.items():
        print(f"== {name}")
        for key, value in values.items():
            print(f"  {key}: {value}")
    if args.write:
        write_text(REPO / "curation" / "dedup_accuracy.json", json.dumps({"benchmark": "bench/dedup_accuracy.py", **figures}, indent=2, ensure_ascii=False) + "\n")
    missed = [f"{name}: {what}" for name, v in figures.items() for what, ok in (("F1 < 0.98", v["f1"] >= 0.98), ("short F1 < 0.99", v["short_f1"] >= 0.99), ("lost groups", v["lost_groups"] == 0)) if not ok]
    print("targets (F1 >= 0.98, short-text F1 >= 0.99, no group lost, every set):", "met" if not missed else "NOT met: " + "; ".join(missed))
    worst = min(figures.values(), key=lambda v: v["f1"])
    lost = sum(v["lost_groups"] for v in figures.values())
    print(f"precision={worst['precision']} recall={worst['recall']} f1={worst['f1']} short_f1={min(v['short_f1'] for v in figures.values())} lost_groups={lost} records={sum(v['records'] for v in figures.values())}")
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
