"""The cost model: it sees C-level work, repeats in every process, changes no behaviour, stops at a cap, is a reward."""

from __future__ import annotations

import builtins
import json
import math
import subprocess
import sys

import numpy as np
import pytest

from codeopt_jax import cost_agreement, moves
from codeopt_jax.corpus import parse_problem
from codeopt_jax.optimize import score_original
from codeopt_jax.rewards import RewardConfig, potential, reward_preset
from codeopt_jax.scoring import ScoreOptions, records
from codeopt_jax.scoring.cost_calibration import (INSTRUCTION_BENCHMARKS, OPERATION_BENCHMARKS, Measurement,
                                                  _nonnegative_least_squares, fit_operation, operations_started)
from codeopt_jax.scoring.cost_instrument import ReservedNameError, instrument
from codeopt_jax.scoring.cost_model import CostMeter
from codeopt_jax.scoring.cost_table import (CLASS_NAMES, OPERATIONS, TABLE_VERSION, CostTable, CostTableError,
                                            OperationCoefficients, load_cost_table)
from codeopt_jax.scoring.measure import OpcodeCounter, fresh_copies
from codeopt_jax.scoring.records import ScoreRecord
from codeopt_jax.user_problem import UserInputError
from tests.conftest import ROOT

SHIPPED = load_cost_table()


def _table(instruction: float = 0.0, frame: float = 0.0, per_unit: float = 0.0, base: float = 0.0,
           per_item: float = 0.0) -> CostTable:
    """A table with the same coefficient for every class and every operation (for exact counts)."""
    return CostTable(TABLE_VERSION, "3.11", {name: instruction for name in CLASS_NAMES}, frame,
                     {name: OperationCoefficients(base, per_unit, per_item) for name in OPERATIONS})


def _cost(source: str, calls: list[tuple], table: CostTable = SHIPPED, cap: float | None = None):
    return CostMeter(table, cap).run(source, "f", calls)


def _ops(source: str, calls: list[tuple]) -> int:
    return OpcodeCounter().run(compile(source, "<program>", "exec"), "f", calls).count


# --- the cost sees C-level work -------------------------------------------------------------------

def test_a_list_scan_costs_more_than_a_set_lookup_on_a_long_list():
    scan = "def f(xs, probes):\n    return sum(1 for p in probes if p in xs)\n"
    hashed = "def f(xs, probes):\n    seen = set(xs)\n    return sum(1 for p in probes if p in seen)\n"
    calls = [(list(range(4000)), list(range(0, 8000, 40)))]
    assert _cost(scan, calls).cost > 4 * _cost(hashed, calls).cost
    assert _ops(scan, calls) <= _ops(hashed, calls)  # what the op count sees: the scan is no worse


def test_sorting_for_the_smallest_costs_more_than_min_on_a_long_list():
    calls = [(list(range(6000, 0, -1)),)]
    by_sort, by_min = "def f(xs):\n    return sorted(xs)[0]\n", "def f(xs):\n    return min(xs)\n"
    assert _cost(by_sort, calls).cost > 3 * _cost(by_min, calls).cost
    assert abs(_ops(by_sort, calls) - _ops(by_min, calls)) <= 2


def test_a_pop_front_loop_costs_more_than_deque_popleft():
    pop_front = "def f(xs):\n    total = 0\n    while xs:\n        total += xs.pop(0)\n    return total\n"
    popleft = ("from collections import deque\n\n\ndef f(xs):\n    queue = deque(xs)\n    total = 0\n"
               "    while queue:\n        total += queue.popleft()\n    return total\n")
    calls = [(list(range(8000)),)]
    assert _cost(pop_front, calls).cost > 2 * _cost(popleft, calls).cost
    assert _ops(pop_front, calls) < 1.2 * _ops(popleft, calls)


