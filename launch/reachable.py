"""Counts the programs reachable from each problem within a few rewrites (nothing is run or scored).

  python -m launch.reachable --split heldout --depths 4,12 --cap 20000
  python -m launch.reachable --benchmark mbpp --split validation --depths 4,12 --workers 2
  python -m launch.reachable --split train --depths 1,2,4 --runs results/default_run

Per problem: the distinct programs (up to layout, `program.normalized_code`; the original
included) within each depth of rewrites by the allowed rules (not the UNSAFE ones unless
--allow_unsafe), breadth-first, stopping at --cap programs (a count cut short prints as
">= cap"). Search is not limited to the policy's token window, so this is the space the
search baselines see. Prints and writes a table (median, min and max over the problems, then
one row per problem) to <out_dir>/reachable_<split>.md and .json (reachable_mbpp_<split> for MBPP,
where every task whose harness builds counts; no workload is needed). With --runs, also reports
the distinct programs each finished training run visited (`train/distinct_programs` in its
metrics.jsonl) where the run recorded it.
"""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
import pathlib
import statistics
import sys
import time

from absl import app, flags

from codeopt_jax import corpus, moves, search
from codeopt_jax.metrics_log import DISTINCT_PROGRAMS, read_metrics
from launch import problem_flags

_SPLIT = flags.DEFINE_string("split", "heldout", "Corpus split (train, heldout, all) or MBPP split "
                             "(validation, train, test, prompt).")
_ROOT = flags.DEFINE_string("root", "corpus", "Corpus folder.")
_PROBLEMS = flags.DEFINE_list("problems", None, "Only these problem names (MBPP: task ids).")
_DEPTHS = flags.DEFINE_list("depths", ["4", "12"], "Rewrite depths to count within.")
_CAP = flags.DEFINE_integer("cap", 20_000, "Stop counting a problem at this many distinct programs.")
_UNSAFE = flags.DEFINE_bool("allow_unsafe", False, "Include the deliberately unsafe mutations.")
_WORKERS = flags.DEFINE_integer("workers", 0, "Processes that list neighbours (0: this one).")
_RUNS = flags.DEFINE_list("runs", [], "Training run folders whose visited-program counts to report.")
_OUT_DIR = flags.DEFINE_string("out_dir", "results", "Folder for reachable_<split>.md and .json ('' : print only).")


