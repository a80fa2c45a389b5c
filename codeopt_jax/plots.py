"""Plots of training runs from their metrics.jsonl files (matplotlib, Agg backend)."""

from __future__ import annotations

import pathlib
from typing import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from codeopt_jax.metrics_log import read_metrics  # noqa: E402

PERF_KEYS = ("perf/sample_seconds", "perf/rewrite_seconds", "perf/scoring_seconds", "perf/update_seconds")


def _series(records: list[dict], key: str, max_step: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    points = [(r["step"], r[key]) for r in records
              if r.get(key) is not None and (max_step is None or r["step"] <= max_step)]
    if not points:
        return np.zeros(0), np.zeros(0)
    steps, values = zip(*points)
    return np.asarray(steps), np.asarray(values, dtype=float)


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average (the first points average what exists so far)."""
    if window <= 1 or values.size == 0:
        return values
    cumulative = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, values.size + 1), window)
    return (cumulative[1:] - cumulative[np.maximum(np.arange(1, values.size + 1) - window, 0)]) / counts


def learning_curves(runs: Mapping[str, str | pathlib.Path], out: str | pathlib.Path,
                    keys: Sequence[str] = ("train/return_mean", "eval/return_mean"), window: int = 5,
                    max_step: int | None = None) -> None:
    """One panel per metric key, one line per run (train curves smoothed over `window` iterations)."""
    figure, axes = plt.subplots(1, len(keys), figsize=(6 * len(keys), 4), squeeze=False)
    for axis, key in zip(axes[0], keys):
        for label, workdir in runs.items():
            steps, values = _series(read_metrics(pathlib.Path(workdir) / "metrics.jsonl"), key, max_step)
            if steps.size:
                shown = smooth(values, window) if key.startswith("train/") else values
                axis.plot(steps, shown, label=label, marker="" if key.startswith("train/") else "o")
        axis.set_xlabel("iteration")
        axis.set_ylabel(key + (f" (moving avg {window})" if key.startswith("train/") else ""))
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(out, dpi=120)
    plt.close(figure)


def time_split(workdir: str | pathlib.Path, out: str | pathlib.Path) -> dict[str, float]:
    """Stacked per-iteration seconds (policy sampling, rewriting, scoring, update); returns the means."""
    records = [r for r in read_metrics(pathlib.Path(workdir) / "metrics.jsonl") if "perf/iteration_seconds" in r]
    steps = np.array([r["step"] for r in records])
    figure, axis = plt.subplots(figsize=(8, 4))
    bottom = np.zeros(len(records))
    means = {}
    for key in PERF_KEYS:
        values = np.array([r.get(key) or 0.0 for r in records])
        axis.bar(steps, values, bottom=bottom, label=key.split("/")[1].replace("_seconds", ""), width=1.0)
        bottom += values
        means[key] = float(values.mean()) if values.size else 0.0
    total = np.array([r["perf/iteration_seconds"] for r in records])
    axis.plot(steps, total, color="black", linewidth=1, label="iteration total")
    axis.set_xlabel("iteration")
    axis.set_ylabel("seconds")
    axis.legend()
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(out, dpi=120)
    plt.close(figure)
    means["perf/iteration_seconds"] = float(total.mean()) if total.size else 0.0
    return means
