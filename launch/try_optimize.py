"""Runs `python -m launch.optimize` as a user would, on MBPP functions, with tests in all three styles.

  python -m launch.try_optimize --split validation --tasks 10 --out results/optimize_trial.md

For each task (the first --tasks of the split that load), writes the solution to `<name>.py`
and its assert lines three ways — a HumanEval-style `def check(candidate)`, MBPP-style
top-level asserts, and a pytest file importing the function from its module — then runs the
`optimize` command on each, without a workload (it is synthesized from the tests), and
records the exit status, whether the result passes the tests (re-run here in a fresh
subprocess), the speedup and the reason when the original came back. The table goes to
--out with the command that made it. Functions written by others, never used in training.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import subprocess
import sys
import tempfile
import time

from absl import app, flags

from codeopt_jax import mbpp
from codeopt_jax.user_problem import UserInputError

_PATH = flags.DEFINE_string("benchmark_path", mbpp.DEFAULT_PATH, "MBPP's mbpp.jsonl.")
_SPLIT = flags.DEFINE_enum("split", "validation", sorted(mbpp.SPLITS), "MBPP split to take the functions from.")
_TASKS = flags.DEFINE_integer("tasks", 10, "Functions to try.")
_BUDGET = flags.DEFINE_integer("budget", 32, "optimize --budget.")
_OUT = flags.DEFINE_string("out", "results/optimize_trial.md", "Markdown table to write.")


@dataclasses.dataclass(frozen=True)
class Trial:
    """One `optimize` run on one task with one test style."""

    task_id: int
    function: str
    style: str
    exit_status: int
    passes_tests: bool | None   # the returned program re-run against the tests (None: nothing returned)
    changed: bool
    speedup: float | None
    workload: str               # the synthesis summary line
    note: str                   # the reason the original came back, or the error line
    seconds: float


def _styles(task: mbpp.Task, function: str, module: str) -> dict[str, str]:
    setup = task.setup.strip()
    asserts = "\n".join(task.tests)
    check_body = "\n".join("    " + line for line in ([setup] if setup else []) + list(task.tests))
    check_body = check_body.replace(f"{function}(", "candidate(")
    tests = [f"def test_{index}():\n    {line}" for index, line in enumerate(task.tests)]
    pytest_file = f"from {module} import *\n{setup}\n\n\n" + "\n\n\n".join(tests) + "\n"
    return {"check": f"def check(candidate):\n{check_body}\n",
            "asserts": (setup + "\n" if setup else "") + asserts + "\n",
            "pytest": pytest_file}


def _passes(folder: pathlib.Path, module: str, tests: str, program: str) -> bool:
    """Runs the MBPP asserts against `program` in a fresh interpreter."""
    (folder / "recheck.py").write_text(f"{program}\n\n{tests}\n")
    result = subprocess.run([sys.executable, "recheck.py"], cwd=folder, capture_output=True, timeout=120)
    return result.returncode == 0


def _run(task: mbpp.Task, function: str, style: str, tests: str, program: str, folder: pathlib.Path) -> Trial:
    module = f"task_{task.task_id}"
    (folder / f"{module}.py").write_text(program)
    tests_path = folder / f"{module}_{style}_tests.py"
    tests_path.write_text(tests)
    record_path, out_path = folder / f"{module}_{style}.json", folder / f"{module}_{style}_fast.py"
    start = time.time()
    result = subprocess.run([sys.executable, "-m", "launch.optimize", "--source", str(folder / f"{module}.py"),
                             "--function", function, "--tests", str(tests_path), "--budget", str(_BUDGET.value),
                             "--json", str(record_path), "--out", str(out_path)],
                            capture_output=True, text=True, timeout=900)
    seconds = time.time() - start
    workload = next((line.strip() for line in result.stderr.splitlines() if "one pass of the original" in line), "")
    if result.returncode != 0:
        error = next((line for line in result.stderr.splitlines() if line.startswith("error")), result.stderr[-200:])
        return Trial(task.task_id, function, style, result.returncode, None, False, None, workload, error, seconds)
    record = json.loads(record_path.read_text())
    asserts = "\n".join([task.setup, *task.tests])
    return Trial(task.task_id, function, style, 0, _passes(folder, module, asserts, out_path.read_text()),
                 record["changed"], record["speedup"] if record["changed"] else None, workload,
                 record.get("unchanged_reason", ""), seconds)


def _table(trials: list[Trial], command: str) -> str:
    ok = sum(t.exit_status == 0 for t in trials)
    passing = sum(bool(t.passes_tests) for t in trials)
    changed = [t for t in trials if t.changed]
    lines = [f"# `optimize` on functions written by others (MBPP {_SPLIT.value} split)", "",
             f"Command: `{command}`", "",
             "Each function's solution and assert lines come from MBPP (Austin et al. 2021, CC BY 4.0); the tests "
             "are given to `python -m launch.optimize` in three styles, without a workload (synthesized from the "
             "tests). `passes` re-runs the MBPP asserts on the returned file in a fresh interpreter.", "",
             f"Runs: {len(trials)}; exit 0: {ok}; returned program passes its tests: {passing}; "
             f"changed (faster beyond the timing noise): {len(changed)}.", "",
             "| task | function | tests | exit | passes | returned | workload | note | seconds |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for t in trials:
        returned = f"{t.speedup:.2f}x faster" if t.changed and t.speedup else "original"
        note = t.note.replace("|", "\\|")[:140]
        workload = t.workload.replace("one pass of the original: ", "")
        lines.append(f"| {t.task_id} | `{t.function}` | {t.style} | {t.exit_status} | "
                     f"{'yes' if t.passes_tests else 'no' if t.passes_tests is False else '–'} | {returned} | "
                     f"{workload} | {note} | {t.seconds:.0f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    del argv
    try:
        tasks = mbpp.load_tasks(_PATH.value, _SPLIT.value)
    except mbpp.BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    trials: list[Trial] = []
    tried = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        for task in tasks:
            if tried >= _TASKS.value:
                break
            try:
                harness = mbpp.task_harness(task)
            except UserInputError:
                continue
            tried += 1
            function, program = harness.problem.entry_point, harness.problem.program
            for style, tests in _styles(task, function, f"task_{task.task_id}").items():
                trial = _run(task, function, style, tests, program, folder)
                trials.append(trial)
                print(f"[{tried}/{_TASKS.value}] task {task.task_id} {style:8} exit {trial.exit_status} "
                      f"{'changed' if trial.changed else 'original'} {trial.seconds:.0f}s", file=sys.stderr, flush=True)
    command = " ".join(["python -m launch.try_optimize", *sys.argv[1:]])
    text = _table(trials, command)
    pathlib.Path(_OUT.value).write_text(text, encoding="utf-8")
    print(text)
    return 0 if all(t.exit_status == 0 and t.passes_tests for t in trials) else 1


if __name__ == "__main__":
    app.run(main)
