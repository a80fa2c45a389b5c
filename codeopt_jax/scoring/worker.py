"""The scoring worker: a separate interpreter that runs untrusted candidates.

Started by `pool.WorkerPool` as `python -m codeopt_jax.scoring.worker` (a fresh
interpreter: nothing is forked from the trainer, JAX included). It confines itself
(`sandbox`), says `ready`, then answers jobs read from its job pipe. Before each phase
of a job it announces the phase and its time budget, so the pool can enforce a
wall-clock deadline per phase and kill the worker when one passes.

Jobs (JSON):
  {"kind": "ping"}                                   -> {"kind": "pong"}
  {"kind": "evaluate", "problem": {...}, "candidate": SOURCE, "options": {...}}
                                                     -> {"kind": "result", "fields": {...}}
  {"kind": "synthesize", "problem": {...}, "options": {...}}
                                                     -> {"kind": "result", "fields": SynthesisResult}
     (the problem's source holds the program and `check` but no workload; see `synthesis`)
  {"kind": "properties", "problem": {...}, "candidate": SOURCE, "options": {...}}
                                                     -> {"kind": "result", "fields": PropertyResult}
     (original and candidate on inputs drawn from the shapes of the tests' calls; see `properties`)
  {"kind": "expectations", "problem": {...}, "options": {...}}
                                                     -> {"kind": "result", "fields": ExpectationResult}
     (a generated problem's harness: the original on its check inputs and workload; see `expectations`)
Timing jobs, for a worker the pool uses as one side of a timing pair (`timing.py`):
  {"kind": "timing_load", "problem": {...}, "program": SOURCE, "probe_budget": S, "warm_up": BOOL}
                                                     -> {"kind": "timing_loaded", "probe": SECONDS,
                                                         "probe_cpu": CPU_SECONDS, "digest": HASH}
                                                        or a "timing_failed" message
  {"kind": "timing_pass", "loops": K, "verify": BOOL}
                                                     -> {"kind": "timing_passed", "seconds": SECONDS,
                                                         "cpu_seconds": CPU_SECONDS, "digests": [FIRST, LAST] (if verify, else []),
                                                         "violations": [...]}
A timing worker never holds the problem's expected outputs or its reference: it executes the
harness only to build the workload's arguments, then drops it.
"""

from __future__ import annotations

import argparse
import builtins
import contextlib
import copy
import dataclasses
import gc
import hashlib
import os
import resource
import sys
import time
import traceback
from collections import OrderedDict
from typing import Any, Callable, Iterator

from codeopt_jax.scoring import (checks, cost_instrument, cost_model, cost_table, expectations, measure, properties,
                                 protocol, records, sandbox, synthesis)
from codeopt_jax.scoring.static import static_metrics

_MAX_PROBLEM_STATES = 64
_MAX_TIMING_WORKLOADS = 16
_LOAD_BUDGET = 20.0
_TESTS_BUDGET = 10.0
_HYPOTHESIS_MODULES = ("hypothesis", "_hypothesis")  # their bookkeeping is not the candidate's doing
# Op-count deadline: the counts stop at caps (ScoreOptions.opcount_cap instructions for the original,
# at most CANDIDATE_CAP_FACTOR times more for the candidate), traced at well under this many seconds
# per instruction (results/bench_opcount.txt); the per-pass term covers C-level work no cap bounds.
_TRACED_SECONDS_PER_OP = 1e-6
# Cost deadline, likewise: the cost stops at ScoreOptions.cost_cap modelled nanoseconds for the original (at most
# CANDIDATE_CAP_FACTOR times more for the candidate); its two passes (hooks untraced, instructions traced) take
# well under this many seconds per modelled second.
_COST_SECONDS_PER_MODELLED_SECOND = 60.0


class _HarnessError(Exception):
    """The problem's harness lacks the function or `check` a job needs."""


class _Failure(Exception):
    """Ends a job early with a given status."""

    def __init__(self, status: str, detail: str, **extra: Any):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra


