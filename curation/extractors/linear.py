"""A fitted logistic-regression scorer over named features, stored as plain JSON (no pickle, no
sklearn at run time): ``probability(features) = sigmoid(sum(weight[name] * value))``."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class LinearModel:
    weights: dict[str, float]
    threshold: float  # decide "yes" at or above this probability

    def probability(self, features: dict[str, float]) -> float:
        weights = self.weights
        score = sum(weights.get(name, 0.0) * value for name, value in features.items())
        return 1.0 / (1.0 + math.exp(-score))

    def decide(self, features: dict[str, float]) -> bool:
        return self.probability(features) >= self.threshold

    def to_dict(self) -> dict:
        return {"threshold": self.threshold, "weights": dict(sorted(self.weights.items()))}

    @classmethod
    def from_dict(cls, data: dict) -> LinearModel:
        return cls(weights=dict(data["weights"]), threshold=float(data["threshold"]))
