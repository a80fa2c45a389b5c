"""Measurements run inside a worker: fresh-state passes, their timing, executed-instruction counts.

Every measured pass starts from nothing the program left behind: its module is executed
anew into fresh globals (part of the pass; compiling is not) and the workload's argument
tuples are fresh copies made before the clock starts. So no cache, global, class or
function attribute, or `lru_cache` carries over from one pass to the next, and the
program's namespace holds nothing of the harness.

`CLOCK` (wall) and `CPU_CLOCK` (the worker thread's CPU time; the process-wide CPU clock
is only tick-grained once the sandbox sets RLIMIT_CPU) are bound when this module is
imported, before any untrusted code is loaded, so a program that patches `time.perf_counter`
(or `time`, `timeit`, builtins) changes nothing the harness reads.
"""

from __future__ import annotations

import builtins
import copy
import dataclasses
import math
import pickle
import statistics
import sys
import time
from typing import Any, Callable, Sequence

CLOCK: Callable[[], float] = time.perf_counter
CPU_CLOCK: Callable[[], float] = time.thread_time  # this thread's CPU seconds: blind to preemption
Calls = Sequence[tuple]
PROGRAM_MODULE_NAME = "program"


class ArgumentCopier:
    """Makes fresh copies of a workload's argument tuples, sharing no object with them.

    Pickles the calls once and unpickles a copy each time (C speed) where the values allow
    it, else uses `copy.deepcopy`. Either way strings and other values come back as new
    objects, so a cache keyed by argument identity cannot recognise a later pass's arguments."""

    def __init__(self, calls: Calls):
        self.calls: list[tuple] | None = list(calls)
        try:
            self.pickled: bytes | None = pickle.dumps(self.calls, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.loads(self.pickled)
            self.calls = None  # the bytes are all a copy needs
        except Exception:
            self.pickled = None

    def copy(self) -> list[tuple]:
        if self.pickled is not None:
            return pickle.loads(self.pickled)
        return copy.deepcopy(self.calls)


def fresh_copies(calls: Calls) -> list[tuple]:
    """One fresh copy of the argument tuples (see `ArgumentCopier`)."""
    return ArgumentCopier(calls).copy()


def fresh_namespace() -> dict[str, Any]:
    """Globals for one execution of a program: only its name and the builtins."""
    return {"__name__": PROGRAM_MODULE_NAME, "__builtins__": builtins}


class ProgramNotCallable(Exception):
    """Executing the program did not define the entry point as a callable."""


def load_function(code, entry_point: str) -> Callable:
    """Executes the program's code object into fresh globals; returns its entry point."""
    namespace = fresh_namespace()
    exec(code, namespace)
    function = namespace.get(entry_point)
    if not callable(function):
        raise ProgramNotCallable(f"the program defines no function {entry_point!r}")
    return function


@dataclasses.dataclass(frozen=True)
class TimedPasses:
    """`loops` fresh-state passes: total wall and CPU seconds, and the outputs of the first and last pass."""

    seconds: float
    cpu_seconds: float
    first_outputs: list[Any]
    last_outputs: list[Any]


def timed_passes(code, entry_point: str, copies: list[list[tuple]]) -> TimedPasses:
    """Times `len(copies)` passes; each executes the module anew, then makes every call.

    `copies[k]` holds the argument tuples of pass k (from `fresh_copies`). Exceptions
    from the program propagate to the caller. Only the first and the last pass's outputs
    are kept: every other pass's are released by the next pass, on the clock, so each
    pass pays for freeing what it made (as a caller would) and the heap does not grow with
    the pass count, which differs between the two sides of a pair."""
    first: list[Any] | None = None
    last: list[Any] | None = None
    cpu_start = CPU_CLOCK()
    start = CLOCK()
    for calls in copies:
        function = load_function(code, entry_point)
        last = [function(*args) for args in calls]
        if first is None:
            first = last
    seconds = CLOCK() - start
    cpu_seconds = CPU_CLOCK() - cpu_start
    return TimedPasses(seconds=seconds, cpu_seconds=cpu_seconds, first_outputs=first, last_outputs=last)


def calibrate_loops(seconds_per_pass: float, min_seconds: float, max_loops: int = 1000) -> int:
    """Smallest pass count whose measurement lasts at least `min_seconds`."""
    if seconds_per_pass <= 0:
        return max_loops
    return max(1, min(max_loops, int(min_seconds / seconds_per_pass) + 1))


@dataclasses.dataclass(frozen=True)
class PairedTiming:
    """Paired speedup of a candidate over the original; times are seconds per pass.

    `speedup` is the median of the per-round ratios original/candidate, `speedup_low` /
    `speedup_high` their 25th / 75th percentiles, `speedup_cv` their coefficient of
    variation; `speedup_cold` the ratio of the two sides' first (cold) passes."""

    speedup: float
    speedup_low: float
    speedup_high: float
    speedup_cv: float
    speedup_cold: float
    time_original: float
    time_candidate: float
    loops: int
    rounds: int


def _percentile(sorted_values: list[float], q: float) -> float:
    position = q * (len(sorted_values) - 1)
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


def median_interval(values: Sequence[float]) -> float:
    """Half-width of the ~95% interval of the median over the median: 1.57 IQR / sqrt(n)
    (McGill, Tukey and Larsen 1978, the notch of a box plot); inf for fewer than 3 values."""
    if len(values) < 3:
        return math.inf
    ordered = sorted(values)
    middle = statistics.median(ordered)
    spread = _percentile(ordered, 0.75) - _percentile(ordered, 0.25)
    return 1.57 * spread / math.sqrt(len(ordered)) / middle if middle > 0 else math.inf


def summarize_pairs(original_seconds: Sequence[float], candidate_seconds: Sequence[float], loops: int,
                    cold_original: float, cold_candidate: float) -> PairedTiming:
    """Speedup statistics from per-round seconds per pass on each side (`loops`: the
    candidate's passes per measurement, reported)."""
    ratios = [o / max(c, 1e-9) for o, c in zip(original_seconds, candidate_seconds)]
    ordered = sorted(ratios)
    mean = statistics.fmean(ratios)
    return PairedTiming(
        speedup=statistics.median(ratios), speedup_low=_percentile(ordered, 0.25),
        speedup_high=_percentile(ordered, 0.75),
        speedup_cv=statistics.pstdev(ratios) / mean if mean > 0 else 0.0,
        speedup_cold=cold_original / max(cold_candidate, 1e-9),
        time_original=statistics.median(original_seconds),
        time_candidate=statistics.median(candidate_seconds), loops=loops, rounds=len(ratios))


# A candidate counted on the original's slice stops at max(cap, this x the original's count).
CANDIDATE_CAP_FACTOR = 8


class _CapReached(BaseException):
    """Raised by the tracer when a count passes its cap (stops the pass)."""


@dataclasses.dataclass(frozen=True)
class OpCount:
    """Instructions of one fresh-state pass over the workload's first `calls` calls (module included).

    `capped`: the pass passed the cap during the call after those, which is not counted."""

    count: int
    calls: int
    capped: bool


class OpcodeCounter:
    """Counts executed bytecode instructions with `sys.settrace` opcode events, up to `cap` (None: no cap).

    The per-instruction tracer is a closure over a local counter that returns itself (no
    attribute write, no bound method made per event); line events are off."""

    def __init__(self, cap: int | None = None) -> None:
        self.cap = sys.maxsize if cap is None else cap

    def _tracers(self):
        """The tracer for new frames, and the cell holding the count (read without a traced frame)."""
        cap = self.cap
        count = 0

        def local(frame, event, arg):
            nonlocal count
            if event == "opcode":
                count += 1
                if count > cap:
                    raise _CapReached
            return local

        def new_frame(frame, event, arg):
            frame.f_trace_opcodes = True
            frame.f_trace_lines = False
            return local

        cell = local.__closure__[local.__code__.co_freevars.index("count")]
        return new_frame, cell

    def run(self, code, entry_point: str, calls: Calls) -> OpCount:
        """Instructions of one fresh-state pass: the module executed anew, then the calls in order
        (callees included) on fresh copies of the arguments, until the count passes the cap.

        Raises RuntimeError if the traced code removed or replaced the tracer, since the
        count would then be meaningless (and a too-low count would be a reward hack)."""
        return self.run_copies(code, entry_point, fresh_copies(calls))

    def run_copies(self, code, entry_point: str, copies: list[tuple]) -> OpCount:
        """`run` on argument tuples already copied (`fresh_copies`); the pass may mutate them."""
        tracer, cell = self._tracers()
        cap, done, finished = self.cap, 0, 0  # count after the last call finished within the cap
        previous = sys.gettrace()
        sys.settrace(tracer)
        try:
            namespace = fresh_namespace()  # inline, not load_function: its frame would be counted
            exec(code, namespace)
            function = namespace[entry_point]
            done = cell.cell_contents  # a cell read runs no Python frame, so nothing extra is counted
            for args in copies:
                function(*args)
                if cell.cell_contents > cap:  # the program swallowed _CapReached
                    break
                finished += 1
                done = cell.cell_contents
        except _CapReached:
            if cell.cell_contents <= cap:
                raise  # the program raised it itself: not a stop at the cap
        finally:
            tampered = sys.gettrace() is not tracer
            sys.settrace(previous)
        capped = cell.cell_contents > cap
        if tampered and not capped:
            raise RuntimeError("the program removed or replaced the trace function; the op count is void")
        return OpCount(count=done, calls=finished, capped=capped)
