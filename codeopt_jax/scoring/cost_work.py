"""The C-level work of a hooked operation: which operation it is and how many units and items it handles.

The cost hooks (`cost_model.CostMeter`) call these functions with a `charge(operation,
units, items)` callback (`cost_table.OPERATIONS` names the operations). Every function here
performs the operation exactly as the program wrote it (same calls on the same objects in
the same order, same result, same exception) and reads sizes only from objects of exact
built-in types, whose `len`, `index` and `find` run no Python code; an operand of any other
type is charged nothing extra (its Python-level methods are traced as instructions). Nothing
here depends on an object's id or hash, so a count is the same in every process.
"""

from __future__ import annotations

import bisect
import builtins
import collections
import copy
import functools
import heapq
import itertools
import math
import operator
import types
from typing import Any, Callable

Charge = Callable[..., None]  # charge(operation, units, items=0.0)

_ATOMIC = frozenset({int, float, complex, str, bytes, bool, type(None)})  # == runs no Python code
_SEQUENCES = frozenset({list, tuple, collections.deque})
_CHARS = frozenset({str, bytes, bytearray})
_HASHED = frozenset({set, frozenset, dict, collections.OrderedDict, collections.defaultdict, collections.Counter,
                     type({}.keys()), type({}.items())})
_SETS = frozenset({set, frozenset, type({}.keys()), type({}.items())})
_DICTS = frozenset({dict, collections.OrderedDict, collections.defaultdict, collections.Counter})
_SIZED = frozenset({*_SEQUENCES, *_CHARS, *_HASHED, range, type({}.values())})
_ITERATORS = frozenset({
    types.GeneratorType, map, filter, zip, enumerate, reversed, type(iter([])), type(iter(())), type(iter("")),
    type(iter(b"")), type(iter(set())), type(iter({})), type(iter({}.values())), type(iter({}.items())),
    type(iter(range(0))), type(iter(range(1 << 70))), type(reversed([])), type(iter(collections.deque())),
    itertools.chain, itertools.islice, itertools.starmap, itertools.takewhile, itertools.dropwhile,
    itertools.filterfalse, itertools.accumulate, itertools.zip_longest, itertools.product, itertools.permutations,
    itertools.combinations, itertools.compress, itertools.pairwise, itertools.groupby})
_PYTHON_CALLABLES = (types.FunctionType, types.MethodType)  # their calls are traced frames
_first = operator.itemgetter(0)


# --- sizes -----------------------------------------------------------------------------------------

class _Counted:
    """An iterable as a built-in passes it on, and how to learn afterwards how many items it gave."""

    __slots__ = ("iterable", "size", "counter")

    def __init__(self, iterable: Any, always_count: bool = False):
        self.iterable, self.size, self.counter = iterable, None, None
        kind = type(iterable)
        if kind in _SIZED and not always_count:
            self.size = len(iterable)
        elif kind in _SIZED or kind in _ITERATORS:
            # C all the way (zip stops before drawing from the counter once the iterable ends)
            self.counter = itertools.count()
            self.iterable = map(_first, zip(iterable, self.counter))

    def items(self) -> int:
        """Items the iterable gave (its length when sized, else those drawn; 0 for a type not known)."""
        if self.size is not None:
            return self.size
        return next(self.counter) if self.counter is not None else 0


def _log2(n: int) -> float:
    return math.log2(n + 1)


def _n_log_n(n: int) -> float:
    return n * math.log2(n) if n > 1 else 0.0


def _charge_keys(charge: Charge, key: Any, n: int) -> None:
    if key is not None and not isinstance(key, _PYTHON_CALLABLES):
        charge("key_calls", n)


# --- membership --------------------------------------------------------------------------------

def contains(charge: Charge, item: Any, container: Any) -> bool:
    """`item in container`, charged by what the container scans."""
    kind = type(container)
    if kind in _SEQUENCES:
        found = item in container
        n = len(container)
        if not found:
            charge("contains_sequence", n)
        elif type(item) in _ATOMIC and _ATOMIC.issuperset(map(type, container)):
            charge("contains_sequence", container.index(item) + 1)  # comparisons of atomic values run no code
        else:
            charge("contains_sequence", (n + 1) / 2)
        return found
    if kind is str and type(item) is str:
        position = container.find(item)
        charge("contains_chars", position + len(item) if position >= 0 else len(container))
        return position >= 0
    found = item in container
    if kind in _HASHED:
        charge("contains_hashed", 0)
    elif kind in _CHARS:
        charge("contains_chars", len(container))
    elif kind is type({}.values()):
        charge("contains_sequence", len(container) if not found else (len(container) + 1) / 2)
    return found


