"""Fit the hybrid extractor's two linear models on the development set's tuning part.

    python -m curation.extractors.fit [--out curation/extractors/hybrid_model.json]

Only the ``tuning`` part is read; the ``heldout`` part is never seen here. Each model is an
L2-regularised logistic regression (scikit-learn, liblinear: deterministic). Its regularisation
strength and decision threshold are chosen by leave-one-app-out cross-validation over the tuning
apps, so that what is chosen is what carries over to an app the model has not seen:

* ``keep`` — keep/drop accuracy over the reviews that parse;
* ``action`` — review-level action-type accuracy over the reviews the labels keep, each review's
  type being the highest-priority candidate the model accepts (``rate`` when none).

A candidate's label is 1 when its type is the review's gold type, 0 when the gold type is ``rate``
or comes later in ``PRIORITY`` (the candidate would have won, so it is not real); a candidate whose
type comes after the gold type says nothing about itself and is left out. The same data and code
give the same file, byte for byte; its ``version`` is a hash of its content and goes into every
build manifest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from curation import extraction_dev
from curation.extractors import PRIORITY, Drop
from curation.extractors.config import Config
from curation.extractors.cues import Candidate, find_candidates
from curation.extractors.features import candidate_features, keep_features
from curation.extractors.hybrid import MODEL
from curation.extractors.review import ParsedReview, parse
from curation.extractors.rules import RANK, choose, ruled_out, without_reinstalls

C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.20, 0.81, 0.05))


@dataclass
class _Review:
    app: str
    parsed: ParsedReview
    keep: bool
    gold: str | None
    candidates: list[Candidate]


def _reviews(rows: list[extraction_dev.LabelledReview], config: Config) -> list[_Review]:
    out = []
    for row in rows:
        parsed = parse(row.as_input(), config)
        if isinstance(parsed, Drop):
            continue
        candidates = without_reinstalls(find_candidates(parsed.sentences, parsed.name_words))
        out.append(_Review(row.app, parsed, row.keep, row.action_type, candidates))
    return out


def _candidate_label(candidate: Candidate, gold: str) -> int | None:
    if candidate.action_type == gold:
        return 1
    return 0 if RANK[candidate.action_type] < RANK[gold] else None


def _fit(feature_dicts: list[dict[str, float]], labels: list[int], c: float) -> dict[str, float]:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = DictVectorizer(sort=True, sparse=False)
    matrix = vectorizer.fit_transform(feature_dicts)
    model = LogisticRegression(C=c, fit_intercept=False, solver="liblinear", max_iter=1000).fit(matrix, labels)
    return {name: float(weight) for name, weight in zip(vectorizer.get_feature_names_out(), model.coef_[0], strict=True) if abs(weight) > 1e-9}


def _probability(weights: dict[str, float], features: dict[str, float]) -> float:
    score = sum(weights.get(name, 0.0) * value for name, value in features.items())
    return 1.0 / (1.0 + np.exp(-score))


def _fit_keep(reviews: list[_Review]) -> tuple[float, float, dict[str, float], float]:
    apps = sorted({r.app for r in reviews})
    features = [keep_features(r.parsed) for r in reviews]
    best = None
    for c in C_GRID:
        probabilities = np.zeros(len(reviews))
        for app in apps:
            train = [i for i, r in enumerate(reviews) if r.app != app]
            weights = _fit([features[i] for i in train], [int(reviews[i].keep) for i in train], c)
            for i, r in enumerate(reviews):
                if r.app == app:
                    probabilities[i] = _probability(weights, features[i])
        for threshold in THRESHOLDS:
            accuracy = float(np.mean([(p >= threshold) == r.keep for p, r in zip(probabilities, reviews, strict=True)]))
            if best is None or accuracy > best[0] + 1e-12:
                best = (accuracy, c, threshold)
    accuracy, c, threshold = best
    weights = _fit(features, [int(r.keep) for r in reviews], c)
    return c, threshold, weights, accuracy


def _fit_action(reviews: list[_Review]) -> tuple[float, float, dict[str, float], float]:
    kept = [r for r in reviews if r.keep]
    apps = sorted({r.app for r in kept})
    examples = [(ri, ci, candidate_features(c, r.parsed), _candidate_label(c, r.gold))
                for ri, r in enumerate(kept) for ci, c in enumerate(r.candidates)]
    examples = [e for e in examples if e[3] is not None]
    all_features = {(ri, ci): candidate_features(c, r.parsed) for ri, r in enumerate(kept) for ci, c in enumerate(r.candidates)}
    best = None
    for c in C_GRID:
        probability: dict[tuple[int, int], float] = {}
        for app in apps:
            train = [e for e in examples if kept[e[0]].app != app]
            weights = _fit([e[2] for e in train], [e[3] for e in train], c)
            for (ri, ci), features in all_features.items():
                if kept[ri].app == app:
                    probability[(ri, ci)] = _probability(weights, features)
        for threshold in THRESHOLDS:
            hits = 0
            for ri, r in enumerate(kept):
                chosen = choose([cand for ci, cand in enumerate(r.candidates) if not ruled_out(cand) and probability[(ri, ci)] >= threshold])
                hits += (chosen.action_type if chosen else "rate") == r.gold
            accuracy = hits / len(kept)
            if best is None or accuracy > best[0] + 1e-12:
                best = (accuracy, c, threshold)
    accuracy, c, threshold = best
    weights = _fit([e[2] for e in examples], [e[3] for e in examples], c)
    return c, threshold, weights, accuracy


def fit(rows: list[extraction_dev.LabelledReview], config: Config = Config()) -> dict:
    reviews = _reviews(rows, config)
    keep_c, keep_threshold, keep_weights, keep_cv = _fit_keep(reviews)
    action_c, action_threshold, action_weights, action_cv = _fit_action(reviews)

    def model(weights, threshold):
        return {"threshold": threshold, "weights": {name: round(w, 6) for name, w in sorted(weights.items())}}

    content = {
        "keep": model(keep_weights, keep_threshold),
        "action": model(action_weights, action_threshold),
        "fitted_on": {
            "set": "curation/extraction_dev/reviews.jsonl",
            "set_sha256": hashlib.sha256(extraction_dev.REVIEWS.read_bytes()).hexdigest(),
            "part": "tuning",
            "reviews": len(rows),
            "apps": sorted({row.app for row in rows}),
            "priority": list(PRIORITY),
        },
        "cross_validation": {
            "method": "leave one app out",
            "keep": {"C": keep_c, "threshold": keep_threshold, "accuracy": round(keep_cv, 4)},
            "action": {"C": action_c, "threshold": action_threshold, "accuracy": round(action_cv, 4)},
        },
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:12]
    return {"version": f"hybrid-1-{digest}", **content}


def render(model: dict) -> str:
    return json.dumps(model, indent=1, sort_keys=True) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODEL)
    args = parser.parse_args()
    model = fit(extraction_dev.load("tuning"))
    args.out.write_text(render(model), encoding="utf-8")
    cv = model["cross_validation"]
    print(f"{model['version']} -> {args.out}: keep C={cv['keep']['C']} threshold={cv['keep']['threshold']} cv accuracy={cv['keep']['accuracy']}; "
          f"action C={cv['action']['C']} threshold={cv['action']['threshold']} cv accuracy={cv['action']['accuracy']}")


if __name__ == "__main__":
    main()
