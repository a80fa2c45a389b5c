"""Frozen, pickleable records that cross the trainer / worker boundary.

Workers answer in JSON (never pickle: a hostile candidate owns the worker process, and
unpickling its bytes could run code in the trainer). The parent turns the JSON into a
`ScoreRecord` with `record_from_fields`, which never raises: malformed answers become
a `crash` record.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping

OK = "ok"
SYNTAX_ERROR = "syntax_error"
TEST_FAILURE = "test_failure"
EXCEPTION = "exception"
TIMEOUT = "timeout"
CRASH = "crash"
MEMORY_LIMIT = "memory_limit"
OUTPUT_LIMIT = "output_limit"
# The measurement cannot be trusted: the candidate altered the interpreter (clock, builtins, gc,
# modules, threads left running), ran while the other side was timed, answered differently while
# timed than while tested, or carried state from one timed pass to the next.
VOIDED = "voided"
STATUSES = (OK, SYNTAX_ERROR, TEST_FAILURE, EXCEPTION, TIMEOUT, CRASH, MEMORY_LIMIT, OUTPUT_LIMIT, VOIDED)

# Differential check outcomes.
MATCH = "match"
MISMATCH = "mismatch"
DIFF_ERROR = "error"
SKIPPED = "skipped"
DIFFERENTIAL_RESULTS = (MATCH, MISMATCH, DIFF_ERROR, SKIPPED)


@dataclasses.dataclass(frozen=True)
class ScoreOptions:
    """What to measure for a candidate (part of the cache key).

    Attributes:
      tests: run the problem's `check(candidate)`.
      differential: compare candidate and original outputs on the workload calls.
      timing: paired timing against the original (only for valid candidates): original and
        candidate in two separate worker processes, measured one at a time in ABBA order,
        every pass from freshly executed code on fresh argument copies.
      opcount: executed bytecode instructions on one fresh-state workload pass (deterministic).
      opcount_cap: the original's count stops after this many instructions (about a second
        traced); both sides are then counted on the workload calls it finished (its slice).
      cost: the cost model's modelled nanoseconds of one fresh-state workload pass
        (deterministic; `scoring.cost_model`): instructions weighted by class, Python frames,
        and the C-level work of membership tests, sorts, scans, copies, joins and the like.
      cost_cap: the original's cost stops after this many modelled nanoseconds; both sides are
        then measured on the workload calls it finished (its slice), as with `opcount_cap`.
      timing_rounds: least number of (original, candidate) pairs; the speedup is their median
        ratio. More rounds follow, up to `timing_max_rounds`, while the ~95% interval of that
        median (1.57 IQR / sqrt(n)) is wider than +-`timing_target_interval` of it.
      timing_min_seconds: the pass count is calibrated so one measurement lasts at least this.
    """

    tests: bool = True
    differential: bool = True
    timing: bool = False
    opcount: bool = False
    opcount_cap: int = 5_000_000
    cost: bool = False
    cost_cap: int = 50_000_000
    timing_rounds: int = 7
    timing_min_seconds: float = 0.005
    timing_max_rounds: int = 15
    timing_target_interval: float = 0.02

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class StaticMetrics:
    """Static size and complexity of a program (no execution)."""

    tokens: int
    ast_nodes: int
    complexity: int


@dataclasses.dataclass(frozen=True)
class ScoreRecord:
    """Everything the scoring service learned about one candidate.

    `speedup` is original time / candidate time (> 1 is faster), the median of the paired
    ratios; `speedup_low` / `speedup_high` are their 25th / 75th percentiles and
    `speedup_cv` their coefficient of variation, `speedup_cold` the ratio of the two sides'
    first (cold) passes, `timing_rounds` the pairs measured. `op_count` / `op_count_original` are
    executed bytecode instructions over one fresh-state pass of the workload's first `op_count_calls`
    of its `workload_calls` calls (all of them unless the original's count passed its cap; 0 when
    even the first call did, and then the counts are None and `detail` says so). `cost` / `cost_original`
    are the cost model's modelled nanoseconds over the first `cost_calls` workload calls (the same
    calls for both; its own cap, likewise). `phase` is the phase a failed job failed in ("load",
    "tests", "differential", "opcount", "cost", "timing"; for a worker killed
    at a deadline, the phase it was in), else the last one it ran. Unmeasured fields are None.
    """

    status: str
    detail: str = ""
    traceback: str = ""
    tests_passed: int = 0
    tests_total: int = 0
    differential: str = SKIPPED
    speedup: float | None = None
    speedup_low: float | None = None
    speedup_high: float | None = None
    speedup_cv: float | None = None
    speedup_cold: float | None = None
    time_original: float | None = None
    time_candidate: float | None = None
    timing_loops: int | None = None
    timing_rounds: int | None = None
    op_count: int | None = None
    op_count_original: int | None = None
    op_count_calls: int | None = None
    workload_calls: int | None = None
    cost: int | None = None
    cost_original: int | None = None
    cost_calls: int | None = None
    static: StaticMetrics | None = None
    output: str = ""
    problem_error: str = ""
    phase: str = ""
    cached: bool = False
    worker_seconds: float = 0.0

    @property
    def valid(self) -> bool:
        """Runs, passes its tests and does not differ from the original."""
        return self.status == OK and self.differential in (MATCH, SKIPPED)

    @property
    def op_ratio(self) -> float | None:
        """op_count / op_count_original, both on the same `op_count_calls` calls (< 1: fewer instructions)."""
        if self.op_count is None or not self.op_count_original:
            return None
        return self.op_count / self.op_count_original

    @property
    def cost_ratio(self) -> float | None:
        """cost / cost_original, both on the same `cost_calls` calls (< 1: cheaper by the cost model)."""
        if self.cost is None or not self.cost_original:
            return None
        return self.cost / self.cost_original

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class JobOutcome:
    """What a worker learns about one candidate while it evaluates it (worker side, mutable).

    Sent to the parent as JSON (`to_json`), which rebuilds a `ScoreRecord` with
    `record_from_fields`: the parent never trusts these values without checking them."""

    status: str = OK
    detail: str = ""
    traceback: str = ""
    tests_passed: int = 0
    tests_total: int = 0
    differential: str = SKIPPED
    op_count: int | None = None
    op_count_original: int | None = None
    op_count_calls: int | None = None
    workload_calls: int | None = None
    cost: int | None = None
    cost_original: int | None = None
    cost_calls: int | None = None
    static: StaticMetrics | None = None
    output: str = ""
    problem_error: str = ""
    phase: str = ""
    worker_seconds: float = 0.0

    def enter(self, phase: str) -> None:
        """Marks the start of a phase; a failed job keeps the phase it failed in."""
        if self.status == OK:
            self.phase = phase

    def fail(self, status: str, detail: str, **details: Any) -> None:
        """Ends the candidate's evaluation with `status`; `details` set named fields (e.g. traceback)."""
        self.status, self.detail = status, detail
        for name, value in details.items():
            if name not in _OUTCOME_FIELDS:
                raise TypeError(f"JobOutcome has no field {name!r}")
            setattr(self, name, value)

    def void(self, status: str, detail: str) -> None:
        """Like `fail`, and drops every measurement (an untrusted number is no number)."""
        self.fail(status, detail)
        self.op_count = self.op_count_original = self.op_count_calls = None
        self.cost = self.cost_original = self.cost_calls = None

    @property
    def passing(self) -> bool:
        """Still ok and not differing from the original (so far)."""
        return self.status == OK and self.differential != MISMATCH

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_OUTCOME_FIELDS = frozenset(field.name for field in dataclasses.fields(JobOutcome))