def harness_namespace(problem: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The problem file executed with its asserts counted (`checks.compile_counting`):
    (its namespace, whether the asserts are counted). Raises what the file raises."""
    code, counted = checks.compile_counting(problem["source"], f"<problem {problem['name']}>")
    namespace: dict[str, Any] = {"__name__": f"problem_{problem['name']}", "__builtins__": builtins}
    exec(code, namespace)
    return namespace, counted


@dataclasses.dataclass(frozen=True)
class EdgeCase:
    """One input of `edge_cases()` and what the original does with it."""

    args: tuple          # pristine arguments
    output: Any          # the original's result (None when it raises)
    args_after: tuple    # the arguments as the original leaves them
    raised: str          # the original's exception type name, "" when it returns


class ProblemState:
    """A problem loaded in this worker: harness namespace, workload calls, expected outputs."""

    def __init__(self, problem: dict[str, Any]):
        self.name = problem["name"]
        self.entry_point = problem["entry_point"]
        try:
            self.namespace, self.counted = harness_namespace(problem)
        except Exception as exc:
            raise self._problem_error(f"problem file raised {type(exc).__name__}: {exc}") from None
        self.original = self.namespace.get(self.entry_point)
        if not callable(self.original):
            raise self._problem_error(f"no function {self.entry_point!r}")
        try:
            calls = self.namespace["workload"]()
        except Exception as exc:
            raise self._problem_error(f"workload() raised {type(exc).__name__}: {exc}") from None
        if not isinstance(calls, list) or not calls or not all(isinstance(c, tuple) for c in calls):
            raise self._problem_error("workload() must return a non-empty list of argument tuples")
        self.calls = calls
        self.pristine = copy.deepcopy(calls)
        self.expected: list[Any] = []
        self.expected_args: list[tuple] = []  # the arguments as the original leaves them
        self.expected_time = 0.0  # seconds per workload pass of the original (copies excluded)
        try:
            for args in calls:
                fresh = copy.deepcopy(args)
                start = time.perf_counter()
                self.expected.append(self.original(*fresh))
                self.expected_time += time.perf_counter() - start
                self.expected_args.append(fresh)
        except Exception as exc:
            raise self._problem_error(
                f"the original {self.entry_point}() raised {type(exc).__name__} on the workload: {exc}"
            ) from None
        self.edge_cases = self._edge_cases()
        self.program_source = problem["program"]
        self.program_code = compile(problem["program"], f"<program {self.name}>", "exec", dont_inherit=True)
        self.op_counts: dict[int, measure.OpCount] = {}  # by cap
        self.costs: dict[int, cost_model.CostCount] = {}  # by cap
        self.check_time = self._time_original_check()

    def _edge_cases(self) -> list[EdgeCase]:
        """The harness's optional `edge_cases()`: inputs checked (not timed), with the original's
        output and arguments afterwards, or the type of the exception it raises."""
        function = self.namespace.get("edge_cases")
        if function is None:
            return []
        try:
            calls = function()
        except Exception as exc:
            raise self._problem_error(f"edge_cases() raised {type(exc).__name__}: {exc}") from None
        if not isinstance(calls, list) or not all(isinstance(c, tuple) for c in calls):
            raise self._problem_error("edge_cases() must return a list of argument tuples")
        cases = []
        for args in calls:
            fresh = copy.deepcopy(args)
            start = time.perf_counter()
            try:
                output, raised = self.original(*fresh), ""
            except Exception as exc:
                output, raised = None, type(exc).__name__
            self.expected_time += time.perf_counter() - start
            cases.append(EdgeCase(copy.deepcopy(args), output, fresh, raised))
        return cases

    def _time_original_check(self) -> float:
        """Seconds the original takes through `check` (sets the tests deadline)."""
        self.namespace[checks.TALLY_NAME] = checks.AssertTally()
        start = time.perf_counter()
        try:
            self.namespace["check"](self.original)
        except Exception:
            pass  # reported when the original itself is scored
        return time.perf_counter() - start

    def _problem_error(self, message: str) -> _Failure:
        return _Failure(records.EXCEPTION, message, problem_error=message)

    def original_op_count(self, cap: int) -> measure.OpCount:
        """The original's count, stopped after `cap` instructions: the calls it finished are the slice."""
        if cap not in self.op_counts:
            self.op_counts[cap] = measure.OpcodeCounter(cap).run(self.program_code, self.entry_point, self.pristine)
        return self.op_counts[cap]

    def original_cost(self, table: cost_table.CostTable, cap: int) -> cost_model.CostCount:
        """The original's modelled cost, stopped past `cap` nanoseconds: the calls it finished are the slice."""
        if cap not in self.costs:
            self.costs[cap] = _measure_cost(self, table, cap, self.program_source, self.program_code, "original",
                                            self.pristine)
        return self.costs[cap]


class Worker:
    """Job loop state: cached problems, the output streams, the integrity baseline."""

    def __init__(self, result_fd: int, output_chars: int):
        self.result_fd = result_fd
        self.output_chars = output_chars
        self.problems: OrderedDict[str, ProblemState] = OrderedDict()
        self.integrity = sandbox.Integrity()
        self.timer = Timer(self)
        self.outcome: records.JobOutcome | None = None  # of the evaluate job running
        try:  # read before any candidate runs
            self.cost_table: cost_table.CostTable | None = cost_table.load_cost_table()
            self.cost_table_error = ""
        except cost_table.CostTableError as exc:
            self.cost_table, self.cost_table_error = None, str(exc)

    def announce(self, phase: str, budget: float) -> None:
        if self.outcome is not None:
            self.outcome.enter(phase)
        protocol.write_message(self.result_fd, {"kind": "phase", "phase": phase, "budget": budget})

    def problem_state(self, problem: dict[str, Any]) -> ProblemState:
        key = problem["name"] + ":" + hashlib.sha1(problem["source"].encode()).hexdigest()
        if key in self.problems:
            self.problems.move_to_end(key)
            return self.problems[key]
        self.announce("load", _LOAD_BUDGET)
        state = ProblemState(problem)
        self.problems[key] = state
        while len(self.problems) > _MAX_PROBLEM_STATES:
            self.problems.popitem(last=False)
        return state

    def timing_job(self, job: dict[str, Any]) -> dict[str, Any]:
        """Answers one timing message; never raises (failures become `timing_failed`)."""
        if job["kind"] == "timing_finish":
            self.timer.side = None
            return {"kind": "timing_finished", "violations": self.integrity.violations(),
                    "cpu_seconds": _cpu_seconds()}
        stdout = self.stdout = sandbox.CappedStream(self.output_chars)
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = stdout
        try:
            if job["kind"] == "timing_load":
                return self.timer.load(job["problem"], job["program"], float(job["probe_budget"]),
                                       bool(job["warm_up"]))
            return self.timer.run_pass(int(job["loops"]), bool(job["verify"]))
        except _Failure as failure:
            return {"kind": "timing_failed", "status": failure.status, "detail": failure.detail}
        except sandbox.OutputLimitExceeded as exc:
            return {"kind": "timing_failed", "status": records.OUTPUT_LIMIT, "detail": str(exc)}
        except MemoryError:
            return {"kind": "timing_failed", "status": records.MEMORY_LIMIT,
                    "detail": "candidate exceeded the memory limit while timed"}
        except BaseException as exc:
            return {"kind": "timing_failed", "status": records.EXCEPTION,
                    "detail": f"{type(exc).__name__}: {exc}"}
        finally:
            sys.stdout, sys.stderr = saved

    def synthesize(self, problem: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        """Runs `synthesis.synthesize` on a harness without a workload; never raises."""
        try:
            settings = synthesis.SynthesisOptions(**options)
        except TypeError as exc:
            return {"error": f"bad synthesis options: {exc}"}
        self.announce("synthesize", settings.budget_seconds + 30.0)
        try:
            with self._harness_with_output_captured(problem) as (original, check):
                return synthesis.synthesize(check, original, settings).to_json()
        except _HarnessError as exc:
            return {"error": str(exc)}
        except sandbox.OutputLimitExceeded:
            return {"error": f"the tests printed more than {self.output_chars} characters"}
        except BaseException as exc:
            return {"error": f"{type(exc).__name__}: {exc}"}

    def expectations(self, problem: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        """Runs `expectations.compute_expectations` on a generated problem's harness; never raises."""
        try:
            settings = expectations.ExpectationOptions(**options)
        except TypeError as exc:
            return {"reason": expectations.HARNESS_ERROR, "detail": f"bad expectations options: {exc}"}
        self.announce("expectations", settings.budget_seconds)
        built = False  # whether the harness itself ran (its failure is the problem's, not the original's)
        try:
            with self._captured_namespace(problem) as (namespace, stdout):
                built = True
                result = expectations.compute_expectations(namespace, problem["entry_point"], settings)
                if stdout.getvalue() and not result.reason:
                    result = expectations.ExpectationResult(
                        reason=expectations.PRINTS, detail=f"it printed {checks.short_repr(stdout.getvalue(), 80)}")
                return result.to_json()
        except BaseException as exc:
            if not built and isinstance(exc, Exception):
                return {"reason": expectations.HARNESS_ERROR,
                        "detail": f"the harness raised {type(exc).__name__}: {exc}"}
            if isinstance(exc, sandbox.OutputLimitExceeded):
                return {"reason": expectations.PRINTS, "detail": f"it printed more than {self.output_chars} characters"}
            if isinstance(exc, MemoryError):
                return {"reason": records.MEMORY_LIMIT, "detail": "the original exceeded the memory limit"}
            return {"reason": records.EXCEPTION, "detail": f"{type(exc).__name__}: {exc}"}

    @contextlib.contextmanager
    def _captured_namespace(self, problem: dict[str, Any]) -> Iterator[tuple[dict[str, Any], sandbox.CappedStream]]:
        """The harness's namespace and the capped stream that captures the job's output;
        stdout is restored and the namespace dropped afterwards."""
        stdout = self.stdout = sandbox.CappedStream(self.output_chars)
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = stdout
        namespace: dict[str, Any] = {}
        try:
            namespace, _ = harness_namespace(problem)
            yield namespace, stdout
        finally:
            sys.stdout, sys.stderr = saved
            namespace.clear()

    @contextlib.contextmanager
    def _harness_with_output_captured(self, problem: dict[str, Any]) -> Iterator[tuple[Callable, Callable]]:
        """The harness's original function and `check`, with the job's output captured (see _captured_namespace)."""
        with self._captured_namespace(problem) as (namespace, _):
            namespace[checks.TALLY_NAME] = checks.AssertTally()
            original, check = namespace.get(problem["entry_point"]), namespace.get("check")
            if not callable(original) or not callable(check):
                raise _HarnessError(f"the harness defines no {problem['entry_point']}() or check()")
            yield original, check

    def check_properties(self, problem: dict[str, Any], candidate: str, options: dict[str, Any]) -> dict[str, Any]:
        """Runs `properties.check_properties` for a candidate against the harness's original;
        never raises (what goes wrong becomes the result's `error`)."""
        try:
            settings = properties.PropertyOptions(**options)
        except TypeError as exc:
            return {"error": f"bad property options: {exc}"}
        self.announce("properties", settings.budget_seconds + 30.0)
        self._load_hypothesis()
        callbacks = list(gc.callbacks)
        try:
            with self._harness_with_output_captured(problem) as (original, check):
                function = _define(_compile_candidate(candidate), problem["entry_point"])
                return properties.check_properties(check, original, function, problem["entry_point"],
                                                   settings).to_json()
        except _HarnessError as exc:
            return {"error": str(exc)}
        except _Failure as failure:
            return {"error": f"{failure.status}: {failure.detail}"}
        except sandbox.OutputLimitExceeded:
            return {"error": f"the calls printed more than {self.output_chars} characters"}
        except MemoryError:
            return {"error": "memory_limit: a call exceeded the memory limit"}
        except BaseException as exc:
            return {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            gc.callbacks[:] = callbacks  # hypothesis times collections with a callback; later jobs count ops

    def _load_hypothesis(self) -> None:
        """Imports hypothesis once (its import patches `typing`), then takes a new integrity baseline
        that leaves hypothesis's own modules out (their counters change with every run). The old
        baseline held at the end of the previous job, so nothing a candidate did is forgiven."""
        if "hypothesis.strategies" in sys.modules:
            return
        import hypothesis.strategies  # noqa: F401
        self.integrity = sandbox.Integrity(ignored=_HYPOTHESIS_MODULES)

    def evaluate(self, problem: dict[str, Any], candidate: str, options: dict[str, Any]) -> records.JobOutcome:
        """Scores one candidate; never raises (whatever happens becomes the outcome's status)."""
        start = time.perf_counter()
        stdout = self.stdout = sandbox.CappedStream(self.output_chars)
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = stdout
        outcome = self.outcome = records.JobOutcome(static=static_metrics(candidate))
        try:
            self._evaluate(problem, candidate, options, outcome)
        except _Failure as failure:
            outcome.fail(failure.status, failure.detail, **failure.extra)
        except sandbox.OutputLimitExceeded as exc:
            outcome.fail(records.OUTPUT_LIMIT, str(exc))
        except MemoryError:
            outcome.fail(records.MEMORY_LIMIT, "candidate exceeded the memory limit")
        except BaseException as exc:  # a bug here must still produce a record
            outcome.fail(records.EXCEPTION, f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc()[-3000:])
        finally:
            sys.stdout, sys.stderr = saved
            self.outcome = None
        if stdout.exceeded:
            outcome.void(records.OUTPUT_LIMIT, f"output exceeded {self.output_chars} characters")
        outcome.output = stdout.getvalue()[-2000:]
        outcome.worker_seconds = time.perf_counter() - start
        return outcome

    def _evaluate(self, problem: dict[str, Any], candidate: str, options: dict[str, Any],
                  outcome: records.JobOutcome) -> None:
        state = self.problem_state(problem)
        self.announce("tests", min(_TESTS_BUDGET, 3.0 + 50.0 * state.check_time))
        code = _compile_candidate(candidate)
        function = _define(code, state.entry_point)
        if options.get("tests", True):
            self._run_check(state, function, outcome)
        if options.get("differential", True):
            self.announce("differential", 3.0 + 30.0 * state.expected_time)
            self._differential(state, function, outcome)
        if outcome.passing and not self.stdout.exceeded and options.get("opcount"):
            cap = int(options.get("opcount_cap", records.ScoreOptions.opcount_cap))
            self.announce("opcount", 30.0 + (1 + measure.CANDIDATE_CAP_FACTOR) * cap * _TRACED_SECONDS_PER_OP
                          + 60.0 * state.expected_time)
            _count_ops(state, code, cap, outcome)
        if outcome.passing and not self.stdout.exceeded and options.get("cost"):
            cap = int(options.get("cost_cap", records.ScoreOptions.cost_cap))
            self.announce("cost", 30.0 + (1 + measure.CANDIDATE_CAP_FACTOR) * cap * 1e-9
                          * _COST_SECONDS_PER_MODELLED_SECOND + 120.0 * state.expected_time)
            if self.cost_table is None:
                raise _Failure(records.CRASH, f"cost: {self.cost_table_error}")
            _count_cost(state, self.cost_table, candidate, code, cap, outcome)

    def _run_check(self, state: ProblemState, function, outcome: records.JobOutcome) -> None:
        tally = checks.AssertTally()
        state.namespace[checks.TALLY_NAME] = tally
        try:
            state.namespace["check"](function)
        except (MemoryError, sandbox.OutputLimitExceeded):
            raise
        except AssertionError as exc:  # uncounted check (transform fell back)
            tally.total += 1
            tally.first_failure = tally.first_failure or f"assert failed: {exc}"
        except BaseException as exc:
            raise _Failure(records.EXCEPTION, f"check raised {type(exc).__name__}: {exc}",
                           tests_passed=tally.passed, tests_total=max(tally.total, 1),
                           traceback=traceback.format_exc()[-3000:]) from None
        if not state.counted and not tally.first_failure:
            tally.passed, tally.total = 1, 1
        outcome.tests_passed, outcome.tests_total = tally.passed, tally.total
        if tally.passed < tally.total:
            exc = tally.first_exception
            if exc is not None and isinstance(exc, MemoryError):
                raise MemoryError
            status = records.EXCEPTION if exc is not None else records.TEST_FAILURE
            outcome.fail(status, f"check: {tally.first_failure}")

    def _differential(self, state: ProblemState, function, outcome: records.JobOutcome) -> None:
        """Compares outputs and argument mutation with the original's on the workload."""
        for index, args in enumerate(state.pristine):
            fresh = copy.deepcopy(args)
            try:
                output = function(*fresh)
            except (MemoryError, sandbox.OutputLimitExceeded):
                raise
            except BaseException as exc:
                outcome.differential = records.DIFF_ERROR
                if outcome.status == records.OK:
                    outcome.fail(records.EXCEPTION, f"workload call {index} raised {type(exc).__name__}: {exc}",
                                 traceback=traceback.format_exc()[-3000:])
                return
            mismatch = _mismatch(state.expected[index], state.expected_args[index], "", output, fresh, "")
            if mismatch:
                outcome.differential = records.MISMATCH
                outcome.detail = outcome.detail or f"workload call {index}: {mismatch}"
                return
        for index, case in enumerate(state.edge_cases):
            fresh = copy.deepcopy(case.args)
            output, raised = None, ""
            try:
                output = function(*fresh)
            except (MemoryError, sandbox.OutputLimitExceeded):
                raise
            except Exception as exc:
                raised = type(exc).__name__
            mismatch = _mismatch(case.output, case.args_after, case.raised, output, fresh, raised)
            if mismatch:
                outcome.differential = records.MISMATCH
                outcome.detail = outcome.detail or f"edge case {index} {checks.short_repr(case.args)}: {mismatch}"
                return
        outcome.differential = records.MATCH


def _mismatch(expected: Any, expected_args: tuple, expected_raised: str,
              output: Any, args_after: tuple, raised: str) -> str:
    """How a candidate's call differs from the original's (result, exception type, arguments
    left behind), or "" when it does not."""
    if expected_raised or raised:
        if expected_raised == raised:
            return ""
        if not raised:
            return f"the original raises {expected_raised}, the candidate returns {checks.short_repr(output)}"
        if not expected_raised:
            return f"the candidate raises {raised} where the original returns {checks.short_repr(expected)}"
        return f"the original raises {expected_raised}, the candidate {raised}"
    if not checks.same_output(expected_args, args_after):
        return "the candidate leaves its arguments different from the original"
    if not checks.same_output(expected, output):
        return f"expected {checks.short_repr(expected)}, got {checks.short_repr(output)}"
    return ""


def _compile_candidate(candidate: str):
    try:
        return compile(candidate, "<candidate>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, OverflowError, RecursionError) as exc:
        line = getattr(exc, "lineno", None)
        where = f" at line {line}" if line else ""
        raise _Failure(records.SYNTAX_ERROR, f"{type(exc).__name__}{where}: {exc}") from None


def _define(code, entry_point: str):
    """The entry point of the program executed into fresh globals (the tests' copy)."""
    try:
        return measure.load_function(code, entry_point)
    except (MemoryError, sandbox.OutputLimitExceeded):
        raise
    except measure.ProgramNotCallable as exc:
        raise _Failure(records.EXCEPTION, f"the candidate defines no function {entry_point!r}") from exc
    except BaseException as exc:
        raise _Failure(records.EXCEPTION, f"defining the candidate raised {type(exc).__name__}: {exc}",
                       traceback=traceback.format_exc()[-3000:]) from None


def _count_ops(state: ProblemState, code, cap: int, outcome: records.JobOutcome) -> None:
    """Counts candidate and original on the same calls: those the original's capped count finished."""
    original = state.original_op_count(cap)
    outcome.op_count_calls, outcome.workload_calls = original.calls, len(state.pristine)
    if original.calls == 0:
        outcome.detail = outcome.detail or (f"op count skipped: the original passes {cap:,} instructions "
                                            f"before its first workload call returns")
        return
    cap = max(cap, measure.CANDIDATE_CAP_FACTOR * original.count)
    candidate = measure.OpcodeCounter(cap).run(code, state.entry_point, state.pristine[:original.calls])
    if candidate.capped:
        raise _Failure(records.TIMEOUT, f"op count stopped at {cap:,} instructions within the first "
                       f"{original.calls} workload calls (the original's count: {original.count:,})")
    outcome.op_count, outcome.op_count_original = candidate.count, original.count


def _measure_cost(state: ProblemState, table: cost_table.CostTable, cap: float, source: str, code, side: str,
                  calls: list[tuple]) -> cost_model.CostCount:
    """The modelled cost of `source` (the original or the candidate) on `calls`, up to `cap`; raises _Failure
    (naming the cost phase) if it cannot be measured or if the instrumented program's results or argument
    mutations differ from the original's on those calls (the instrumentation must not change behaviour)."""
    try:
        instrumented = cost_instrument.instrument(source, f"<{side} instrumented>")
    except (SyntaxError, ValueError, RecursionError) as exc:
        raise _Failure(records.EXCEPTION,
                       f"cost: instrumenting the {side} failed: {type(exc).__name__}: {exc}") from None
    operation_copies = measure.fresh_copies(calls)
    outputs: list[Any] = []
    try:
        count = cost_model.CostMeter(table, cap).run_copies(code, instrumented, state.entry_point, operation_copies,
                                                            measure.fresh_copies(calls), outputs)
    except (MemoryError, sandbox.OutputLimitExceeded):
        raise
    except RuntimeError as exc:
        raise _Failure(records.EXCEPTION, f"cost: {exc}") from None
    except BaseException as exc:
        raise _Failure(records.EXCEPTION, f"cost: the {side} raised {type(exc).__name__} while measured: {exc}",
                       traceback=traceback.format_exc()[-3000:]) from None
    for index, output in enumerate(outputs):
        mismatch = _mismatch(state.expected[index], state.expected_args[index], "", output, operation_copies[index], "")
        if mismatch:
            raise _Failure(records.EXCEPTION, f"cost: the instrumented {side} differs on workload call {index} "
                           f"({mismatch}); the cost is void")
    return count


def _count_cost(state: ProblemState, table: cost_table.CostTable, candidate: str, code, cap: int,
                outcome: records.JobOutcome) -> None:
    """Measures the candidate's modelled cost on the same calls as the original's: those its capped cost finished."""
    original = state.original_cost(table, cap)
    outcome.cost_calls, outcome.workload_calls = original.calls, len(state.pristine)
    if original.calls == 0:
        outcome.detail = outcome.detail or (f"cost skipped: the original passes {cap:,} modelled ns before its "
                                            f"first workload call returns")
        return
    cap = max(cap, measure.CANDIDATE_CAP_FACTOR * original.cost)
    count = _measure_cost(state, table, cap, candidate, code, "candidate", state.pristine[:original.calls])
    if count.capped:
        raise _Failure(records.TIMEOUT, f"cost stopped at {cap:,.0f} modelled ns within the first {original.calls} "
                       f"workload calls (the original's cost: {original.cost:,.0f})")
    outcome.cost, outcome.cost_original = round(count.cost), round(original.cost)


class TimingSide:
    """One side of a timing pair in this worker: a program, its workload, prepared copies.

    Holds no expected outputs and no reference: the harness is executed only to build the
    workload's arguments and is dropped before the program is loaded."""

    def __init__(self, problem: dict[str, Any], program: str, copier: measure.ArgumentCopier):
        self.entry_point = problem["entry_point"]
        self.code = _compile_candidate(program)
        self.copier = copier
        self.first_args: list[tuple] = []
        self.last_args: list[tuple] = []

    def run(self, loops: int) -> measure.TimedPasses:
        """Makes fresh argument copies for `loops` passes right before timing them (so they are
        as warm in the caches as the other side's), collects, freezes the survivors (so a
        collection during a pass never scans the copies), then times the passes."""
        copies = [self.copier.copy() for _ in range(loops)]
        gc.collect()
        gc.freeze()
        passes = measure.timed_passes(self.code, self.entry_point, copies)
        self.first_args, self.last_args = copies[0], copies[-1]  # as the passes left them
        return passes

    def digests(self, passes: measure.TimedPasses) -> list[str]:
        """Hashes of the first and last pass's outputs together with the arguments they left behind."""
        return [checks.output_digest([passes.first_outputs, self.first_args]),
                checks.output_digest([passes.last_outputs, self.last_args])]


def workload_calls(problem: dict[str, Any]) -> list[tuple]:
    """The problem's workload arguments, built in a namespace that is dropped afterwards."""
    namespace: dict[str, Any] = {"__name__": f"harness_{problem['name']}", "__builtins__": builtins}
    try:
        exec(compile(problem["source"], f"<problem {problem['name']}>", "exec", dont_inherit=True), namespace)
        calls = namespace["workload"]()
    except Exception as exc:
        raise _Failure(records.EXCEPTION, f"the problem's workload failed: {type(exc).__name__}: {exc}",
                       problem_error=str(exc)) from None
    finally:
        namespace.clear()
    if not isinstance(calls, list) or not calls or not all(isinstance(c, tuple) for c in calls):
        raise _Failure(records.EXCEPTION, "workload() must return a non-empty list of argument tuples")
    gc.collect()
    return calls


class Timer:
    """The timing-job state of a worker: the workloads it has built and the loaded side."""

    def __init__(self, worker: "Worker"):
        self.worker = worker
        self.workloads: OrderedDict[str, measure.ArgumentCopier] = OrderedDict()
        self.side: TimingSide | None = None

    def load(self, problem: dict[str, Any], program: str, probe_budget: float, warm_up: bool) -> dict[str, Any]:
        """Loads `program` and times its first (cold) pass. With `warm_up`, one untimed pass of the
        problem's original program runs first, before `program` is loaded, so the costs of a
        process's first pass over this workload (cold caches, a growing heap) count for neither
        side: a candidate's cold pass is then cold only in what the candidate itself keeps."""
        self.side = None
        key = problem["name"] + ":" + hashlib.sha1(problem["source"].encode()).hexdigest()
        if key not in self.workloads:
            self.worker.announce("load", _LOAD_BUDGET)
            self.workloads[key] = measure.ArgumentCopier(workload_calls(problem))
            while len(self.workloads) > _MAX_TIMING_WORKLOADS:
                self.workloads.popitem(last=False)
        self.workloads.move_to_end(key)
        if warm_up:
            self.worker.announce("warm-up", _LOAD_BUDGET)
            try:
                TimingSide(problem, problem["program"], self.workloads[key]).run(1)
            except Exception as exc:
                raise _Failure(records.EXCEPTION, f"the original failed its warm-up pass: {type(exc).__name__}: "
                               f"{exc}") from None
        side = TimingSide(problem, program, self.workloads[key])
        self.worker.announce("probe", probe_budget)
        try:
            probe = side.run(1)
        except (MemoryError, sandbox.OutputLimitExceeded):
            raise
        except BaseException as exc:
            raise _Failure(records.VOIDED, f"the first timed pass raised {type(exc).__name__}: {exc}") from None
        self.side = side
        return {"kind": "timing_loaded", "probe": probe.seconds, "probe_cpu": probe.cpu_seconds,
                "digest": side.digests(probe)[0]}

    def run_pass(self, loops: int, verify: bool) -> dict[str, Any]:
        """Times `loops` passes; with `verify`, hashes the outputs of the first and last one."""
        if self.side is None:
            raise _Failure(records.CRASH, "timing_pass before a successful timing_load")
        try:
            passes = self.side.run(loops)
        except (MemoryError, sandbox.OutputLimitExceeded):
            raise
        except BaseException as exc:
            raise _Failure(records.VOIDED, f"a timed pass raised {type(exc).__name__}: {exc}") from None
        seconds, cpu_seconds = passes.seconds, passes.cpu_seconds
        digests = []
        if verify:
            digests = self.side.digests(passes)
        del passes
        self.side.first_args = self.side.last_args = ()
        violations = self.worker.integrity.quick_violations()
        return {"kind": "timing_passed", "seconds": seconds, "cpu_seconds": cpu_seconds,
                "digests": digests, "violations": violations}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--job-fd", type=int, required=True)
    parser.add_argument("--result-fd", type=int, required=True)
    parser.add_argument("--memory-mb", type=int, default=1024)
    parser.add_argument("--file-mb", type=int, default=16)
    parser.add_argument("--cpu-seconds", type=int, default=600)
    parser.add_argument("--output-chars", type=int, default=65536)
    args = parser.parse_args(argv)

    sandbox.silence_standard_fds()
    sys.dont_write_bytecode = True
    sandbox.apply_resource_limits(args.memory_mb << 20, args.file_mb << 20, args.cpu_seconds)
    sandbox.install_measurement_guards()
    sandbox.install_audit_hook()
    gc.collect()
    gc.freeze()  # the harness's own objects: never scanned again, so a collection before a pass is cheap
    worker = Worker(args.result_fd, args.output_chars)
    protocol.write_message(args.result_fd, {"kind": "ready", "pid": os.getpid()})
    while True:
        try:
            job = protocol.read_message(args.job_fd)
        except (EOFError, OSError, protocol.ProtocolError, ValueError):
            return
        kind = job.get("kind") if isinstance(job, dict) else None
        if kind == "ping":
            protocol.write_message(args.result_fd, {"kind": "pong"})
            continue
        if kind in ("timing_load", "timing_pass", "timing_finish"):
            protocol.write_message(args.result_fd, worker.timing_job(job))
            continue
        if kind in ("synthesize", "properties", "expectations"):
            if kind == "synthesize":
                fields = worker.synthesize(job["problem"], job.get("options", {}))
            elif kind == "expectations":
                fields = worker.expectations(job["problem"], job.get("options", {}))
            else:
                fields = worker.check_properties(job["problem"], job["candidate"], job.get("options", {}))
            violations = worker.integrity.violations()
            if violations:
                message = f"{kind} altered the worker: " + "; ".join(violations)
                fields = {"reason": "altered_worker", "detail": message} if kind == "expectations" else \
                    {"error": message}
            protocol.write_message(args.result_fd, {"kind": "result", "fields": fields, "recycle": violations,
                                                    "cpu_seconds": _cpu_seconds()})
            continue
        if kind != "evaluate":
            return
        outcome = worker.evaluate(job["problem"], job["candidate"], job.get("options", {}))
        violations = worker.integrity.violations()
        if violations and outcome.status == records.OK:
            outcome.void(records.VOIDED, "the candidate altered the worker: " + "; ".join(violations))
        protocol.write_message(args.result_fd, {
            "kind": "result", "fields": outcome.to_json(), "recycle": violations,
            "cpu_seconds": _cpu_seconds()})


if __name__ == "__main__":
    main()