# --- results of operators and slices -----------------------------------------------------------

def made(charge: Charge, value: Any) -> Any:
    """A new sequence (concatenation, repetition, slice) charged by its length; returns it."""
    kind = type(value)
    if kind is str and (not value or len(value) == 1 and ord(value) < 256):
        return value  # CPython hands out its cached empty and one-character (latin-1) strings: nothing copied
    if kind in _CHARS:
        charge("copy_chars", len(value))
    elif kind is list or kind is tuple:
        charge("copy_refs", len(value))
    return value


def add(charge: Charge, left: Any, right: Any) -> Any:
    """`left + right`."""
    return made(charge, left + right)


def multiply(charge: Charge, left: Any, right: Any) -> Any:
    """`left * right`."""
    return made(charge, left * right)


_ALGEBRA = _SETS | _DICTS


def _set_algebra(charge: Charge, left: Any, right: Any, symbol: str) -> None:
    """Charges a set (or dict) operator by the elements it hashes; `left` is a set or dict."""
    left_n = len(left)
    right_n = len(right) if type(right) in _SIZED else 0
    if symbol == "-":
        units = left_n
    elif symbol == "&":
        units = min(left_n, right_n) if type(right) in _SETS else right_n
    elif symbol == "|" or symbol == "^":
        units = left_n + right_n
    else:  # the in-place forms hash what comes in
        units = right_n
    charge("set_algebra", units)


def subtract(charge: Charge, left: Any, right: Any) -> Any:
    """`left - right`."""
    result = left - right
    if type(left) in _ALGEBRA:
        _set_algebra(charge, left, right, "-")
    return result


def bit_or(charge: Charge, left: Any, right: Any) -> Any:
    """`left | right`."""
    result = left | right
    if type(left) in _ALGEBRA:
        _set_algebra(charge, left, right, "|")
    return result


def bit_and(charge: Charge, left: Any, right: Any) -> Any:
    """`left & right`."""
    result = left & right
    if type(left) in _ALGEBRA:
        _set_algebra(charge, left, right, "&")
    return result


def bit_xor(charge: Charge, left: Any, right: Any) -> Any:
    """`left ^ right`."""
    result = left ^ right
    if type(left) in _ALGEBRA:
        _set_algebra(charge, left, right, "^")
    return result


def augmented(charge: Charge, current: Any, value: Any, symbol: str) -> Any:
    """The work of `name <symbol> value` (`+=`, ..., or `+` for `name = name + value`) given the name's
    current value; returns `value` (the operation itself runs in the program's frame)."""
    kind = type(current)
    if kind is str and type(value) is str:
        charge("append_chars", len(value))  # CPython resizes a str bound to one name in place: amortized
    elif symbol == "+=" and kind is list and type(value) in _SIZED:
        charge("build_sequence", len(value))
    elif symbol == "+" and (kind is list or kind is tuple) and type(value) is kind:
        charge("copy_refs", len(current) + len(value))
    elif symbol == "+=" and kind is tuple and type(value) is tuple:
        charge("copy_refs", len(current) + len(value))
    elif kind in _CHARS and type(value) is kind:
        charge("copy_chars", len(current) + len(value))
    elif symbol != "+" and kind in _ALGEBRA:
        _set_algebra(charge, current, value, symbol)
    return value


def augmented_value(charge: Charge, value: Any, symbol: str) -> Any:
    """The work of `obj.attr <symbol> value` or `obj[key] <symbol> value`, seen from `value` alone; returns it."""
    kind = type(value)
    if symbol == "+=" and kind in _CHARS:
        charge("copy_chars", len(value))
    elif symbol == "+=" and kind in _SEQUENCES:
        charge("build_sequence", len(value))
    elif symbol in ("|=", "&=", "-=", "^=") and kind in _ALGEBRA:
        charge("set_algebra", len(value))
    return value


def deleted(charge: Charge, container: Any, index: Any) -> Any:
    """Charges `del container[index]` on a list by the elements it moves; returns `index`."""
    if type(container) is list and type(index) is int:
        n = len(container)
        position = index + n if index < 0 else index
        if 0 <= position < n:
            charge("shift_sequence", n - 1 - position)
    return index


