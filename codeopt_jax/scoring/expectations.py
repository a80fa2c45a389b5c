"""Expected values for generated problems, run inside a sandboxed worker: the original on its check inputs.

A generated problem comes as a harness (`generator.draft.harness_source`): the program, a
`workload()` and a `check_inputs()` listing the argument tuples `check` will call the
target with. `compute_expectations` calls the original twice on fresh copies of every check
input (results must agree: deterministic; arguments must come back unchanged: no
mutation), writes each result as Python source (`synthesis.literal_source`), and runs the
workload twice with the same checks, timing the first pass (wall clock and this thread's
CPU time, which a busy machine does not inflate). The workload passes run on the workload's
own arguments (no copies: building and copying large arguments costs more than the pass), and
a fingerprint of the arguments before and after shows any mutation (`fingerprint`: a hash of
their repr, a C-speed walk; generated arguments are plain ints, floats, strs, tuples, lists
and dicts, whose repr is exact). Whatever
fails becomes the result's `reason` (a short category, `REASONS`) and `detail`; the trainer
never sees an exception, only this record as JSON.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import time
from typing import Any, Callable

from codeopt_jax.scoring import checks
from codeopt_jax.scoring.measure import CPU_CLOCK
from codeopt_jax.scoring.synthesis import literal_source

CHECK_INPUTS_FUNCTION = "check_inputs"

HARNESS_ERROR = "harness_error"          # the harness does not load, or lacks a piece
RAISES = "raises"                        # the original raises on a check input or the workload
MUTATES_ARGUMENTS = "mutates_arguments"  # the original changes an argument
NONDETERMINISTIC = "nondeterministic"    # two runs on the same input differ
PRINTS = "prints"                        # the original writes to stdout / stderr
UNWRITABLE_OUTPUT = "unwritable_output"  # a result that Python source cannot hold (or too long)
REASONS = (HARNESS_ERROR, RAISES, MUTATES_ARGUMENTS, NONDETERMINISTIC, PRINTS, UNWRITABLE_OUTPUT)


@dataclasses.dataclass(frozen=True)
class ExpectationOptions:
    """Settings of one expectations job."""

    budget_seconds: float = 30.0      # the whole job (the pool kills the worker past it)
    max_pass_seconds: float = 1.0     # a first workload pass slower than this is not run again
    max_output_chars: int = 4000      # the literal of one expected value

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class ExpectationResult:
    """What the original does on its check inputs and workload; `reason` is "" when all is well.

    Attributes:
      outputs: one Python literal (source text) per check input, in order.
      pass_seconds: the original's wall-clock time for its first workload pass.
      pass_cpu_seconds: the same pass in this thread's CPU time (blind to preemption).
      workload_calls: calls in the workload.
      reason: a category from REASONS (or a pool status such as "timeout"), "" when usable.
      detail: what went wrong, for people.
    """

    outputs: tuple[str, ...] = ()
    pass_seconds: float = 0.0
    pass_cpu_seconds: float = 0.0
    workload_calls: int = 0
    reason: str = ""
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, fields: dict[str, Any]) -> "ExpectationResult":
        """The record from a worker's JSON; a malformed answer becomes a `crash` result."""
        try:
            outputs = tuple(str(o) for o in fields.get("outputs", ()))
            return cls(outputs=outputs, pass_seconds=float(fields.get("pass_seconds", 0.0)),
                       pass_cpu_seconds=float(fields.get("pass_cpu_seconds", 0.0)),
                       workload_calls=int(fields.get("workload_calls", 0)), reason=str(fields.get("reason", "")),
                       detail=str(fields.get("detail", ""))[:2000])
        except (TypeError, ValueError, AttributeError) as exc:
            return cls(reason="crash", detail=f"malformed expectations result: {exc}")


class _Reject(Exception):
    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _run(function: Callable, args: tuple, what: str) -> tuple[Any, tuple]:
    """(result, arguments afterwards) of a call on a fresh copy of `args`."""
    fresh = copy.deepcopy(args)
    try:
        return function(*fresh), fresh
    except Exception as exc:
        raise _Reject(RAISES, f"the original raised {type(exc).__name__} on {what}: {exc}") from None


