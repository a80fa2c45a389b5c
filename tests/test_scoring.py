"""The scoring service on well-behaved candidates: tests, differential, timing, op counts, cache."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from codeopt_jax.scoring import ScoreOptions, records
from codeopt_jax.scoring.cache import cache_key, normalized_code
from codeopt_jax.scoring.checks import same_output
from codeopt_jax.scoring.protocol import FrameBuffer, ProtocolError, encode
from codeopt_jax.scoring.static import static_metrics

FAST = ScoreOptions(tests=True, differential=True)


def candidate(body: str) -> str:
    return "def total(xs):\n" + "".join(f"    {line}\n" for line in body.splitlines())


def test_original_passes_and_matches(service, tiny_problem):
    record = service.score(tiny_problem, tiny_problem.program, FAST)
    assert record.status == records.OK and record.valid
    assert (record.tests_passed, record.tests_total) == (4, 4)
    assert record.differential == records.MATCH
    assert record.static.tokens > 0 and record.static.complexity == 2


def test_asserts_are_counted_one_by_one(service, tiny_problem):
    # Right on empty and single-element input, wrong otherwise: 2 of 4 asserts pass.
    record = service.score(tiny_problem, candidate("return xs[0] if xs else 0"), FAST)
    assert record.status == records.TEST_FAILURE
    assert (record.tests_passed, record.tests_total) == (2, 4)
    assert "assert #3 failed" in record.detail


def test_exception_in_candidate_is_labelled(service, tiny_problem):
    record = service.score(tiny_problem, candidate("return 1 // (len(xs) - len(xs))"), FAST)
    assert record.status == records.EXCEPTION
    assert "ZeroDivisionError" in record.detail


def test_syntax_error_and_missing_function(service, tiny_problem):
    assert service.score(tiny_problem, "def total(xs)\n    return 0\n", FAST).status == records.SYNTAX_ERROR
    missing = service.score(tiny_problem, "def other(xs):\n    return 0\n", FAST)
    assert missing.status == records.EXCEPTION and "no function 'total'" in missing.detail


def test_differential_catches_what_the_asserts_miss(service, tiny_problem):
    # Passes all four asserts but is wrong on long inputs.
    record = service.score(tiny_problem, candidate("return sum(xs[:10])"), FAST)
    assert record.status == records.OK and record.tests_passed == 4
    assert record.differential == records.MISMATCH and not record.valid
    assert "workload call 0" in record.detail


def test_differential_catches_argument_mutation(service, tiny_problem):
    record = service.score(tiny_problem, candidate("s = sum(xs)\nxs.append(0)\nreturn s"), FAST)
    assert record.differential == records.MISMATCH and "leaves its arguments different" in record.detail


def test_opcount_is_deterministic_and_rewards_builtins(service, tiny_problem):
    options = ScoreOptions(opcount=True)
    first = service.score(tiny_problem, tiny_problem.program, options)
    # Same code, new cache entry: a docstring changes the normal form, not what executes (the
    # module's own statements are counted too: executing the module is part of the pass).
    again = service.score(tiny_problem, tiny_problem.program.replace(
        "def total(xs):\n", 'def total(xs):\n    """Same function."""\n', 1), options)
    assert again.op_count is not None
    assert first.op_count == again.op_count == first.op_count_original
    faster = service.score(tiny_problem, tiny_problem.reference_program, options)
    assert faster.op_count < first.op_count / 10
    assert faster.op_ratio == pytest.approx(faster.op_count / first.op_count_original)


def test_timing_reports_speedup_with_spread(service, tiny_problem):
    record = service.score(tiny_problem, tiny_problem.reference_program,
                           ScoreOptions(timing=True, timing_rounds=5))
    assert record.valid and record.timing_loops >= 1
    assert record.speedup_low <= record.speedup <= record.speedup_high
    assert record.speedup > 1.0  # sum() over a Python loop is several times faster (a ratio, not a time)
    assert record.time_original is not None and record.time_candidate is not None
    assert record.timing_rounds >= 5 and record.speedup_cold is not None
    assert record.speedup_cv >= 0


def test_broken_candidates_are_never_timed(service, tiny_problem):
    record = service.score(tiny_problem, candidate("return 0"), ScoreOptions(timing=True, opcount=True))
    assert record.status == records.TEST_FAILURE
    assert record.speedup is None and record.op_count is None


def test_cache_skips_identical_candidates_up_to_layout(service, tiny_problem):
    source = candidate("return sum(x for x in xs)")
    before = service.stats()
    first = service.score(tiny_problem, source, FAST)
    relaid = source.replace("return", "# comment\n    return") + "\n\n"
    second = service.score(tiny_problem, relaid, FAST)
    after = service.stats()
    assert not first.cached and second.cached
    assert after["scorings"] - before["scorings"] == 1
    assert after["hits"] - before["hits"] == 1
    assert dataclasses.replace(second, cached=False) == first


def test_batch_deduplicates_and_keeps_order(service, tiny_problem):
    a, b = candidate("return sum(xs) + 0"), candidate("return 0")
    before = service.stats()["scorings"]
    results = service.score_many([(tiny_problem, a), (tiny_problem, b), (tiny_problem, a)], FAST)
    assert [r.status for r in results] == [records.OK, records.TEST_FAILURE, records.OK]
    assert results[2].cached and service.stats()["scorings"] - before == 2


def test_records_are_frozen_and_pickleable(service, tiny_problem):
    record = service.score(tiny_problem, tiny_problem.program, FAST)
    assert pickle.loads(pickle.dumps(record)) == record
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.status = "x"


def test_malformed_worker_fields_become_a_crash_record():
    assert records.record_from_fields("nonsense").status == records.CRASH
    assert records.record_from_fields({"status": "pwned"}).status == records.CRASH
    fields = {"status": "ok", "speedup": float("nan"), "tests_passed": "3", "differential": "??"}
    record = records.record_from_fields(fields)
    assert record.speedup is None and record.tests_passed == 0 and record.differential == records.DIFF_ERROR


def test_same_output_is_type_strict_and_float_tolerant():
    assert same_output([1, 2], [1, 2]) and not same_output([1, 2], (1, 2))
    assert not same_output(1, True) and not same_output(1, 1.0)
    assert same_output({"a": 0.1 + 0.2}, {"a": 0.3})
    assert not same_output({"a": 1}, {"b": 1})
    assert same_output(float("nan"), float("nan"))


class Point:
    def __init__(self, x):
        self.x = x


def test_same_output_compares_plain_objects_by_content():
    assert same_output([Point(1)], [Point(1)]) and not same_output(Point(1), Point(2))
    namespace: dict = {"__name__": "candidate"}  # as the worker defines candidates
    source = "from dataclasses import dataclass\n@dataclass\nclass Point:\n    x: int\n"
    exec(compile(source, "<candidate>", "exec", dont_inherit=True), namespace)
    assert same_output(namespace["Point"](1), Point(1))  # the candidate's own copy of the class
    assert not same_output(namespace["Point"](1), Point(2))


def test_static_metrics_hand_counted():
    metrics = static_metrics("def f(x):\n    if x and x > 1:\n        return 1\n    return 0\n")
    # tokens: def f ( x ) : if x and x > 1 : return 1 return 0  -> 17
    assert metrics.tokens == 17
    assert metrics.complexity == 3  # 1 + if + and
    assert static_metrics("def f(:\n") is None


def test_normal_form_ignores_layout_but_not_code():
    assert normalized_code("x = 1  # c\n") == normalized_code("x=1\n")
    assert normalized_code("x = 1\n") != normalized_code("x = 2\n")
    options = ScoreOptions()
    assert cache_key("p", "x = 1\n", options) != cache_key("q", "x = 1\n", options)
    assert cache_key("p", "x = 1\n", options) != cache_key("p", "x = 1\n", ScoreOptions(timing=True))


def test_frame_buffer_reassembles_and_rejects_garbage():
    frames = encode({"a": 1}) + encode([2])
    buffer = FrameBuffer()
    assert buffer.feed(frames[:3]) == []
    assert buffer.feed(frames[3:]) == [{"a": 1}, [2]]
    with pytest.raises(ProtocolError):
        FrameBuffer().feed(b"\xff\xff\xff\xff")
    with pytest.raises(ProtocolError):
        FrameBuffer().feed(b"\x00\x00\x00\x02{x")


def test_plain_object_arguments_and_results_are_compared_by_content(service):
    from codeopt_jax.corpus import parse_problem
    source = '''FAMILY = "append_loop"
ENTRY_POINT = "shifted"


class Point:
    def __init__(self, x):
        self.x = x


def shifted(points):
    out = []
    for p in points:
        out.append(Point(p.x + 1))
    return out


def check(candidate):
    assert [p.x for p in candidate([Point(1)])] == [2]


def workload():
    return [([Point(i) for i in range(50)],)]
'''
    problem = parse_problem(source, "shifted.py", "train")
    candidate = problem.program.replace(
        "    out = []\n    for p in points:\n        out.append(Point(p.x + 1))\n    return out",
        "    return [Point(p.x + 1) for p in points]")
    record = service.score(problem, candidate, FAST)
    assert record.status == records.OK and record.differential == records.MATCH, record.detail
