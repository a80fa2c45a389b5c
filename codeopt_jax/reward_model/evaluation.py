"""Held-out evaluation of pairwise predictions: accuracy, calibration, simple heuristics, report.

A heuristic predicts "A is better" when its metric of A is lower than B's. When the
metrics are equal or one is missing (op counts are measured for valid programs only)
it abstains, which counts as half right; `decided` is the fraction it did not abstain on.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from codeopt_jax.reward_model import calibration
from codeopt_jax.reward_model.dataset import PAIR_KINDS, Pair, ScoredProgram


def _tokens(program: ScoredProgram) -> float | None:
    return None if program.record.static is None else program.record.static.tokens


def _ast_nodes(program: ScoredProgram) -> float | None:
    return None if program.record.static is None else program.record.static.ast_nodes


def _op_count(program: ScoredProgram) -> float | None:
    return program.record.op_count


HEURISTICS: dict[str, Callable[[ScoredProgram], float | None]] = {
    "fewer_tokens": _tokens,
    "fewer_ast_nodes": _ast_nodes,
    "lower_op_count": _op_count,
}
HEURISTIC_TITLES = {"fewer_tokens": "shorter is better (fewer tokens)",
                    "fewer_ast_nodes": "fewer AST nodes is better",
                    "lower_op_count": "lower op count is better"}


def heuristic_probs(pairs: Sequence[Pair], programs: Mapping[str, ScoredProgram],
                    metric: Callable[[ScoredProgram], float | None]) -> np.ndarray:
    """[P] in {0, 0.5, 1}: 1 when metric(a) < metric(b), 0.5 when equal or unknown."""
    probs = np.full(len(pairs), 0.5)
    for index, pair in enumerate(pairs):
        a, b = metric(programs[pair.a]), metric(programs[pair.b])
        if a is not None and b is not None and a != b:
            probs[index] = 1.0 if a < b else 0.0
    return probs


def pair_accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    """Mean correctness of p > 0.5 against labels; p == 0.5 counts as half right. NaN when empty."""
    probs, labels = np.asarray(probs, np.float64), np.asarray(labels, np.float64)
    if len(probs) == 0:
        return float("nan")
    correct = np.where(probs == 0.5, 0.5, (probs > 0.5) == (labels > 0.5))
    return float(np.mean(correct))


def prediction_metrics(probs: np.ndarray, labels: np.ndarray, kinds: Sequence[str], problems: Sequence[str],
                       num_bins: int = 10) -> dict[str, Any]:
    """Accuracy, NLL, ECE overall; accuracy per pair kind; accuracy_macro: the mean of per-problem accuracies."""
    probs, labels = np.asarray(probs, np.float64), np.asarray(labels, np.float64)
    kinds, problems = np.asarray(kinds), np.asarray(problems)
    clipped = np.clip(probs, 1e-7, 1 - 1e-7)
    result: dict[str, Any] = {
        "pairs": int(len(probs)),
        "accuracy": pair_accuracy(probs, labels),
        "nll": float(-np.mean(labels * np.log(clipped) + (1 - labels) * np.log(1 - clipped))) if len(probs) else
        float("nan"),
        "ece": calibration.expected_calibration_error(probs, labels, num_bins) if len(probs) else float("nan"),
    }
    per_problem = [pair_accuracy(probs[problems == name], labels[problems == name]) for name in np.unique(problems)]
    result["accuracy_macro"] = float(np.mean(per_problem)) if per_problem else float("nan")
    for kind in PAIR_KINDS:
        chosen = kinds == kind
        result[f"pairs_{kind}"] = int(chosen.sum())
        result[f"accuracy_{kind}"] = pair_accuracy(probs[chosen], labels[chosen])
    return result


def heuristic_metrics(pairs: Sequence[Pair], programs: Mapping[str, ScoredProgram]) -> dict[str, dict[str, Any]]:
    """Accuracy (overall and per kind) and decided fraction of every heuristic."""
    labels = np.array([p.label for p in pairs], np.float64)
    kinds = [p.kind for p in pairs]
    problems = [p.problem for p in pairs]
    result = {}
    for name, metric in HEURISTICS.items():
        probs = heuristic_probs(pairs, programs, metric)
        metrics = prediction_metrics(probs, labels, kinds, problems)
        metrics.pop("nll")
        metrics.pop("ece")
        metrics["decided"] = float(np.mean(probs != 0.5)) if len(probs) else float("nan")
        result[name] = metrics
    return result


def _cell(value: float) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.3f}"


def markdown_table(summary: Mapping[str, Any]) -> str:
    """The held-out comparison: the reward model against each heuristic."""
    held = summary["heldout"]
    model, raw = held["model"], held["model_uncalibrated"]
    counts = f"{model['pairs']} pairs ({model['pairs_valid_vs_broken']} valid vs broken, " \
             f"{model['pairs_valid_vs_valid']} valid vs valid) from {held['problems']} held-out problems"
    def row(title: str, metrics: Mapping[str, Any], decided: float, ece: float | None) -> str:
        return (f"| {title} | {_cell(metrics['accuracy'])} | {_cell(metrics['accuracy_macro'])} | "
                f"{_cell(metrics['accuracy_valid_vs_broken'])} | {_cell(metrics['accuracy_valid_vs_valid'])} | "
                f"{_cell(decided)} | {_cell(ece)} |")

    lines = [f"Held-out pairwise accuracy: {counts}.", "",
             "| predictor | accuracy | per-problem mean | valid vs broken | valid vs valid | decided | ECE |",
             "| --- | --- | --- | --- | --- | --- | --- |",
             row(f"reward model (temperature {summary['temperature']:.2f})", model, 1.0, model["ece"]),
             row("reward model, uncalibrated", raw, 1.0, raw["ece"])]
    lines += [row(HEURISTIC_TITLES[name], metrics, metrics["decided"], None)
              for name, metrics in held["heuristics"].items()]
    lines += ["", "Accuracy counts an abstention (equal or unmeasured metric) as half right; the per-problem "
              "mean averages each held-out problem's accuracy; ECE uses 10 equal-width bins of "
              "P(A better than B)."]
    return "\n".join(lines) + "\n"


def plot_reliability(diagrams: Mapping[str, calibration.Reliability], path: str | pathlib.Path,
                     title: str = "Reward model reliability (held-out pairs)") -> None:
    """Reliability curves (observed frequency against mean prediction per bin) plus bin counts, as a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (curve, histogram) = plt.subplots(2, 1, figsize=(5.5, 7), gridspec_kw={"height_ratios": [3, 1]},
                                              sharex=True)
    curve.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect calibration")
    width = None
    for offset, (name, diagram) in enumerate(diagrams.items()):
        filled = diagram.counts > 0
        curve.plot(diagram.mean_predicted[filled], diagram.observed[filled], marker="o",
                   label=f"{name} (ECE {diagram.ece:.3f})")
        centers = (diagram.edges[:-1] + diagram.edges[1:]) / 2
        width = (diagram.edges[1] - diagram.edges[0]) / (len(diagrams) + 1)
        histogram.bar(centers + (offset - (len(diagrams) - 1) / 2) * width, diagram.counts, width=width, label=name)
    curve.set_ylabel("fraction where A is better")
    curve.set_xlim(0, 1)
    curve.set_ylim(0, 1)
    curve.set_title(title)
    curve.legend(loc="upper left", fontsize=8)
    histogram.set_xlabel("predicted P(A better than B)")
    histogram.set_ylabel("pairs")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _json_safe(value: Any) -> Any:
    """NaN and infinities become None (strict JSON); numpy scalars become Python numbers."""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def write_report(workdir: str | pathlib.Path, summary: Mapping[str, Any]) -> tuple[pathlib.Path, pathlib.Path]:
    """Writes summary.json and summary.md into workdir; returns their paths."""
    workdir = pathlib.Path(workdir)
    json_path = workdir / "summary.json"
    markdown_path = workdir / "summary.md"
    json_path.write_text(json.dumps(_json_safe(summary), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    markdown_path.write_text(markdown_table(summary), encoding="utf-8")
    return json_path, markdown_path
