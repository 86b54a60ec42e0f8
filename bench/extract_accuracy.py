"""Agreement of an extractor with the labelled extraction development set.

    python bench/extract_accuracy.py [--extractor hybrid|rules|llm] [--part heldout|tuning]

The set is ``curation/extraction_dev/reviews.jsonl`` (904 real reviews of 14 apps, labelled by hand
following ``curation/extraction_guidelines.md``, split by app). ``--part heldout`` (the default) is
the part no rule, threshold or model was fitted on: its figures are the results; ``tuning``
figures are fitting figures. Any extractor the recipe can name runs here, by name, with the
reference parameters; ``--extractor llm`` needs an endpoint configured the way the LLM extractor
documents (a recipe's ``[extract.llm]`` table, given with ``--recipe``).

Prints keep/drop accuracy, action-type accuracy overall and on rows whose gold type is not
``rate``, precision of the non-``rate`` types, per-type precision and recall, intent-stated
agreement, rationale keyword hits and speed (one process, one thread; per CPU second, so that a busy
machine does not change it much); the last line is machine-readable.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from curation import extraction_dev  # noqa: E402
from curation.extractors import EXTRACTORS, make_extractor  # noqa: E402
from curation.extractors.config import Config  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extractor", default=Config().extractor, choices=sorted(EXTRACTORS))
    parser.add_argument("--part", default="heldout", choices=extraction_dev.PARTS)
    parser.add_argument("--recipe", type=Path, help="take the [extract] table (e.g. [extract.llm]) from this recipe")
    args = parser.parse_args()

    config = Config()
    if args.recipe:
        from curation import recipe

        config = recipe.load(args.recipe).config("extract")
    config = replace(config, extractor=args.extractor)
    rows = extraction_dev.load(args.part)
    extractor = make_extractor(config)
    inputs = [row.as_input() for row in rows]
    start, cpu = time.perf_counter(), time.process_time()
    results = extractor.extract_all(inputs, lambda items, description="", total=None: items)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    figures = extraction_dev.score(rows, results)

    print(f"extractor {extractor.name} {extractor.version} on the {args.part} part: {figures['n']} reviews, "
          f"{figures['gold_kept']} kept by the labels, {figures['kept']} by the extractor, {figures['both_kept']} by both")
    print(f"keep/drop accuracy          {figures['keep_acc']:.3f}")
    print(f"action type accuracy        {figures['action_acc']:.3f}  (rows both keep)")
    print(f"  on gold non-rate rows     {figures['action_acc_nonrate']:.3f}  ({figures['gold_nonrate']} rows)")
    print(f"  non-rate precision        {figures['nonrate_precision']:.3f}  ({figures['predicted_nonrate']} rows given a non-rate type)")
    print(f"intent stated agreement     {figures['intent_acc']:.3f}")
    print(f"rationale keyword hit       {figures['rationale_hit']:.3f}")
    print(f"speed                       {len(rows) / cpu_seconds:,.0f} reviews per CPU second on one core "
          f"({len(rows) / seconds:,.0f}/s wall clock; these reviews average {sum(len(r.text) for r in rows) / len(rows):.0f} characters)")
    print(f"{'type':<16} {'gold':>5} {'pred':>5} {'prec':>6} {'recall':>6}")
    for action_type, cell in figures["per_type"].items():
        print(f"{action_type:<16} {cell['gold']:>5} {cell['predicted']:>5} {cell['precision']:>6.2f} {cell['recall']:>6.2f}")
    for key, value in extractor.stats().items():
        print(f"{key:<27} {value}")
    print(f"keep_acc={figures['keep_acc']:.3f} action_acc={figures['action_acc']:.3f} action_acc_nonrate={figures['action_acc_nonrate']:.3f} "
          f"nonrate_precision={figures['nonrate_precision']:.3f} n={figures['n']}")


if __name__ == "__main__":
    main()