def _median(values: list[int], exact: list[bool]) -> str:
    """The median count; ">= x" when it rests on a count the cap cut short (those sort last)."""
    ordered = sorted(zip(values, [not e for e in exact]))
    middle = [ordered[(len(ordered) - 1) // 2], ordered[len(ordered) // 2]]
    value = statistics.mean(v for v, _ in middle)
    text = f"{value:g}"
    return f">= {text}" if any(capped for _, capped in middle) else text


def summary_table(rows: list[dict], depths: list[int]) -> str:
    lines = ["| within | median | min | max | problems cut short by the cap |", "| --- | --- | --- | --- | --- |"]
    for index, depth in enumerate(depths):
        values = [row["counts"][index] for row in rows]
        exact = [row["exact"][index] for row in rows]
        low = min(range(len(rows)), key=lambda i: (values[i], not exact[i]))
        high = max(range(len(rows)), key=lambda i: (values[i], not exact[i]))
        lines.append(f"| ≤ {depth} rewrites | {_median(values, exact)} | {rows[low]['shown'][index]} | "
                     f"{rows[high]['shown'][index]} | {sum(not e for e in exact)} |")
    return "\n".join(lines)


def problem_table(rows: list[dict], depths: list[int]) -> str:
    lines = ["| problem | lines | " + " | ".join(f"within {d}" for d in depths) + " | listed | seconds |",
             "| --- | --- | " + "--- | " * len(depths) + "--- | --- |"]
    for row in rows:
        lines.append(f"| {row['problem']} | {row['lines']} | " + " | ".join(row["shown"]) +
                     f" | {row['expanded']} | {row['seconds']:.1f} |")
    return "\n".join(lines)


def run_visited(workdir: str) -> dict:
    """What a training run's metrics say about the programs it visited."""
    records = read_metrics(pathlib.Path(workdir) / "metrics.jsonl")
    counted = [r for r in records if r.get(DISTINCT_PROGRAMS) is not None]
    if counted:
        last = counted[-1]
        return {"run": workdir, "iteration": last["step"], "distinct_programs": int(last[DISTINCT_PROGRAMS])}
    scored = [r for r in records if r.get("perf/scoring_size") is not None]
    return {"run": workdir, "iteration": records[-1]["step"] if records else None, "distinct_programs": None,
            "scored_programs": int(scored[-1]["perf/scoring_size"]) if scored else None}


def runs_table(runs: list[dict]) -> str:
    lines = ["| run | iterations | distinct programs visited in training |", "| --- | --- | --- |"]
    for run in runs:
        if run["distinct_programs"] is not None:
            visited = str(run["distinct_programs"])
        elif run.get("scored_programs") is not None:
            visited = (f"not recorded (the run predates `{DISTINCT_PROGRAMS}`); its score cache held "
                       f"{run['scored_programs']} distinct (problem, program) pairs, training and evaluation")
        else:
            visited = "not recorded"
        lines.append(f"| {run['run']} | {run['iteration'] if run['iteration'] is not None else '–'} | {visited} |")
    return "\n".join(lines)


def _problems() -> tuple[list[corpus.Problem], int]:
    if problem_flags.BENCHMARK.value == "mbpp":
        return problem_flags.mbpp_harness_problems(_SPLIT.value, _PROBLEMS.value)
    return problem_flags.corpus_problems(_ROOT.value, _SPLIT.value, _PROBLEMS.value), 0


def main(argv: list[str]) -> int:
    del argv
    try:
        depths = sorted({int(d) for d in _DEPTHS.value})
        if not depths or depths[0] < 0 or _CAP.value < 1:
            raise ValueError("--depths must be non-negative integers and --cap positive")
        problems, skipped = _problems()
    except ValueError as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    allowed = moves.allowed_rules(_UNSAFE.value)
    pool = (concurrent.futures.ProcessPoolExecutor(_WORKERS.value, mp_context=multiprocessing.get_context("spawn"))
            if _WORKERS.value > 0 else None)
    map_fn = map if pool is None else (lambda function, items: pool.map(function, items, chunksize=4))
    rows = []
    try:
        for index, problem in enumerate(problems, 1):
            start = time.time()
            result = search.reachable(problem.program, depths, allowed, _CAP.value, map_fn)
            rows.append({"problem": problem.name, "lines": problem.num_lines, "counts": list(result.counts),
                         "exact": list(result.exact), "shown": [result.shown(i) for i in range(len(depths))],
                         "expanded": result.expanded, "seconds": time.time() - start})
            print(f"[{index}/{len(problems)}] {problem.name:30} " +
                  "  ".join(f"≤{d}: {s}" for d, s in zip(depths, rows[-1]["shown"])) +
                  f"  ({rows[-1]['seconds']:.1f}s)", file=sys.stderr, flush=True)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    if not rows:
        print("error: no problems", file=sys.stderr)
        return 2
    runs = [run_visited(workdir) for workdir in _RUNS.value]
    label = f"mbpp {_SPLIT.value}" if problem_flags.BENCHMARK.value == "mbpp" else _SPLIT.value
    command = " ".join(["python -m launch.reachable", *sys.argv[1:]])
    header = (f"Distinct programs (up to layout, the original included) within each number of rewrites by the "
              f"{'allowed' if not _UNSAFE.value else 'allowed and unsafe'} rules, breadth-first, cap {_CAP.value} "
              f"per problem; {len(rows)} problems ({label})" +
              (f", {skipped} tasks skipped (no harness)" if skipped else "") + f"; {len(allowed)} rules, "
              f"{int(allowed.sum())} allowed.")
    parts = [f"# Reachable programs ({label})", f"`{command}`", header, "## Summary", summary_table(rows, depths)]
    if runs:
        parts += ["## Training runs", runs_table(runs)]
    parts += ["## Per problem", problem_table(rows, depths)]
    text = "\n\n".join(parts) + "\n"
    print(text)
    if _OUT_DIR.value:
        out = pathlib.Path(_OUT_DIR.value)
        out.mkdir(parents=True, exist_ok=True)
        stem = f"reachable_{'mbpp_' if problem_flags.BENCHMARK.value == 'mbpp' else ''}{_SPLIT.value}"
        (out / f"{stem}.md").write_text(text, encoding="utf-8")
        (out / f"{stem}.json").write_text(json.dumps({
            "command": command, "depths": depths, "cap": _CAP.value, "allow_unsafe": _UNSAFE.value,
            "skipped_tasks": skipped, "problems": rows, "runs": runs}, indent=2), encoding="utf-8")
        print(f"wrote {out / stem}.md and .json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    app.run(main)
