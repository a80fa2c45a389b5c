"""Property-based differential checks (`scoring.properties`, run in the sandboxed workers): they find
what a mutation breaks, pass behaviour-preserving rewrites, report exception-type differences,
and a hostile candidate costs only its own job."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from codeopt_jax import mbpp
from codeopt_jax.corpus import load_problem, parse_problem
from codeopt_jax.program import parse_program
from codeopt_jax.rewrites import ALL_RULES, Safety, apply_rewrite, rule_by_name
from codeopt_jax.scoring import properties
from codeopt_jax.scoring.properties import PropertyOptions
from launch import check_rules
from tests.conftest import ROOT

FAST = PropertyOptions(examples=30, budget_seconds=15.0)

FIRST_SOURCE = '''"""First element of the sorted list."""

FAMILY = "sort_extremum"
ENTRY_POINT = "smallest"


def smallest(xs):
    return sorted(xs)[0]


def check(candidate):
    assert candidate([3, 1, 2]) == 1
    assert candidate([5]) == 5


def workload():
    return [(list(range(100)),)]
'''


def _rewrites(problem, rule_name: str) -> list[str]:
    rule = rule_by_name(rule_name)
    return [apply_rewrite(problem.program, rule_name, site) for site in rule.sites(parse_program(problem.program))]


def test_shapes_follow_the_observed_calls() -> None:
    shapes = properties.call_shapes([([1, 2, 3], 3, "ab c"), ([4, 5], 2, "a")])
    assert len(shapes) == 1
    items, count, text = shapes[0].positions
    assert items == properties.Collections(list, properties.Ints(1, 5), 3, sorted=True)
    assert shapes[0].lengths == ((1, 0),)  # the int is the list's length in every call
    assert text.alphabet == " abc"
    record = properties.shape_of([("ann", 3), ("bob", 4)])
    assert isinstance(record, properties.Records) and len(record.items) == 2
    mixed = properties.shape_of([None, 1.5, {"a": [1]}])
    assert isinstance(mixed, properties.Union) and len(mixed.options) == 3


def test_a_mutation_gets_a_shrunk_counterexample(service, tiny_problem) -> None:
    dropped = [code for code in _rewrites(tiny_problem, "mutation_drop_statement") if "result += x" not in code]
    assert dropped
    result = service.check_properties_many([(tiny_problem, dropped[0])], FAST)[0]
    found = result.counterexample
    assert found is not None and found.kind == properties.OUTPUT, result
    assert found.call.startswith("total(") and found.candidate == "returns 0"
    shrunk = ast.literal_eval(found.call[len("total"):])  # "([1])" -> [1]
    assert len(shrunk) == 1 and shrunk[0] != 0  # hypothesis shrank it to a single non-zero element
    assert found.original == f"returns {shrunk[0]}"
    assert result.recorded == 4 and result.examples >= 1


@pytest.mark.slow
def test_safe_rewrites_of_corpus_problems_pass(service) -> None:
    items = []
    for name in ("count_status_codes", "dedupe_emails", "inventory_value", "node_degrees"):
        problem = load_problem(ROOT / "corpus" / "train" / f"{name}.py", "train")
        module = parse_program(problem.program)
        for rule in ALL_RULES:
            if rule.safety is Safety.SAFE:
                items += [(problem, apply_rewrite(problem.program, rule.name, site)) for site in rule.sites(module)]
    assert len(items) >= 3
    results = service.check_properties_many(items[:8], FAST)
    for result in results:
        assert result.passed, result
        assert result.examples >= 10


def test_exception_type_differences_are_reported(service) -> None:
    problem = parse_problem(FIRST_SOURCE, "smallest.py", "train")
    (candidate,) = _rewrites(problem, "sorted_first_to_min")  # min([]) raises ValueError, not IndexError
    strict, lenient = [service.check_properties_many([(problem, candidate)], options)[0] for options in
                       (FAST, PropertyOptions(examples=30, budget_seconds=15.0, exception_types=False))]
    found = strict.counterexample
    assert found is not None and found.kind == properties.EXCEPTION_TYPE, strict
    assert found.call == "smallest([])"
    assert found.original.startswith("raises IndexError") and found.candidate.startswith("raises ValueError")
    assert lenient.passed, lenient
    assert check_rules.verdict(rule_by_name("sorted_first_to_min"), strict) == check_rules.EXCEPTION


def test_argument_mutation_and_raising_are_counterexamples(service, tiny_problem) -> None:
    sorts = tiny_problem.program.replace("result = 0\n", "result = 0\n    xs.sort()\n")
    raises = tiny_problem.program.replace("result = 0\n", "result = 0\n    if len(xs) > 2:\n        xs[9]\n")
    sorting, raising = service.check_properties_many([(tiny_problem, sorts), (tiny_problem, raises)], FAST)
    assert sorting.counterexample is not None and sorting.counterexample.kind == properties.ARGUMENTS
    assert raising.counterexample is not None and raising.counterexample.kind == properties.RAISES
    assert "IndexError" in raising.counterexample.candidate


def test_assumed_counterexamples_are_told_apart() -> None:
    unhashable = properties.Counterexample(properties.RAISES, "f([[1]])", "returns 1",
                                           "raises TypeError: unhashable type: 'list'")
    assert check_rules.covering_assumption(rule_by_name("list_membership_to_set"), unhashable) == "hashable"
    assert check_rules.verdict(rule_by_name("list_membership_to_set"),
                               properties.PropertyResult(examples=3, counterexample=unhashable)) == check_rules.ASSUMED
    # the same sign on a rule that assumes nothing of the kind is a real bug
    assert check_rules.verdict(rule_by_name("sum_loop_to_sum"),
                               properties.PropertyResult(examples=3, counterexample=unhashable)) == check_rules.BUG
    mixed = properties.Counterexample(properties.OUTPUT, "f([1, 1.0])", "returns 1.0", "returns 1")
    assert check_rules.covering_assumption(rule_by_name("sorted_last_to_max"), mixed) == "interchangeable"


HOSTILE = {
    "exits": "import os\n\ndef total(xs):\n    os._exit(3)\n",
    "tampers": "import builtins\n\ndef total(xs):\n    builtins.planted = len\n    return sum(xs)\n",
    "no function": "x = 1\n",
}


@pytest.mark.slow
def test_a_hostile_candidate_costs_one_job(service, tiny_problem) -> None:
    good = tiny_problem.program.replace("result = 0\n    for x in xs:\n        result += x\n", "result = sum(xs)\n")
    items = [(tiny_problem, source) for source in HOSTILE.values()] + [(tiny_problem, good)]
    replaced = service.pool.stats.workers_replaced
    *hostile, fine = service.check_properties_many(items, FAST)
    for (label, _), result in zip(HOSTILE.items(), hostile):
        assert result.error and result.counterexample is None, (label, result)
    assert "altered the worker" in hostile[1].error
    assert fine.passed and fine.examples >= 10, fine
    assert service.pool.stats.workers_replaced >= replaced + 2  # the exited and the tampered worker
    assert service.check_properties_many([(tiny_problem, good)], FAST)[0].passed


def test_the_launcher_tables_a_subset(service, tiny_problem) -> None:
    rules = [rule_by_name("sum_loop_to_sum"), rule_by_name("mutation_drop_statement")]
    checks = check_rules.check_properties([tiny_problem], rules, service, FAST)
    verdicts = {(c.rule, c.verdict) for c in checks}
    assert ("sum_loop_to_sum", check_rules.PASSED) in verdicts
    assert ("mutation_drop_statement", check_rules.BUG) in verdicts
    report = check_rules.properties_report(checks, rules, FAST)
    assert "| sum_loop_to_sum | conditional | 1 | 1 | 0 | 0 | 0 | 0 |" in report
    assert "`mutation_drop_statement` on tiny_total" in report


@pytest.mark.parametrize("split", ["test", "validation"])
def test_the_launcher_refuses_held_out_mbpp_splits(split: str) -> None:
    with pytest.raises(Exception, match="held out"):
        check_rules.load_problems("mbpp", [split], "corpus", mbpp.DEFAULT_PATH, None, 0)


ALIASED_SOURCE = '''"""Count members, then clear."""

FAMILY = "list_membership"
ENTRY_POINT = "f"


def f(xs, ys):
    n = 0
    for x in list(xs):
        if x in ys:
            n += 1
            xs.clear()
    return n


def check(candidate):
    assert candidate([1, 2], [2, 3]) == 1
    assert candidate([4, 5, 6], [6, 4]) == 1


def workload():
    return [([1, 2], [2, 3])]
'''

# What list_membership_to_set made of f before it checked for aliases (`f(a, a)` counts 2, not 1).
STALE_SET = '''def f(xs, ys):
    n = 0
    ys_set = set(ys)
    for x in list(xs):
        if x in ys_set:
            n += 1
            xs.clear()
    return n
'''


def test_one_object_passed_twice_is_drawn(service) -> None:
    problem = parse_problem(ALIASED_SOURCE, "aliased.py", "train")
    assert rule_by_name("list_membership_to_set").sites(parse_program(problem.program)) == []
    found = service.check_properties_many([(problem, STALE_SET)], FAST)[0].counterexample
    assert found is not None and found.kind == properties.OUTPUT
    assert found.call.endswith("with arguments 0 and 1 one object")


@pytest.mark.slow
def test_the_launcher_writes_its_report(tmp_path) -> None:
    out = tmp_path / "soundness.md"
    completed = subprocess.run(
        [sys.executable, "-m", "launch.check_rules", "--properties", "--benchmark", "corpus", "--split", "train",
         "--problems", "dedupe_emails", "--examples", "10", "--workers", "1", "--fuzz", "3", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    report = out.read_text()
    assert "Problems: 1 (1 corpus train)." in report
    assert "| manual_count_to_get | safe |" in report and "## Fuzzing" in report
    assert "| own generator | 3 |" in report
