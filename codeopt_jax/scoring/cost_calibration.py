"""Measuring the cost model's coefficients on this machine: microbenchmarks and least-squares fits.

  table, fits = calibrate(CalibrationSettings(repeats=7))      # then write table.to_json() to cost_table.json

Two stages over small trusted programs, all timed untraced in the same interleaved rounds (each keeps
its fastest of `repeats` runs):
  1. instruction classes: pure-Python loops (no costed operation) whose executed instructions per
     class and frames entered are counted by the cost model's own tracer; nanoseconds per class and
     per frame are the non-negative least-squares fit of run time on those counts;
  2. operations, one after another: loops around one costed operation at several operand sizes;
     what the run takes beyond its modelled instructions (and beyond operations fitted before) is
     fitted as base + per_unit × units + per_item × items, the units and items read by the same
     hooks that charge them when scoring.
Fits minimize relative error (each row divided by its run time), so short and long runs weigh
alike. Run it on an otherwise idle machine: `launch/calibrate_cost_model.py`.
"""

from __future__ import annotations

import dataclasses
import gc
import sys
from typing import Callable, Sequence

import numpy as np

from codeopt_jax.scoring import cost_instrument
from codeopt_jax.scoring.cost_model import CostMeter
from codeopt_jax.scoring.cost_table import CLASS_NAMES, OPERATIONS, TABLE_VERSION, CostTable, OperationCoefficients
from codeopt_jax.scoring.measure import CPU_CLOCK, fresh_namespace


@dataclasses.dataclass(frozen=True)
class Microbenchmark:
    """A trusted program whose `run(items, data)` loops over `items` (a list of k ints built before the clock
    starts, so the loop itself allocates nothing); `setup(n)` (defined by the program too) builds
    `data` for operand size n. `operation` is the costed operation it calibrates ("" for stage 1)."""

    name: str
    source: str
    operation: str = ""
    sizes: tuple[int, ...] = (0,)


@dataclasses.dataclass(frozen=True)
class Measurement:
    """One microbenchmark at one size, per loop iteration: seconds run untraced (fastest repeat), the
    instructions' modelled nanoseconds, executed instructions per class and frames entered (stage 1
    only, else empty) and the costed operations' (calls, units, items) by operation."""

    name: str
    size: int
    seconds: float
    instruction_ns: float
    class_counts: tuple[float, ...]     # [len(CLASS_NAMES) + 1]: per class, then frames; () in stage 2
    operations: dict[str, tuple[float, float, float]]


@dataclasses.dataclass(frozen=True)
class Fit:
    """How well one stage-1 or stage-2 fit matches its rows: rows, and relative error (RMS and worst)."""

    name: str
    rows: int
    relative_rms: float
    worst: float


@dataclasses.dataclass(frozen=True)
class CalibrationSettings:
    """How long to measure: each timed run lasts at least `min_seconds`; the fastest of `repeats` counts."""

    repeats: int = 7
    min_seconds: float = 0.003
    operations: tuple[str, ...] | None = None  # only these (others from `base_table`); None: all
    progress: Callable[[str], None] = lambda line: None


_PRELUDE = "import bisect, collections, functools, heapq, random\n"

