"""Workload synthesis, run inside a sandboxed worker: the tests' calls, grown until they take time.

1. Record: the problem's `check` runs with a recording wrapper in place of the function, so
   every call the tests make is captured with its evaluated arguments (whatever expressions
   built them), and whether the original raised on it.
2. Grow: each recorded call is scaled by a factor 2, 4, 8, ... keeping its shape (`grow`):
   lists, tuples of one element type, strings, dicts and sets get longer, built from the
   observed elements and value ranges (sorted stays sorted, distinct stays distinct, a
   rectangular matrix stays rectangular, every nesting level grows); an int that equals the
   length of a container argument follows that container. Where growing the containers
   does not make the call slower (or there are none), the ints grow instead (a loop bound).
   Growth stops once the call takes its share of the target pass time, when the original
   raises (that input becomes an edge case), or when a call runs past the cap (dropped).
3. Emit: `def workload()` (the grown calls) and `def edge_cases()` (the tests' own inputs and
   the grown inputs on which the original raises), as Python source the harness can hold.

The values for a factor are a function of the seed alone; how far each call grows is chosen
by timing the original, so the sizes may differ on a much faster or slower machine (save the
workload to pin it). `synthesize` takes the cost function, so tests can use a deterministic one.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import math
import random
import signal
import time
from typing import Any, Callable, Sequence

from codeopt_jax.scoring import checks

_CONTAINERS = (list, tuple, str, bytes, dict, set, frozenset)
_MIN_GAIN = 3.0                 # a grown call must take this many times the tested one's time
_MIN_SCALED_SECONDS = 50e-6     # and at least this long, to count as scaled
_LITERAL_ATOMS = (type(None), bool, int, float, complex, str, bytes)


@dataclasses.dataclass(frozen=True)
class SynthesisOptions:
    """Settings of one synthesis."""

    seed: int = 0
    target_seconds: float = 0.005   # one pass of the original over every workload call
    call_cap_seconds: float = 0.5   # a grown call slower than this is dropped
    max_calls: int = 4              # calls in the workload (the recorded calls that grew most)
    max_edge_cases: int = 24        # the tests' inputs and raising inputs kept for the differential check
    max_elements: int = 200_000     # elements in one grown call, all levels together
    max_factor: int = 1 << 14
    budget_seconds: float = 30.0    # the whole synthesis

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class GrownCall:
    """One workload call: the recorded call it grew from and what it became."""

    factor: int          # 1: the test's own input
    mode: str            # "containers", "ints" or "as tested"
    shape: str           # e.g. "list[int] len 4096, int"
    seconds: float       # the original's time for this call


@dataclasses.dataclass(frozen=True)
class SynthesisResult:
    """What a synthesis produced; `workload_source` is empty when it failed (`error` says why)."""

    workload_source: str = ""
    edge_cases_source: str = ""
    calls: tuple[GrownCall, ...] = ()
    recorded: int = 0          # distinct calls the tests made
    raising: int = 0           # of those, calls on which the original raised
    scaled: bool = False       # False: nothing could be grown; the tests' inputs are the workload
    pass_seconds: float = 0.0  # the original's time for one pass over the workload
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, fields: dict[str, Any]) -> "SynthesisResult":
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in fields.items() if k in known}
        values["calls"] = tuple(GrownCall(**c) for c in values.get("calls", ()))
        return cls(**values)


@dataclasses.dataclass(frozen=True)
class RecordedCall:
    """Arguments of one call the tests made (copied before the call) and the original's exception, if any."""

    args: tuple
    raised: str = ""


class _CallTimeout(BaseException):
    """A call ran past the cap (a BaseException so the program's `except Exception` cannot swallow it)."""