# --- calls -------------------------------------------------------------------------------------

def _sort_call(charge: Charge, function: Callable, /, *args: Any, **kwargs: Any) -> Any:
    result = function(*args, **kwargs)
    owner = getattr(function, "__self__", None)
    n = len(owner) if type(owner) is list else len(result) if type(result) is list else 0
    charge("sort", _n_log_n(n))
    _charge_keys(charge, kwargs.get("key"), n)
    return result


def _reducer(operation: str, position: int, short_circuit: bool = False, keyed: bool = False):
    """A call of a built-in that consumes its argument `position` (min/max with several arguments: those)."""

    def call(charge: Charge, function: Callable, /, *args: Any, **kwargs: Any) -> Any:
        if keyed and len(args) > 1:
            result = function(*args, **kwargs)
            n = len(args)
        elif len(args) > position:
            counted = _Counted(args[position], always_count=short_circuit)
            args = (*args[:position], counted.iterable, *args[position + 1:])
            result = function(*args, **kwargs)
            n = counted.items()
        else:
            return function(*args, **kwargs)
        charge(operation, n)
        if keyed:
            _charge_keys(charge, kwargs.get("key"), n)
        return result

    return call


def _building(operation: str, count_consumed: bool):
    """A constructor call (list(x), set(x), Counter(x), ...) charged by the items it takes in."""

    def call(charge: Charge, function: Callable, /, *args: Any, **kwargs: Any) -> Any:
        if not args:
            result = function(*args, **kwargs)
            charge(operation, len(kwargs))
            return result
        if not count_consumed:
            result = function(*args, **kwargs)
            charge(operation, len(result) if type(result) in _SIZED else 0)
            return result
        counted = _Counted(args[0])
        result = function(counted.iterable, *args[1:], **kwargs)
        charge(operation, counted.items() + len(kwargs))
        return result

    return call


def _scan_call(charge: Charge, function: Callable, /, *args: Any, **kwargs: Any) -> Any:
    """list/tuple/deque index, count, remove: elements compared (index: up to the one found)."""
    owner = function.__self__
    n = len(owner)
    try:
        result = function(*args, **kwargs)
    except ValueError:
        charge("scan_sequence", n)
        raise
    name = function.__name__
    charge("scan_sequence", result + 1 if name == "index" and type(result) is int else n)
    return result


def _pop_call(charge: Charge, function: Callable, /, *args: Any, **kwargs: Any) -> Any:
    owner = function.__self__
    n = len(owner)
    result = function(*args, **kwargs)
    if args and type(args[0]) is int:
        position = args[0] + n if args[0] < 0 else args[0]
        charge("shift_sequence", max(n - 1 - position, 0))
    return result


def _insert_call(charge: Charge, function: Callable, /, *args: Any, **kwargs: Any) -> Any:
    owner = function.__self__
    n = len(owner)
    result = function(*args, **kwargs)
    if args and type(args[0]) is int:
        position = min(max(args[0] + n if args[0] < 0 else args[0], 0), n)
        charge("shift_sequence", n - position)
    return result


def _growing(operation: str):
    """extend/update: charged by how much the owner grew (set/dict update: by the items taken in)."""

    def call(charge: Charge, function: Callable, /, *args: Any, **kwargs: Any) -> Any:
        owner = function.__self__
        if type(owner) in _SEQUENCES:
            before = len(owner)
            result = function(*args, **kwargs)
            charge(operation, len(owner) - before)
            return result
        counted = [_Counted(arg) for arg in args]
        result = function(*(c.iterable for c in counted), **kwargs)
        charge(operation, sum(c.items() for c in counted) + len(kwargs))
        return result

    return call


def _copy_call(charge: Charge, function: Callable, /, *args: Any, **kwargs: Any) -> Any:
    source = getattr(function, "__self__", None) if function is not copy.copy else (args[0] if args else None)
    result = function(*args, **kwargs)
    kind = type(source)
    if kind in _SEQUENCES:
        charge("build_sequence", len(source))
    elif kind in _HASHED:
        charge("build_hashed", len(source))
    return result