# Stage 1: instruction classes. `setup(n)` ignores n; `run(items, data)` loops over items.
INSTRUCTION_BENCHMARKS: tuple[Microbenchmark, ...] = tuple(Microbenchmark(name, _PRELUDE + source) for name, source in {
    "empty_loop": "def setup(n):\n    return None\n\ndef run(items, data):\n    for i in items:\n        pass\n",
    "locals": "def setup(n):\n    return None\n\ndef run(items, data):\n    for i in items:\n"
              "        a = i\n        b = a\n        c = b\n        a = c\n        b = a\n        c = a\n",
    "while_counter": "def setup(n):\n    return None\n\ndef run(items, data):\n    k = len(items)\n    i = 0\n"
                     "    while i < k:\n        i += 1\n",
    "arithmetic": "def setup(n):\n    return None\n\ndef run(items, data):\n    t = 0\n    for i in items:\n"
                  "        t = (t + i * 3 - (i >> 1)) % 1000003\n",
    "branches": "def setup(n):\n    return None\n\ndef run(items, data):\n    a = 0\n    for i in items:\n"
                "        if i % 3 == 1:\n            a = 1\n        elif a:\n            a = 0\n        else:\n"
                "            a = 2\n",
    "globals": "G = 5\nH = 7\n\ndef setup(n):\n    return None\n\ndef run(items, data):\n    for i in items:\n"
               "        a = G\n        b = H\n        c = G\n        d = H\n",
    "attributes": "class Box:\n    def __init__(self):\n        self.x = 1\n        self.y = 2\n\n"
                  "def setup(n):\n    return Box()\n\ndef run(items, box):\n    for i in items:\n"
                  "        a = box.x\n        box.y = a\n        b = box.y\n",
    "c_method_calls": "def setup(n):\n    return []\n\ndef run(items, out):\n    for i in items:\n"
                      "        out.append(i)\n    out.clear()\n",
    "builtin_calls": "def setup(n):\n    return [1, 2, 3]\n\ndef run(items, xs):\n    for i in items:\n"
                     "        a = len(xs)\n        b = abs(i)\n        c = isinstance(i, int)\n",
    "list_subscripts": "def setup(n):\n    return list(range(64))\n\ndef run(items, xs):\n    for i in items:\n"
                       "        a = xs[i & 63]\n        xs[i & 63] = a\n        b = xs[-1]\n",
    "dict_subscripts": "def setup(n):\n    return {}\n\ndef run(items, d):\n    for i in items:\n"
                       "        d[i & 63] = i\n        a = d[i & 63]\n",
    "str_subscripts": "def setup(n):\n    return 'abcdefgh' * 8\n\ndef run(items, s):\n    for i in items:\n"
                      "        a = s[i & 63]\n        b = s[0]\n",
    "tuples_and_lists": "def setup(n):\n    return None\n\ndef run(items, data):\n    for i in items:\n"
                        "        t = (i, i)\n        xs = [i, i, i]\n",
    "dicts_and_sets": "def setup(n):\n    return None\n\ndef run(items, data):\n    for i in items:\n"
                      "        d = {i: i}\n        s = {i}\n",
    "unpacking": "def setup(n):\n    return None\n\ndef run(items, data):\n    a = b = 0\n    for i in items:\n"
                 "        a, b = b, i\n        x, y, z = a, b, i\n",
    "python_calls": "def ident(x):\n    return x\n\ndef setup(n):\n    return None\n\ndef run(items, data):\n"
                    "    for i in items:\n        a = ident(i)\n",
    "python_methods": "class Box:\n    def get(self, x):\n        return x\n\ndef setup(n):\n    return Box()\n\n"
                      "def run(items, box):\n    for i in items:\n        a = box.get(i)\n",
    "keyword_calls": "def pair(a, b=0):\n    return b\n\ndef setup(n):\n    return None\n\ndef run(items, data):\n"
                     "    for i in items:\n        a = pair(i, b=i)\n",
    "comprehensions": "def setup(n):\n    return list(range(50))\n\ndef run(items, xs):\n    for i in items:\n"
                      "        a = [x for x in xs]\n",
    "filtered_comprehensions": "def setup(n):\n    return list(range(50))\n\ndef run(items, xs):\n    for i in items:\n"
                               "        a = [x + 1 for x in xs if x & 1]\n",
    "generators": "def gen(m):\n    for j in range(m):\n        yield j\n\ndef setup(n):\n    return None\n\n"
                  "def run(items, data):\n    for i in items:\n        for v in gen(20):\n            pass\n",
    "nested_loops": "def setup(n):\n    return list(range(40))\n\ndef run(items, xs):\n    t = 0\n    for i in items:\n"
                    "        for x in xs:\n            t += x\n",
    "string_loop": "def setup(n):\n    return 'abcab' * 20\n\ndef run(items, text):\n    c = 0\n    for i in items:\n"
                   "        for ch in text:\n            if ch == 'a':\n                c += 1\n",
    "formatting": "def setup(n):\n    return None\n\ndef run(items, data):\n    for i in items:\n"
                  "        s = f'{i}-{i}'\n",
    "exceptions": "def setup(n):\n    return {}\n\ndef run(items, d):\n    for i in items:\n        try:\n"
                  "            d[i]\n        except KeyError:\n            pass\n",
    "closures": "def setup(n):\n    return None\n\ndef run(items, data):\n    total = 0\n    def add(x):\n"
                "        nonlocal total\n        total += x\n    for i in items:\n        add(i)\n",
    "bool_ops": "def setup(n):\n    return None\n\ndef run(items, data):\n    a = None\n    for i in items:\n"
                "        b = 0 < i < 100 and i != 5 or a is None\n        c = not b\n",
    "dict_iteration": "def setup(n):\n    return {i: i for i in range(50)}\n\ndef run(items, d):\n    t = 0\n"
                      "    for i in items:\n        for key, value in d.items():\n            t += value\n",
    "compares": "def setup(n):\n    return None\n\ndef run(items, data):\n    for i in items:\n"
                "        a = i < 5\n        b = i == 3\n        c = i is None\n        d = data is not None\n",
    "set_comprehensions": "def setup(n):\n    return list(range(40))\n\ndef run(items, xs):\n    for i in items:\n"
                          "        a = {x for x in xs}\n",
    "dict_comprehensions": "def setup(n):\n    return list(range(40))\n\ndef run(items, xs):\n    for i in items:\n"
                           "        a = {x: i for x in xs}\n",
    "recursion": "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\ndef setup(n):\n    return None\n\n"
                 "def run(items, data):\n    for i in items:\n        fib(10)\n",
    "method_objects": "def setup(n):\n    return []\n\ndef run(items, xs):\n    for i in items:\n"
                      "        m = xs.append\n        c = xs.copy\n",
    "while_index": "def setup(n):\n    return list(range(100))\n\ndef run(items, xs):\n    for i in items:\n"
                   "        j = 0\n        total = 0\n        while j < len(xs):\n            total += xs[j]\n"
                   "            j += 1\n",
    "grouping": "def setup(n):\n    return [(i % 7, i) for i in range(60)]\n\n"
                "def run(items, pairs):\n    for i in items:\n"
                "        groups = collections.defaultdict(list)\n        for key, value in pairs:\n"
                "            groups[key].append(value)\n",
    "early_returns": "def first_big(xs):\n    for x in xs:\n        if x > 30:\n            return x\n"
                     "    return None\n\n"
                     "def setup(n):\n    return list(range(40))\n\ndef run(items, xs):\n    for i in items:\n"
                     "        a = first_big(xs)\n",
    "float_math": "def setup(n):\n    return [i * 0.5 for i in range(50)]\n\ndef run(items, xs):\n    for i in items:\n"
                  "        t = 0.0\n        for x in xs:\n            t += x * x - 1.5\n",
    "small_tuples": "def setup(n):\n    return None\n\ndef run(items, data):\n    for i in items:\n"
                    "        t = (i, 1)\n        u = (t, i)\n",
    "range_loops": "def setup(n):\n    return None\n\ndef run(items, data):\n    for i in items:\n"
                   "        for j in range(300, 320):\n            pass\n",
    "enumerate_loops": "def setup(n):\n    return list(range(20))\n\ndef run(items, xs):\n    for i in items:\n"
                       "        for j, x in enumerate(xs):\n            pass\n",
    "zip_loops": "def setup(n):\n    return list(range(20))\n\ndef run(items, xs):\n    for i in items:\n"
                 "        for x, y in zip(xs, xs):\n            pass\n",
    "string_compares": "def setup(n):\n    return ['alpha', 'beta', 'gamma', 'delta'] * 10\n\ndef run(items, words):\n"
                       "    c = 0\n    for i in items:\n        for w in words:\n"
                       "            if w == 'gamma' or w < 'b':\n"
                       "                c += 1\n",
}.items())


