"""Measurements run inside a worker: paired timing and executed-instruction counts."""

from __future__ import annotations

import dataclasses
import gc
import statistics
import sys
import time
from typing import Callable, Sequence

Calls = Sequence[tuple]


def run_pass(fn: Callable, calls: Calls, loops: int) -> float:
    """Seconds for `loops` passes over the calls (garbage collection stays on)."""
    start = time.perf_counter()
    for _ in range(loops):
        for args in calls:
            fn(*args)
    return time.perf_counter() - start


def calibrate_loops(seconds_per_pass: float, min_seconds: float, max_loops: int = 10_000) -> int:
    """Smallest loop count whose measurement lasts at least `min_seconds`."""
    if seconds_per_pass <= 0:
        return max_loops
    return max(1, min(max_loops, int(min_seconds / seconds_per_pass) + 1))


@dataclasses.dataclass(frozen=True)
class PairedTiming:
    """Paired speedup of a candidate over the original; times are seconds per pass."""

    speedup: float
    speedup_low: float
    speedup_high: float
    speedup_cv: float
    time_original: float
    time_candidate: float
    loops: int


def _percentile(sorted_values: list[float], q: float) -> float:
    position = q * (len(sorted_values) - 1)
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


def paired_timing(original: Callable, candidate: Callable, calls: Calls, rounds: int,
                  loops: int) -> PairedTiming:
    """Times original and candidate interleaved in ABBA order; speedup = median ratio.

    Each round measures both versions back to back (alternating which goes first, so
    drift and cache warmth hit both alike) and contributes one ratio original/candidate.
    """
    ratios, originals, candidates = [], [], []
    run_pass(original, calls, 1)  # warm both
    run_pass(candidate, calls, 1)
    for index in range(rounds):
        gc.collect()
        if index % 2 == 0:
            t_orig = run_pass(original, calls, loops)
            t_cand = run_pass(candidate, calls, loops)
        else:
            t_cand = run_pass(candidate, calls, loops)
            t_orig = run_pass(original, calls, loops)
        t_cand = max(t_cand, 1e-9)
        ratios.append(t_orig / t_cand)
        originals.append(t_orig / loops)
        candidates.append(t_cand / loops)
    ordered = sorted(ratios)
    mean = statistics.fmean(ratios)
    cv = statistics.pstdev(ratios) / mean if mean > 0 else 0.0
    return PairedTiming(speedup=statistics.median(ratios), speedup_low=_percentile(ordered, 0.25),
                        speedup_high=_percentile(ordered, 0.75), speedup_cv=cv,
                        time_original=statistics.median(originals),
                        time_candidate=statistics.median(candidates), loops=loops)


class OpcodeCounter:
    """Counts executed bytecode instructions with `sys.settrace` opcode events."""

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

    def run(self, fn: Callable, calls: Calls) -> int:
        """Instructions executed by one pass over the calls, callees included.

        Raises RuntimeError if the traced code removed or replaced the tracer, since the
        count would then be meaningless (and a too-low count would be a reward hack)."""
        self.count = 0
        previous = sys.gettrace()
        sys.settrace(self._global)
        try:
            for args in calls:
                fn(*args)
        finally:
            tampered = sys.gettrace() != self._global
            sys.settrace(previous)
        if tampered:
            raise RuntimeError("the candidate changed the trace function; op count is void")
        return self.count
