"""Extraction precision against hand-labelled REAL reviews (../shared/real-samples).

The labels (tests/fixtures/tuples/labelled_reviews.jsonl) hold the sample file, the review's key
(reviewId, or the App Store dump's pandas index) and a person's judgement: keep or drop, the action
type, whether the review states what the person was doing, and words the rationale must contain (any
one of them). The review text is read from the shared samples, never copied into the repository.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from curation.extractors import Extraction, ReviewInput
from curation.stages.extract import Config, RuleExtractor

LABELS = Path(__file__).parent / "fixtures" / "tuples" / "labelled_reviews.jsonl"
CONTEXT = {
    "app_store/Slack-app-reviews.csv": ("Slack", "Business"),
    "google_play/app_reviews.csv": ("Real Cricket", "Sports"),
    "google_play/dashen_bank_raw.csv": ("Dashen Super App", "Finance"),
}


def _load_review(real_samples: Path, file: str, key: str) -> ReviewInput:
    name, genre = CONTEXT[file]
    if file.startswith("app_store"):
        frame = pd.read_csv(real_samples / file)
        row = frame[frame["Unnamed: 0"] == int(key)].iloc[0]
        reply = row.get("developerResponse")
        return ReviewInput(key, row["review"], row["title"], int(row["rating"]), reply if isinstance(reply, str) else None, name, genre)
    frame = pd.read_csv(real_samples / file, encoding="utf-8-sig")
    row = frame[frame["reviewId"] == key].iloc[0]
    reply = row.get("replyContent")
    return ReviewInput(key, row["content"], None, int(row["score"]), reply if isinstance(reply, str) else None, name, genre)


def agreement(real_samples: Path) -> dict[str, float]:
    labels = [json.loads(line) for line in LABELS.read_text().splitlines() if line.strip()]
    extractor = RuleExtractor(Config())
    kept = both = action_ok = intent_ok = rationale_ok = keep_ok = true_keep = 0
    for label in labels:
        result = extractor.extract(_load_review(real_samples, label["file"], label["review_key"]))
        is_kept = isinstance(result, Extraction)
        keep_ok += is_kept == label["keep"]
        kept += is_kept
        true_keep += is_kept and label["keep"]
        if is_kept and label["keep"]:
            both += 1
            action_ok += result.action_type == label["action_type"]
            intent_ok += (result.intent_source == "stated") == label["intent_stated"]
            rationale_ok += any(word in result.rationale.lower() for word in label["rationale_any"])
    return {
        "n": len(labels),
        "keep_accuracy": keep_ok / len(labels),
        "keep_precision": true_keep / kept,
        "keep_recall": true_keep / sum(label["keep"] for label in labels),
        "action_type": action_ok / both,
        "intent_source": intent_ok / both,
        "rationale": rationale_ok / both,
    }


def test_extraction_agrees_with_hand_labels(real_samples):
    scores = agreement(real_samples)
    print(scores)
    assert scores["n"] >= 40
    assert scores["keep_precision"] >= 0.85
    assert scores["keep_accuracy"] >= 0.8
    assert scores["action_type"] >= 0.7
    assert scores["intent_source"] >= 0.65
    assert scores["rationale"] >= 0.85


if __name__ == "__main__":  # python tests/test_extract_real.py  -> the per-field agreement for the report
    from conftest import REAL_SAMPLES

    print(json.dumps(agreement(REAL_SAMPLES), indent=2))
