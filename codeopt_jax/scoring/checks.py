"""Correctness checks run inside a worker: counted asserts and output comparison."""

from __future__ import annotations

import ast
import hashlib
import math
import re
import sys
from typing import Any, Callable

TALLY_NAME = "__codeopt_assert__"


class _CountAsserts(ast.NodeTransformer):
    """Rewrites `assert test, msg` inside `check` into `__codeopt_assert__(lambda: test)`."""

    def __init__(self) -> None:
        self.inside_check = False

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        if node.name != "check" or self.inside_check:
            return self.generic_visit(node) if self.inside_check else node
        self.inside_check = True
        self.generic_visit(node)
        self.inside_check = False
        return node

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        thunk = ast.Lambda(args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[],
                                              kw_defaults=[], defaults=[]), body=node.test)
        call = ast.Call(func=ast.Name(TALLY_NAME, ast.Load()), args=[thunk], keywords=[])
        return ast.copy_location(ast.Expr(call), node)


def compile_counting(source: str, filename: str):
    """Compiles a problem file so each assert in `check` is counted, not fatal.

    Falls back to the plain code object when the transform does not compile (e.g. an
    assert using a walrus on a comprehension variable); then a check counts as one test.
    Returns (code, counted: bool).
    """
    tree = ast.parse(source, filename=filename)
    try:
        counted = ast.fix_missing_locations(_CountAsserts().visit(tree))
        return compile(counted, filename, "exec", dont_inherit=True), True
    except (SyntaxError, ValueError):
        return compile(source, filename, "exec", dont_inherit=True), False


class AssertTally:
    """Callable installed as `__codeopt_assert__`: counts passes, remembers the first failure."""

    def __init__(self) -> None:
        self.passed = 0
        self.total = 0
        self.first_failure: str = ""
        self.first_exception: BaseException | None = None

    def __call__(self, thunk: Callable[[], Any]) -> None:
        self.total += 1
        try:
            ok = thunk()
        except Exception as exc:  # the candidate raised inside an assert expression
            if self.first_exception is None:
                self.first_exception = exc
            if not self.first_failure:
                self.first_failure = f"assert #{self.total} raised {type(exc).__name__}: {exc}"
            return
        if ok:
            self.passed += 1
        elif not self.first_failure:
            self.first_failure = f"assert #{self.total} failed"


def _same_program_class(expected: Any, actual: Any) -> bool:
    """Instances of a class the program defines: the original's and the candidate's copies of it
    are different class objects with the same name."""
    kind, other = type(expected), type(actual)
    return (kind.__module__ != "builtins" and other.__module__ != "builtins"
            and kind.__qualname__ == other.__qualname__)


def same_output(expected: Any, actual: Any, rel_tol: float = 1e-9, depth: int = 0) -> bool:
    """Equality that also requires matching types; floats compare with a tolerance; objects without
    their own `__eq__` compare by their attributes."""
    if depth > 50:
        return expected == actual
    if isinstance(expected, float) and isinstance(actual, float):
        if math.isnan(expected) and math.isnan(actual):
            return True
        return math.isclose(expected, actual, rel_tol=rel_tol, abs_tol=1e-12)
    if type(expected) is not type(actual):
        if not (_same_program_class(expected, actual) and hasattr(expected, "__dict__")
                and hasattr(actual, "__dict__")):
            return False
        return same_output(vars(expected), vars(actual), rel_tol, depth + 1)
    if isinstance(expected, (list, tuple)):
        return len(expected) == len(actual) and all(
            same_output(e, a, rel_tol, depth + 1) for e, a in zip(expected, actual))
    if isinstance(expected, dict):
        return expected.keys() == actual.keys() and all(
            same_output(expected[k], actual[k], rel_tol, depth + 1) for k in expected)
    if type(expected).__eq__ is object.__eq__ and hasattr(expected, "__dict__"):
        # Plain objects compare by identity; copies and fresh results must compare by content.
        return same_output(vars(expected), vars(actual), rel_tol, depth + 1)
    try:
        return bool(expected == actual)
    except Exception:
        return False


def short_repr(value: Any, limit: int = 160) -> str:
    try:
        text = repr(value)
    except Exception as exc:
        text = f"<unrepresentable {type(value).__name__}: {exc}>"
    return text if len(text) <= limit else text[:limit] + "..."


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


_SCALARS = frozenset({str, int, bool, type(None), bytes})


def _flat_scalars(sequence: list | tuple) -> bool:
    """Scalars, or lists/tuples of scalars: `repr` is then exact and process-independent."""
    kinds = set(map(type, sequence))
    if _SCALARS.issuperset(kinds):
        return True
    if not _SCALARS.union((list, tuple)).issuperset(kinds):
        return False
    return all(_SCALARS.issuperset(map(type, item)) for item in sequence if type(item) in (list, tuple))


def _canonical(value: Any, parts: list[str], depth: int) -> None:
    """Appends a process-independent text form of `value` that agrees with `same_output`:
    types by name, floats to 9 significant digits, dicts and sets in a sorted order, plain
    objects by their attributes, memory addresses dropped from reprs. Containers of
    str/int/bool/None/bytes take a fast path through `repr` (C speed)."""
    kind = type(value)
    parts.append(kind.__qualname__)
    if kind in _SCALARS:
        parts.append(repr(value))
    elif kind in (list, tuple) and _flat_scalars(value):
        parts.append(repr(value))
    elif kind in (set, frozenset) and _SCALARS.issuperset(map(type, value)):
        parts.append(repr(sorted(map(repr, value))))
    elif (kind is dict and _SCALARS.issuperset(map(type, value))
          and _SCALARS.issuperset(map(type, value.values()))):
        parts.append(repr(sorted(map(repr, value.items()))))
    elif depth > 50:
        parts.append(_ADDRESS.sub("", short_repr(value, 10_000)))
    elif isinstance(value, float):
        parts.append("nan" if math.isnan(value) else "0" if value == 0 else f"{value:.9g}")
    elif isinstance(value, (list, tuple)):
        parts.append(f"[{len(value)}")
        for item in value:
            _canonical(item, parts, depth + 1)
        parts.append("]")
    elif isinstance(value, dict):
        items = []
        for key, item in value.items():
            key_parts: list[str] = []
            _canonical(key, key_parts, depth + 1)
            item_parts: list[str] = []
            _canonical(item, item_parts, depth + 1)
            items.append("\x1f".join(key_parts) + "\x1e" + "\x1f".join(item_parts))
        parts.append("{" + "\x1d".join(sorted(items)) + "}")
    elif isinstance(value, (set, frozenset)):
        members = []
        for item in value:
            item_parts = []
            _canonical(item, item_parts, depth + 1)
            members.append("\x1f".join(item_parts))
        parts.append("{" + "\x1d".join(sorted(members)) + "}")
    elif kind.__module__ != "builtins" and hasattr(value, "__dict__") and kind.__eq__ is object.__eq__:
        _canonical(vars(value), parts, depth + 1)
    else:
        parts.append(_ADDRESS.sub("", short_repr(value, 10_000)))


def output_digest(outputs: Any) -> str:
    """A short hash of `outputs` that two processes can compare (see `_canonical`); ints of any
    size (the interpreter's limit on int-to-text digits is lifted while hashing)."""
    parts: list[str] = []
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        _canonical(outputs, parts, 0)
    finally:
        sys.set_int_max_str_digits(limit)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]
