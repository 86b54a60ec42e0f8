"""How well the clean stage's promotional-spam rules (``spam_promo``, ``spam_link``) separate spam from genuine text.

    python bench/spam_accuracy.py [--samples ../shared/real-samples] [--labelled FILE.csv ...]

- Genuine: every real review in the real-samples folder (Google Play ``content``, App Store
  ``review``: 600 reviews, many of them mentioning codes, channels, links, free features or money).
  Reported: how many the rules drop (each is a false positive, printed).
- Labelled (optional, repeatable): a CSV with ``text`` and ``label`` (1 = spam), e.g. the TubeSpam
  YouTube comment set (Alberto et al. 2015; the train/val/test CSVs of
  regularized-dp/regularized-data-programming @ 31b1fccc, ``data/TubeSpam/TubeSpam_test.csv``).
  Reported: precision and recall of the rules on it. TubeSpam's "spam" is wider than promotion in
  a store review ("check out this video", "like this comment", petitions), so its recall is a floor
  and its precision is the figure that matters; its train split was looked at while writing the
  rules, its test split was not.

Last line: ``spam_precision=<f> spam_recall=<f> labelled=<int> genuine_dropped=<int> genuine=<int>``
(precision and recall over all labelled files; "nan" when none was given).
"""

from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from curation.stages.clean import Config, spam_problem  # noqa: E402

GENUINE = (("google_play/app_reviews.csv", "content"), ("google_play/dashen_bank_raw.csv", "content"),
           ("app_store/Slack-app-reviews.csv", "review"))
PROMO_REASONS = ("spam_promo", "spam_link")


def flagged(text: str, config: Config) -> str | None:
    problem = spam_problem(text, config)
    return problem[0] if problem and problem[0] in PROMO_REASONS else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=Path, default=REPO.parent / "shared" / "real-samples")
    parser.add_argument("--labelled", type=Path, action="append", default=[], help="CSV with text,label (1 = spam)")
    args = parser.parse_args()
    config = Config()

    genuine = []
    for name, column in GENUINE:
        genuine += pd.read_csv(args.samples / name, encoding="utf-8-sig")[column].dropna().tolist()
    dropped = [(text, flagged(text, config)) for text in genuine if flagged(text, config)]
    print(f"genuine real reviews: {len(genuine)}, dropped as promotional spam: {len(dropped)}")
    for text, reason in dropped:
        print(f"  false positive ({reason}): {text[:120]!r}")

    true_positive = predicted = spam = labelled = 0
    for path in args.labelled:
        frame = pd.read_csv(path)
        flags = [flagged(html.unescape(str(text)), config) is not None for text in frame["text"]]
        labels = (frame["label"] == 1).tolist()
        tp = sum(f and y for f, y in zip(flags, labels))
        print(f"{path}: {len(frame)} texts, {sum(labels)} spam, {sum(flags)} flagged; "
              f"precision {tp / max(1, sum(flags)):.3f}, recall {tp / max(1, sum(labels)):.3f}")
        true_positive, predicted, spam, labelled = true_positive + tp, predicted + sum(flags), spam + sum(labels), labelled + len(frame)
    precision = f"{true_positive / predicted:.3f}" if predicted else "nan"
    recall = f"{true_positive / spam:.3f}" if spam else "nan"
    print(f"spam_precision={precision} spam_recall={recall} labelled={labelled} genuine_dropped={len(dropped)} genuine={len(genuine)}")


if __name__ == "__main__":
    main()
