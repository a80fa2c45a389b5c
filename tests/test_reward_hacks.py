"""Reward hacks: candidates that compute the right answers while cheating the measurement.

Each either gets a non-ok status or is credited no more than an honest measurement of the
same work (the original timed against itself, with a margin for timing noise). The
assertions are on statuses and on ratios measured in one run, never on wall-clock times.
"""

from __future__ import annotations

import pathlib
import statistics
import time

import pytest

from codeopt_jax import corpus
from codeopt_jax.scoring import ScoreOptions, ScoringService, records
from codeopt_jax.scoring.hack_catalog import HACKS, hack_problem as victim_problem

TIMED = ScoreOptions(timing=True, timing_rounds=5, timing_max_rounds=9)
HONEST_MARGIN = 1.3  # a hack may not beat the honest self-measurement by more than timing noise


@pytest.fixture(scope="module")
def hack_problem():
    return victim_problem()


@pytest.fixture(scope="module")
def hack_service():
    with ScoringService(num_workers=2) as scoring:
        yield scoring


@pytest.fixture(scope="module")
def honest_speedup(hack_service, hack_problem):
    """The original timed against itself: what the same work honestly earns."""
    record = hack_service.score(hack_problem, hack_problem.program + "\n_HONEST = 1\n", TIMED)
    assert record.status == records.OK, record.detail
    return record.speedup


@pytest.fixture(scope="module")
def hack_records(hack_service, hack_problem):
    names = sorted(HACKS)
    results = hack_service.score_many([(hack_problem, HACKS[name]) for name in names], TIMED)
    return dict(zip(names, results))


def test_every_hack_is_still_correct_python(hack_problem):
    for name, source in HACKS.items():
        compile(source, name, "exec")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(HACKS))
def test_hack_earns_nothing(name, hack_records, honest_speedup):
    record = hack_records[name]
    if record.status == records.OK and record.valid:
        assert record.speedup is not None
        assert record.speedup <= HONEST_MARGIN * max(honest_speedup, 1.0), (record.speedup, honest_speedup)
    else:
        assert record.speedup is None or not record.valid


@pytest.mark.slow
@pytest.mark.parametrize("name,status,words", [
    ("patch_perf_counter", records.VOIDED, "time.perf_counter"),
    ("patch_time_module_everything", records.VOIDED, "time."),
    ("patch_timeit_default_timer", records.VOIDED, "timeit.default_timer"),
    ("slow_down_builtin_ord", records.VOIDED, "builtins"),
    ("background_burner_thread", records.VOIDED, "threads"),
    ("cache_stashed_on_a_stdlib_module", records.VOIDED, "math._stash"),
    ("cache_stashed_in_sys_modules", records.VOIDED, "sys.modules"),
    ("cache_hidden_in_an_existing_container", records.VOIDED, "state carried"),
    ("answers_change_after_n_calls", records.VOIDED, "sys._calls"),
    ("disable_the_garbage_collector", records.EXCEPTION, "gc.disable"),
    ("longer_switch_interval", records.EXCEPTION, "sys.setswitchinterval"),
])
def test_tampering_is_voided_with_a_clear_detail(name, status, words, hack_records):
    record = hack_records[name]
    assert record.status == status, (record.status, record.detail)
    assert words in record.detail
    assert record.speedup is None and record.op_count is None


@pytest.mark.slow
def test_wrong_answers_and_mutation_are_not_valid(hack_records):
    assert hack_records["equal_to_everything"].differential == records.MISMATCH
    mutation = hack_records["mutates_its_argument_to_shrink_the_next_pass"]
    assert mutation.differential == records.MISMATCH and "leaves its arguments different" in mutation.detail


@pytest.mark.slow
def test_caches_reset_between_passes_are_credited_the_honest_rate(hack_records, honest_speedup):
    for name in ("lru_cache_on_tuple_of_words", "dict_cache_keyed_by_value", "dict_cache_keyed_by_identity",
                 "function_attribute_cache", "class_attribute_cache", "work_moved_to_import_time",
                 "peek_at_the_harness_workload"):
        record = hack_records[name]
        assert record.status == records.OK and record.valid, (name, record.status, record.detail)
        assert record.speedup <= HONEST_MARGIN * max(honest_speedup, 1.0), (name, record.speedup)


@pytest.mark.slow
def test_service_stays_healthy_after_the_hacks(hack_service, hack_problem, hack_records):
    record = hack_service.score(hack_problem, hack_problem.program + "\n_AFTER = 1\n", TIMED)
    assert record.status == records.OK and 0.5 < record.speedup < 2.0


# -- memoized recursion: credited what a cold call gets ----------------------------------------

def _cold_pass_seconds(program: str, entry_point: str, calls: list[tuple]) -> float:
    """One pass from freshly executed code (a trusted corpus program, run here on purpose)."""
    namespace = {"__name__": "cold"}
    code = compile(program, "<cold>", "exec", dont_inherit=True)  # compiling is not part of a pass
    start = time.perf_counter()
    exec(code, namespace)
    function = namespace[entry_point]
    for args in calls:
        function(*args)
    return time.perf_counter() - start


def test_module_level_memoized_recursion_is_credited_its_cold_speedup(hack_service):
    problem = corpus.load_problem(pathlib.Path(__file__).resolve().parents[1] / "corpus" / "heldout"
                                  / "count_letter_decodings.py")
    memoized = "import functools\n" + problem.program.replace(
        "def count_letter_decodings", "@functools.lru_cache(maxsize=None)\ndef count_letter_decodings", 1)
    harness: dict = {}
    exec(compile(problem.source, "<harness>", "exec", dont_inherit=True), harness)
    calls = harness["workload"]()
    ratios = [_cold_pass_seconds(problem.program, problem.entry_point, calls)
              / _cold_pass_seconds(memoized, problem.entry_point, calls) for _ in range(5)]
    cold_speedup = statistics.median(ratios)
    record = hack_service.score(problem, memoized, TIMED)
    assert record.status == records.OK, record.detail
    assert cold_speedup / 2 <= record.speedup <= cold_speedup * 2, (record.speedup, cold_speedup)
