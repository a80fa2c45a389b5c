"""Python source for plain data values, the same text in every process.

`literal(value)` writes ints, floats, strings, bools, None, lists, tuples, dicts (in insertion
order) and sets (sorted, so hash randomization never changes the text).
"""

from __future__ import annotations

import math
from typing import Any


def literal(value: Any) -> str:
    """Source text that evaluates to `value`; raises ValueError for anything else."""
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return repr(value)
    if kind is float:
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no literal")
        return repr(value)
    if kind is list:
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if kind is tuple:
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if kind is dict:
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    if kind in (set, frozenset):
        items = sorted(literal(v) for v in value)
        if kind is frozenset:
            return "frozenset({" + ", ".join(items) + "})" if items else "frozenset()"
        return "{" + ", ".join(items) + "}" if items else "set()"
    raise ValueError(f"a {kind.__name__} has no literal")
