"""Calibration of predicted probabilities: equal-width reliability bins, ECE, temperature.

For the reward model the prediction is p = P(A better than B) and the outcome is the
label (1: A is better). Bin b covers [b/n, (b+1)/n), the last bin includes 1.
ECE = Σ_b (count_b / N) · |mean p in b − fraction of 1s in b|.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Reliability:
    """Reliability-diagram data: per bin its edges, size, mean prediction and observed frequency.

    Empty bins have count 0 and NaN mean_predicted / observed.
    """

    edges: np.ndarray           # [n + 1]
    counts: np.ndarray          # [n] int
    mean_predicted: np.ndarray  # [n]
    observed: np.ndarray        # [n]
    ece: float

    def to_json(self) -> dict:
        def clean(values):
            return [None if not np.isfinite(v) else float(v) for v in values]
        return {"edges": clean(self.edges), "counts": [int(c) for c in self.counts],
                "mean_predicted": clean(self.mean_predicted), "observed": clean(self.observed), "ece": self.ece}


def reliability(probs: np.ndarray, labels: np.ndarray, num_bins: int = 10) -> Reliability:
    """Bins predictions into num_bins equal-width bins over [0, 1] and computes the ECE."""
    probs = np.asarray(probs, np.float64).reshape(-1)
    labels = np.asarray(labels, np.float64).reshape(-1)
    if probs.shape != labels.shape:
        raise ValueError(f"probs {probs.shape} and labels {labels.shape} differ in shape")
    if num_bins < 1:
        raise ValueError("num_bins must be positive")
    if np.any((probs < 0) | (probs > 1)) or not np.all(np.isfinite(probs)):
        raise ValueError("probabilities must lie in [0, 1]")
    edges = np.linspace(0.0, 1.0, num_bins + 1)
    index = np.minimum((probs * num_bins).astype(int), num_bins - 1)
    counts = np.bincount(index, minlength=num_bins)
    sum_probs = np.bincount(index, weights=probs, minlength=num_bins)
    sum_labels = np.bincount(index, weights=labels, minlength=num_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_predicted = np.where(counts > 0, sum_probs / counts, np.nan)
        observed = np.where(counts > 0, sum_labels / counts, np.nan)
    total = max(int(counts.sum()), 1)
    ece = float(np.sum(np.abs(sum_probs - sum_labels)) / total)  # = Σ (n_b / N) |mean p − freq|
    return Reliability(edges=edges, counts=counts, mean_predicted=mean_predicted, observed=observed, ece=ece)


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, num_bins: int = 10) -> float:
    return reliability(probs, labels, num_bins).ece


def sigmoid(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return np.exp(-np.logaddexp(0.0, -x))


def binary_nll(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean negative log-likelihood of labels under sigmoid(logits)."""
    logits = np.asarray(logits, np.float64)
    labels = np.asarray(labels, np.float64)
    return float(np.mean(labels * np.logaddexp(0.0, -logits) + (1 - labels) * np.logaddexp(0.0, logits)))


def fit_temperature(logits: np.ndarray, labels: np.ndarray, low: float = 0.05, high: float = 20.0,
                    steps: int = 400) -> float:
    """The T minimizing the NLL of sigmoid(logits / T), searched on a log grid in [low, high]."""
    if len(logits) == 0:
        return 1.0
    grid = np.geomspace(low, high, steps)
    losses = [binary_nll(np.asarray(logits) / t, labels) for t in grid]
    return float(grid[int(np.argmin(losses))])
