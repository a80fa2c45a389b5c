"""The modelled cost of one fresh-state workload pass: weighted instructions plus the C-level work they start.

  count = CostMeter(load_cost_table(), cap=50_000_000).run(source, "f", calls)
  count.cost        # modelled nanoseconds of the calls it finished (module execution included)

Two passes over the same calls. The instrumented program (`cost_instrument`) runs untraced:
its membership tests, calls of costed built-ins, slices, sequence and set operators,
augmented assignments and item deletions go through hooks (`cost_work`) that perform the
operation as written and charge it by its operands' sizes with the table's coefficients
(`cost_table`). Then the program as written runs under a `sys.settrace` tracer that charges
each executed instruction by its class and each Python frame entered, so the hooks' calls
are never counted as the program's instructions. Like the op counter (`measure.OpcodeCounter`)
the count stops at a cap and is void if the program removes the tracer. The count is a
function of the program's operations and operand sizes only: no timing, no id or hash, so the
same pass gives the same number in every process. Runs only inside a scoring worker (or in a
calibration run of trusted code).
"""

from __future__ import annotations

import dataclasses
import functools
import sys
from typing import Any, Callable

from codeopt_jax.scoring import cost_instrument, cost_work
from codeopt_jax.scoring.cost_table import CostTable
from codeopt_jax.scoring.measure import Calls, fresh_copies, fresh_namespace


class _CapReached(BaseException):
    """Raised by the tracer or a hook when the cost passes its cap (stops the pass)."""


@dataclasses.dataclass(frozen=True)
class OperationTally:
    """One C-level operation over a pass: how often it was charged, and its summed units and items."""

    operation: str
    calls: int
    units: float
    items: float


@dataclasses.dataclass(frozen=True)
class CostCount:
    """Modelled cost of one fresh-state pass over the first `calls` workload calls (module included).

    Attributes:
      cost: modelled nanoseconds.
      calls: workload calls finished within the cap.
      capped: the pass passed the cap during the call after those, which is not counted.
      operation_cost: the part of `cost` charged by hooked C-level operations.
      operations: per operation charged, in name order.
    """

    cost: float
    calls: int
    capped: bool
    operation_cost: float
    operations: tuple[OperationTally, ...]


class CostMeter:
    """Counts the modelled cost of programs with one coefficient table, up to `cap` nanoseconds."""

    def __init__(self, table: CostTable, cap: float | None = None) -> None:
        self.table = table
        self.cap = float(sys.maxsize) if cap is None else float(cap)
        self._opcode_weights = table.opcode_weights()

    def run(self, source: str, entry_point: str, calls: Calls, filename: str = "<program>") -> CostCount:
        """The cost of one fresh-state pass over `calls` (see `run_copies`) on fresh copies of them.

        Raises SyntaxError for a program that does not compile, RuntimeError if the program removed
        or replaced the tracer (the count would be void), and what the program raises."""
        code = compile(source, filename, "exec", dont_inherit=True)
        instrumented = cost_instrument.instrument(source, filename)
        return self.run_copies(code, instrumented, entry_point, fresh_copies(calls), fresh_copies(calls))

    def run_copies(self, code, instrumented, entry_point: str, operation_copies: list[tuple],
                   instruction_copies: list[tuple], outputs: list[Any] | None = None) -> CostCount:
        """The cost of the module executed anew and the calls made in order, until it passes the cap.

        Two passes over the same calls, each on its own argument copies (`fresh_copies`; the passes
        may mutate them): the instrumented program (`cost_instrument.instrument`) untraced, which
        charges the C-level operations, then the program as written (`code`) traced, which charges
        its instructions and frames. So the hooks' own calls are never counted as the program's
        instructions. `outputs` (if given) gets the instrumented pass's results of the calls counted."""
        operation_costs, operations, operation_outputs = self._operation_pass(instrumented, entry_point,
                                                                              operation_copies)
        instruction_costs = self._instruction_pass(code, entry_point, instruction_copies, operation_costs)
        finished = len(instruction_costs) - 1
        capped = finished < len(operation_copies)
        total = instruction_costs[finished] + operation_costs[finished]
        if outputs is not None:
            outputs.extend(operation_outputs[:finished])
        return CostCount(cost=total, calls=finished, capped=capped, operation_cost=operation_costs[finished],
                         operations=operations)

    def _operation_pass(self, instrumented, entry_point: str, copies: list[tuple]):
        """Untraced: the C-level operations' cost after the module and after each call ([calls + 1],
        cumulative, stopping past the cap), their tallies, and the calls' results."""
        meter = _OperationMeter(self.table, self.cap)
        costs: list[float] = []
        outputs: list[Any] = []
        try:
            namespace = fresh_namespace()
            namespace.update(meter.hooks)
            exec(instrumented, namespace)
            function = namespace[entry_point]
            costs.append(meter.cost)
            for args in copies:
                result = function(*args)
                if meter.cost > self.cap:  # the program swallowed _CapReached
                    break
                costs.append(meter.cost)
                outputs.append(result)
        except _CapReached:
            if meter.cost <= self.cap:
                raise  # the program raised it itself: not a stop at the cap
        if not costs:
            costs.append(meter.cost)  # the module alone passed the cap: nothing is counted
        return costs, meter.tallies(), outputs

    def _instruction_pass(self, code, entry_point: str, copies: list[tuple],
                          operation_costs: list[float]) -> list[float]:
        """Traced: instructions and frames after the module and after each call ([calls + 1], cumulative),
        over the calls the operation pass finished, stopping where both together pass the cap."""
        tracer, cost_cell, limit_cell = _tracer(self._opcode_weights, self.table.frame_ns)
        costs: list[float] = []
        previous = sys.gettrace()
        limit_cell.cell_contents = self.cap - operation_costs[0]
        namespace = fresh_namespace()
        sys.settrace(tracer)  # from here on every Python frame is the program's
        try:
            exec(code, namespace)
            function = namespace[entry_point]
            costs.append(cost_cell.cell_contents)  # a cell read runs no Python frame
            for index in range(1, len(operation_costs)):
                limit_cell.cell_contents = self.cap - operation_costs[index]
                function(*copies[index - 1])
                if cost_cell.cell_contents > limit_cell.cell_contents:  # the program swallowed _CapReached
                    break
                costs.append(cost_cell.cell_contents)
        except _CapReached:
            if cost_cell.cell_contents <= limit_cell.cell_contents:
                raise  # the program raised it itself: not a stop at the cap
        finally:
            tampered = sys.gettrace() is not tracer
            sys.settrace(previous)
        if tampered and cost_cell.cell_contents <= limit_cell.cell_contents:
            raise RuntimeError("the program removed or replaced the trace function; the cost is void")
        if not costs:
            costs.append(cost_cell.cell_contents)
        return costs