def _set_method(symbol: str):
    def call(charge: Charge, function: Callable, /, *args: Any, **kwargs: Any) -> Any:
        owner = function.__self__
        sized = [len(arg) for arg in args if type(arg) in _SIZED]
        result = function(*args, **kwargs)
        units = sum(sized) + (len(owner) if symbol in ("|", "^", "-") else 0)
        if symbol == "&" and sized:
            units = min(len(owner), min(sized))
        charge("set_algebra", units)
        return result

    return call


def _chars_call(operation: str):
    """str/bytes methods: charged by the characters they read (and write)."""

    def call(charge: Charge, function: Callable, /, *args: Any, **kwargs: Any) -> Any:
        owner = function.__self__
        result = function(*args, **kwargs)
        n = len(owner)
        if operation == "search_chars":
            name = function.__name__
            needle = len(args[0]) if args and type(args[0]) in _CHARS else 0
            if name in ("find", "index") and type(result) is int and result >= 0:
                n = min(result + needle, n)
            elif name in ("rfind", "rindex") and type(result) is int and result >= 0:
                n = n - result
            charge(operation, n)
        elif operation == "split_chars":
            charge(operation, n, len(result))
        elif operation == "rewrite_chars":
            charge(operation, n + (len(result) if type(result) in _CHARS else 0))
        elif operation == "copy_chars":
            charge(operation, len(result) if type(result) in _CHARS else 0)
        else:
            charge(operation, n)
        return result

    return call


def _hashed_call(charge: Charge, function: Callable, /, *args: Any, **kwargs: Any) -> Any:
    """dict get/setdefault/pop, set add/discard/remove: one hash and probe."""
    result = function(*args, **kwargs)
    charge("hashed_method", 0)
    return result


def _test_call(charge: Charge, function: Callable, /, *args: Any, **kwargs: Any) -> Any:
    """str startswith/endswith (the characters of the prefix or suffix) and is* tests (all characters)."""
    result = function(*args, **kwargs)
    name = function.__name__
    if name in ("startswith", "endswith"):
        charge("test_chars", len(args[0]) if args and type(args[0]) in _CHARS else 0)
    else:
        charge("test_chars", len(function.__self__))
    return result


def _join_call(charge: Charge, function: Callable, /, *args: Any, **kwargs: Any) -> Any:
    if len(args) != 1:
        return function(*args, **kwargs)
    counted = _Counted(args[0])
    result = function(counted.iterable, **kwargs)
    charge("join_chars", len(result), counted.items())
    return result


def _heap_call(operation: str):
    def call(charge: Charge, function: Callable, /, *args: Any, **kwargs: Any) -> Any:
        heap = args[0] if args else None
        n = len(heap) if type(heap) is list else 0
        result = function(*args, **kwargs)
        charge(operation, n if operation == "heapify" else _log2(n))
        return result

    return call


def _counter_update(charge: Charge, function: Callable, /, *args: Any, **kwargs: Any) -> Any:
    counted = [_Counted(arg) for arg in args]
    result = function(*(c.iterable for c in counted), **kwargs)
    charge("count_items", sum(c.items() for c in counted) + len(kwargs))
    return result


def _most_common(charge: Charge, function: Callable, /, *args: Any, **kwargs: Any) -> Any:
    owner = function.__self__
    n = len(owner)
    result = function(*args, **kwargs)
    if not args and not kwargs or (args and args[0] is None):
        charge("sort", _n_log_n(n))
    return result


