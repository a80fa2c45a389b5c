"""Workload synthesis: shapes kept, sizes grown, the original's exceptions dropped, deterministic for a seed.

The growth rules are pure functions; `synthesize` takes its cost function, so these tests use a
deterministic cost (elements processed) instead of a clock. The sandboxed path is tested in
tests/test_user_tests.py.
"""

from __future__ import annotations

import random

import pytest

from codeopt_jax.scoring import synthesis
from codeopt_jax.scoring.synthesis import SynthesisOptions, grow_call, grow_value, literal_source


def _rng(seed: int = 0) -> random.Random:
    return random.Random(seed)


def test_sorted_distinct_ints_stay_sorted_distinct_and_in_range():
    grown = grow_value([3, 8, 15, 21, 40], 64, _rng())
    assert len(grown) == 320 and grown == sorted(grown) and len(set(grown)) == len(grown)
    assert min(grown) >= 3 and all(isinstance(v, int) for v in grown)


def test_repeated_values_stay_in_the_observed_range_and_descending_stays_descending():
    grown = grow_value([9, 7, 7, 2], 16, _rng())
    assert len(grown) == 64 and grown == sorted(grown, reverse=True)
    assert set(grown) <= set(range(2, 10))


def test_matrix_stays_rectangular_and_every_level_grows():
    grown = grow_call(([[1, 2, 3], [4, 5, 6]],), 16, "containers", seed=0)[0]
    widths = {len(row) for row in grown}
    assert len(grown) == 8 and widths == {12}  # 16x the elements, 4x per level
    assert all(isinstance(v, int) and v >= 1 for row in grown for v in row)
    assert all(len(set(row)) == len(row) for row in grown)  # distinct values stay distinct


def test_strings_repeat_and_keep_their_structure():
    assert grow_value("(ab)", 3, _rng()) == "(ab)(ab)(ab)"
    grown = grow_call(("hello world", "l"), 8, "containers", seed=0)
    assert grown[0] == ("hello world" * 8) and grown[1] == "l"  # the separator/character argument stays


def test_strings_inside_containers_are_elements_not_grown():
    grown = grow_value(["red", "red", "blue"], 10, _rng())
    assert len(grown) == 30 and set(grown) <= {"red", "blue"}
    distinct = grow_value(["red", "green", "blue"], 10, _rng())  # distinct names stay distinct
    assert len(set(distinct)) == 30 and all(v.startswith(("red", "green", "blue")) for v in distinct)


def test_dicts_sets_and_records():
    grown = grow_value({"a": 1, "b": 2}, 8, _rng())
    assert len(grown) == 16 and {"a", "b"} <= set(grown) and all(1 <= v <= 2 for v in grown.values())
    grown_set = grow_value({4, 9, 1}, 10, _rng())
    assert isinstance(grown_set, set) and len(grown_set) == 30
    assert grow_value((3, 4), 10, _rng()) == (3, 4)  # a pair is a record, not a sequence
    assert len(grow_value((1, 2, 3, 4), 2, _rng())) == 8


def test_an_int_equal_to_a_length_follows_the_container():
    grown = grow_call(([5, 1, 4, 2], 4, 2), 8, "containers", seed=0)
    assert len(grown[0]) == 32 and grown[1] == 32 and grown[2] == 2


def test_ints_mode_scales_loop_bounds_only():
    assert grow_call((10, 1, True, "x"), 4, "ints", seed=0) == (40, 1, True, "x")


def test_growth_is_deterministic_for_a_seed():
    args = ([5, 3, 9, 1], "abc", {"k": [1, 2]})
    assert grow_call(args, 32, "containers", seed=3) == grow_call(args, 32, "containers", seed=3)
    assert grow_call(args, 32, "containers", seed=3) != grow_call(args, 32, "containers", seed=4)


def test_literal_source_round_trips():
    value = ([1, 2.5, float("inf"), -0.0], {"a": (1,), 2: frozenset({3})}, {7, 8}, set(), b"x", None, True, 1j)
    assert eval(literal_source(value)) == value
    with pytest.raises(ValueError):
        literal_source([object()])


def _elements(args: tuple) -> int:
    return sum(synthesis.count_elements(a) for a in args)


def _checker(calls):
    def check(candidate):
        for args in calls:
            try:
                candidate(*args)
            except ValueError:
                pass
    return check


def test_synthesize_grows_until_the_target_and_drops_raising_inputs():
    def total(values, limit):
        if len(values) > 500:
            raise ValueError("too many")  # beyond this size the original raises: those inputs are dropped
        return sum(v for v in values if v < limit)

    def cost(args):
        total(*args)
        return _elements(args) * 1e-6  # one microsecond per element: deterministic

    check = _checker([([1, 2, 3, 4], 3), ([2, 9], 100), ([], 5)])
    options = SynthesisOptions(target_seconds=0.003)
    result = synthesis.synthesize(check, total, options, cost=cost)
    assert not result.error and result.scaled and result.recorded == 3
    namespace: dict = {}
    exec(result.workload_source + result.edge_cases_source, namespace)
    workload, edge_cases = namespace["workload"](), namespace["edge_cases"]()
    assert all(len(values) <= 500 for values, _ in workload)  # nothing the original raises on
    assert max(len(values) for values, _ in workload) >= 200  # grown well past the tests' sizes
    for values, limit in workload:
        total(values, limit)
    assert ([1, 2, 3, 4], 3) in edge_cases and ([], 5) in edge_cases  # the tests' own inputs
    assert any(len(values) > 500 for values, _ in edge_cases)  # a raising input, for the differential check
    again = synthesis.synthesize(check, total, options, cost=cost)
    assert again == result  # same seed, same cost: the same workload


def test_constant_time_functions_are_timed_on_the_tests_inputs():
    def first(values):
        return values[0]

    result = synthesis.synthesize(_checker([([4, 5],), ([7],)]), first, SynthesisOptions(),
                                  cost=lambda args: 1e-6)
    assert not result.scaled and not result.error
    assert [c.factor for c in result.calls] == [1, 1]


def test_no_calls_is_an_error():
    result = synthesis.synthesize(lambda candidate: None, len, SynthesisOptions(), cost=lambda args: 1e-6)
    assert "never call" in result.error


def test_keyword_calls_are_recorded_positionally():
    def f(values, scale=1):
        return [v * scale for v in values]

    calls = synthesis.record_calls(lambda candidate: candidate([1, 2], scale=3), f)
    assert [c.args for c in calls] == [([1, 2], 3)]