def _twice(function: Callable, args: tuple, what: str) -> Any:
    """The result of two calls on copies of `args`, which must agree and leave `args` as they were."""
    first, after = _run(function, args, what)
    second, _ = _run(function, args, what)
    if checks.output_digest(after) != checks.output_digest(args):
        raise _Reject(MUTATES_ARGUMENTS, f"the original changes its arguments on {what}")
    if checks.output_digest(first) != checks.output_digest(second):
        raise _Reject(NONDETERMINISTIC, f"two calls on {what} return different results: "
                                        f"{checks.short_repr(first)} and {checks.short_repr(second)}")
    return first


def fingerprint(value: Any) -> str:
    """A hash of `value`'s repr (falls back to `checks.output_digest` where repr fails, e.g. huge ints).

    Within one process it changes when the value does: used to compare the same objects before and
    after a pass, and two passes' results (the same code on the same inputs)."""
    try:
        text = repr(value)
    except Exception:
        return checks.output_digest(value)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _pass(function: Callable, calls: list[tuple], pristine: str) -> tuple[float, float, str]:
    """(seconds, CPU seconds, digest of the results) of one workload pass over the calls' own
    arguments; rejects a pass that leaves them different from `pristine` (their digest before)."""
    outputs = []
    start, cpu_start = time.perf_counter(), CPU_CLOCK()
    try:
        for args in calls:
            outputs.append(function(*args))
    except Exception as exc:
        raise _Reject(RAISES, f"the original raised {type(exc).__name__} on the workload: {exc}") from None
    seconds, cpu_seconds = time.perf_counter() - start, CPU_CLOCK() - cpu_start
    if fingerprint(calls) != pristine:
        raise _Reject(MUTATES_ARGUMENTS, "the original changes the workload's arguments")
    return seconds, cpu_seconds, fingerprint(outputs)


def compute_expectations(namespace: dict[str, Any], entry_point: str,
                         options: ExpectationOptions = ExpectationOptions()) -> ExpectationResult:
    """Runs the checks of the module docstring on a loaded harness; never raises for what the code does."""
    try:
        return _compute(namespace, entry_point, options)
    except _Reject as reject:
        return ExpectationResult(reason=reject.reason, detail=reject.detail)


def _compute(namespace: dict[str, Any], entry_point: str, options: ExpectationOptions) -> ExpectationResult:
    original, inputs_function = namespace.get(entry_point), namespace.get(CHECK_INPUTS_FUNCTION)
    if not callable(original) or not callable(inputs_function) or not callable(namespace.get("workload")):
        raise _Reject(HARNESS_ERROR, f"the harness lacks {entry_point}(), {CHECK_INPUTS_FUNCTION}() or workload()")
    try:
        inputs, calls = inputs_function(), namespace["workload"]()
    except Exception as exc:
        raise _Reject(HARNESS_ERROR, f"building the inputs raised {type(exc).__name__}: {exc}") from None
    for name, value in ((CHECK_INPUTS_FUNCTION, inputs), ("workload", calls)):
        if not isinstance(value, list) or not value or not all(isinstance(args, tuple) for args in value):
            raise _Reject(HARNESS_ERROR, f"{name}() must return a non-empty list of argument tuples")
    outputs = []
    for index, args in enumerate(inputs):
        result = _twice(original, args, f"check input {index} {checks.short_repr(args, 80)}")
        try:
            text = literal_source(result)
        except ValueError as exc:
            raise _Reject(UNWRITABLE_OUTPUT, f"check input {index}: the result has no literal ({exc})") from None
        if len(text) > options.max_output_chars:
            raise _Reject(UNWRITABLE_OUTPUT, f"check input {index}: the result's literal has {len(text)} characters "
                                             f"(at most {options.max_output_chars})")
        outputs.append(text)
    pristine = fingerprint(calls)
    seconds, cpu_seconds, first = _pass(original, calls, pristine)
    if seconds <= options.max_pass_seconds:
        if _pass(original, calls, pristine)[2] != first:
            raise _Reject(NONDETERMINISTIC, "two workload passes return different results")
    return ExpectationResult(outputs=tuple(outputs), pass_seconds=seconds, pass_cpu_seconds=cpu_seconds,
                             workload_calls=len(calls))