@pytest.mark.parametrize("source, calls, operation, units", [
    ("def f(xs):\n    return 7 in xs\n", [(list(range(10)),)], "contains_sequence", 8),       # found at index 7
    ("def f(xs):\n    return -1 in xs\n", [(list(range(10)),)], "contains_sequence", 10),     # not found: all
    ("def f(s):\n    return 'cd' in s\n", [("abcdef",)], "contains_chars", 4),                # up to the match
    ("def f(xs):\n    return sorted(xs)\n", [([3, 1, 2, 0],)], "sort", 8),                   # n log2 n
    ("def f(xs):\n    return xs[2:7]\n", [(list(range(10)),)], "copy_refs", 5),               # the slice's length
    ("def f(xs):\n    xs.pop(0)\n    return xs\n", [(list(range(10)),)], "shift_sequence", 9),
    ("def f(xs):\n    del xs[2]\n    return xs\n", [(list(range(10)),)], "shift_sequence", 7),
    ("def f(xs):\n    return any(x > 2 for x in xs)\n", [(list(range(10)),)], "test_items", 4),  # stops at the 4th
    ("def f(xs):\n    return xs.index(3)\n", [(list(range(10)),)], "scan_sequence", 4),
    ("def f(s):\n    return s + s\n", [("abc",)], "copy_chars", 6),
    ("def f(s):\n    return s[:3] + s[:1]\n", [("abcdef",)], "copy_chars", 3 + 4),  # s[:1]: a cached character
    ("def f(xs):\n    return {1, 2, 3} - set(xs)\n", [([9],)], "set_algebra", 3),
    ("def f(s):\n    return s.isdigit()\n", [("12345",)], "test_chars", 5),
])
def test_each_operation_is_charged_by_the_size_of_its_work(source, calls, operation, units):
    count = _cost(source, calls, _table(per_unit=1.0))
    tallies = {t.operation: t for t in count.operations}
    assert tallies[operation].units == units
    assert count.cost == sum(t.units for t in count.operations)  # no instructions or frames in this table


def test_with_unit_weights_the_instructions_are_the_op_count_and_frames_are_calls():
    fib = "def f(n):\n    return n if n < 2 else f(n - 1) + f(n - 2)\n"
    program = ("def f(xs):\n    out = [x * 2 for x in xs if x in xs[:3]]\n    out.sort()\n"
               "    return out, sum(xs), ''.join(map(str, xs))\n")
    empty = "def f():\n    pass\n"
    harness = _ops(empty, []) - _cost(empty, [], _table(instruction=1.0)).cost  # the op counter's own setup
    for source, calls in ((fib, [(10,), (3,)]), (program, [(list(range(50)),)])):
        assert _cost(source, calls, _table(instruction=1.0)).cost == _ops(source, calls) - harness
    assert _cost(fib, [(10,)], _table(frame=1.0)).cost == 177 + 1  # fib(10)'s calls, and the module


# --- deterministic in every process ----------------------------------------------------------------

_HASHING_PROGRAM = '''
from collections import Counter


def f(text, stop):
    words = text.split()
    seen = set(words) - set(stop)
    counts = Counter(w for w in words if w in seen)
    index = {w: i for i, w in enumerate(sorted(seen))}
    pairs = {(a, b) for a in sorted(seen)[:20] for b in stop if a[:1] == b[:1]}
    return len(seen), sum(counts.values()), len(index), len(pairs), " ".join(sorted(seen))[:40]
'''


def test_the_cost_is_the_same_under_any_hash_seed():
    script = ("import json, sys\nfrom codeopt_jax.scoring.cost_model import CostMeter\n"
              "from codeopt_jax.scoring.cost_table import load_cost_table\n"
              "source = sys.stdin.read()\n"
              "text = ' '.join(f'w{i % 97}x{i % 13}' for i in range(3000))\n"
              "count = CostMeter(load_cost_table()).run(source, 'f', [(text, ['w1x1', 'w2x2', 'w5x5'])])\n"
              "print(json.dumps([count.cost, count.operation_cost]))\n")
    results = set()
    for seed in ("1", "2", "12345"):
        completed = subprocess.run([sys.executable, "-c", script], input=_HASHING_PROGRAM, cwd=ROOT, text=True,
                                   capture_output=True, timeout=120, env={"PYTHONHASHSEED": seed, "PATH": ""})
        assert completed.returncode == 0, completed.stderr
        results.add(completed.stdout)
    assert len(results) == 1 and json.loads(results.pop())[1] > 0


# --- the instrumentation changes no behaviour ------------------------------------------------------

