"""`optimize`: unusual user code stays valid, a failing program is never returned, bad input is one line."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

from codeopt_jax import optimize as optimize_lib
from codeopt_jax.selection import Candidate, passes_validation
from codeopt_jax.optimize import OptimizeConfig, optimize
from codeopt_jax.user_problem import UserInputError, build_user_problem
from tests.conftest import ROOT
from tests.tiny_agent import shared_agent, subprocess_env

# Decorators, a class, nested functions, f-strings and try/except around an improvable target (kept near
# the top of the file, so it falls inside the tiny agent's token window).
HEADER = """import functools
import typing


@typing.no_type_check
"""

TARGET = """def describe_amounts(amounts, currency="EUR"):
    def fmt(value):
        return f"{value} {currency}"

    parsed = []
    for i in range(len(amounts)):
        try:
            parsed.append(int(amounts[i]))
        except (TypeError, ValueError):
            continue
    total = 0
    for value in parsed:
        total += value
    text = ""
    for value in parsed:
        text += fmt(value) + ";"
    return text, total
"""

AROUND = '''

def traced(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


class Ledger:
    """Entries kept beside the target; the optimizer must leave them alone."""

    def __init__(self, entries):
        self.entries = list(entries)

    @traced
    def label(self, index):
        return f"#{index}: {self.entries[index]!r}"
'''

SOURCE = HEADER + TARGET + AROUND

MBPP_TESTS = '''assert describe_amounts([]) == ("", 0)
assert describe_amounts([1, "2", "x", None]) == ("1 EUR;2 EUR;", 3)
assert describe_amounts([-5, 5, "7"]) == ("-5 EUR;5 EUR;7 EUR;", 7)
assert describe_amounts(["10"], currency="USD") == ("10 USD;", 10)
'''

HUMANEVAL_TESTS = '''def check(candidate):
    assert candidate([]) == ("", 0)
    assert candidate([1, "2", "x", None]) == ("1 EUR;2 EUR;", 3)
    assert candidate(["10"], currency="USD") == ("10 USD;", 10)
'''

WORKLOAD = '''def workload():
    import random
    rng = random.Random(0)
    return [([rng.choice([rng.randint(-99, 99), str(rng.randint(0, 9)), None]) for _ in range(2000)],)]
'''


def _files(tmp_path, tests: str, source: str = SOURCE) -> tuple[str, str]:
    (tmp_path / "ledger.py").write_text(source)
    (tmp_path / "ledger_tests.py").write_text(tests)
    return str(tmp_path / "ledger.py"), str(tmp_path / "ledger_tests.py")


def _top_level_names(source: str) -> list[str]:
    return [node.name for node in ast.parse(source).body if hasattr(node, "name")]


def _passes(source: str, tests: str) -> bool:
    namespace: dict = {}
    exec(compile(source, "<optimized>", "exec"), namespace)
    exec(compile(tests, "<tests>", "exec"), namespace)
    if "check" in namespace:
        namespace["check"](namespace["describe_amounts"])
    return True


def test_unusual_code_with_mbpp_asserts_is_improved_and_stays_valid(tmp_path, service):
    source_path, tests_path = _files(tmp_path, MBPP_TESTS)
    problem = build_user_problem(source_path, "describe_amounts", tests_path)
    result = optimize(problem, None, service, OptimizeConfig(budget=40, timing_rounds=3))
    assert result.changed and result.selection.candidate.origin == "greedy search"
    assert passes_validation(result.selection.record)
    assert result.op_ratio < 1.0
    assert _passes(result.source, MBPP_TESTS)
    assert _top_level_names(result.source) == _top_level_names(SOURCE)  # decorator, class, helper kept
    assert "@typing.no_type_check\ndef describe_amounts" in result.source and AROUND in result.source
    assert result.diff().startswith(f"--- {source_path}\toriginal\n+++ {source_path}\toptimized\n")
    assert result.scorings <= 40
    record = result.to_json()
    assert record["valid"] and record["rewrites"] == list(result.selection.candidate.rules)
    json.dumps(record)


BROKEN_TARGETS = {
    "fails its tests": "def describe_amounts(amounts, currency='EUR'):\n    return '', 0\n",
    "differs on the workload only": (
        "def describe_amounts(amounts, currency='EUR'):\n"
        "    if len(amounts) > 100:\n        return '', 0\n"
        "    parsed = [int(a) for a in amounts\n"
        "              if isinstance(a, int) or (isinstance(a, str) and a.lstrip('-').isdigit())]\n"
        "    return ''.join(f'{v} {currency};' for v in parsed), sum(parsed)\n"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN_TARGETS))
def test_a_failing_program_is_never_returned(kind, tmp_path, service, monkeypatch):
    source_path, tests_path = _files(tmp_path, HUMANEVAL_TESTS)
    (tmp_path / "workload.py").write_text(WORKLOAD)
    problem = build_user_problem(source_path, "describe_amounts", tests_path, str(tmp_path / "workload.py"))
    broken = HEADER + BROKEN_TARGETS[kind] + AROUND
    monkeypatch.setattr(optimize_lib, "hill_climb", lambda problem, start, *args: Candidate(
        broken, ("fake",), 9.0, "fake search"))
    result = optimize(problem, None, service, OptimizeConfig(budget=8, timing_rounds=3))
    assert not result.changed and result.source == SOURCE
    assert passes_validation(result.selection.record)
    [rejection] = result.selection.rejected
    origin, reason = rejection.origin, rejection.reason
    assert origin == "fake search"
    assert ("test_failure" if kind == "fails its tests" else "mismatch") in reason


def test_nothing_to_rewrite_returns_the_original(tmp_path, service):
    source = "def describe_amounts(amounts, currency='EUR'):\n    return amounts, currency\n"
    source_path, tests_path = _files(tmp_path, "assert describe_amounts([1], 'x') == ([1], 'x')\n", source)
    result = optimize(build_user_problem(source_path, "describe_amounts", tests_path), None, service,
                      OptimizeConfig(budget=10, timing_rounds=3))
    assert not result.changed and result.source == source and result.diff() == ""
    assert "no valid improvement found" in "\n".join(result.report_lines())


def test_original_failing_its_tests_is_user_error(tmp_path, service):
    source_path, tests_path = _files(tmp_path, 'assert describe_amounts([1]) == ("wrong", 1)\n')
    with pytest.raises(UserInputError, match="does not pass its tests"):
        optimize(build_user_problem(source_path, "describe_amounts", tests_path), None, service)


def _launch(args: list[str], env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "launch.optimize", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_launcher_with_agent_writes_out_and_json(tmp_path, tmp_path_factory):
    workdir, _ = shared_agent(tmp_path_factory.getbasetemp())
    source_path, tests_path = _files(tmp_path, HUMANEVAL_TESTS)
    (tmp_path / "workload.py").write_text(WORKLOAD)
    out, record_path = tmp_path / "fast.py", tmp_path / "record.json"
    result = _launch(["--source", source_path, "--function", "describe_amounts", "--tests", tests_path,
                      "--workload", str(tmp_path / "workload.py"), "--workdir", str(workdir), "--budget", "30",
                      "--k", "1", "--timing_rounds", "3", "--out", str(out), "--json", str(record_path)],
                     env=subprocess_env(tmp_path_factory.getbasetemp()))
    assert result.returncode == 0, result.stderr
    record = json.loads(record_path.read_text())
    optimized = out.read_text()
    assert optimized == record["optimized_source"] and record["original_source"] == SOURCE
    assert record["valid"] and record["differential"] == "match"
    assert record["tests_passed"] == record["tests_total"] == 3
    assert record["agent"] == {"workdir": str(workdir), "iteration": 1}
    assert record["changed"] and record["speedup_low"] <= record["speedup"] <= record["speedup_high"]
    assert record["scorings"] <= 30 and record["rewrites"]
    assert any(c["origin"] == "agent greedy" for c in record["candidates"])  # the agent ran on this file
    assert _passes(optimized, HUMANEVAL_TESTS)
    assert _top_level_names(optimized) == _top_level_names(SOURCE)
    assert result.stdout.startswith(f"--- {source_path}\toriginal") and record["diff"] in result.stdout
    assert "rewrites: " in result.stdout and "validation: tests 3/3 passed" in result.stdout


BAD_INPUT = {
    "missing source": (["--source", "{tmp}/nope.py", "--function", "describe_amounts", "--tests", "{tests}"],
                       "no such source file"),
    "missing tests": (["--source", "{source}", "--function", "describe_amounts", "--tests", "{tmp}/nope.py"],
                      "no such tests file"),
    "no such function": (["--source", "{source}", "--function", "nope", "--tests", "{tests}"],
                         "no top-level function 'nope'"),
    "syntax error": (["--source", "{tmp}/broken.py", "--function", "describe_amounts", "--tests", "{tests}"],
                     "syntax error at line 2"),
    "tests fail on the original": (["--source", "{source}", "--function", "describe_amounts",
                                    "--tests", "{tmp}/wrong_tests.py"], "does not pass its tests"),
    "no agent": (["--source", "{source}", "--function", "describe_amounts", "--tests", "{tests}",
                  "--workdir", "{tmp}/no_agent"], "not a training run folder"),
    "missing flag": (["--function", "describe_amounts", "--tests", "{tests}"], "missing --source"),
    "no CrossHair time": (["--source", "{source}", "--function", "describe_amounts", "--tests", "{tests}",
                           "--verify", "crosshair", "--verify_seconds", "0"], "verify_seconds must be > 0"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_gives_one_error_line(case, tmp_path):
    source_path, tests_path = _files(tmp_path, MBPP_TESTS)
    (tmp_path / "broken.py").write_text("def describe_amounts(amounts):\n    return (\n")
    (tmp_path / "wrong_tests.py").write_text('assert describe_amounts([1]) == ("wrong", 1)\n')
    args, message = BAD_INPUT[case]
    args = [a.format(tmp=tmp_path, source=source_path, tests=tests_path) for a in args]
    result = _launch(args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert result.stdout == ""