def _tracer(opcode_weights: list[float], frame_ns: float):
    """A `sys.settrace` function charging each instruction by its opcode's weight and each frame entered
    by `frame_ns`, and the cells holding its running cost and its limit (raises _CapReached past it)."""
    cost = 0.0
    limit = float(sys.maxsize)
    tracers_by_code: dict[int, tuple[Any, Callable]] = {}  # id(code) -> (the code, kept alive; its tracer)

    def code_tracer(weights: list[float]):
        def local(frame, event, arg):
            nonlocal cost
            if event == "opcode":
                cost += weights[frame.f_lasti]
                if cost > limit:
                    raise _CapReached
            return local

        return local

    def new_frame(frame, event, arg):
        nonlocal cost
        code = frame.f_code
        entry = tracers_by_code.get(id(code))
        if entry is None:
            entry = tracers_by_code[id(code)] = (code, code_tracer([opcode_weights[b] for b in code.co_code]))
        cost += frame_ns
        if cost > limit:
            raise _CapReached
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        return entry[1]

    cells = dict(zip(new_frame.__code__.co_freevars, new_frame.__closure__))
    return new_frame, cells["cost"], cells["limit"]


class _OperationMeter:
    """The running cost of the C-level operations of one pass, and the hooks that charge it."""

    def __init__(self, table: CostTable, cap: float):
        self.operations = table.operations
        self.cap = cap
        self.cost = 0.0
        self.work: dict[str, list[float]] = {}  # operation -> [calls, units, items]
        charge = self.charge
        self.hooks: dict[str, Callable] = {
            cost_instrument.CONTAINS: functools.partial(cost_work.contains, charge),
            cost_instrument.CALLEE: self.callee,
            cost_instrument.SLICED: functools.partial(cost_work.made, charge),
            cost_instrument.AUGMENTED: functools.partial(cost_work.augmented, charge),
            cost_instrument.AUGMENTED_VALUE: functools.partial(cost_work.augmented_value, charge),
            cost_instrument.DELETED: functools.partial(cost_work.deleted, charge),
            **{name: functools.partial(function, charge) for name, function in zip(
                cost_instrument.BINARY.values(),
                (cost_work.add, cost_work.multiply, cost_work.subtract, cost_work.bit_or, cost_work.bit_and,
                 cost_work.bit_xor))},
        }

    def charge(self, operation: str, units: float, items: float = 0.0) -> None:
        """Adds one operation's modelled nanoseconds; raises _CapReached past the cap."""
        self.cost += self.operations[operation].cost(units, items)
        tally = self.work.get(operation)
        if tally is None:
            tally = self.work[operation] = [0, 0.0, 0.0]
        tally[0] += 1
        tally[1] += units
        tally[2] += items
        if self.cost > self.cap:
            raise _CapReached

    def callee(self, function: Any) -> Any:
        """The callee itself, or (for a costed C function) the same call made and charged by a handler.
        A cached function's call is charged here, before the call, which then runs as written (so a
        memoized recursion is as deep as without the hooks)."""
        handler = cost_work.call_handler(function)
        if handler is None:
            if cost_work.is_cached_function(function):
                self.charge("cached_call", 0)
            return function
        return functools.partial(handler, self.charge, function)

    def tallies(self) -> tuple[OperationTally, ...]:
        return tuple(OperationTally(name, int(calls), units, items)
                     for name, (calls, units, items) in sorted(self.work.items()))