def record_calls(check: Callable, original: Callable, limit: int = 256) -> list[RecordedCall]:
    """Runs `check(wrapper)` and returns the distinct positional calls the wrapper saw, in order.

    Calls with keyword-only arguments are skipped (the workload format is positional)."""
    try:
        signature = inspect.signature(original)
    except (TypeError, ValueError):
        signature = None
    seen: set[str] = set()
    calls: list[RecordedCall] = []

    def wrapper(*args, **kwargs):
        positional = args
        if kwargs and signature is not None:
            try:
                bound = signature.bind(*args, **kwargs)
                positional = tuple(bound.args) if not bound.kwargs else None
            except TypeError:
                positional = None
        elif kwargs:
            positional = None
        snapshot = None
        if positional is not None and len(calls) < limit:
            try:
                snapshot = copy.deepcopy(positional)
                key = checks.output_digest(snapshot)
            except Exception:
                snapshot = None
            if snapshot is not None and key in seen:
                snapshot = None
        try:
            return original(*args, **kwargs)
        except Exception as exc:
            if snapshot is not None:
                seen.add(key)
                calls.append(RecordedCall(snapshot, type(exc).__name__))
            raise
        finally:
            if snapshot is not None and key not in seen:
                seen.add(key)
                calls.append(RecordedCall(snapshot))

    try:
        check(wrapper)
    except Exception:
        pass  # a failing test is reported when the original is scored; the calls made so far count
    return calls


# ----------------------------------------------------------------------------------------------- growing

def nesting_levels(value: Any, depth: int = 0) -> int:
    """Container levels of a value: 0 for an atom, 1 for a flat list or a string, 2 for a matrix."""
    if depth > 20 or not isinstance(value, _CONTAINERS) or not value:
        return 0
    if isinstance(value, (str, bytes)):
        return 1 if depth == 0 else 0  # a string inside a container is an element, like a name
    items = value.values() if isinstance(value, dict) else value
    return 1 + max(nesting_levels(item, depth + 1) for item in items)


def _grows(value: Any) -> bool:
    """Whether a container's length may change: tuples only when they hold one type and 3+ items,
    or 5+ items of any types (a short mixed tuple is a record, like a point or a name and an age)."""
    if isinstance(value, tuple):
        return len(value) >= 5 or (len(value) >= 3 and len({type(v) for v in value}) == 1)
    return isinstance(value, _CONTAINERS) and len(value) > 0


def _new_length(length: int, factor: float) -> int:
    return max(length, int(round(length * factor)))


def _looks_distinct(observed: Sequence[Any]) -> bool:
    """Three or more observed values, all different: the growth keeps them different."""
    return len(observed) >= 3 and _all_distinct(observed)


def _sample_ints(observed: Sequence[int], n: int, rng: random.Random, distinct: bool | None = None) -> list[int]:
    """n ints in the observed range, keeping distinctness and order where the observed ones have them."""
    lo, hi = min(observed), max(observed)
    distinct = _looks_distinct(observed) if distinct is None else distinct
    if distinct:
        if hi - lo + 1 < n:
            span = n * 2 if hi - lo < 1 else (hi - lo + 1) * math.ceil(n * 2 / (hi - lo + 1))
            hi = lo + span - 1
        values = rng.sample(range(lo, hi + 1), n)
    else:
        values = [rng.randint(lo, hi) for _ in range(n)]
    return _ordered_like(observed, values)


def _ordered_like(observed: Sequence[Any], values: list[Any]) -> list[Any]:
    if len(observed) < 2:
        return values
    try:
        if all(a <= b for a, b in zip(observed, observed[1:])):
            return sorted(values)
        if all(a >= b for a, b in zip(observed, observed[1:])):
            return sorted(values, reverse=True)
    except TypeError:
        pass
    return values


def _sample_floats(observed: Sequence[float], n: int, rng: random.Random) -> list[float]:
    lo, hi = min(observed), max(observed)
    integral = all(v == int(v) for v in observed if math.isfinite(v))
    values = [float(rng.randint(int(lo), int(hi))) if integral else round(rng.uniform(lo, hi), 3)
              for _ in range(n)]
    return _ordered_like(observed, values)