_RANDOM_INTS = "random.Random(0).sample(range(n * 4 + 4), n)"
# Stage 2: one costed operation per program, at several operand sizes n.
_SIZES = (1, 8, 64, 512, 4096)
_STAGE2 = [
    ("contains_sequence", "contains_list_ints", "return list(range(n)), n - 1",
     "a = data[1] in data[0]\n        b = -1 in data[0]"),
    ("contains_sequence", "contains_list_strs", "return [f'item{i}' for i in range(n)], 'missing'",
     "a = data[1] in data[0]"),
    ("contains_sequence", "contains_tuple", "return tuple(range(n)), n // 2", "a = data[1] in data[0]"),
    ("contains_chars", "contains_str", "return 'ab' * n", "a = 'ac' in data"),
    ("contains_hashed", "contains_set", "return set(range(n + 1))", "a = 5 in data\n        b = -1 in data"),
    ("contains_hashed", "contains_dict_strs", "return {f'k{i}': i for i in range(n + 1)}",
     "a = 'k0' in data\n        b = 'zz' in data"),
    ("sort", "sorted_ints", f"return {_RANDOM_INTS}", "a = sorted(data)"),
    ("sort", "sorted_strs", "return [f'{x:08d}' for x in random.Random(1).sample(range(n * 4 + 4), n)]",
     "a = sorted(data)"),
    ("sort", "list_sort", f"return {_RANDOM_INTS}", "a = data[:]\n        a.sort()"),
    ("key_calls", "sorted_with_key", f"return {_RANDOM_INTS}", "a = sorted(data, key=abs)"),
    ("key_calls", "max_with_key", "return [str(i) for i in range(n)] or ['']", "a = max(data, key=len)"),
    ("copy_chars", "str_strip", "return ' ' + 'ab' * n + ' '", "a = data.strip()"),
    ("sum_items", "sum_ints", "return list(range(n))", "a = sum(data)"),
    ("sum_items", "sum_floats", "return [i * 0.5 for i in range(n)]", "a = sum(data)"),
    ("compare_items", "max_ints", f"return {_RANDOM_INTS} or [0]", "a = max(data)"),
    ("compare_items", "min_strs", "return [f'{x:06d}' for x in random.Random(2).sample(range(n * 4 + 4), n)] or ['']",
     "a = min(data)"),
    ("test_items", "any_zeros", "return [0] * n", "a = any(data)"),
    ("test_items", "all_generator", "return list(range(1, n + 1))", "a = all(x for x in data)"),
    ("build_sequence", "list_of_list", "return list(range(n))", "a = list(data)"),
    ("build_sequence", "tuple_of_list", "return list(range(n))", "a = tuple(data)"),
    ("build_sequence", "list_copy", "return list(range(n))", "a = data.copy()"),
    ("build_hashed", "set_of_ints", "return list(range(n))", "a = set(data)"),
    ("build_hashed", "set_of_strs", "return [f's{i}' for i in range(n)]", "a = set(data)"),
    ("build_hashed", "dict_fromkeys", "return list(range(n))", "a = dict.fromkeys(data)"),
    ("count_items", "counter", "return [i % 37 for i in range(n)]", "a = collections.Counter(data)"),
    ("scan_sequence", "list_index", "return list(range(n + 1)), n", "a = data[0].index(data[1])"),
    ("scan_sequence", "list_count", "return list(range(n))", "a = data.count(-1)"),
    ("shift_sequence", "insert_pop_front", "return list(range(n))", "data.insert(0, 1)\n        data.pop(0)"),
    ("search_chars", "str_find_missing", "return 'ab' * n", "a = data.find('ac')"),
    ("search_chars", "str_count", "return 'ab' * n", "a = data.count('a')"),
    ("rewrite_chars", "str_replace", "return 'ab' * n", "a = data.replace('a', 'c')"),
    ("rewrite_chars", "str_upper", "return 'ab' * n", "a = data.upper()"),
    ("rewrite_chars", "str_lower", "return 'AB' * n", "a = data.lower()"),
    ("translate_chars", "str_translate", "return 'ab' * n, {ord('a'): 'x'}", "a = data[0].translate(data[1])"),
    ("translate_chars", "str_translate_maketrans", "return 'a1b2' * n, str.maketrans('0123456789', '#' * 10)",
     "a = data[0].translate(data[1])"),
    ("split_chars", "split_short_words", "return 'ab ' * n", "a = data.split()"),
    ("split_chars", "split_long_words", "return ('abcdefghijklmnopqrstuvwxyz' * 2 + ' ') * max(n // 10, 1)",
     "a = data.split()"),
    ("join_chars", "join_chars", "return ['a'] * n", "a = ''.join(data)"),
    ("join_chars", "join_words", "return ['abcdefghijklmnopqrstuvwxyz' * 2] * max(n // 10, 1)", "a = ''.join(data)"),
    ("copy_chars", "str_slice", "return 'ab' * n", "a = data[1:]"),
    ("copy_chars", "str_concat", "return 'ab' * n", "a = data + data"),
    ("copy_refs", "list_slice", "return list(range(n))", "a = data[1:]"),
    ("copy_refs", "list_concat", "return list(range(n))", "a = data + data"),
    ("copy_refs", "tuple_slice", "return tuple(range(n))", "a = data[::2]"),
    ("append_chars", "str_append_long", "return 'x' * n", "s = ''\n        for _ in range(8):\n            s += data"),
    ("append_chars", "str_append_pieces", "return ['ab', 'cde'] * max(n // 50, 1)",
     "s = ''\n        for piece in data:\n            s += piece"),
    ("hashed_method", "dict_get", "return {i: i for i in range(64)}", "a = data.get(5, 0)\n        b = data.get(-1)"),
    ("hashed_method", "dict_setdefault_strs", "return {f'k{i}': [] for i in range(64)}",
     "a = data.setdefault('k5', None)\n        b = data.setdefault('k9', None)"),
    ("hashed_method", "set_add", "return set(range(64))", "data.add(5)\n        data.discard(-1)"),
    ("test_chars", "startswith", "return 'ab' * n", "a = data.startswith('ab')\n        b = data.endswith('xa')"),
    ("test_chars", "isdigit", "return '12' * n", "a = data.isdigit()"),
    ("cached_call", "lru_cache_hits", "@functools.lru_cache(maxsize=None)\n    def f(a, b):\n        return a\n"
     "    f(1, 2)\n    return f", "a = data(1, 2)\n        b = data(1, 2)"),
    ("set_algebra", "set_union", "return set(range(n)), set(range(n // 2, n + n // 2))", "a = data[0] | data[1]"),
    ("set_algebra", "set_intersection", "return set(range(n)), set(range(n // 2, n + n // 2))",
     "a = data[0] & data[1]"),
    ("set_algebra", "set_difference", "return set(range(n)), set(range(n // 2, n + n // 2))",
     "a = data[0] - data[1]"),
    ("heap", "heap_push_pop", "h = list(range(n))\n    heapq.heapify(h)\n    return h",
     "heapq.heappush(data, 5)\n        heapq.heappop(data)"),
    ("heapify", "heapify_copy", f"return {_RANDOM_INTS}", "a = data[:]\n        heapq.heapify(a)"),
    ("bisect", "bisect_left", "return list(range(n)), n // 3", "a = bisect.bisect_left(data[0], data[1])"),
    ("bisect", "bisect_right", "return list(range(0, 2 * n, 2)), n", "a = bisect.bisect_right(data[0], data[1])"),
]
OPERATION_BENCHMARKS: tuple[Microbenchmark, ...] = tuple(
    Microbenchmark(name, _PRELUDE + f"def setup(n):\n    {setup}\n\ndef run(items, data):\n    for _ in items:\n"
                   f"        {statement}\n", operation, _SIZES)
    for operation, name, setup, statement in _STAGE2)