_FUNCTIONS: dict[Any, Callable] = {
    builtins.sorted: _sort_call, builtins.sum: _reducer("sum_items", 0),
    builtins.any: _reducer("test_items", 0, short_circuit=True),
    builtins.all: _reducer("test_items", 0, short_circuit=True),
    builtins.min: _reducer("compare_items", 0, keyed=True), builtins.max: _reducer("compare_items", 0, keyed=True),
    math.prod: _reducer("sum_items", 0), math.fsum: _reducer("sum_items", 0),
    functools.reduce: _reducer("sum_items", 1),
    heapq.heappush: _heap_call("heap"), heapq.heappop: _heap_call("heap"), heapq.heapreplace: _heap_call("heap"),
    heapq.heappushpop: _heap_call("heap"), heapq.heapify: _heap_call("heapify"),
    bisect.bisect_left: _heap_call("bisect"), bisect.bisect_right: _heap_call("bisect"),
    bisect.insort_left: _heap_call("bisect"), bisect.insort_right: _heap_call("bisect"),
}
_TYPES: dict[type, Callable] = {
    list: _building("build_sequence", False), tuple: _building("build_sequence", False),
    collections.deque: _building("build_sequence", False), set: _building("build_hashed", True),
    frozenset: _building("build_hashed", True), dict: _building("build_hashed", True),
    collections.Counter: _building("count_items", True),
}
_CLASS_METHODS: dict[tuple[type, str], Callable] = {
    (dict, "fromkeys"): _building("build_hashed", True),
}
_search, _rewrite = _chars_call("search_chars"), _chars_call("rewrite_chars")
_METHODS: dict[tuple[type, str], Callable] = {
    (list, "sort"): _sort_call, (list, "index"): _scan_call, (list, "count"): _scan_call,
    (list, "remove"): _scan_call, (list, "pop"): _pop_call, (list, "insert"): _insert_call,
    (list, "copy"): _copy_call, (list, "extend"): _growing("build_sequence"),
    (tuple, "index"): _scan_call, (tuple, "count"): _scan_call,
    (collections.deque, "index"): _scan_call, (collections.deque, "count"): _scan_call,
    (collections.deque, "remove"): _scan_call, (collections.deque, "copy"): _copy_call,
    (collections.deque, "extend"): _growing("build_sequence"),
    (collections.deque, "extendleft"): _growing("build_sequence"),
    **{(kind, "copy"): _copy_call for kind in (set, frozenset, dict)},
    (set, "update"): _growing("build_hashed"), (dict, "update"): _growing("build_hashed"),
    **{(kind, name): _set_method(symbol) for kind in (set, frozenset)
       for name, symbol in (("union", "|"), ("intersection", "&"), ("difference", "-"),
                            ("symmetric_difference", "^"), ("issubset", ""), ("issuperset", ""),
                            ("isdisjoint", "&"))},
    **{(set, name): _set_method("") for name in ("intersection_update", "difference_update",
                                                  "symmetric_difference_update")},
    **{(kind, name): _search for kind in (str, bytes) for name in ("find", "rfind", "index", "rindex", "count")},
    **{(kind, name): _rewrite for kind in (str, bytes)
       for name in ("replace", "lower", "upper", "title", "capitalize", "swapcase")},
    **{(kind, name): _chars_call("copy_chars") for kind in (str, bytes) for name in ("strip", "lstrip", "rstrip")},
    (str, "casefold"): _rewrite,
    **{(kind, "translate"): _chars_call("translate_chars") for kind in (str, bytes)},
    **{(kind, name): _chars_call("split_chars") for kind in (str, bytes) for name in ("split", "rsplit", "splitlines")},
    (str, "join"): _join_call, (bytes, "join"): _join_call,
    **{(kind, name): _hashed_call for kind in _DICTS for name in ("get", "setdefault", "pop")},
    **{(set, name): _hashed_call for name in ("add", "discard", "remove")},
    **{(kind, name): _test_call for kind in (str, bytes)
       for name in ("startswith", "endswith", "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper")},
    **{(str, name): _test_call for name in ("isdecimal", "isnumeric")},
}


_LRU_CACHE_WRAPPER = type(functools.lru_cache(maxsize=None)(len))


def is_cached_function(function: Any) -> bool:
    """A `functools.lru_cache` (or `cache`) wrapper: its calls look up a C-level cache before (maybe) calling."""
    return type(function) is _LRU_CACHE_WRAPPER


def call_handler(function: Any) -> Callable | None:
    """How to charge a call of `function`: a handler(charge, function, *args, **kwargs) that makes the call,
    or None for a callable whose work is not modelled here (Python functions are traced instead)."""
    kind = type(function)
    if kind is types.BuiltinFunctionType:
        owner = function.__self__
        if type(owner) is types.ModuleType:
            return _FUNCTIONS.get(function)
        if type(owner) is type:
            return _CLASS_METHODS.get((owner, function.__name__))
        return _METHODS.get((type(owner), function.__name__))
    if kind is type:
        return _TYPES.get(function)
    if kind is types.FunctionType:
        return _copy_call if function is copy.copy else None
    if kind is types.MethodType and type(function.__self__) is collections.Counter:
        if function.__func__ is collections.Counter.update:
            return _counter_update
        if function.__func__ is collections.Counter.most_common:
            return _most_common
    return None