_FLOAT_FIELDS = ("speedup", "speedup_low", "speedup_high", "speedup_cv", "speedup_cold", "time_original",
                 "time_candidate")
_INT_FIELDS = ("tests_passed", "tests_total", "timing_loops", "timing_rounds", "op_count",
               "op_count_original", "op_count_calls", "workload_calls", "cost", "cost_original", "cost_calls")
_STR_FIELDS = ("detail", "traceback", "output", "problem_error", "phase")
_MAX_TEXT = 4000


def failure(status: str, detail: str, **extra: Any) -> ScoreRecord:
    """A record for a candidate that could not be scored normally."""
    return ScoreRecord(status=status, detail=detail[:_MAX_TEXT], **extra)


def _static_from_fields(value: Any) -> StaticMetrics | None:
    if not isinstance(value, Mapping):
        return None
    numbers = [value.get(name) for name in ("tokens", "ast_nodes", "complexity")]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers):
        return None
    return StaticMetrics(*numbers)


def record_from_fields(fields: Any) -> ScoreRecord:
    """Builds a ScoreRecord from a worker's JSON answer; never raises."""
    if not isinstance(fields, Mapping) or fields.get("status") not in STATUSES:
        return failure(CRASH, "worker sent a malformed result")
    values: dict[str, Any] = {"status": fields["status"], "static": _static_from_fields(fields.get("static"))}
    differential = fields.get("differential", SKIPPED)
    values["differential"] = differential if differential in DIFFERENTIAL_RESULTS else DIFF_ERROR
    for name in _FLOAT_FIELDS:
        value = fields.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            values[name] = float(value)
    for name in _INT_FIELDS:
        value = fields.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            values[name] = value
    for name in _STR_FIELDS:
        value = fields.get(name)
        if isinstance(value, str):
            values[name] = value[:_MAX_TEXT]
    seconds = fields.get("worker_seconds")
    if isinstance(seconds, (int, float)) and math.isfinite(seconds):
        values["worker_seconds"] = float(seconds)
    return ScoreRecord(**values)
