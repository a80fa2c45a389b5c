"""CrossHair's symbolic check: counterexamples, no difference, hostile candidates, and `--verify crosshair`."""

from __future__ import annotations

import signal

import pytest

from codeopt_jax import optimize as optimize_lib
from codeopt_jax.optimize import OptimizeConfig, SymbolicVerdict, crosshair_verifier, optimize
from codeopt_jax.scoring import symbolic
from codeopt_jax.scoring.records import MATCH, OK, ScoreRecord
from codeopt_jax.selection import Candidate, select_valid
from codeopt_jax.user_problem import UserInputError, attach_workload, build_user_problem

needs_crosshair = pytest.mark.skipif(not symbolic.crosshair_available(), reason="crosshair-tool is not installed")

ONE_BRANCH_OFF = "def f(x: int) -> int:\n    return x if x != 7 else 0\n"
IDENTITY = "def f(x: int) -> int:\n    return x\n"
LOOP_SUM = "def f(xs: list[int]) -> int:\n    total = 0\n    for x in xs:\n        total += x\n    return total\n"
BUILTIN_SUM = "def f(xs: list[int]) -> int:\n    return sum(xs)\n"


@needs_crosshair
@pytest.mark.timeout(120)
def test_a_differing_input_is_a_counterexample():
    check = symbolic.diff_behavior(ONE_BRANCH_OFF, IDENTITY, "f", time_limit=5)
    assert check.status == symbolic.COUNTEREXAMPLE, check
    assert "x=7" in check.counterexample and "original.f : returns 0" in check.counterexample
    assert check.first_difference == "Given: (x=7), original.f : returns 0; candidate.f : returns 7"


@pytest.mark.slow
@needs_crosshair
@pytest.mark.timeout(120)
def test_an_equivalent_rewrite_has_no_difference_found():
    check = symbolic.diff_behavior(LOOP_SUM, BUILTIN_SUM, "f", time_limit=3)
    assert check.status == symbolic.NO_DIFFERENCE, check
    assert check.counterexample == "" and check.detail.startswith("attempted ")


HOSTILE = {
    "loops forever": ("def f(x: int) -> int:\n    while True:\n        pass\n", symbolic.TIMEOUT, ""),
    "exhausts memory on import": ("BIG = [0] * (10 ** 10)\n" + IDENTITY, symbolic.ERROR, "MemoryError"),
    "writes a file on import": ("open({path!r}, 'w').write('x')\n" + IDENTITY, symbolic.ERROR, "SideEffectDetected"),
}


@pytest.mark.slow
@needs_crosshair
@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_candidate_is_contained(kind, tmp_path):
    target = tmp_path / "written.txt"
    program, status, detail = HOSTILE[kind]
    check = symbolic.diff_behavior(IDENTITY, program.format(path=str(target)), "f", time_limit=1)
    assert check.status == status, check
    assert detail in check.detail
    assert not target.exists()


def test_crosshair_output_is_parsed_by_exit_code_and_text():
    given = "Given: (x=7),\n   original.f : returns 0\n  candidate.f : returns 7\n"
    assert symbolic.parse_output(1, given, "")[:2] == (symbolic.COUNTEREXAMPLE, given.rstrip("\n"))
    assert symbolic.parse_output(0, "No differences found. (attempted 12 iterations)\nAll paths exhausted, "
                                    "functions are likely the same!\n", "") == (
        symbolic.NO_DIFFERENCE, "", "attempted 12 iterations, all paths exhausted")
    assert symbolic.parse_output(0, "No differences found. (attempted 0 iterations)\n", "")[0] == symbolic.UNSUPPORTED
    assert symbolic.parse_output(2, "", 'Cannot determine signature of "original.f"\n')[0] == symbolic.UNSUPPORTED
    nondeterministic = "Repeated executions are not behaving deterministically.\n"
    assert symbolic.parse_output(2, given, nondeterministic)[0] == symbolic.UNSUPPORTED
    assert symbolic.parse_output(1, given, nondeterministic)[0] == symbolic.COUNTEREXAMPLE  # noise cannot hide it
    crash = symbolic.parse_output(1, "", "Traceback (most recent call last):\n  ...\nTypeError: cannot pickle\n")
    assert crash == (symbolic.ERROR, "", "TypeError: cannot pickle")  # exit 1 without "Given:" is no counterexample
    assert symbolic.parse_output(-signal.SIGXCPU, "", "")[0] == symbolic.TIMEOUT
    assert symbolic.parse_output(-signal.SIGXFSZ, "", "") == (symbolic.ERROR, "", "CrossHair was killed by SIGXFSZ "
                                                                                "(file size limit)")


