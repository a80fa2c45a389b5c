"""Tests as users write them (HumanEval check, MBPP asserts, pytest files), synthesized workloads in the
sandbox, originals that mutate their arguments, edge cases, and MBPP as a benchmark."""

from __future__ import annotations

import json
import pathlib

import pytest

from codeopt_jax import mbpp
from codeopt_jax.scoring import ScoreOptions
from codeopt_jax.user_problem import UserInputError, attach_workload, build_user_problem, harness_problem
from codeopt_jax.workloads import synthesis_lines, with_synthesized_workloads
from tests.conftest import ROOT

SOURCE = '''import math

SCALE = 2


def _weight(value):
    return value * SCALE


def weighted_total(values, offset):
    total = 0
    for i in range(len(values)):
        total = total + _weight(values[i])
    return total + offset
'''

FAST = SOURCE.replace('''    total = 0
    for i in range(len(values)):
        total = total + _weight(values[i])
    return total + offset''', '''    return sum(_weight(v) for v in values) + offset''')

WRONG = SOURCE.replace("return total + offset", "return total + offset + (len(values) > 3)")

TESTS = {
    "check": '''def check(candidate):
    assert candidate([1, 2, 3], 0) == 12
    assert candidate(list(range(5)), 1) == 21
''',
    "asserts": '''data = [4, 5]
assert weighted_total(data, 0) == 18
assert weighted_total([1, 2, 3, 4], 2) == 22
assert _weight(3) == 6
''',
    "pytest": '''import pytest
from shop_totals import weighted_total


def test_small():
    assert weighted_total([1], 0) == 2


@pytest.mark.parametrize("values, offset, expected", [([1, 2, 3, 4], 0, 20), ([], 3, 3)])
def test_table(values, offset, expected):
    assert weighted_total(values, offset) == expected


def test_bad_input_raises():
    with pytest.raises(TypeError):
        weighted_total(None, 0)


class TestTotals:
    def test_offset(self):
        assert weighted_total([10, 20, 30], 5) == 125
''',
}
ASSERTS_PER_STYLE = {"check": 2, "asserts": 3, "pytest": 4}


def _user(tmp_path: pathlib.Path, style: str):
    (tmp_path / "shop_totals.py").write_text(SOURCE)
    (tmp_path / "tests_file.py").write_text(TESTS[style])
    return build_user_problem(str(tmp_path / "shop_totals.py"), "weighted_total", str(tmp_path / "tests_file.py"))


@pytest.mark.slow
@pytest.mark.parametrize("style", sorted(TESTS))
def test_every_test_style_runs_with_a_synthesized_workload(style, tmp_path, service):
    user = _user(tmp_path, style)
    assert user.test_style == style and not user.has_workload
    [built] = with_synthesized_workloads([user], service)
    assert built.user is not None, built.synthesis.error
    assert built.synthesis.scaled and built.synthesis.recorded >= 2
    namespace: dict = {}
    exec(built.synthesis.workload_source, namespace)
    assert max(len(args[0]) for args in namespace["workload"]()) >= 100  # grown from the tests' short lists
    assert "one pass of the original" in "\n".join(synthesis_lines(built.synthesis))
    problem = built.user.problem
    original = service.score(problem, problem.program, ScoreOptions(opcount=True))
    assert original.status == "ok" and original.differential == "match", original.detail
    assert original.tests_passed == original.tests_total == ASSERTS_PER_STYLE[style]
    fast = service.score(problem, FAST, ScoreOptions())
    assert fast.status == "ok" and fast.differential == "match", fast.detail
    wrong = service.score(problem, WRONG, ScoreOptions())
    assert wrong.status == "test_failure" or wrong.differential == "mismatch"


def test_pytest_module_entry_is_removed_after_the_tests(tmp_path, service):
    user = _user(tmp_path, "pytest")
    problem = attach_workload(user, "def workload():\n    return [([1, 2, 3], 0)]\n").problem
    for _ in range(2):  # a leftover sys.modules entry would void the second run (integrity check)
        record = service.score(problem, FAST, ScoreOptions())
        assert record.status == "ok", record.detail


def test_tests_of_no_known_style_name_the_file(tmp_path):
    (tmp_path / "shop_totals.py").write_text(SOURCE)
    (tmp_path / "notes.py").write_text("x = weighted_total([1], 0)\n")
    with pytest.raises(UserInputError, match=r"notes\.py: found no `def check\(candidate\)`"):
        build_user_problem(str(tmp_path / "shop_totals.py"), "weighted_total", str(tmp_path / "notes.py"))


def test_pytest_fixtures_are_a_clear_error(tmp_path):
    (tmp_path / "shop_totals.py").write_text(SOURCE)
    (tmp_path / "test_fixture.py").write_text("def test_uses(tmp_path):\n    assert tmp_path\n")
    with pytest.raises(UserInputError, match=r"test_fixture\.py: test_uses\(\) takes fixtures \(tmp_path\)"):
        build_user_problem(str(tmp_path / "shop_totals.py"), "weighted_total", str(tmp_path / "test_fixture.py"))