def _sample_items(observed: Sequence[Any], n: int, factor: float, rng: random.Random, depth: int,
                  keep_distinct: bool = True) -> list[Any]:
    """n elements like the observed ones: ints and floats from their range, others picked among
    the observed elements and grown one level down (dict values: `keep_distinct` False)."""
    kinds = {type(v) for v in observed}
    if kinds == {int}:
        return _sample_ints(observed, n, rng, None if keep_distinct else False)
    if kinds <= {int, float} and kinds:
        return _sample_floats([float(v) for v in observed], n, rng)
    rectangular = all(isinstance(v, (list, tuple)) for v in observed) and len({len(v) for v in observed}) == 1
    picks = [observed[rng.randrange(len(observed))] for _ in range(n)]
    if rectangular and _grows(observed[0]):
        width = _new_length(len(observed[0]), factor)
        pool = [item for row in observed for item in row]
        return [type(row)(_sample_items(pool, width, factor, rng, depth + 1)) for row in picks]
    distinct = keep_distinct and _looks_distinct(observed)
    grown = [grow_value(item, factor, rng, depth + 1) for item in picks]
    if distinct and not _all_distinct(grown):
        grown = [_distinct_variant(item, index) for index, item in enumerate(grown)]
    return _ordered_like(observed, grown)


def _all_distinct(values: Sequence[Any]) -> bool:
    try:
        return len(set(values)) == len(values)
    except TypeError:
        return False


def _distinct_variant(value: Any, index: int) -> Any:
    """A value made unique by its index where the type allows it (strings get a suffix)."""
    if isinstance(value, str):
        return f"{value}{index}"
    if isinstance(value, bytes):
        return value + str(index).encode()
    return value


