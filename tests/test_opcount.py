"""The instruction counter: exact and unchanged by its speed-up, capped on a slice, phases named in errors."""

from __future__ import annotations

import builtins
import dis
import sys

import pytest

from codeopt_jax import corpus
from codeopt_jax.corpus import parse_problem
from codeopt_jax.optimize import score_original
from codeopt_jax.rewards import reward_preset
from codeopt_jax.scoring import ScoreOptions, ScoringService, WorkerLimits, records
from codeopt_jax.scoring.measure import OpcodeCounter, fresh_copies, fresh_namespace
from codeopt_jax.user_problem import UserInputError
from tests.conftest import ROOT


class ReferenceCounter:
    """The counter as it was before its speed-up (attribute increment, a bound method per event)."""

    def __init__(self) -> None:
        self.count = 0

    def _local(self, frame, event, arg):
        if event == "opcode":
            self.count += 1
        return self._local

    def _global(self, frame, event, arg):
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        return self._local

    def run(self, code, entry_point, calls) -> int:
        copies = fresh_copies(calls)
        self.count = 0
        previous = sys.gettrace()
        sys.settrace(self._global)
        try:
            namespace = fresh_namespace()
            exec(code, namespace)
            function = namespace[entry_point]
            for args in copies:
                function(*args)
        finally:
            sys.settrace(previous)
        return self.count


PROGRAMS = {
    "recursion": ("def f(n):\n    return n if n < 2 else f(n - 1) + f(n - 2)\n", [(12,), (3,)]),
    "generators_and_comprehensions": (
        "def f(xs):\n    squares = {x: x * x for x in xs}\n    return sum(v for v in squares.values() if v % 3)\n",
        [(list(range(200)),)]),
    "exceptions_and_classes": (
        "class Box:\n    def __init__(self, v):\n        self.v = v\n\n"
        "def f(xs):\n    out = []\n    for x in xs:\n        try:\n            out.append(Box(10 // x).v)\n"
        "        except ZeroDivisionError:\n            out.append(None)\n    return out\n",
        [([0, 1, 2, 0, 5],)]),
    "module_level_work_and_sorting_keys": (
        "TABLE = [i * i for i in range(50)]\n\ndef f(words):\n    return sorted(words, key=lambda w: (len(w), w))\n",
        [(["pear", "fig", "apple", "kiwi"],), (["b", "a"],)]),
}


def _compiled(source: str):
    return compile(source, "<program>", "exec", dont_inherit=True)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_counts_equal_the_reference_counter_and_repeat(name):
    source, calls = PROGRAMS[name]
    code = _compiled(source)
    expected = ReferenceCounter().run(code, "f", calls)
    first, second = OpcodeCounter().run(code, "f", calls), OpcodeCounter().run(code, "f", calls)
    assert first.count == second.count == expected > 0
    assert (first.calls, first.capped) == (len(calls), False)


@pytest.mark.slow
def test_counts_equal_the_reference_counter_on_corpus_problems():
    for name in ("coin_change_ways", "mention_list", "unknown_skus"):
        problem = corpus.load_problem(ROOT / "corpus" / "train" / f"{name}.py")
        namespace = {"__name__": "harness", "__builtins__": builtins}
        exec(compile(problem.source, problem.path, "exec"), namespace)
        calls = namespace["workload"]()
        code = _compiled(problem.program)
        assert OpcodeCounter().run(code, problem.entry_point, calls).count == \
            ReferenceCounter().run(code, problem.entry_point, calls), name


def test_each_call_adds_its_executed_instructions():
    """A branch-free function adds one count per instruction it executes (RESUME raises no opcode event)."""
    code = _compiled("def f(a, b):\n    c = a + b\n    return c * 2\n")
    namespace: dict = {}
    exec(code, namespace)
    instructions = sum(1 for i in dis.get_instructions(namespace["f"]) if i.opname != "RESUME")
    once = OpcodeCounter().run(code, "f", [(1, 2)]).count
    thrice = OpcodeCounter().run(code, "f", [(1, 2), (3, 4), (5, 6)]).count
    assert thrice - once == 2 * instructions > 0


LOOP = "def f(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total\n"


@pytest.mark.parametrize("swallow", [False, True])
def test_cap_stops_the_pass_and_counts_the_finished_calls_exactly(swallow):
    source = LOOP if not swallow else LOOP.replace(
        "    for i in range(n):\n        total += i\n",
        "    try:\n        for i in range(n):\n            total += i\n    except BaseException:\n        pass\n")
    code = _compiled(source)
    calls = [(10,), (20,), (100_000,), (10,)]
    prefix = OpcodeCounter().run(code, "f", calls[:2]).count
    before = sys.gettrace()
    capped = OpcodeCounter(cap=prefix + 1000).run(code, "f", calls)
    assert (capped.count, capped.calls, capped.capped) == (prefix, 2, True)
    assert sys.gettrace() is before


def test_tracer_removed_or_replaced_voids_the_count():
    for body in ("sys.settrace(None)", "sys.settrace(lambda *a: None)"):
        code = _compiled(f"import sys\n\ndef f(n):\n    {body}\n    return n\n")
        with pytest.raises(RuntimeError, match="trace function"):
            OpcodeCounter().run(code, "f", [(1,)])


def test_a_program_raising_the_stop_itself_gets_no_count():
    code = _compiled("import sys\n\ndef f(n):\n    if n > 1:\n"
                     "        raise sys.modules['codeopt_jax.scoring.measure']._CapReached\n    return n\n")
    with pytest.raises(BaseException) as raised:
        OpcodeCounter().run(code, "f", [(1,), (2,), (3,)])
    assert type(raised.value).__name__ == "_CapReached"