# Fitting order: an operation whose microbenchmarks also start another is fitted after that one.
_FIT_ORDER = ("contains_sequence", "contains_chars", "contains_hashed", "copy_refs", "copy_chars", "sort", "sum_items",
              "compare_items", "test_items",
              "build_sequence", "build_hashed", "count_items", "scan_sequence", "shift_sequence", "search_chars",
              "rewrite_chars", "translate_chars", "split_chars", "join_chars", "append_chars", "set_algebra", "heap",
              "heapify", "bisect", "hashed_method", "test_chars", "cached_call",
              "key_calls")
assert set(_FIT_ORDER) == set(OPERATIONS) and {b.operation for b in OPERATION_BENCHMARKS} == set(OPERATIONS)


def _zero_table(instruction_ns: dict[str, float], frame_ns: float) -> CostTable:
    return CostTable(version=TABLE_VERSION, python=_python(), instruction_ns=instruction_ns, frame_ns=frame_ns,
                     operations={name: OperationCoefficients(0.0, 0.0, 0.0) for name in OPERATIONS})


def _python() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


class _Loaded:
    """A microbenchmark's program executed (as written, and instrumented) with its data for one size."""

    def __init__(self, benchmark: Microbenchmark, size: int):
        self.code = compile(benchmark.source, f"<calibration {benchmark.name}>", "exec", dont_inherit=True)
        self.instrumented = cost_instrument.instrument(benchmark.source, f"<calibration {benchmark.name}>")
        namespace = fresh_namespace()
        exec(self.code, namespace)
        self.run, self.setup = namespace["run"], namespace["setup"]
        self.size = size

    def data(self):
        return self.setup(self.size)

    def seconds(self, k: int, repeats: int) -> float:
        """Fastest of `repeats` untraced runs of `run(items, data)` (k items), each on fresh data."""
        best = float("inf")
        items = list(range(k))
        for _ in range(repeats):
            data = self.data()
            gc.collect()
            start = CPU_CLOCK()
            self.run(items, data)
            best = min(best, CPU_CLOCK() - start)
        return best


