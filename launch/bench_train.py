"""Benchmark of training throughput (a benchmark, not a test: it prints figures).

  python -m launch.bench_train [--iterations 12] [--config default] [--workdir DIR] [--out FILE]

Runs `--iterations` training iterations of a config preset (op-count reward, no periodic
evaluation) in a fresh temporary workdir, or in `--workdir` (which must not hold a run),
and prints, as medians over the iterations after `--warmup`:
  * real transitions per second: active (non-padding) transitions / iteration seconds;
  * the per-phase split of an iteration: sampling (policy calls), rewriting (libcst
    rewrites and views), scoring (sandbox), update (PPO / REINFORCE), other;
  * how often the update was compiled (XLA compilations of the jitted update) and the
    seconds those compilations took, over the whole run; an iteration that compiled the
    update is left out of the medians (a new compact size compiles once per run), unless
    every measured iteration did.
`--out FILE` also writes the table as markdown.
"""

from __future__ import annotations

import dataclasses
import json
import logging as std_logging
import pathlib
import re
import statistics
import sys
import tempfile

from absl import app, flags, logging

from codeopt_jax import config as config_lib

_ITERATIONS = flags.DEFINE_integer("iterations", 12, "Training iterations to run.")
_WARMUP = flags.DEFINE_integer("warmup", 2, "Leading iterations left out of the medians (compiles, cold caches).")
_CONFIG = flags.DEFINE_enum("config", "default", ["default", "quick"], "Named config preset.")
_SEED = flags.DEFINE_integer("seed", 0, "Random seed.")
_WORKDIR = flags.DEFINE_string("workdir", None, "Run folder (default: a fresh temporary one, removed afterwards).")
_OUT = flags.DEFINE_string("out", None, "Also write the table as markdown to this file.")

PHASES = (("sampling", "perf/sample_seconds"), ("rewriting", "perf/rewrite_seconds"),
          ("scoring", "perf/scoring_seconds"), ("update", "perf/update_seconds"))
_UPDATE_COMPILE = re.compile(r"Finished XLA compilation of jit\((\w*update\w*)\) in ([0-9.eE+-]+) sec")


class _CompileCounter(std_logging.Handler):
    """Counts XLA compilations of jitted functions whose name contains "update" (from jax_log_compiles)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.seconds = 0.0

    def emit(self, record: std_logging.LogRecord) -> None:
        match = _UPDATE_COMPILE.search(record.getMessage())
        if match:
            self.count += 1
            self.seconds += float(match.group(2))


@dataclasses.dataclass(frozen=True)
class ThroughputSummary:
    """Medians over the measured iterations (seconds per iteration unless named otherwise)."""

    iterations_measured: int
    active_transitions: float      # real transitions per iteration
    transitions_per_second: float  # median over iterations of active / iteration seconds
    iteration_seconds: float
    phases: dict[str, float]       # sampling, rewriting, scoring, update, other
    update_compiles: int
    update_compile_seconds: float


def summarize(rows: list[dict[str, float]], rows_per_rollout: int, warmup: int,
              compiles_per_iteration: list[int], compile_seconds: float) -> ThroughputSummary:
    """rows: the training iterations' metrics records, in order; active counts from losses/active_fraction;
    compiles_per_iteration: update compilations during each iteration (same order)."""
    compiled = compiles_per_iteration + [0] * (len(rows) - len(compiles_per_iteration))
    after_warmup = rows[warmup:] or rows
    measured = [row for row, count in list(zip(rows, compiled))[warmup:] if not count] or after_warmup
    active = [row["losses/active_fraction"] * rows_per_rollout for row in measured]
    seconds = [row["perf/iteration_seconds"] for row in measured]
    phases = {name: statistics.median(row[key] for row in measured) for name, key in PHASES}
    phases["other"] = statistics.median(row["perf/iteration_seconds"] - sum(row[key] for _, key in PHASES)
                                        for row in measured)
    return ThroughputSummary(
        iterations_measured=len(measured), active_transitions=statistics.median(active),
        transitions_per_second=statistics.median(a / s for a, s in zip(active, seconds)),
        iteration_seconds=statistics.median(seconds), phases=phases,
        update_compiles=sum(compiles_per_iteration), update_compile_seconds=compile_seconds)


def table(summary: ThroughputSummary, title: str) -> str:
    """The summary as a small markdown table."""
    lines = [f"### {title}", "", "| figure | median |", "|---|---:|",
             f"| real transitions / s | {summary.transitions_per_second:.1f} |",
             f"| real transitions / iteration | {summary.active_transitions:.1f} |",
             f"| iteration seconds | {summary.iteration_seconds:.3f} |"]
    lines += [f"| {name} seconds | {value:.3f} ({value / summary.iteration_seconds:.0%}) |"
              for name, value in summary.phases.items()]
    lines += [f"| update compiles (whole run) | {summary.update_compiles} "
              f"({summary.update_compile_seconds:.1f} s) |",
              f"| iterations measured (no update compile) | {summary.iterations_measured} |"]
    return "\n".join(lines)


def _metrics_rows(workdir: pathlib.Path) -> list[dict[str, float]]:
    path = workdir / "metrics.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"{path}: the run wrote no metrics")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row for row in rows if "perf/iteration_seconds" in row]


def run(workdir: pathlib.Path) -> ThroughputSummary:
    from codeopt_jax.train import train  # after flag parsing: keeps --help fast
    import jax
    config = config_lib.with_reward(config_lib.preset(_CONFIG.value), "opcount")
    config = dataclasses.replace(config, iterations=_ITERATIONS.value, seed=_SEED.value, eval_every=0,
                                 checkpoint_every=_ITERATIONS.value)
    counter = _CompileCounter()
    jax_logger = std_logging.getLogger("jax")
    jax_logger.addHandler(counter)
    jax_logger.propagate = False  # jax_log_compiles logs every compilation at WARNING
    jax.config.update("jax_log_compiles", True)
    compiles_per_iteration: list[int] = []

    def log(line: str) -> None:
        if line.startswith("iter "):  # one progress line per finished iteration
            compiles_per_iteration.append(counter.count - sum(compiles_per_iteration))
        print(line, file=sys.stderr, flush=True)

    try:
        train(config, workdir, log=log)
    finally:
        jax.config.update("jax_log_compiles", False)
        jax_logger.removeHandler(counter)
        jax_logger.propagate = True
    rows = _metrics_rows(workdir)
    return summarize(rows, config.batch_size * config.env.max_steps, _WARMUP.value, compiles_per_iteration,
                     counter.seconds)


def main(argv: list[str]) -> int:
    del argv
    logging.set_verbosity(logging.WARNING)
    if _ITERATIONS.value <= _WARMUP.value:
        print(f"error: --iterations ({_ITERATIONS.value}) must exceed --warmup ({_WARMUP.value})", file=sys.stderr)
        return 2
    if _WORKDIR.value:
        workdir = pathlib.Path(_WORKDIR.value)
        if (workdir / "metrics.jsonl").exists():
            print(f"error: {workdir} already holds a run (metrics.jsonl); give an empty folder", file=sys.stderr)
            return 2
        summary = run(workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="bench_train_") as folder:
            summary = run(pathlib.Path(folder))
    title = f"bench_train: config {_CONFIG.value}, {_ITERATIONS.value} iterations, seed {_SEED.value}"
    text = table(summary, title)
    print(text)
    if _OUT.value:
        pathlib.Path(_OUT.value).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    app.run(main)
