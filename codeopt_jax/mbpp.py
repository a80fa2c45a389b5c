"""MBPP (Austin et al. 2021, CC BY 4.0) as an external benchmark: tasks written by others.

  tasks = load_tasks("../shared/data/mbpp/mbpp.jsonl", "test")   # ids 11-510
  harnesses, skipped = task_harnesses(tasks)                       # UserProblem, no workload yet

Each task becomes a problem: the crowd-written solution module is the program, the tested
function (the one the assert lines call most) is the target, the assert lines after the
task's `test_setup_code` are the tests. The workload is synthesized from those tests
(`workloads.with_synthesized_workloads`). Tasks that cannot become a problem are skipped
with a reason (`Skipped`), counted in the benchmark's table. Splits are the authors':
never train or tune on `test`.
"""

from __future__ import annotations

import ast
import collections
import dataclasses
import json
import pathlib

from codeopt_jax.program import ProgramError, parse_program
from codeopt_jax.user_problem import UserInputError, UserProblem, harness_problem

SPLITS = {"prompt": (1, 10), "test": (11, 510), "validation": (511, 600), "train": (601, 974)}
DEFAULT_PATH = "../shared/data/mbpp/mbpp.jsonl"


class BenchmarkError(ValueError):
    """A missing or broken benchmark file; the message names the file and the line."""


@dataclasses.dataclass(frozen=True)
class Task:
    """One MBPP task as the file gives it (line endings normalized)."""

    task_id: int
    text: str
    code: str
    tests: tuple[str, ...]
    setup: str


@dataclasses.dataclass(frozen=True)
class Skipped:
    """A task that did not become a benchmark problem, and why (`reason` is a short category)."""

    task_id: int
    reason: str
    detail: str = ""


def load_tasks(path: str, split: str) -> list[Task]:
    """The tasks of one split, in id order; raises BenchmarkError naming the file and line."""
    if split not in SPLITS:
        raise BenchmarkError(f"{path}: unknown MBPP split {split!r}; expected one of {sorted(SPLITS)}")
    first, last = SPLITS[split]
    try:
        lines = pathlib.Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise BenchmarkError(f"{path}: no such file (MBPP's mbpp.jsonl; see the README for where to get it)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchmarkError(f"{path}: cannot read ({exc})") from None
    tasks = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            task = Task(task_id=int(row["task_id"]), text=str(row["text"]), code=_normalize(row["code"]),
                        tests=tuple(_normalize(t) for t in row["test_list"]),
                        setup=_normalize(row.get("test_setup_code") or ""))
        except (ValueError, KeyError, TypeError) as exc:
            raise BenchmarkError(f"{path}:{number}: not an MBPP task ({type(exc).__name__}: {exc})") from None
        if first <= task.task_id <= last:
            tasks.append(task)
    return sorted(tasks, key=lambda t: t.task_id)


def _normalize(text: str) -> str:
    return str(text).replace("\r\n", "\n").replace("\r", "\n")


def _parseable(code: str) -> str | None:
    """The code as both Python and libcst (the rewrites' parser) read it: as given, else with
    tabs expanded, else re-printed from its AST (the file mixes tabs and spaces)."""
    variants = [code, code.expandtabs(4), code.expandtabs(8)]
    try:
        variants.append(ast.unparse(ast.parse(code)) + "\n")
    except (SyntaxError, ValueError, RecursionError):
        pass
    for variant in variants:
        try:
            ast.parse(variant)
            parse_program(variant)
            return variant
        except (SyntaxError, ValueError, ProgramError):
            continue
    return None


def target_function(code: str, tests: tuple[str, ...]) -> str | None:
    """The top-level function of the solution that the assert lines call most (ties: first called)."""
    defined = {n.name for n in ast.parse(code).body if isinstance(n, ast.FunctionDef)}
    calls: collections.Counter[str] = collections.Counter()
    for test in tests:
        try:
            tree = ast.parse(test)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in defined:
                calls[node.func.id] += 1
    return calls.most_common(1)[0][0] if calls else None


def task_harness(task: Task) -> UserProblem:
    """The task as a harness (program + check); raises UserInputError with the reason."""
    code = _parseable(task.code)
    if code is None:
        raise UserInputError("the solution does not parse")
    function = target_function(code, task.tests)
    if function is None:
        raise UserInputError("the tests call no top-level function of the solution")
    tests = "\n".join([task.setup, *task.tests]) + "\n"
    user = harness_problem(code.rstrip() + "\n", f"mbpp/task_{task.task_id}.py", function, tests,
                           f"mbpp/task_{task.task_id}_tests.py", name=f"mbpp_{task.task_id}")
    problem = dataclasses.replace(user.problem, family="mbpp", split=split_of(task.task_id))
    return dataclasses.replace(user, problem=problem)


def split_of(task_id: int) -> str:
    """The split a task id belongs to ("" outside every split)."""
    return next((name for name, (first, last) in SPLITS.items() if first <= task_id <= last), "")


def task_harnesses(tasks: list[Task]) -> tuple[list[UserProblem], list[Skipped]]:
    """Harnesses of the tasks that become problems, and the skipped ones with their reasons."""
    harnesses, skipped = [], []
    for task in tasks:
        try:
            harnesses.append(task_harness(task))
        except UserInputError as exc:
            reason = str(exc).split(": ", 1)[-1]
            skipped.append(Skipped(task.task_id, _category(reason), reason))
    return harnesses, skipped


_CATEGORIES = (("does not parse", "solution does not parse"),
               ("call no top-level function", "tests call no top-level function"),
               ("reserves", "solution defines a harness name"),
               ("do not combine", "tests do not compile"))


def _category(reason: str) -> str:
    """A short, countable category for a harness error."""
    return next((category for needle, category in _CATEGORIES if needle in reason), "bad tests")


def task_id(problem_name: str) -> int:
    """`mbpp_123` -> 123."""
    return int(problem_name.rsplit("_", 1)[-1])