def _loops_for(loaded: _Loaded, min_seconds: float) -> int:
    """Loop count whose run lasts about `min_seconds` (doubling from 1)."""
    k = 1
    while True:
        if loaded.seconds(k, 1) >= min_seconds / 4 or k >= 1 << 20:
            return max(1, int(k * min_seconds / max(loaded.seconds(k, 1), 1e-9)))
        k *= 4


def measure(items: Sequence[tuple[Microbenchmark, int]], table: CostTable, settings: CalibrationSettings,
            count_classes: bool) -> list[Measurement]:
    """Times each (microbenchmark, size) and models the same run with `table` (see `Measurement`).

    The runs are interleaved: each of `settings.repeats` rounds times every item once, and an item keeps
    its fastest round, so a stretch of load on the machine slows one round of every item, not every
    round of one."""
    loaded = [_Loaded(benchmark, size) for benchmark, size in items]
    loops = [_loops_for(item, settings.min_seconds) for item in loaded]
    best = [item.seconds(k, 1) for item, k in zip(loaded, loops)]  # warm up (specialization, caches)
    for round_index in range(settings.repeats):
        for index, (item, k) in enumerate(zip(loaded, loops)):
            best[index] = min(best[index], item.seconds(k, 1))
        settings.progress(f"timed round {round_index + 1}/{settings.repeats}")
    indicators = [_zero_table({name: float(i == index) for i, name in enumerate(CLASS_NAMES)},
                              float(index == len(CLASS_NAMES))) for index in range(len(CLASS_NAMES) + 1)]
    measurements = []
    for (benchmark, size), item, k, seconds in zip(items, loaded, loops, best):
        class_counts: tuple[float, ...] = ()
        if count_classes:
            class_counts = tuple(_model(item, k, indicator).cost / k for indicator in indicators)
        count = _model(item, k, table)
        operations = {t.operation: (t.calls / k, t.units / k, t.items / k) for t in count.operations}
        measurements.append(Measurement(benchmark.name, size, seconds / k, (count.cost - count.operation_cost) / k,
                                        class_counts, operations))
    return measurements


