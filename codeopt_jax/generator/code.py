"""The records generated programs are assembled from: parameters, stages, target functions, costs.

A `Stage` is one pattern over one collection (a loop that sums, filters, counts, ...): its
body lines (4-space indents, relative), the expression holding its result (or `returns`
when its lines return), and what it needs (extra parameters, imports, helper functions).
A `TargetFunction` is the finished target: name, parameters, body, helpers, imports, a
one-line summary, the patterns it holds (`tags`) and a `Cost` the workload is sized by.
"""

from __future__ import annotations

import dataclasses
import random

from codeopt_jax.generator.kinds import ValueKind
from codeopt_jax.generator.lexicon import Domain, Names


@dataclasses.dataclass(frozen=True)
class Param:
    """One argument of the target: its name and the kind of value it takes."""

    name: str
    kind: ValueKind


@dataclasses.dataclass(frozen=True)
class Cost:
    """Estimated work of one call: `multiplicity * (ns_per_unit * size ** exponent + quadratic_ns * size ** 2)`
    nanoseconds.

    `size` is what sized arguments get (items per list); `fixed_size` pins it (e.g. a recursion
    depth chosen by the pattern, for work that grows exponentially); `quadratic_ns` is a
    C-speed quadratic term (a list's `pop(0)` moving every item left)."""

    ns_per_unit: float
    exponent: float = 1.0
    multiplicity: int = 1
    fixed_size: int | None = None
    max_size: int = 200_000
    calls: int | None = None  # workload calls (drawn from 1-4 when None; 1 with a fixed size)
    quadratic_ns: float = 0.0

    def work_ns(self, size: float) -> float:
        return self.multiplicity * (self.ns_per_unit * size ** self.exponent + self.quadratic_ns * size ** 2)

    def size_for(self, budget_ns: float) -> int:
        """The size whose estimated work is `budget_ns`."""
        if self.fixed_size is not None:
            return self.fixed_size
        low, high = 1.0, float(self.max_size)
        if self.work_ns(high) <= budget_ns:
            return self.max_size
        for _ in range(60):  # work grows with size: bisect
            middle = (low + high) / 2
            low, high = (middle, high) if self.work_ns(middle) < budget_ns else (low, middle)
        return int(max(1, round(low)))


@dataclasses.dataclass(frozen=True)
class Stage:
    """One pattern over one collection (see the module docstring)."""

    lines: tuple[str, ...]
    result: str = ""
    returns: bool = False
    params: tuple[Param, ...] = ()
    imports: tuple[str, ...] = ()
    helpers: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    ns_per_item: float = 80.0
    exponent: float = 1.0
    phrase: str = ""
    collection: ValueKind | None = None  # the collection's kind when not a plain list of the items
    multiplicity: int = 1                # work units per item of `size` (e.g. lists in a list of lists)


@dataclasses.dataclass(frozen=True)
class TargetFunction:
    """A finished target function (see the module docstring)."""

    name: str
    params: tuple[Param, ...]
    body: tuple[str, ...]
    summary: str
    tags: tuple[str, ...]
    cost: Cost
    helpers: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()

    def source(self) -> str:
        """The target's `def`, body included."""
        signature = ", ".join(p.name for p in self.params)
        return f"def {self.name}({signature}):\n" + "".join(f"    {line}\n" if line else "\n" for line in self.body)


@dataclasses.dataclass
class Context:
    """What a pattern builder draws from: the program's rng, its names, its record domain."""

    rng: random.Random
    names: Names
    domain: Domain


def indent(lines: tuple[str, ...] | list[str], levels: int = 1) -> tuple[str, ...]:
    return tuple(("    " * levels + line) if line else line for line in lines)


def unique(items: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The items without repeats, first occurrence kept (deterministic order)."""
    return tuple(dict.fromkeys(items))