def grow_value(value: Any, factor: float, rng: random.Random, depth: int = 0) -> Any:
    """`value` with every growable container `factor` times longer (see the module docstring);
    strings grow only as arguments themselves, not as elements of a container."""
    if depth > 20 or not _grows(value) or (depth > 0 and isinstance(value, (str, bytes))):
        return value
    if isinstance(value, (str, bytes)):
        length = _new_length(len(value), factor)
        return (value * (length // len(value) + 1))[:length]
    if isinstance(value, dict):
        n = _new_length(len(value), factor)
        keys = list(value)
        if all(type(k) is int for k in keys):
            new_keys = _sample_ints(keys if len(keys) > 1 else keys + [keys[0] + 1], n, rng, distinct=True)
        elif all(isinstance(k, str) for k in keys):
            new_keys = keys + [f"{keys[i % len(keys)]}{i}" for i in range(n - len(keys))]
        else:
            return value
        values = _sample_items(list(value.values()), len(new_keys), factor, rng, depth, keep_distinct=False)
        return dict(zip(new_keys, values))
    if isinstance(value, (set, frozenset)):
        observed = sorted(value, key=repr)
        n = _new_length(len(observed), factor)
        if all(type(v) is int for v in observed):
            items = _sample_ints(observed if len(observed) > 1 else observed + [observed[0] + 1], n, rng,
                                 distinct=True)
        else:
            items = [_distinct_variant(v, i) for i, v in enumerate(_sample_items(observed, n, factor, rng, depth))]
        return type(value)(items)
    return type(value)(_sample_items(list(value), _new_length(len(value), factor), factor, rng, depth))


def _growing_arguments(args: tuple) -> set[int]:
    """Positions of the arguments that grow: every container other than a string; a string only
    when there is no such container and it is the longest string (the data, not a separator,
    a character or a label, as in `remove(text, "l")` or `fmt(items, "EUR")`)."""
    containers = {i for i, a in enumerate(args) if isinstance(a, _CONTAINERS) and not isinstance(a, (str, bytes))}
    if containers:
        return containers
    lengths = {i: len(a) for i, a in enumerate(args) if isinstance(a, (str, bytes))}
    longest = max(lengths.values(), default=0)
    return {i for i, n in lengths.items() if n == longest and n >= 2}


def grow_call(args: tuple, factor: int, mode: str, seed: int) -> tuple:
    """One recorded call grown by `factor` (values depend only on the arguments, factor, mode and seed).

    mode "containers": containers grow, spread over their nesting levels, and an int equal to a
    container argument's length follows it; mode "ints": ints of magnitude >= 2 are multiplied."""
    rng = random.Random(f"{seed}:{factor}:{mode}:{checks.output_digest(args)}")
    if mode == "ints":
        return tuple(a * factor if type(a) is int and abs(a) >= 2 else a for a in args)
    grown = []
    growing = _growing_arguments(args)
    for index, arg in enumerate(args):
        levels = nesting_levels(arg)
        grown.append(grow_value(arg, factor ** (1.0 / levels), rng) if levels and index in growing else arg)
    lengths = {len(a): len(g) for a, g in zip(args, grown) if isinstance(a, _CONTAINERS) and _grows(a)}
    return tuple(lengths.get(a, a) if type(a) is int and a >= 2 else g for a, g in zip(args, grown))


def count_elements(value: Any, depth: int = 0) -> int:
    """Atoms and characters in a value, all levels together."""
    if depth > 20:
        return 1
    if isinstance(value, (str, bytes)):
        return len(value) // 4 + 1  # a character costs less than an element
    if isinstance(value, dict):
        return sum(count_elements(k, depth + 1) + count_elements(v, depth + 1) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return sum(count_elements(v, depth + 1) for v in value) or 1
    return 1


def describe(args: tuple) -> str:
    """A short shape of an argument tuple, e.g. 'list[int] len 4096, int'."""
    def one(value: Any, depth: int = 0) -> str:
        if isinstance(value, (str, bytes)):
            return f"{type(value).__name__} len {len(value)}"
        if isinstance(value, (list, tuple, set, frozenset, dict)) and depth < 2:
            items = list(value.values() if isinstance(value, dict) else value)
            inner = sorted({one(v, depth + 1).split(" len")[0] for v in items[:50]})
            return f"{type(value).__name__}[{'|'.join(inner) or '-'}] len {len(value)}"
        return type(value).__name__
    return ", ".join(one(a) for a in args) or "no arguments"


# ----------------------------------------------------------------------------------------------- source

def literal_source(value: Any, depth: int = 0) -> str:
    """Python source that evaluates to `value`; raises ValueError for values source cannot hold."""
    if depth > 30:
        raise ValueError("nested too deeply")
    kind = type(value)
    if kind is float and not math.isfinite(value):
        return f"float({str(value)!r})"
    if kind in _LITERAL_ATOMS:
        if kind is complex and not (math.isfinite(value.real) and math.isfinite(value.imag)):
            raise ValueError("non-finite complex")
        return repr(value)
    if kind in (list, tuple):
        body = ", ".join(literal_source(v, depth + 1) for v in value)
        return f"[{body}]" if kind is list else f"({body}{',' if len(value) == 1 else ''})"
    if kind is dict:
        return "{" + ", ".join(f"{literal_source(k, depth + 1)}: {literal_source(v, depth + 1)}"
                               for k, v in value.items()) + "}"
    if kind in (set, frozenset):
        items = sorted((literal_source(v, depth + 1) for v in value))
        inner = "{" + ", ".join(items) + "}" if items else ""
        return f"{kind.__name__}({inner})" if kind is frozenset or not items else inner
    raise ValueError(f"a {kind.__name__} cannot be written as source")


def _writable(args: tuple) -> bool:
    try:
        literal_source(args)
        return True
    except ValueError:
        return False


def calls_source(name: str, calls: Sequence[tuple], doc: str) -> str:
    """`def name():` returning the argument tuples, one per line."""
    lines = [f"def {name}():", f'    """{doc}"""', "    return ["]
    lines.extend(f"        {literal_source(tuple(args))}," for args in calls)
    lines.append("    ]")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------- timing

class CallTimer:
    """Times the original on fresh copies of a call, stopping any call at the cap (SIGALRM)."""

    def __init__(self, function: Callable, cap_seconds: float):
        self.function = function
        self.cap_seconds = cap_seconds

    def _alarm(self, signum, frame):
        raise _CallTimeout()

    def __call__(self, args: tuple) -> float:
        """Seconds per call (repeated to at least 2 ms when fast). Raises _CallTimeout past the cap,
        and whatever the original raises."""
        previous = signal.signal(signal.SIGALRM, self._alarm)
        signal.setitimer(signal.ITIMER_REAL, self.cap_seconds)
        try:
            total, runs = 0.0, 0
            while total < 0.002 and runs < 1000:
                fresh = copy.deepcopy(args)
                start = time.perf_counter()
                self.function(*fresh)
                total += time.perf_counter() - start
                runs += 1
            return total / runs
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


# ----------------------------------------------------------------------------------------------- synthesis

@dataclasses.dataclass(frozen=True)
class _Growth:
    args: tuple
    factor: int
    mode: str
    seconds: float


def _grow_until(args: tuple, base: float, target: float, mode: str, cost: Callable[[tuple], float],
                options: SynthesisOptions, deadline: float, raised: list[tuple]) -> _Growth | None:
    """Doubles the factor until the call takes `target`; the largest growth that stayed valid,
    or None when growing in this mode changed nothing or never made the call slower."""
    best: _Growth | None = None
    factor = 2
    while factor <= options.max_factor and time.monotonic() < deadline:
        grown = grow_call(args, factor, mode, options.seed)
        if grown == args or count_elements(grown) > options.max_elements:
            break
        try:
            seconds = cost(grown)
        except _CallTimeout:
            break
        except RecursionError:
            break
        except MemoryError:
            break
        except Exception as exc:
            raised.append((grown, type(exc).__name__))
            break
        best = _Growth(grown, factor, mode, seconds)
        if seconds >= target:
            break
        factor *= 2
    if best is None or best.seconds < max(_MIN_GAIN * base, _MIN_SCALED_SECONDS):
        return None  # growing did not make the call meaningfully slower: nothing here scales
    return best


def synthesize(check: Callable, original: Callable, options: SynthesisOptions = SynthesisOptions(),
               cost: Callable[[tuple], float] | None = None) -> SynthesisResult:
    """Records the calls `check(original)` makes and grows them into a workload (module docstring)."""
    deadline = time.monotonic() + options.budget_seconds
    cost = cost or CallTimer(original, options.call_cap_seconds)
    recorded = record_calls(check, original)
    if not recorded:
        return SynthesisResult(error="the tests never call the function with positional arguments")
    working = [call for call in recorded if not call.raised]
    if not working:
        return SynthesisResult(recorded=len(recorded), raising=len(recorded),
                               error="the original raises on every call the tests make")
    per_call = options.target_seconds / min(len(working), options.max_calls)
    raised: list[tuple] = []
    grown: list[_Growth] = []
    as_tested: list[_Growth] = []
    for call in working:
        if time.monotonic() >= deadline:
            break
        try:
            base = cost(call.args)
        except (Exception, _CallTimeout):
            continue
        as_tested.append(_Growth(call.args, 1, "as tested", base))
        if base >= per_call:
            grown.append(as_tested[-1])
            continue
        best = _grow_until(call.args, base, per_call, "containers", cost, options, deadline, raised)
        if best is None or best.seconds < per_call:
            by_ints = _grow_until(call.args, base, per_call, "ints", cost, options, deadline, raised)
            if by_ints is not None and (best is None or by_ints.seconds > best.seconds):
                best = by_ints
        if best is not None:
            grown.append(best)
    scaled = any(g.factor > 1 for g in grown)
    chosen = sorted(grown, key=lambda g: -g.seconds)[:options.max_calls] if scaled else as_tested
    if not chosen:
        return SynthesisResult(recorded=len(recorded), raising=len(recorded) - len(working),
                               error="no call the tests make could be timed within the cap")
    edge = [args for args in [c.args for c in recorded] + [args for args, _ in raised] if _writable(args)]
    try:
        workload_source = calls_source("workload", [g.args for g in chosen],
                                       "Synthesized from the tests' calls (seed %d)." % options.seed)
    except ValueError as exc:
        return SynthesisResult(recorded=len(recorded), error=f"the arguments cannot be written as source ({exc})")
    edge_source = calls_source("edge_cases", edge[:options.max_edge_cases],
                               "The tests' own inputs and inputs on which the original raises.")
    return SynthesisResult(
        workload_source=workload_source, edge_cases_source=edge_source,
        calls=tuple(GrownCall(g.factor, g.mode, describe(g.args), g.seconds) for g in chosen),
        recorded=len(recorded), raising=len(recorded) - len(working), scaled=scaled,
        pass_seconds=sum(g.seconds for g in chosen))