def operations_started(benchmark: Microbenchmark, size: int, loops: int = 2) -> tuple[str, ...]:
    """The costed operations one run of `benchmark` at `size` starts (stage-1 loops must start none)."""
    loaded = _Loaded(benchmark, size)
    zero = _zero_table({name: 0.0 for name in CLASS_NAMES}, 0.0)
    return tuple(tally.operation for tally in _model(loaded, loops, zero).operations)


def _model(loaded: _Loaded, k: int, table: CostTable):
    meter = CostMeter(table)
    items = list(range(k))
    return meter.run_copies(loaded.code, loaded.instrumented, "run", [(items, loaded.data())],
                            [(items, loaded.data())])


def _nonnegative_least_squares(matrix: np.ndarray, target: np.ndarray) -> np.ndarray:
    """min ||A x − b|| over x >= 0 (Lawson and Hanson 1974, active-set), for the few columns used here."""
    columns = matrix.shape[1]
    passive = np.zeros(columns, dtype=bool)
    x = np.zeros(columns)
    for _ in range(3 * columns + 10):
        gradient = matrix.T @ (target - matrix @ x)
        candidates = (~passive) & (gradient > 1e-12 * max(1.0, float(np.abs(gradient).max())))
        if not candidates.any():
            break
        passive[np.argmax(np.where(candidates, gradient, -np.inf))] = True
        while True:
            z = np.zeros(columns)
            z[passive] = np.linalg.lstsq(matrix[:, passive], target, rcond=None)[0]
            if (z[passive] > 0).all():
                x = z
                break
            negative = passive & (z <= 0)
            alpha = np.min(x[negative] / np.maximum(x[negative] - z[negative], 1e-300))
            x = x + alpha * (z - x)
            passive &= x > 1e-15
    return x