TRICKY = {
    "generators": '''
def f(log):
    def gen(n):
        for i in range(n):
            log.append(i)
            yield i * 2
    g = gen(5)
    first = next(g)
    rest = [x for x in g if x in (2, 6, 8)]
    return first, rest, sum(gen(3)), list(gen(0)), max(gen(4)), sorted(gen(3), reverse=True)
''',
    "closures": '''
def f(log):
    total = []
    def add(x):
        nonlocal total
        total = total + [x]
        log.append(len(total))
        return total
    for i in range(4):
        add(i)
    counter = 0
    def bump():
        nonlocal counter
        counter += 1
        return counter
    return total, [bump() for _ in range(3)], counter, sorted(locals())
''',
    "chained_comparisons": '''
def f(log):
    def v(x):
        log.append(repr(x))
        return x
    return [v(1) < v(2) in v([2, 3]), v(3) in v([3]) in v([[3], True]), v(5) > v(9) in v([]),
            v(0) not in v([1]) == v(True), v(1) < v(2) < v(3), v(2) in v([1, 2])]
''',
    "walrus": '''
def f(log):
    data = [3, 1, 4, 1, 5, 9, 2, 6]
    if (n := len(data)) > 5:
        log.append(n)
    evens = [y for x in data if (y := x * 2) in {2, 8, 12}]
    return n, evens, y, (s := data[1:4]), s, [(z := c * 2) for c in "ab"], z
''',
    "short_circuit": '''
def f(log):
    def v(x):
        log.append(repr(x))
        return x
    a = v(0) and v(1) in v([1])
    b = v(1) or v("x") in v("xyz")
    c = v([]) or v([1]) + v([2])
    d = v("") and sorted(v([3, 1]))
    e = v([0]) and v("q") not in v("pq") or v(None)
    return a, b, c, d, e
''',
    "augmented_targets": '''
class Box:
    def __init__(self, log):
        self._items = [1]
        self.log = log

    @property
    def items(self):
        self.log.append("get")
        return self._items

    @items.setter
    def items(self, value):
        self.log.append("set")
        self._items = value


class Keys(dict):
    def __init__(self, log):
        super().__init__(k="ab")
        self.log = log

    def __getitem__(self, key):
        self.log.append(("getitem", key))
        return super().__getitem__(key)

    def __setitem__(self, key, value):
        self.log.append(("setitem", key))
        super().__setitem__(key, value)

    def copy(self):
        return sorted(super().copy().items())


def f(log):
    def v(x):
        log.append(repr(x))
        return x
    box = Box(log)
    alias = box.items
    box.items += v([2, 3])
    table = Keys(log)
    v(table)[v("k")] += v("cd")
    words = ["x"]
    words[v(0)] += "yz"
    s = "p"
    s += v("q")
    s = s + "r"
    nums = {1, 2}
    frozen = nums
    nums |= v({3})
    nums -= {1}
    t = (1,)
    t += (2,)
    count = 0
    count += len(s)
    xs = [1, 2]
    same = xs
    xs = xs + [3]
    return box._items, alias is box._items, table.copy(), words, s, nums, frozen, t, count, xs, same
''',
    "custom_containers": '''
class Bag:
    def __init__(self, log):
        self.log = log

    def __contains__(self, x):
        self.log.append(("contains", x))
        return x % 2 == 0


class Seq:
    def __init__(self, log):
        self.log = log

    def __iter__(self):
        self.log.append("iter")
        return iter([3, 1, 2])

    def __len__(self):
        self.log.append("len")
        return 3


class Loud:
    def __init__(self, log, value):
        self.log, self.value = log, value

    def __eq__(self, other):
        self.log.append(("eq", self.value, other))
        return self.value == other

    __hash__ = None


def f(log):
    bag = Bag(log)
    louds = [Loud(log, 1), Loud(log, 2), Loud(log, 3)]
    return [2 in bag, 3 not in bag, 2 in Seq(log), list(Seq(log)), sorted(Seq(log)), sum(Seq(log)),
            min(Seq(log)), set(Seq(log)), 2 in louds, louds.index(3), louds.count(2), 5 in louds]
''',
    "exceptions_inside_operations": '''
import heapq


class Bad:
    def __eq__(self, other):
        raise ValueError("no eq")

    __hash__ = None


def boom():
    yield 1
    raise KeyError("gen")


def delete():
    xs = [1]
    del xs[5]


def f(log):
    out = []
    operations = [lambda: [1, 2].index(5), lambda: "a" + 1, lambda: 1 in 5, lambda: sorted([1, "a"]),
                  lambda: [].pop(0), lambda: min([]), lambda: {1} - [1], lambda: "abc"[1:"x"],
                  lambda: heapq.heappop([]), lambda: "".join([1]), delete, lambda: [Bad()].index(1),
                  lambda: 1 in [Bad()], lambda: [Bad()].count(1), lambda: sum(boom()), lambda: any(boom()),
                  lambda: all(boom()), lambda: sorted([2, 1], key=lambda x: 1 / 0), lambda: set([[1]]),
                  lambda: "x".replace(1, 2), lambda: list(range(3)).insert("a", 1), lambda: dict([(1, 2, 3)])]
    for operation in operations:
        try:
            out.append(operation())
        except Exception as exc:
            out.append((type(exc).__name__, str(exc)))
        log.append(len(out))
    return out
''',
    "evaluation_order": '''
class Loud:
    def __init__(self, log):
        self.log = log

    def __getattr__(self, name):
        self.log.append(("getattr", name))
        return lambda *args: args


def f(log):
    def v(x):
        log.append(repr(x))
        return x
    loud = Loud(log)
    return (loud.index(v(1)), v([1, 2, 3])[v(0):v(2)], v("a") + v("b"), v([1]) * v(2), v({1}) & v({1, 2}),
            v(sorted)(v([2, 1])), v(max)(v(1), v(3)), {1: 2}.get(v(1)))
''',
    "argument_mutation": '''
def f(log, xs, text):
    xs.sort()
    xs.pop(0)
    xs.insert(0, -1)
    del xs[1]
    xs += [7]
    xs.extend(x for x in range(2))
    log.append(xs.index(7))
    xs.remove(7)
    head = xs[:2]
    text.append("".join(reversed(text)))
    return head, sum(xs), max(xs, key=abs), text.count("a")
''',
}