MUTATING = '''def drop_negatives(values):
    i = 0
    while i < len(values):
        if values[i] < 0:
            del values[i]
        else:
            i += 1
    return len(values)
'''
MUTATING_TESTS = '''def check(candidate):
    data = [1, -2, 3]
    assert candidate(data) == 2 and data == [1, 3]
    assert candidate([-1, -1]) == 0
'''
MUTATING_SAME = '''def drop_negatives(values):
    values[:] = [v for v in values if v >= 0]
    return len(values)
'''
MUTATING_NOT = '''def drop_negatives(values):
    return len([v for v in values if v >= 0])
'''


@pytest.mark.slow
def test_an_original_that_mutates_its_arguments_is_accepted_and_candidates_must_match(service):
    user = harness_problem(MUTATING, "clean.py", "drop_negatives", MUTATING_TESTS, "clean_tests.py")
    problem = attach_workload(user, "def workload():\n    return [([(-1) ** i * i for i in range(300)],)]\n",
                              "def edge_cases():\n    return [([],), ([-5],)]\n").problem
    original = service.score(problem, problem.program, ScoreOptions())
    assert original.status == "ok" and original.differential == "match", original.detail
    same = service.score(problem, MUTATING_SAME, ScoreOptions(timing=True, timing_rounds=3))
    assert same.status == "ok" and same.differential == "match" and same.speedup is not None, same.detail
    # Leaves the list unchanged: the return values agree, the arguments afterwards do not.
    not_mutating = service.score(problem, MUTATING_NOT, ScoreOptions(tests=False))
    assert not_mutating.differential == "mismatch" and "arguments" in not_mutating.detail


RAISES = '''def ratio(a, b):
    if b == 0:
        raise ZeroDivisionError("b is zero")
    return a / b
'''


def test_edge_cases_compare_exception_types(service):
    user = harness_problem(RAISES, "ratio.py", "ratio", "assert ratio(4, 2) == 2\n", "ratio_tests.py")
    problem = attach_workload(user, "def workload():\n    return [(1, 3)] * 50\n",
                              "def edge_cases():\n    return [(4, 2), (1, 0)]\n").problem
    other_error = RAISES.replace('raise ZeroDivisionError("b is zero")', 'raise ValueError("b is zero")')
    record = service.score(problem, other_error, ScoreOptions())
    assert record.differential == "mismatch" and "ZeroDivisionError" in record.detail and "ValueError" in record.detail
    returns = RAISES.replace('raise ZeroDivisionError("b is zero")', "return 0.0")
    assert "returns" in service.score(problem, returns, ScoreOptions()).detail
    assert service.score(problem, RAISES.replace("a / b", "a * (1 / b)"), ScoreOptions()).differential == "match"


# -- MBPP -----------------------------------------------------------------------

MBPP_FILE = ROOT.parent / "shared" / "data" / "mbpp" / "mbpp.jsonl"
needs_mbpp = pytest.mark.skipif(not MBPP_FILE.exists(), reason="MBPP's mbpp.jsonl is not present")


@pytest.mark.slow
@needs_mbpp
def test_mbpp_splits_and_harnesses():
    test = mbpp.load_tasks(str(MBPP_FILE), "test")
    assert [t.task_id for t in test] == list(range(11, 511))
    assert all("\r" not in t.code for t in test)
    harnesses, skipped = mbpp.task_harnesses(test)
    assert len(harnesses) + len(skipped) == 500 and len(harnesses) >= 490
    first = harnesses[0].problem
    assert first.name == "mbpp_11" and first.entry_point == "remove_Occ" and first.split == "test"
    assert first.family == "mbpp" and harnesses[0].test_style == "asserts"


@pytest.mark.slow
@needs_mbpp
def test_mbpp_tasks_load_with_workloads(service):
    from codeopt_jax import benchmarks

    loaded = benchmarks.load_mbpp(str(MBPP_FILE), "test", service, task_ids=[11, 12, 17])
    assert loaded.tasks == 3 and len(loaded.problems) + len(loaded.skipped) == 3
    assert "| 3 |" in benchmarks.load_table(loaded)
    by_name = {p.name: p for p in loaded.problems}
    assert "mbpp_12" in by_name and loaded.syntheses["mbpp_12"].scaled  # sort_matrix: the matrix grows
    if "mbpp_17" in by_name:  # square_perimeter(a): constant time, timed on the tests' inputs
        assert not loaded.syntheses["mbpp_17"].scaled


def test_a_broken_benchmark_file_names_the_line(tmp_path):
    path = tmp_path / "mbpp.jsonl"
    row = {"task_id": 11, "text": "t", "code": "def f(x):\r\n    return x\r\n", "test_list": ["assert f(1) == 1"],
           "test_setup_code": ""}
    path.write_text(json.dumps(row) + "\n{not json\n")
    with pytest.raises(mbpp.BenchmarkError, match=r"mbpp\.jsonl:2: not an MBPP task"):
        mbpp.load_tasks(str(path), "test")
    with pytest.raises(mbpp.BenchmarkError, match="no such file"):
        mbpp.load_tasks(str(tmp_path / "missing.jsonl"), "test")
    path.write_text(json.dumps(row) + "\n")
    [task] = mbpp.load_tasks(str(path), "test")
    assert task.code == "def f(x):\n    return x\n" and mbpp.load_tasks(str(path), "train") == []
