"""The timing pair's own checks: outputs verified while timed, idle-side CPU, cold passes, digests."""

from __future__ import annotations

import pytest

from codeopt_jax.scoring import ScoreOptions, ScoringService, checks, measure, records, timing
from codeopt_jax.scoring.service import problem_payload

TIMED = ScoreOptions(timing=True, timing_rounds=3, timing_max_rounds=3)

# Right in the evaluating worker (tests, differential), wrong once it finds itself being timed.
WRONG_WHEN_TIMED = '''
import sys


def _being_timed():
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code.co_name == "timed_passes":
            return True
        frame = frame.f_back
    return False


def total(xs):
    return sum(xs) + (1 if _being_timed() else 0)
'''


def test_outputs_that_change_while_timed_void_the_record(service, tiny_problem):
    record = service.score(tiny_problem, WRONG_WHEN_TIMED, TIMED)
    assert record.status == records.VOIDED, (record.status, record.detail)
    assert "differ from the original" in record.detail and record.speedup is None


def test_altering_the_interpreter_only_while_timed_voids_the_record(service, tiny_problem):
    # Clean while evaluated, so only the timing side's own per-pass integrity check can see it.
    sneaky = WRONG_WHEN_TIMED.replace(
        "def total(xs):\n    return sum(xs) + (1 if _being_timed() else 0)",
        "def total(xs):\n    if _being_timed():\n        import builtins\n        builtins.slow = True\n"
        "    return sum(xs)")
    record = service.score(tiny_problem, sneaky, TIMED)
    assert record.status == records.VOIDED, (record.status, record.detail)
    assert "builtins were modified" in record.detail


def test_changing_the_recursion_limit_voids_the_record(service, tiny_problem):
    record = service.score(tiny_problem, "import sys\nsys.setrecursionlimit(5000)\n\ndef total(xs):\n"
                           "    return sum(xs)\n", TIMED)
    assert record.status == records.VOIDED and "recursion limit" in record.detail


def test_cpu_used_by_the_idle_side_voids_the_record(tiny_problem, monkeypatch):
    readings = iter(range(0, 10_000))
    monkeypatch.setattr(timing, "process_cpu_seconds", lambda pid: next(readings) * 0.01)
    pair = timing.TimingPair()
    try:
        fields = pair.measure(problem_payload(tiny_problem), tiny_problem.reference_program, rounds=3, max_rounds=3)
    finally:
        pair.close()
    assert fields["status"] == records.VOIDED
    assert "ms of CPU while the" in fields["detail"]


def test_an_honest_pair_measures_with_both_sides_idle_in_turn(tiny_problem):
    pair = timing.TimingPair()
    try:
        fields = pair.measure(problem_payload(tiny_problem), tiny_problem.reference_program, rounds=3, max_rounds=3)
    finally:
        pair.close()
    assert fields["status"] == records.OK, fields
    assert fields["speedup"] > 1.0 and fields["timing_rounds"] == 3
    assert fields["speedup_low"] <= fields["speedup"] <= fields["speedup_high"]


def test_cold_pass_check_flags_state_carried_between_passes():
    pair = timing.TimingPair()
    # Arguments: CPU seconds of the original's and the candidate's first pass, then of their later passes.
    with pytest.raises(timing._Abort, match="state carried"):
        pair._check_cold(0.004, 0.004, 0.004, 0.0001)  # cold 4 ms, then 0.1 ms a pass
    pair._check_cold(0.004, 0.0012, 0.004, 0.001)  # an ordinary first-pass cost
    pair._check_cold(0.004, 0.0004, 0.004, 0.00005)  # 8x, but only 0.35 ms: too small to tell
    pair._check_cold(0.04, 0.04, 0.004, 0.004)  # both sides' first passes slow alike


@pytest.mark.parametrize("a,b", [
    ([1, 2.0, {"k": {1, 2}}], [1, 2.0 + 1e-12, {"k": {2, 1}}]),
    ({"x": 1, "y": 2}, {"y": 2, "x": 1}),
    ([("a", 1), ("b", 2)], [("a", 1), ("b", 2)]),
    (0.0, -0.0),
])
def test_digest_agrees_with_same_output_on_equal_values(a, b):
    assert checks.same_output(a, b)
    assert checks.output_digest(a) == checks.output_digest(b)


@pytest.mark.parametrize("a,b", [
    ([1], [True]), ([1, 2], (1, 2)), ([("a", 1)], [["a", 1]]), (1.0, 1.001), ({1: "a"}, {1: "b"}), ("1", 1),
])
def test_digest_tells_apart_what_same_output_tells_apart(a, b):
    assert not checks.same_output(a, b)
    assert checks.output_digest(a) != checks.output_digest(b)


def test_fresh_copies_share_no_object_with_the_calls():
    calls = [([1, [2, 3]], "text", {"k": [4]})]
    copy = measure.ArgumentCopier(calls).copy()
    assert copy == calls
    assert copy[0][0] is not calls[0][0] and copy[0][0][1] is not calls[0][0][1]
    assert copy[0][2]["k"] is not calls[0][2]["k"]


def test_timed_passes_execute_the_module_anew_each_pass():
    code = compile("COUNT = [0]\n\ndef f(x):\n    COUNT[0] += 1\n    return COUNT[0]\n", "<t>", "exec")
    passes = measure.timed_passes(code, "f", [[(1,), (2,)], [(1,), (2,)], [(1,), (2,)]])
    assert passes.first_outputs == [1, 2] and passes.last_outputs == [1, 2]


def test_scoring_service_starts_one_pair_per_worker_up_to_one_per_core():
    with ScoringService(num_workers=1) as single:
        assert len(single.timing_pairs) == 1
    cores = timing.allowed_cores()
    with ScoringService(num_workers=3) as wide:
        assert len(wide.timing_pairs) == min(3, max(1, len(cores)))