def _plain_outcomes(source: str, calls: list[tuple]) -> tuple[list, list]:
    namespace = {"__name__": "program", "__builtins__": builtins}
    exec(compile(source, "<program>", "exec"), namespace)
    copies = fresh_copies(calls)
    return [namespace["f"](*args) for args in copies], copies


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_the_instrumented_program_returns_raises_and_mutates_as_written(name):
    source = TRICKY[name]
    calls = [([],)] if name != "argument_mutation" else [([], [5, 3, 9, 1, 4], ["a", "b", "a"])]
    expected, expected_args = _plain_outcomes(source, calls)
    outputs: list = []
    operation_copies = fresh_copies(calls)
    count = CostMeter(SHIPPED).run_copies(compile(source, "<program>", "exec"), instrument(source), "f",
                                          operation_copies, fresh_copies(calls), outputs)
    assert repr(outputs) == repr(expected)
    assert repr(operation_copies) == repr(expected_args)  # the arguments (and the log of side effects)
    assert count.calls == 1 and count.operations  # the hooks ran


def test_an_exception_escaping_an_instrumented_operation_is_the_programs():
    source = "class Bad:\n    def __eq__(self, other):\n        raise KeyError('deep')\n\n\n" \
             "def f(xs):\n    return 3 in [1, Bad(), 3]\n"
    with pytest.raises(KeyError, match="deep"):
        _cost(source, [([],)])


def test_zero_argument_super_and_frame_sensitive_builtins_still_see_the_callers_frame():
    source = ("class Base:\n    def count(self):\n        return 1\n\n\nclass Child(Base):\n"
              "    def count(self):\n        return super().count() + 1\n\n\n"
              "def f(x):\n    local = x\n    return Child().count(), sorted(locals()), vars()['local']\n")
    outputs: list = []
    CostMeter(SHIPPED).run_copies(compile(source, "<p>", "exec"), instrument(source), "f", [(4,)], [(4,)], outputs)
    assert outputs == [(2, ["local", "x"], 4)]


def test_a_program_using_a_hook_name_is_refused_not_miscounted():
    with pytest.raises(ReservedNameError, match="_cost_in"):
        instrument("def f(xs):\n    _cost_in = 3\n    return xs\n")


def test_a_memoized_recursion_runs_as_deep_under_the_hooks():
    source = ("import functools\n\n\ndef f(n):\n    @functools.lru_cache(maxsize=None)\n"
              "    def depth(k):\n        return 0 if k == 0 else 1 + depth(k - 1)\n"
              "    return depth(n)\n")
    deep = 300  # the C wrapper and the Python frame count 2 levels each: 600 of the 1000 allowed
    count = _cost(source, [(deep,)], _table(base=1.0))
    assert {t.operation: t.calls for t in count.operations}["cached_call"] == deep + 1


# --- the cap ----------------------------------------------------------------------------------------

LOOP = "def f(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total\n"


