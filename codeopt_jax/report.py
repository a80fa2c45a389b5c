"""Builds results/REPORT.md from the runs' logs and result files.

Every table is computed here from files written by real runs (metrics.jsonl,
eval_final.json, evaluation and search JSON); every figure is a PNG made by
`codeopt_jax.plots`; each section names the command that produced its inputs. The
small per-run files used are copied into results/runs/ so the report can be rebuilt
from the repository alone.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import pathlib
import shutil
from typing import Any, Callable

import numpy as np

from codeopt_jax.corpus import Problem
from codeopt_jax.metrics_log import read_metrics
from codeopt_jax.rewards import RewardConfig, geomean
from codeopt_jax.scoring import ScoreOptions, ScoringService
from codeopt_jax.scoring.static import token_count
from codeopt_jax.scoring.records import MISMATCH, OK

UNSAFE_PREFIXES = ("mutation_", "range_len_to_zip_assume_equal_length")


@dataclasses.dataclass(frozen=True)
class Run:
    """A finished training run's name, folder and the command that made it."""

    name: str
    folder: pathlib.Path
    command: str

    @property
    def metrics(self) -> list[dict]:
        return read_metrics(self.folder / "metrics.jsonl")

    @property
    def final_eval(self) -> list[dict]:
        path = self.folder / "eval_final.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []

    @property
    def exists(self) -> bool:
        return (self.folder / "eval_final.json").exists()


def archive(run: Run, results: pathlib.Path) -> Run:
    """Copies a run's small files (config, metrics, final evaluation) under results/runs/."""
    target = results / "runs" / run.name
    if run.folder.resolve() != target.resolve():
        target.mkdir(parents=True, exist_ok=True)
        for name in ("config.json", "metrics.jsonl", "eval_final.json"):
            if (run.folder / name).exists():
                shutil.copy(run.folder / name, target / name)
    return dataclasses.replace(run, folder=target)


def _last(metrics: list[dict], key: str, count: int = 5) -> float:
    values = [m[key] for m in metrics if m.get(key) is not None]
    return float(np.mean(values[-count:])) if values else float("nan")


def run_summary(run: Run, max_step: int | None = None) -> dict[str, float]:
    """Final greedy held-out return and speedup, and the late training return (up to `max_step`)."""
    final = run.final_eval
    metrics = [m for m in run.metrics if max_step is None or m["step"] <= max_step]
    return {
        "train_return_last5": _last([m for m in metrics if "train/return_mean" in m], "train/return_mean"),
        "eval_return": float(np.mean([e["phi"] for e in final])) if final else float("nan"),
        "eval_speedup": geomean([e["speedup"] or 1.0 for e in final if e["status"] == OK]
                                + [1.0 for e in final if e["status"] != OK]),
        "broken": sum(e["status"] != OK or e["differential"] == MISMATCH for e in final),
        "seconds": sum(m.get("perf/iteration_seconds") or 0.0 for m in metrics),
    }