def _problem(program: str, workload: str, entry: str = "f", check: str = "assert candidate(3) == 3") -> corpus.Problem:
    source = (f'"""Test problem."""\n\nFAMILY = "test"\nENTRY_POINT = "{entry}"\n\n\n{program}\n\n'
              f"def check(candidate):\n    {check}\n\n\ndef workload():\n    return {workload}\n")
    return parse_problem(source, f"{entry}_problem.py", "")


SUMS = _problem("def f(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total\n",
                "[(100,), (5000,), (100,)]", check="assert candidate(3) == 3")


def test_slice_is_counted_for_both_sides_and_recorded(service):
    options = ScoreOptions(opcount=True, opcount_cap=3000)
    original = service.score(SUMS, SUMS.program, options)
    assert original.status == records.OK and original.phase == "opcount"
    assert (original.op_count_calls, original.workload_calls) == (1, 3)
    assert original.op_count == original.op_count_original == \
        OpcodeCounter().run(_compiled(SUMS.program), "f", [(100,)]).count
    faster_source = "def f(n):\n    return sum(range(n))\n"
    faster = service.score(SUMS, faster_source, options)
    assert faster.valid and faster.op_count_calls == 1 and faster.op_count_original == original.op_count
    assert faster.op_count == OpcodeCounter().run(_compiled(faster_source), "f", [(100,)]).count
    assert faster.op_ratio < 0.5
    everything = service.score(SUMS, SUMS.program, ScoreOptions(opcount=True))
    assert (everything.op_count_calls, everything.workload_calls) == (3, 3)
    assert everything.op_count > original.op_count


def test_candidate_far_past_the_cap_on_the_slice_is_stopped(service):
    slow = "def f(n):\n    total = 0\n    for i in range(n * 100):\n        total += i % 1\n" \
           "    return sum(range(n))\n"
    record = service.score(SUMS, slow, ScoreOptions(opcount=True, opcount_cap=3000))
    assert record.status == records.TIMEOUT and record.phase == "opcount" and record.op_count is None
    assert "first 1 workload calls" in record.detail


def test_first_call_past_the_cap_skips_the_count_with_a_detail(service):
    record = service.score(SUMS, SUMS.program, ScoreOptions(opcount=True, opcount_cap=200))
    assert record.status == records.OK and record.valid
    assert record.op_count is None and record.op_ratio is None
    assert (record.op_count_calls, record.workload_calls) == (0, 3)
    assert "op count skipped" in record.detail
    with pytest.raises(UserInputError, match="cannot be counted"):
        score_original(SUMS, _ScoreWith(service, ScoreOptions(opcount=True, opcount_cap=200)),
                       reward_preset("opcount"))


class _ScoreWith:
    """The service, scoring with fixed options whatever the caller asks for."""

    def __init__(self, service: ScoringService, options: ScoreOptions):
        self.service, self.options = service, options

    def score(self, problem, candidate, options=None):
        return self.service.score(problem, candidate, self.options)


FIB = _problem("def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n", "[(20,), (21,)]", "fib",
               check="assert candidate(10) == 55")


def test_naive_recursive_fib_scores_with_the_opcount_reward(service):
    record = score_original(FIB, service, reward_preset("opcount"))
    assert record.status == records.OK and record.op_count == record.op_count_original > 100_000
    assert record.op_count_calls == record.workload_calls == 2


def test_original_failing_in_the_opcount_phase_is_named(service):
    problem = _problem("import sys\n\n\ndef f(n):\n    if sys.gettrace() is not None:\n"
                       "        sys.settrace(None)\n    return n\n", "[(1,)]")
    with pytest.raises(UserInputError) as error:
        score_original(problem, service, reward_preset("opcount"))
    message = str(error.value)
    assert "counting the executed instructions of the original f() failed" in message
    assert "does not pass its tests" not in message and "\n" not in message


@pytest.mark.slow
def test_original_timing_out_in_the_opcount_phase_names_the_phase_and_deadline():
    problem = _problem("import sys\nimport time\n\n\ndef f(n):\n    if sys.gettrace() is not None:\n"
                       "        time.sleep(60)\n    return n\n", "[(1,)]")
    with ScoringService(num_workers=1, limits=WorkerLimits(max_phase_seconds=3.0)) as short:
        with pytest.raises(UserInputError) as error:
            score_original(problem, short, reward_preset("opcount"))
    message = str(error.value)
    assert "counting the executed instructions of the original f() took too long" in message
    assert "opcount deadline of 3.0 s" in message and "does not pass its tests" not in message


def test_records_name_the_phase_a_job_failed_in(service, tiny_problem):
    wrong = service.score(tiny_problem, "def total(xs):\n    return 0\n", ScoreOptions(opcount=True))
    assert wrong.status == records.TEST_FAILURE and wrong.phase == "tests"  # the differential ran after it
    raising = "def total(xs):\n    if len(xs) > 500:\n        raise ValueError('big')\n    return sum(xs)\n"
    record = service.score(tiny_problem, raising, ScoreOptions(opcount=True))
    assert record.status == records.EXCEPTION and record.phase == "differential"
    good = service.score(tiny_problem, tiny_problem.program, ScoreOptions(opcount=True))
    assert good.phase == "opcount" and good.op_count_calls == good.workload_calls == 2