@pytest.mark.parametrize("swallow", [False, True])
def test_the_cap_stops_the_pass_and_counts_the_finished_calls_exactly(swallow):
    source = LOOP if not swallow else LOOP.replace(
        "    for i in range(n):\n        total += i\n",
        "    try:\n        for i in range(n):\n            total += i\n    except BaseException:\n        pass\n")
    calls = [(10,), (20,), (200_000,), (10,)]
    prefix = _cost(source, calls[:2]).cost
    before = sys.gettrace()
    capped = _cost(source, calls, cap=prefix + 500)
    assert (capped.cost, capped.calls, capped.capped) == (prefix, 2, True)
    assert sys.gettrace() is before


def test_the_cap_also_stops_at_c_level_work():
    source = "def f(xs):\n    return sorted(xs)[-1]\n"
    calls = [([3, 1, 2],), (list(range(300_000)),)]
    first = _cost(source, calls[:1]).cost
    capped = _cost(source, calls, cap=first + 2_000)
    assert (capped.cost, capped.calls, capped.capped) == (first, 1, True)


def test_a_program_removing_the_tracer_voids_the_cost():
    with pytest.raises(RuntimeError, match="trace function"):
        _cost("import sys\n\n\ndef f(n):\n    sys.settrace(None)\n    return n\n", [(1,)])


# --- the scoring service --------------------------------------------------------------------------

def _problem(program: str, workload: str, check: str, entry: str = "f"):
    source = (f'"""Test problem."""\n\nFAMILY = "test"\nENTRY_POINT = "{entry}"\n\n\n{program}\n\n'
              f"def check(candidate):\n    {check}\n\n\ndef workload():\n    return {workload}\n")
    return parse_problem(source, f"{entry}_problem.py", "")


SCAN_WORKLOAD = "[(list(range(50)), [1, 2, 99]), (list(range(2000)), list(range(0, 4000, 10)))]"
SCAN = _problem("def f(xs, probes):\n    return [p for p in probes if p in xs]\n", SCAN_WORKLOAD,
                "assert candidate([1, 2], [2, 3]) == [2]")


def test_the_service_measures_both_sides_on_the_same_calls(service):
    options = ScoreOptions(cost=True, opcount=True)
    original = service.score(SCAN, SCAN.program, options)
    assert original.status == records.OK and original.phase == "cost"
    assert original.cost == original.cost_original > 0 and original.cost_calls == original.workload_calls == 2
    hashed = "def f(xs, probes):\n    seen = set(xs)\n    return [p for p in probes if p in seen]\n"
    record = service.score(SCAN, hashed, options)
    assert record.valid and record.cost_original == original.cost and record.cost_ratio < 0.25
    assert record.op_ratio > 0.9  # the op count misses what the cost model sees
    expected = CostMeter(SHIPPED).run(hashed, "f", eval(SCAN_WORKLOAD))
    assert record.cost == round(expected.cost)  # the same number in the worker (PYTHONHASHSEED=0) as here


def test_the_service_caps_the_cost_like_the_op_count(service):
    slow = ("def f(xs, probes):\n    if len(xs) < 100:\n        xs = xs * 5000\n"
            "    return [p for p in probes if p in xs]\n")
    record = service.score(SCAN, slow, ScoreOptions(cost=True, cost_cap=2_000_000))
    assert record.status == records.TIMEOUT and record.phase == "cost" and record.cost is None
    assert "workload calls" in record.detail
    skipped = service.score(SCAN, SCAN.program, ScoreOptions(cost=True, cost_cap=1_000))
    assert skipped.valid and skipped.cost is None and skipped.cost_calls == 0 and "cost skipped" in skipped.detail


def test_an_original_failing_in_the_cost_phase_is_named(service):
    problem = _problem("import sys\n\n\ndef f(n):\n    if sys.gettrace() is not None:\n"
                       "        sys.settrace(None)\n    return n\n", "[(1,)]", "assert candidate(3) == 3")
    with pytest.raises(UserInputError) as error:
        score_original(problem, service, reward_preset("cost"))
    message = str(error.value)
    assert "measuring the modelled cost of the original f() failed" in message and "\n" not in message


# --- the reward -------------------------------------------------------------------------------------

def test_the_cost_preset_is_deterministic_and_the_default_is_unchanged():
    cost = reward_preset("cost")
    options = cost.score_options
    assert (options.cost, options.opcount, options.timing) == (True, False, False) and cost.deterministic
    assert RewardConfig().cost_weight == 0.0 and RewardConfig().opcount_weight == 1.0
    assert not reward_preset("opcount").score_options.cost