def test_missing_crosshair_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(symbolic, "crosshair_available", lambda: False)
    with pytest.raises(UserInputError, match="pip install crosshair-tool"):
        symbolic.diff_behavior(IDENTITY, IDENTITY, "f", 1)
    (tmp_path / "f.py").write_text(IDENTITY)
    (tmp_path / "t.py").write_text("assert f(1) == 1\n")
    problem = build_user_problem(str(tmp_path / "f.py"), "f", str(tmp_path / "t.py")).problem
    with pytest.raises(UserInputError, match="crosshair-tool"):
        optimize(problem, None, service=None, config=OptimizeConfig(verify="crosshair"))  # before any scoring


@pytest.mark.parametrize("changes", [{"verify": "z3"}, {"verify_seconds": 0}])
def test_verify_settings_are_checked(changes):
    with pytest.raises(ValueError, match="verify"):
        OptimizeConfig(**changes)


class PassingMeasurer:
    """Every program passes its tests and matches the original (CrossHair alone decides)."""

    def measure(self, problem, source):
        return ScoreRecord(status=OK, tests_passed=1, tests_total=1, differential=MATCH, speedup=1.5)


DOUBLE = "def f(x: int) -> int:\n    return x * 2\n"


@pytest.mark.slow
@needs_crosshair
@pytest.mark.timeout(120)
def test_a_counterexample_rejects_the_best_candidate_and_the_next_is_verified(tmp_path):
    (tmp_path / "f.py").write_text(DOUBLE)
    (tmp_path / "t.py").write_text("assert f(2) == 4\n")
    problem = build_user_problem(str(tmp_path / "f.py"), "f", str(tmp_path / "t.py")).problem
    buggy = Candidate("def f(x: int) -> int:\n    return x + x if x != 1234 else 0\n", ("fake",), 2.0, "buggy")
    good = Candidate("def f(x: int) -> int:\n    return x + x\n", ("fake",), 1.0, "good")
    verdicts: list[SymbolicVerdict] = []
    notes: list[str] = []
    selection = select_valid(problem, [good, buggy], PassingMeasurer(),
                             verify=crosshair_verifier(problem, 5, verdicts, notes, lambda line: None))
    assert selection.changed and selection.candidate.origin == "good"
    [rejection] = selection.rejected
    assert rejection.origin == "buggy" and rejection.reason.startswith("CrossHair counterexample: Given: (x=1234)")
    assert [(v.origin, v.check.status) for v in verdicts] == [("buggy", symbolic.COUNTEREXAMPLE),
                                                              ("good", symbolic.NO_DIFFERENCE)]
    assert notes == [f"CrossHair found no difference within 5 s ({verdicts[1].check.detail}); "
                     f"not a proof of equivalence"]


SCALE = "def scale(x: int) -> int:\n    total = 0\n    for _ in range(3):\n        total += x\n    return total\n"
SCALE_BUGGY = "def scale(x: int) -> int:\n    return 3 * x if x != 1234 else 0\n"


@pytest.mark.slow
@needs_crosshair
@pytest.mark.timeout(300)
def test_optimize_falls_back_to_the_original_and_shows_the_counterexample(tmp_path, service, monkeypatch):
    (tmp_path / "scale.py").write_text(SCALE)
    (tmp_path / "scale_tests.py").write_text("assert scale(2) == 6\nassert scale(-1) == -3\n")
    user = build_user_problem(str(tmp_path / "scale.py"), "scale", str(tmp_path / "scale_tests.py"))
    # Many calls, so the buggy rewrite (one multiply instead of a loop) is clearly faster when timed and
    # reaches the verification.
    problem = attach_workload(user, "def workload():\n    return [(x,) for x in range(-1000, 1000)]\n").problem
    monkeypatch.setattr(optimize_lib, "hill_climb", lambda problem, start, *args: Candidate(
        SCALE_BUGGY, ("fake",), 9.0, "fake search"))
    config = OptimizeConfig(budget=4, timing_rounds=3, verify="crosshair", verify_seconds=5)
    result = optimize(problem, None, service, config)
    assert not result.changed and result.source == SCALE  # passed the tests and the workload, not CrossHair
    [rejection] = result.selection.rejected
    assert rejection.origin == "fake search" and "x=1234" in rejection.reason
    assert f"rejected fake search: {rejection.reason}" in result.report_lines()
    record = result.to_json()
    [verdict] = record["symbolic"]
    assert verdict["origin"] == "fake search" and verdict["status"] == symbolic.COUNTEREXAMPLE
    assert "x=1234" in verdict["counterexample"] and record["config"]["verify"] == "crosshair"