def _fit(rows: np.ndarray, target: np.ndarray, measured: np.ndarray, name: str) -> tuple[np.ndarray, Fit]:
    """Non-negative coefficients for rows · coefficients ≈ target, each row's error relative to its `measured`
    run time (what the model must predict); and the fit's error."""
    scale = 1.0 / np.maximum(measured, 1e-12)
    coefficients = _nonnegative_least_squares(rows * scale[:, None], target * scale)
    relative = (rows @ coefficients - target) * scale
    return coefficients, Fit(name, len(target), float(np.sqrt(np.mean(relative ** 2))), float(np.abs(relative).max()))


def fit_instructions(measurements: Sequence[Measurement]) -> tuple[dict[str, float], float, Fit]:
    """Stage 1: nanoseconds per instruction class and per frame from pure-Python loops."""
    rows = np.array([m.class_counts for m in measurements])
    target = np.array([m.seconds * 1e9 for m in measurements])
    coefficients, fit = _fit(rows, target, target, "instructions")
    return {name: float(coefficients[i]) for i, name in enumerate(CLASS_NAMES)}, float(coefficients[-1]), fit


def _charged(coefficients: OperationCoefficients, calls: float, units: float, items: float) -> float:
    return coefficients.base_ns * calls + coefficients.per_unit_ns * units + coefficients.per_item_ns * items