def test_the_cost_term_of_phi_is_the_clipped_log_ratio():
    reward = reward_preset("cost", brevity_weight=0.0)
    original = ScoreRecord(status=records.OK, cost=1000, cost_original=1000)
    assert potential(ScoreRecord(status=records.OK, cost=250, cost_original=1000), original, reward) == \
        pytest.approx(math.log(4))
    assert potential(ScoreRecord(status=records.OK, cost=1, cost_original=10 ** 9), original, reward) == \
        pytest.approx(reward.log_clip)
    assert potential(ScoreRecord(status=records.OK), original, reward) == 0.0
    assert potential(ScoreRecord(status=records.TEST_FAILURE, cost=1, cost_original=1000), original, reward) == \
        -reward.broken_penalty


# --- the table and its calibration ------------------------------------------------------------------

def test_a_bad_table_is_refused_with_the_file_and_the_field(tmp_path):
    path = tmp_path / "table.json"
    data = SHIPPED.to_json()
    del data["operations"]["sort"]
    path.write_text(json.dumps(data))
    with pytest.raises(CostTableError, match=r"table\.json.*missing \['sort'\]"):
        load_cost_table(path)
    data = SHIPPED.to_json()
    data["frame_ns"] = -1
    path.write_text(json.dumps(data))
    with pytest.raises(CostTableError, match="frame_ns must be a finite non-negative number"):
        load_cost_table(path)
    with pytest.raises(CostTableError, match="cannot read"):
        load_cost_table(tmp_path / "missing.json")


def test_the_shipped_table_was_measured_on_this_python():
    assert SHIPPED.python == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert SHIPPED.command.startswith("python -m launch.calibrate_cost_model")
    assert sum(SHIPPED.instruction_ns.values()) > 0


def test_the_instruction_loops_start_no_costed_operation_and_each_operation_has_loops():
    assert {b.name: operations_started(b, 0) for b in INSTRUCTION_BENCHMARKS if operations_started(b, 0)} == {}
    for benchmark in OPERATION_BENCHMARKS:
        assert benchmark.operation in operations_started(benchmark, benchmark.sizes[1]), benchmark.name


def test_an_operation_fit_recovers_known_coefficients():
    truth = OperationCoefficients(base_ns=40.0, per_unit_ns=2.5, per_item_ns=9.0)
    fitted = {"copy_refs": OperationCoefficients(10.0, 1.0, 0.0)}
    measurements = [Measurement("bench", n, seconds=(30.0 + truth.cost(n, n // 7) + 10.0 + 1.0 * n) / 1e9,
                                instruction_ns=30.0, class_counts=(),
                                operations={"join_chars": (1.0, float(n), float(n // 7)),
                                            "copy_refs": (1.0, float(n), 0.0)})
                    for n in (1, 10, 100, 1000, 10000, 33, 3333)]
    coefficients, fit = fit_operation("join_chars", measurements, fitted)
    assert coefficients.base_ns == pytest.approx(40.0, rel=1e-6)
    assert coefficients.per_unit_ns == pytest.approx(2.5, rel=1e-6)
    assert coefficients.per_item_ns == pytest.approx(9.0, rel=1e-6) and fit.relative_rms < 1e-9
    assert np.allclose(_nonnegative_least_squares(np.eye(2), np.array([1.0, -1.0])), [1.0, 0.0])


# --- agreement with timing ----------------------------------------------------------------------------

def test_spearman_matches_hand_worked_values():
    assert cost_agreement.spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    assert cost_agreement.spearman([1, 1, 2], [1, 2, 3]) == pytest.approx(math.sqrt(3) / 2)
    assert cost_agreement.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert math.isnan(cost_agreement.spearman([1, 1], [1, 2]))


def test_candidate_pairs_are_distinct_programs_one_or_two_rewrites_away(tiny_problem):
    pairs = cost_agreement.candidate_pairs([tiny_problem], moves.allowed_rules(False), per_problem=4)
    sources = [pair.source for pair in pairs]
    assert 0 < len(pairs) <= 4 and len(set(sources)) == len(sources) and tiny_problem.program not in sources
    assert all(1 <= len(pair.moves) <= 2 for pair in pairs)
    again = cost_agreement.candidate_pairs([tiny_problem], moves.allowed_rules(False), per_problem=4)
    assert [pair.source for pair in again] == sources
