"""Property-based differential checks, run inside a sandboxed worker: original vs candidate on drawn inputs.

1. Record: the problem's `check` runs with a recording wrapper in place of the function
   (`synthesis.record_calls`), so every positional call the tests make is captured.
2. Shape: each argument position's observed values become a `Shape` (`shape_of`): int and float
   ranges, string alphabets, lists / tuples / sets / dicts of the observed element shapes,
   fixed-length records, unions of those, and opaque values (sampled as observed). An int
   that always equals the length of a container argument keeps following it.
3. Draw: hypothesis strategies built from the shapes (`arguments_strategy`) draw N argument
   tuples deterministically (`derandomize=True`, no example database: nothing is written);
   ints and floats come from the observed range and a margin around it, containers get
   lengths from 0 to a little past the longest observed, strings use the observed alphabet.
   The tests' own calls are drawn too, and now and then one list (dict, set) is passed at two
   positions of that type, as in `f(a, a)`.
4. Compare: original and candidate run on deep copies of each tuple (each call stopped at a
   cap by SIGALRM); their return values, the arguments they leave behind and, where the
   original raises, the exception types must agree. The first difference is shrunk by
   hypothesis (keeping its kind) and comes back as a `Counterexample`.

Nothing is written to disk (no example database) and only generate and shrink phases run (no
tracing "explain" phase). The worker runs this (`worker.Worker.check_properties`), never the
trainer: the candidate and the problem's code are untrusted.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import signal
import time
from typing import Any, Callable, Sequence

from codeopt_jax.scoring import checks, synthesis

# Kinds of counterexample.
OUTPUT = "output"                  # both return, the values differ
ARGUMENTS = "arguments"            # both return, the arguments are left different
RAISES = "raises"                  # the candidate raises where the original returns
RETURNS = "returns"                # the candidate returns where the original raises
EXCEPTION_TYPE = "exception_type"  # both raise, exceptions of different types
TIMEOUT = "timeout"                # the candidate runs past its cap where the original finishes
KINDS = (OUTPUT, ARGUMENTS, RAISES, RETURNS, EXCEPTION_TYPE, TIMEOUT)

_MAX_DEPTH = 6
_MAX_OPAQUE = 12          # distinct opaque values kept per position
_REPR_CHARS = 240
_FLOAT_BOUND = 1e300       # drawn floats stay finite even where the observed ones are huge
_PLAIN = 5                 # see _maybe_aliased


@dataclasses.dataclass(frozen=True)
class PropertyOptions:
    """Settings of one property check.

    Attributes:
      examples: argument tuples drawn (hypothesis `max_examples`).
      call_cap_seconds: a call of the original slower than this (or out of memory) is skipped (the
        example is rejected); the candidate gets max(cap, 20x the original's time) before it counts
        as a timeout.
      budget_seconds: the whole check; past it no more examples are compared (a shrink in
        progress keeps the smallest counterexample found so far).
      max_length: the longest container or string drawn (longer observed ones raise it).
      exception_types: whether differing exception types (both sides raise) count as a
        counterexample; base.py's contract allows them, so a sweep can turn them off.
    """

    examples: int = 50
    call_cap_seconds: float = 0.25
    budget_seconds: float = 20.0
    max_length: int = 8
    exception_types: bool = True

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Counterexample:
    """An input on which original and candidate differ (shrunk by hypothesis)."""

    kind: str        # one of KINDS
    call: str        # one-line repro, e.g. "f([1, [2]], 3)"
    original: str    # "returns 3" / "raises IndexError: list index out of range"
    candidate: str   # the same for the candidate
    detail: str = ""  # for ARGUMENTS: the arguments each side leaves behind


@dataclasses.dataclass(frozen=True)
class PropertyResult:
    """What a property check found; `error` says why it could not run (then nothing was compared)."""

    examples: int = 0             # argument tuples on which both sides were compared
    rejected: int = 0             # tuples skipped because the original ran past the cap
    recorded: int = 0             # distinct calls the tests made
    shapes: str = ""              # the argument shapes the strategies draw from
    counterexample: Counterexample | None = None
    out_of_budget: bool = False   # the budget ran out before all examples were compared
    error: str = ""

    @property
    def passed(self) -> bool:
        return not self.error and self.counterexample is None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, fields: dict[str, Any]) -> "PropertyResult":
        """The result from a worker's JSON; malformed fields become an `error` result."""
        try:
            known = {f.name for f in dataclasses.fields(cls)}
            values = {k: v for k, v in fields.items() if k in known}
            found = values.get("counterexample")
            values["counterexample"] = Counterexample(**found) if found else None
            return cls(**values)
        except (TypeError, AttributeError) as exc:
            return cls(error=f"malformed property result ({exc})")


# ----------------------------------------------------------------------------------------------- shapes

@dataclasses.dataclass(frozen=True)
class Shape:
    """How the values seen at one place look; `describe` names it for people."""

    def describe(self) -> str:
        raise NotImplementedError


@dataclasses.dataclass(frozen=True)
class Opaque(Shape):
    """Values drawn only as observed (None, objects, functions, values too deep)."""

    values: tuple

    def describe(self) -> str:
        return "|".join(sorted({type(v).__name__ for v in self.values})) or "nothing"


@dataclasses.dataclass(frozen=True)
class Bools(Shape):
    def describe(self) -> str:
        return "bool"


@dataclasses.dataclass(frozen=True)
class Ints(Shape):
    low: int
    high: int

    def describe(self) -> str:
        return f"int {self.low}..{self.high}"


@dataclasses.dataclass(frozen=True)
class Floats(Shape):
    low: float
    high: float

    def describe(self) -> str:
        return f"float {self.low:g}..{self.high:g}"


@dataclasses.dataclass(frozen=True)
class Texts(Shape):
    """str (or bytes) over the observed alphabet; the observed values are drawn too."""

    kind: type
    alphabet: str
    longest: int
    observed: tuple

    def describe(self) -> str:
        return f"{self.kind.__name__}[{len(self.alphabet)} chars] len <= {self.longest}"


@dataclasses.dataclass(frozen=True)
class Collections(Shape):
    """list / tuple / set / frozenset of one element shape, of any length."""

    kind: type
    element: Shape
    longest: int
    sorted: bool = False

    def describe(self) -> str:
        order = " sorted" if self.sorted else ""
        return f"{self.kind.__name__}[{self.element.describe()}]{order} len <= {self.longest}"


@dataclasses.dataclass(frozen=True)
class Records(Shape):
    """Fixed-length tuples (a point, a name and an age): one shape per position."""

    items: tuple[Shape, ...]

    def describe(self) -> str:
        return "(" + ", ".join(item.describe() for item in self.items) + ")"


@dataclasses.dataclass(frozen=True)
class Mappings(Shape):
    key: Shape
    value: Shape
    longest: int

    def describe(self) -> str:
        return f"dict[{self.key.describe()}: {self.value.describe()}] len <= {self.longest}"


@dataclasses.dataclass(frozen=True)
class Union(Shape):
    options: tuple[Shape, ...]

    def describe(self) -> str:
        return " | ".join(option.describe() for option in self.options)


def _is_record(values: Sequence[tuple]) -> bool:
    """Tuples that never grow (as `synthesis` decides) and all have one length."""
    return len({len(v) for v in values}) == 1 and not any(synthesis._grows(v) for v in values)


def _sorted_lists(values: Sequence[Any]) -> bool:
    """Every observed list of 3+ items is sorted (and there is one): binary searches and merges expect it."""
    long = [v for v in values if len(v) >= 3]
    try:
        return bool(long) and all(all(a <= b for a, b in zip(v, v[1:])) for v in long)
    except TypeError:
        return False


def shape_of(values: Sequence[Any], depth: int = 0) -> Shape:
    """The shape of the values observed at one place (all calls' arguments at a position, or
    all elements of the containers there)."""
    groups: dict[type, list[Any]] = {}
    for value in values:
        groups.setdefault(type(value), []).append(value)
    options = []
    for kind, group in groups.items():
        options.append(_shape_of_kind(kind, group, depth))
    if len(options) == 1:
        return options[0]
    return Union(tuple(options)) if options else Opaque(())


def _opaque(values: Sequence[Any]) -> Opaque:
    kept: list[Any] = []
    for value in values:
        if len(kept) >= _MAX_OPAQUE:
            break
        if not any(value is k or _same(value, k) for k in kept):
            kept.append(value)
    return Opaque(tuple(kept))


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


def _shape_of_kind(kind: type, group: list[Any], depth: int) -> Shape:
    if depth > _MAX_DEPTH:
        return _opaque(group)
    if kind is bool:
        return Bools()
    if kind is int:
        return Ints(min(group), max(group))
    if kind is float:
        finite = [v for v in group if math.isfinite(v)]
        return Floats(min(finite), max(finite)) if finite else _opaque(group)
    if kind in (str, bytes):
        alphabet = sorted({ch for text in group for ch in (text if kind is str else text.decode("latin-1"))})
        return Texts(kind, "".join(alphabet), max(len(v) for v in group), tuple(_opaque(group).values))
    if kind is tuple and _is_record(group):
        return Records(tuple(shape_of([v[i] for v in group], depth + 1) for i in range(len(group[0]))))
    if kind in (list, tuple, set, frozenset):
        elements = [item for value in group for item in value]
        return Collections(kind, shape_of(elements, depth + 1), max(len(v) for v in group),
                           kind is list and _sorted_lists(group))
    if kind is dict:
        keys = [k for value in group for k in value]
        items = [v for value in group for v in value.values()]
        return Mappings(shape_of(keys, depth + 1), shape_of(items, depth + 1), max(len(v) for v in group))
    return _opaque(group)


# ----------------------------------------------------------------------------------------------- strategies

def _sorted_if_comparable(values: list) -> list:
    """The values sorted, or as they are when they do not compare (an int and a str)."""
    try:
        return sorted(values)
    except TypeError:
        return values


def strategy_for(shape: Shape, max_length: int, st: Any) -> Any:
    """A hypothesis strategy drawing values of `shape` (`st` is `hypothesis.strategies`)."""
    if isinstance(shape, Opaque):
        return st.sampled_from(shape.values) if shape.values else st.nothing()
    if isinstance(shape, Bools):
        return st.booleans()
    if isinstance(shape, Ints):
        margin = max(2, (shape.high - shape.low) // 4)
        return st.integers(shape.low - margin, shape.high + margin)
    if isinstance(shape, Floats):
        margin = max(1.0, (shape.high - shape.low) / 4)
        low, high = max(shape.low - margin, -_FLOAT_BOUND), min(shape.high + margin, _FLOAT_BOUND)
        return st.floats(low, high, allow_nan=False, allow_infinity=False)
    if isinstance(shape, Texts):
        longest = max(max_length, shape.longest + 2)
        if shape.kind is bytes:
            drawn = st.binary(max_size=longest) if not shape.alphabet else \
                st.lists(st.sampled_from(shape.alphabet.encode("latin-1")), max_size=longest).map(bytes)
        else:
            drawn = st.text(alphabet=shape.alphabet or "ab", max_size=longest)
        return st.one_of(st.sampled_from(shape.observed), drawn) if shape.observed else drawn
    if isinstance(shape, Collections):
        element = strategy_for(shape.element, max_length, st)
        if isinstance(shape.element, Opaque) and not shape.element.values:
            return st.just(shape.kind())  # only empty ones were seen
        lists = st.lists(element, max_size=max(max_length, shape.longest + 2))
        if shape.sorted:
            lists = st.one_of(lists.map(_sorted_if_comparable), lists)
        return lists if shape.kind is list else lists.map(shape.kind)
    if isinstance(shape, Records):
        return st.tuples(*(strategy_for(item, max_length, st) for item in shape.items))
    if isinstance(shape, Mappings):
        if isinstance(shape.key, Opaque) and not shape.key.values:
            return st.just({})
        return st.dictionaries(strategy_for(shape.key, max_length, st), strategy_for(shape.value, max_length, st),
                               max_size=max(max_length, shape.longest + 2))
    if isinstance(shape, Union):
        return st.one_of(*(strategy_for(option, max_length, st) for option in shape.options))
    raise TypeError(f"no strategy for {shape!r}")


@dataclasses.dataclass(frozen=True)
class CallShape:
    """The shapes of one arity's argument positions, and the ints that follow a container's length."""

    positions: tuple[Shape, ...]
    lengths: tuple[tuple[int, int], ...]  # (int position, container position)

    def describe(self) -> str:
        follows = dict(self.lengths)
        return ", ".join(f"len(#{follows[i]})" if i in follows else shape.describe()
                         for i, shape in enumerate(self.positions)) or "no arguments"


def _length_links(calls: Sequence[tuple]) -> tuple[tuple[int, int], ...]:
    """(j, i) where argument j is an int equal to len(argument i) in every call, and some call has len >= 2."""
    links = []
    arity = len(calls[0])
    for j in range(arity):
        if not all(type(c[j]) is int for c in calls):
            continue
        for i in range(arity):
            if i != j and all(isinstance(c[i], (list, tuple, str, dict, set)) and len(c[i]) == c[j] for c in calls) \
                    and any(c[j] >= 2 for c in calls):
                links.append((j, i))
                break
    return tuple(links)


def call_shapes(calls: Sequence[tuple]) -> list[CallShape]:
    """One CallShape per arity seen in the calls."""
    by_arity: dict[int, list[tuple]] = {}
    for args in calls:
        by_arity.setdefault(len(args), []).append(args)
    return [CallShape(tuple(shape_of([c[i] for c in group]) for i in range(arity)), _length_links(group))
            for arity, group in sorted(by_arity.items())]


def _follow_lengths(args: tuple, links: tuple[tuple[int, int], ...]) -> tuple:
    values = list(args)
    for j, i in links:
        values[j] = len(values[i])
    return tuple(values)


def alias_pairs(shape: CallShape) -> list[tuple[int, int]]:
    """(i, j), i < j: positions of one mutable container type (two lists, two dicts, two sets), which a
    call may pass one object to."""
    kinds = {i: dict if isinstance(s, Mappings) else s.kind for i, s in enumerate(shape.positions)
             if isinstance(s, Mappings) or (isinstance(s, Collections) and s.kind in (list, set))}
    return [(i, j) for i in kinds for j in kinds if i < j and kinds[i] is kinds[j]]


def _maybe_aliased(drawn: tuple[tuple, int], pairs: list[tuple[int, int]]) -> tuple:
    """The arguments, with one object at both positions of pair `choice - _PLAIN` (choices below
    _PLAIN: no alias, so one call in about six aliases and shrinking moves away from it)."""
    args, choice = drawn
    if choice < _PLAIN:
        return args
    i, j = pairs[choice - _PLAIN]
    return args[:j] + (args[i],) + args[j + 1:]


def arguments_strategy(calls: Sequence[tuple], max_length: int, st: Any) -> Any:
    """Argument tuples: the observed calls themselves, or drawn from each arity's shapes (now and
    then with one object passed at two positions of the same container shape)."""
    drawn = []
    for shape in call_shapes(calls):
        tuples = st.tuples(*(strategy_for(s, max_length, st) for s in shape.positions))
        if shape.lengths:
            tuples = tuples.map(lambda args, links=shape.lengths: _follow_lengths(args, links))
        pairs = alias_pairs(shape)
        if pairs:
            tuples = st.tuples(tuples, st.integers(0, _PLAIN - 1 + len(pairs))).map(
                lambda drawn, pairs=pairs: _maybe_aliased(drawn, pairs))
        drawn.append(tuples)
    return st.one_of(st.sampled_from(list(calls)), *drawn)


# ----------------------------------------------------------------------------------------------- comparing

class _CallTimeout(BaseException):
    """A call ran past its cap (a BaseException so the program's `except Exception` cannot swallow it)."""


class _Mismatch(Exception):
    """Raised in the hypothesis test when the sides differ (hypothesis then shrinks the input)."""


@dataclasses.dataclass(frozen=True)
class _Outcome:
    value: Any = None
    args_after: tuple = ()
    raised: str = ""       # exception type name, "" when the call returned
    message: str = ""
    seconds: float = 0.0
    timed_out: bool = False

    def describe(self) -> str:
        if self.timed_out:
            return f"runs past {self.seconds:.2f} s"
        if self.raised:
            return f"raises {self.raised}: {self.message}"[:_REPR_CHARS] if self.message else f"raises {self.raised}"
        return f"returns {checks.short_repr(self.value, _REPR_CHARS)}"


def _alarm(signum, frame):
    raise _CallTimeout()


def run_capped(function: Callable, args: tuple, cap_seconds: float) -> _Outcome:
    """Calls function on a deep copy of args, stopped after cap_seconds (SIGALRM)."""
    fresh = copy.deepcopy(args)
    previous = signal.signal(signal.SIGALRM, _alarm)
    start = time.perf_counter()
    try:
        try:
            signal.setitimer(signal.ITIMER_REAL, cap_seconds)
            value = function(*fresh)
            raised, message = "", ""
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _CallTimeout:
        return _Outcome(seconds=cap_seconds, timed_out=True)
    except KeyboardInterrupt:
        raise
    except MemoryError:  # an outcome, and the memory goes with the arguments and the traceback
        del fresh
        return _Outcome(raised="MemoryError", seconds=time.perf_counter() - start)
    except BaseException as exc:  # SystemExit and the like are outcomes too
        if type(exc).__name__ == "OutputLimitExceeded":
            raise
        value, raised, message = None, type(exc).__name__, str(exc).splitlines()[0] if str(exc) else ""
    finally:
        signal.signal(signal.SIGALRM, previous)
    return _Outcome(value, fresh, raised, message[:_REPR_CHARS], time.perf_counter() - start)


def compare(original: _Outcome, candidate: _Outcome, exception_types: bool = True) -> tuple[str, str]:
    """(kind, detail) of how the candidate's call differs from the original's, or ("", "")."""
    if candidate.timed_out:
        return TIMEOUT, ""
    if original.raised or candidate.raised:
        if original.raised == candidate.raised:
            return "", ""
        if not candidate.raised:
            return RETURNS, ""
        if not original.raised:
            return RAISES, ""
        return (EXCEPTION_TYPE, "") if exception_types else ("", "")
    if not checks.same_output(original.args_after, candidate.args_after):
        return ARGUMENTS, (f"the original leaves {checks.short_repr(original.args_after, 100)}, "
                           f"the candidate {checks.short_repr(candidate.args_after, 100)}")
    if not checks.same_output(original.value, candidate.value):
        return OUTPUT, ""
    return "", ""


def call_repr(name: str, args: tuple) -> str:
    """`name(arg, ...)` with each argument's repr (cut when long), and which arguments are one object."""
    text = ", ".join(checks.short_repr(a, _REPR_CHARS) for a in args)
    shared = [(i, j) for i in range(len(args)) for j in range(i + 1, len(args))
              if args[i] is args[j] and isinstance(args[i], (list, dict, set))]
    note = "".join(f" with arguments {i} and {j} one object" for i, j in shared)
    return f"{name}({text}){note}"


class Differential:
    """Compares original and candidate on argument tuples; remembers the last counterexample."""

    def __init__(self, name: str, original: Callable, candidate: Callable, options: PropertyOptions):
        self.name = name
        self.original = original
        self.candidate = candidate
        self.options = options
        self.deadline = time.monotonic() + options.budget_seconds
        self.compared = 0
        self.rejected = 0
        self.out_of_budget = False
        self.found: Counterexample | None = None

    def differs(self, args: tuple) -> bool | None:
        """Whether the sides differ on args (remembering how); None when the example is skipped
        (the original ran past its cap, or the budget is spent)."""
        if time.monotonic() > self.deadline:
            self.out_of_budget = True
            return None
        original = run_capped(self.original, args, self.options.call_cap_seconds)
        if original.timed_out or original.raised == "MemoryError":  # too big to compare
            self.rejected += 1
            return None
        cap = max(self.options.call_cap_seconds, 20 * original.seconds)
        candidate = run_capped(self.candidate, args, cap)
        kind, detail = compare(original, candidate, self.options.exception_types)
        self.compared += 1
        if not kind or (self.found is not None and kind != self.found.kind):
            return False  # while shrinking, only inputs that differ the same way count
        self.found = Counterexample(kind, call_repr(self.name, args), original.describe(), candidate.describe(),
                                    detail)
        return True


def check_properties(check: Callable, original: Callable, candidate: Callable, name: str,
                     options: PropertyOptions = PropertyOptions()) -> PropertyResult:
    """Records the tests' calls, draws `options.examples` argument tuples from their shapes and
    compares the two functions on each (module docstring). Never raises for what the functions do."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, reject, settings
    from hypothesis import strategies as st
    from hypothesis.errors import HypothesisException

    recorded = synthesis.record_calls(check, original)
    if not recorded:
        return PropertyResult(error="the tests never call the function with positional arguments")
    calls = [call.args for call in recorded]
    shapes = "; ".join(shape.describe() for shape in call_shapes(calls))
    try:
        strategy = arguments_strategy(calls, options.max_length, st)
    except (TypeError, ValueError) as exc:
        return PropertyResult(recorded=len(calls), shapes=shapes, error=f"no strategy for the arguments: {exc}")
    differential = Differential(name, original, candidate, options)

    @settings(derandomize=True, database=None, max_examples=options.examples, deadline=None,
              phases=(Phase.explicit, Phase.generate, Phase.shrink), verbosity=Verbosity.quiet,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False, print_blob=False)
    @given(strategy)
    def differ(args: tuple) -> None:
        verdict = differential.differs(args)
        if verdict is None:
            reject()
        if verdict:
            raise _Mismatch()

    error = ""
    try:
        differ()
    except _Mismatch:
        pass
    except (HypothesisException, ExceptionGroup) as exc:  # unsatisfiable, or a shrink cut short (flaky)
        if differential.found is None and differential.compared == 0:
            error = f"no example could be compared ({type(exc).__name__})"
    return PropertyResult(differential.compared, differential.rejected, len(calls), shapes, differential.found,
                          differential.out_of_budget, error)