def fit_operation(operation: str, measurements: Sequence[Measurement],
                  fitted: dict[str, OperationCoefficients]) -> tuple[OperationCoefficients, Fit]:
    """Stage 2: one operation's coefficients from its loops: what each run takes beyond its modelled
    instructions and the operations fitted before, on (calls, units, items) of this operation."""
    rows, target, measured = [], [], []
    for m in measurements:
        calls, units, items = m.operations.get(operation, (0.0, 0.0, 0.0))
        known = sum(_charged(fitted[name], c, u, i) for name, (c, u, i) in m.operations.items()
                    if name != operation and name in fitted)
        rows.append((calls, units, items))
        target.append(m.seconds * 1e9 - m.instruction_ns - known)
        measured.append(m.seconds * 1e9)
    matrix = np.array(rows)
    used = matrix.any(axis=0)
    coefficients = np.zeros(3)
    coefficients[used], fit = _fit(matrix[:, used], np.array(target), np.array(measured), operation)
    return OperationCoefficients(*map(float, coefficients)), fit


def calibrate(settings: CalibrationSettings = CalibrationSettings(),
              base_table: CostTable | None = None) -> tuple[CostTable, list[Fit]]:
    """Measures every coefficient (see the module docstring). All loops are timed in the same
    interleaved rounds, so a change of load on the machine affects both stages alike; then stage 1
    is fitted, and stage 2 operation by operation. With `settings.operations`, only those operations
    are measured, the instruction classes and the other operations coming from `base_table`."""
    fits: list[Fit] = []
    refit_instructions = settings.operations is None or base_table is None
    wanted = set(settings.operations or OPERATIONS)
    stage1_items = [(benchmark, 0) for benchmark in INSTRUCTION_BENCHMARKS] if refit_instructions else []
    stage2_items = [(benchmark, size) for benchmark in OPERATION_BENCHMARKS if benchmark.operation in wanted
                    for size in benchmark.sizes]
    settings.progress(f"timing {len(stage1_items)} instruction loops and {len(stage2_items)} operation loops, "
                      f"{settings.repeats} interleaved rounds")
    measured = measure(stage1_items + stage2_items, _zero_table({n: 0.0 for n in CLASS_NAMES}, 0.0), settings, True)
    stage1, stage2 = measured[:len(stage1_items)], measured[len(stage1_items):]
    costed = sorted({m.name for m in stage1 if m.operations})
    if costed:
        raise ValueError(f"instruction loops {costed} start costed operations; stage 1 must be pure instructions")
    if refit_instructions:
        instruction_ns, frame_ns, fit = fit_instructions(stage1)
        fits.append(fit)
    else:
        instruction_ns, frame_ns = dict(base_table.instruction_ns), base_table.frame_ns
    weights = np.array([instruction_ns[name] for name in CLASS_NAMES] + [frame_ns])
    for m in stage1:
        settings.progress(f"instructions: {m.name:26} {m.seconds * 1e9:9.1f} ns per loop, modelled "
                          f"{float(np.dot(weights, m.class_counts)):9.1f}")
    settings.progress("instructions: " + ", ".join(f"{name} {value:.1f}" for name, value in instruction_ns.items())
                      + f", frame {frame_ns:.1f} ns")
    stage2 = [dataclasses.replace(m, instruction_ns=float(np.dot(weights, m.class_counts))) for m in stage2]
    fitted: dict[str, OperationCoefficients] = {}
    for operation in _FIT_ORDER:
        if operation not in wanted:
            fitted[operation] = base_table.operations[operation]
            continue
        names = {b.name for b in OPERATION_BENCHMARKS if b.operation == operation}
        fitted[operation], fit = fit_operation(operation, [m for m in stage2 if m.name in names], fitted)
        fits.append(fit)
        c = fitted[operation]
        settings.progress(f"operation: {operation:18} base {c.base_ns:8.1f} ns  per unit {c.per_unit_ns:7.3f} ns  "
                          f"per item {c.per_item_ns:7.3f} ns  (relative error {fit.relative_rms:.2f})")
    table = CostTable(version=TABLE_VERSION, python=_python(), instruction_ns=instruction_ns, frame_ns=frame_ns,
                      operations={name: fitted[name] for name in OPERATIONS})
    return table, fits