def md_table(header: list[str], rows: list[list[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return "nan" if math.isnan(value) else f"{value:.3f}"
        return str(value)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def algorithms_section(runs: dict[str, Run], max_step: int) -> str:
    rows = []
    for label, run in runs.items():
        if run.exists:
            s = run_summary(run, max_step)
            rows.append([label, s["train_return_last5"], s["eval_return"], f"{s['eval_speedup']:.3f}x",
                         s["broken"], f"{s['seconds'] / 60:.1f}"])
    return md_table(["run", f"train return (it. {max_step - 4}-{max_step})", "held-out return (greedy, final)",
                     "held-out op-count speedup (final)", "broken", f"minutes for {max_step} it."], rows)


def examples_section(run: Run, problems: dict[str, Problem], count: int = 3) -> str:
    """Unified diffs of the held-out programs the agent improved most."""
    chosen = sorted((e for e in run.final_eval if e["status"] == OK and e["rules"]), key=lambda e: -e["phi"])
    blocks = []
    for entry in chosen[:count]:
        problem = problems.get(entry["problem"])
        if problem is None:
            continue
        diff = "".join(difflib.unified_diff(problem.program.splitlines(True), entry["source"].splitlines(True),
                                            f"{entry['problem']} (original)", f"{entry['problem']} (agent)"))
        blocks.append(f"**{entry['problem']}** — Φ {entry['phi']:+.3f}, op-count speedup "
                      f"{entry['speedup']:.2f}x, rewrites: {', '.join(entry['rules'])}\n\n```diff\n{diff}```")
    return "\n\n".join(blocks)


def brevity_section(runs: dict[float, Run], problems: dict[str, Problem]) -> str:
    rows = []
    for weight, run in sorted(runs.items()):
        if not run.exists:
            continue
        final = run.final_eval
        ratios = [token_count(e["source"]) / token_count(problems[e["problem"]].program)
                  for e in final if e["problem"] in problems]
        s = run_summary(run)
        rows.append([weight, f"{s['eval_speedup']:.3f}x", float(np.mean(ratios)) if ratios else float("nan"),
                     f"{len(final) - s['broken']}/{len(final)}", s["eval_return"]])
    return md_table(["brevity weight", "held-out op-count speedup", "mean token ratio (final/original)",
                     "correct", "held-out return"], rows)


def hacking_section(runs: dict[str, Run], problems: dict[str, Problem],
                    rescore: Callable[[list[tuple[Problem, str]]], list[Any]]) -> str:
    """What each gate setting let through: final programs re-checked with every gate on."""
    rows = []
    for label, run in runs.items():
        if not run.exists:
            continue
        final = [e for e in run.final_eval if e["problem"] in problems]
        records = rescore([(problems[e["problem"]], e["source"]) for e in final])
        unsafe_uses = sum(1 for e in final for r in e["rules"] if r.startswith(UNSAFE_PREFIXES))
        failing_tests = sum(r.status != OK for r in records)
        differing = sum(r.status == OK and r.differential == MISMATCH for r in records)
        exploited = sorted({r for e, rec in zip(final, records) if not rec.valid for r in e["rules"]
                            if r.startswith(UNSAFE_PREFIXES)})
        rows.append([label, unsafe_uses, failing_tests, differing, ", ".join(exploited) or "-",
                     run_summary(run)["eval_return"]])
    return md_table(["gates during training", "unsafe rewrites in final programs", "fail tests",
                     "pass tests but differ on workload", "unsafe rules behind wrong programs",
                     "held-out return (as trained)"], rows)


def rescorer(service: ScoringService) -> Callable[[list[tuple[Problem, str]]], list[Any]]:
    options = ScoreOptions(tests=True, differential=True)
    return lambda items: service.score_many(items, options)


def reward_design(config: dict[str, Any]) -> str:
    reward = RewardConfig(**config["reward"])
    return (
        "Φ(program) is measured against the problem's original, so Φ(original) = 0 and the per-step reward "
        "r_t = Φ(s_{t+1}) − Φ(s_t) telescopes: an episode's return is the improvement of its final program "
        "(potential-based shaping, so the optimal policy is unchanged). "
        f"Default weights: op-count {reward.opcount_weight} × (−log executed-instruction ratio), speed "
        f"{reward.speed_weight} × log paired speedup, brevity {reward.brevity_weight} × (−log token ratio), "
        f"complexity {reward.complexity_weight}; each log ratio clipped to ±{reward.log_clip}. Gates: a program "
        f"that fails its tests{' or differs from the original on the workload' if reward.require_differential else ''} "
        f"gets Φ = −{reward.broken_penalty}, never a speedup bonus. The default trains on executed-instruction "
        "counts because they are deterministic (identical metrics run to run, usable in tests and CI) and "
        "about as cheap as a timing; they reward moving work from Python bytecode into C builtins, which is "
        "what makes CPython code faster, but they cannot see C-level work repeated in a loop (hoisting "
        "`sum(xs)` out of a loop saves little op count, a lot of time), so the evaluation also reports paired "
        "wall-clock speedups. Brevity is a small tie-breaker towards shorter code; the weight sweep below "
        "shows what larger weights do.")


def screen_section(off: Run, on: Run) -> str:
    """Timings the reward-model screen saved, and the final held-out speedups with and without it."""
    rows = []
    for label, run in (("no screen", off), ("screen: model's top-2 per step", on)):
        if not run.exists:
            continue
        metrics = [m for m in run.metrics if "train/return_mean" in m]
        scorings = sum(m.get("reward/scorings") or 0 for m in metrics)
        saved = sum(m.get("reward/screen_saved") or 0 for m in metrics)
        wrong = [m["reward/model_preferred_but_worse"] for m in metrics if "reward/model_preferred_but_worse" in m]
        s = run_summary(run)
        rows.append([label, int(scorings), int(saved), f"{np.mean(wrong):.0%}" if wrong else "-",
                     s["train_return_last5"], s["eval_return"], f"{s['eval_speedup']:.3f}x"])
    return md_table(["run", "timed scorings in training", "timings saved by the screen",
                     "model-preferred candidate measured worse", "train return (last 5 it.)",
                     "held-out return", "held-out speedup (timed)"], rows)


def _comparable(run: Run) -> list[dict]:
    return [{k: v for k, v in m.items() if not k.startswith("perf/") and k not in ("reward/scorings",
                                                                                   "reward/cache_hit_rate")}
            for m in run.metrics]


def hacking_notes(tests_only: Run, tests_diff: Run) -> str:
    """What the training logs say about the two unsafe-rule runs."""
    if not (tests_only.exists and tests_diff.exists):
        return ""
    broken = [m["train/broken_frac"] for m in tests_only.metrics if "train/broken_frac" in m]
    same = _comparable(tests_only) == _comparable(tests_diff)
    text = (f"Share of training episodes ending in a broken program (tests-only run): "
            f"{np.mean(broken[:2]):.0%} in the first two iterations, {np.mean(broken[-5:]):.0%} in the last five. ")
    if same:
        text += ("The two unsafe-rule runs have identical training metrics: every program the policy broke also "
                 "failed its tests, so the differential gate never changed a reward here, and the policy learned "
                 "to stay away from the mutations instead of exploiting them. The differential check still "
                 "matters where tests are weak (tests/test_scoring.py has a candidate that passes all asserts and "
                 "is wrong on the workload); longer runs or weaker tests would be needed to see it exploited.")
    else:
        text += "The two unsafe-rule runs diverge: the differential gate changed some rewards (table above)."
    return text


def _bench_lines(path: pathlib.Path, prefixes: tuple[str, ...]) -> list[str]:
    if not path.exists():
        return [f"(not found: {path})"]
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith(prefixes)]


def measurement_section(previous_search: pathlib.Path, current_search: pathlib.Path,
                        bench_before: pathlib.Path, bench_after: pathlib.Path, artifact_ratio: float = 3.0) -> str:
    """What the honest scorer changed: benchmark before/after and the held-out timing search
    re-measured, with the speedups that were cache artifacts named."""
    prefixes = ("dispatch", "throughput", "median CV", "noise floor")
    text = ("Benchmark (`python -m launch.bench_scoring`), before (`results/previous/bench_scoring_before.txt`, "
            "commit 4308663) and after (`results/bench_scoring.txt`), same machine:\n\n```\nbefore:\n"
            + "\n".join(_bench_lines(bench_before, prefixes)) + "\nafter:\n"
            + "\n".join(_bench_lines(bench_after, prefixes)) + "\n```")
    if not (previous_search.exists() and current_search.exists()):
        return text + "\n\n_(search tables not found)_"
    before = json.loads(previous_search.read_text(encoding="utf-8"))["methods"]
    after = json.loads(current_search.read_text(encoding="utf-8"))["methods"]
    rows = [[method, f"{before[method]['summary']['geomean_speedup']:.2f}x",
             f"{after[method]['summary']['geomean_speedup']:.2f}x"] for method in after if method in before]
    text += ("\n\nThe held-out timing search (`python -m launch.search --method all --split heldout --budget 32 "
             "--max_depth 4 --reward timing`, the first 50 rules), as shipped before "
             "(`results/previous/search_heldout_timing.json`) and re-run with the honest scorer "
             "(`results/previous/search_heldout_timing_50_rules.json`):\n\n" + md_table(["method", "geomean before", "geomean now"], rows))
    method = "exhaustive" if "exhaustive" in after else next(iter(after))
    old = {r["problem"]: r for r in before.get(method, {}).get("results", [])}
    artifacts = []
    for row in after[method]["results"]:
        previous = old.get(row["problem"])
        if previous and previous["speedup"] and row["speedup"] and previous["speedup"] / row["speedup"] > artifact_ratio:
            artifacts.append([row["problem"], f"{previous['speedup']:.1f}x", f"{row['speedup']:.1f}x",
                              ", ".join(previous.get("rewrites", [])) or "–"])
    if artifacts:
        text += (f"\n\nSpeedups of the `{method}` row that shrank more than {artifact_ratio:g}x once every timed pass "
                 "starts from freshly executed code on fresh argument copies — cache artifacts: state the warm-up "
                 "left behind (a module-level `lru_cache`, filled before the first timed pass, served every later "
                 "pass):\n\n" + md_table(["problem", "credited before", "honest now", "rewrites then"], artifacts))
    else:
        text += f"\n\nNo `{method}` speedup shrank more than {artifact_ratio:g}x."
    return text
