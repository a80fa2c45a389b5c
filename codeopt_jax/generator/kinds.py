"""Argument types of generated functions: small values for `check`, builders for `workload()`.

An `ElementKind` is one item of a list (an int, a float, a text key, a tuple record, a dict
record); its `view(expr)` gives the expressions a function uses on an item (`num`, `amt`,
`key`, `label`). A value kind is a whole argument: `ListKind`, `GroupsKind` (dict of
name -> list), `BatchesKind` (list of lists), `MappingKind` (dict key -> int), `TextKind`,
`IntScalar`, `KeyScalar`, `GraphKind`.

Every value kind gives `check_values(rng)`: CHECK_CASES plain values, in the order empty,
one item, duplicates, negatives (where numbers can be negative), then random small ones;
and `builder(rng_var, size)`: the source of an expression that builds a value of `size`
items with the workload's `random.Random` named `rng_var`.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any, Union

from codeopt_jax.generator.lexicon import Domain

CHECK_CASES = 7
_SMALL_KEYS = 6  # check inputs draw keys from this many, so they repeat


@dataclasses.dataclass(frozen=True)
class View:
    """Expressions over one item: `num` a number, `amt` a float (or None), `key` hashable, `label` a str."""

    whole: str
    num: str
    num_range: tuple[float, float]
    num_is_float: bool
    key: str
    key_is_str: bool
    key_prefix: str
    label: str
    amt: str | None = None
    amt_range: tuple[float, float] = (0.0, 1.0)


def _int_value(rng: random.Random, lo: int, hi: int, negative: bool) -> int:
    if negative and lo < 0:
        return rng.randint(lo, -1)
    return rng.randint(max(lo, -9) if lo < 0 else lo, min(hi, max(lo + 9, 9)) if hi > 9 else hi)


@dataclasses.dataclass(frozen=True)
class IntElem:
    lo: int
    hi: int
    noun: str
    modulus: int = 10  # key = item % modulus

    def value(self, rng: random.Random, negative: bool = False) -> int:
        return _int_value(rng, self.lo, self.hi, negative)

    def builder(self, rng: str) -> str:
        return f"{rng}.randint({self.lo}, {self.hi})"

    def view(self, expr: str) -> View:
        return View(whole=expr, num=expr, num_range=(self.lo, self.hi), num_is_float=False,
                    key=f"{expr} % {self.modulus}", key_is_str=False, key_prefix="", label=f"str({expr})")


@dataclasses.dataclass(frozen=True)
class FloatElem:
    lo: float
    hi: float
    noun: str

    def value(self, rng: random.Random, negative: bool = False) -> float:
        if negative and self.lo < 0:
            return round(rng.uniform(self.lo, 0.0) - 0.01, 2)
        return round(rng.uniform(self.lo, self.hi), 2)

    def builder(self, rng: str) -> str:
        return f"round({rng}.uniform({self.lo}, {self.hi}), 2)"

    def view(self, expr: str) -> View:
        return View(whole=expr, num=expr, num_range=(self.lo, self.hi), num_is_float=True,
                    key=f"int({expr}) // 10", key_is_str=False, key_prefix="", label=f"str({expr})",
                    amt=expr, amt_range=(self.lo, self.hi))


@dataclasses.dataclass(frozen=True)
class KeyElem:
    """Text keys such as "cust17": `prefix` + a number below `pool`."""

    prefix: str
    pool: int
    noun: str

    def value(self, rng: random.Random, negative: bool = False) -> str:
        return f"{self.prefix}{rng.randint(0, min(self.pool, _SMALL_KEYS + 6) - 1)}"

    def builder(self, rng: str) -> str:
        return f'"{self.prefix}" + str({rng}.randrange({self.pool}))'

    def view(self, expr: str) -> View:
        return View(whole=expr, num=f"len({expr})", num_range=(len(self.prefix) + 1, len(self.prefix) + 3),
                    num_is_float=False, key=expr, key_is_str=True, key_prefix=self.prefix, label=expr)


@dataclasses.dataclass(frozen=True)
class LineElem:
    """Short lines of text over `alphabet` (`length` characters in the workload)."""

    alphabet: str
    length: int
    noun: str

    def value(self, rng: random.Random, negative: bool = False) -> str:
        return "".join(rng.choice(self.alphabet) for _ in range(rng.randint(0, 9)))

    def builder(self, rng: str) -> str:
        return f'"".join({rng}.choices({self.alphabet!r}, k={self.length}))'

    def view(self, expr: str) -> View:
        return View(whole=expr, num=f"len({expr})", num_range=(0, self.length), num_is_float=False,
                    key=expr, key_is_str=True, key_prefix="", label=expr)


@dataclasses.dataclass(frozen=True)
class TupleElem:
    """(key, count) or (key, count, amount) records of a domain."""

    domain: Domain
    with_amount: bool

    @property
    def noun(self) -> str:
        return self.domain.item

    def value(self, rng: random.Random, negative: bool = False) -> tuple:
        d = self.domain
        key = f"{d.key_prefix}{rng.randint(0, _SMALL_KEYS - 1)}"
        count = _int_value(rng, d.count_range[0], d.count_range[1], negative)
        if not self.with_amount:
            return (key, count)
        lo, hi = d.amount_range
        amount = round(rng.uniform(lo, 0.0) - 0.01, 2) if negative and lo < 0 else round(rng.uniform(lo, hi), 2)
        return (key, count, amount)

    def builder(self, rng: str) -> str:
        d = self.domain
        parts = [f'"{d.key_prefix}" + str({rng}.randrange({d.key_pool}))',
                 f"{rng}.randint({d.count_range[0]}, {d.count_range[1]})"]
        if self.with_amount:
            parts.append(f"round({rng}.uniform({d.amount_range[0]}, {d.amount_range[1]}), 2)")
        return "(" + ", ".join(parts) + ")"

    def view(self, expr: str) -> View:
        return self.fields_view(expr, f"{expr}[0]", f"{expr}[1]", f"{expr}[2]" if self.with_amount else None)

    def fields_view(self, whole: str, key: str, count: str, amount: str | None) -> View:
        d = self.domain
        return View(whole=whole, num=count, num_range=d.count_range, num_is_float=False, key=key, key_is_str=True,
                    key_prefix=d.key_prefix, label=key, amt=amount, amt_range=d.amount_range)

    def field_names(self) -> tuple[str, ...]:
        d = self.domain
        return (d.key_field, d.count_field, d.amount_field)[:3 if self.with_amount else 2]


@dataclasses.dataclass(frozen=True)
class DictElem:
    """{"<key_field>": key, "<count_field>": count[, "<amount_field>": amount]} records of a domain."""

    domain: Domain
    with_amount: bool

    @property
    def noun(self) -> str:
        return self.domain.item

    def value(self, rng: random.Random, negative: bool = False) -> dict:
        fields = TupleElem(self.domain, self.with_amount).value(rng, negative)
        d = self.domain
        return dict(zip((d.key_field, d.count_field, d.amount_field), fields))

    def builder(self, rng: str) -> str:
        d = self.domain
        parts = [f'"{d.key_field}": "{d.key_prefix}" + str({rng}.randrange({d.key_pool}))',
                 f'"{d.count_field}": {rng}.randint({d.count_range[0]}, {d.count_range[1]})']
        if self.with_amount:
            parts.append(f'"{d.amount_field}": round({rng}.uniform({d.amount_range[0]}, {d.amount_range[1]}), 2)')
        return "{" + ", ".join(parts) + "}"

    def view(self, expr: str) -> View:
        d = self.domain
        amount = f'{expr}["{d.amount_field}"]' if self.with_amount else None
        return View(whole=expr, num=f'{expr}["{d.count_field}"]', num_range=d.count_range, num_is_float=False,
                    key=f'{expr}["{d.key_field}"]', key_is_str=True, key_prefix=d.key_prefix,
                    label=f'{expr}["{d.key_field}"]', amt=amount, amt_range=d.amount_range)


ElementKind = Union[IntElem, FloatElem, KeyElem, LineElem, TupleElem, DictElem]


def small_list(elem: ElementKind, case: int, rng: random.Random) -> list:
    """The case-th check list: empty, one item, duplicates, negatives, then random ones."""
    if case == 0:
        return []
    if case == 1:
        return [elem.value(rng)]
    if case == 2:
        first, second = elem.value(rng), elem.value(rng)
        return [first, second, first, first]
    if case == 3:
        return [elem.value(rng, negative=rng.random() < 0.6) for _ in range(rng.randint(3, 5))]
    return [elem.value(rng) for _ in range(rng.randint(3, 8))]


@dataclasses.dataclass(frozen=True)
class ListKind:
    """A list of items; `fixed_size` pins its length in the workload (a side list), else it is sized."""

    elem: ElementKind
    fixed_size: int | None = None

    def check_values(self, rng: random.Random) -> list[Any]:
        return [small_list(self.elem, case, rng) for case in range(CHECK_CASES)]

    def builder(self, rng: str, size: int) -> str:
        n = self.fixed_size if self.fixed_size is not None else size
        if isinstance(self.elem, IntElem):  # the same values as randint, drawn at C speed
            body = f"{rng}.choices(range({self.elem.lo}, {self.elem.hi + 1}), k={n})"
        elif isinstance(self.elem, KeyElem):
            body = f'["{self.elem.prefix}" + str(k) for k in {rng}.choices(range({self.elem.pool}), k={n})]'
        elif isinstance(self.elem, (TupleElem, DictElem)):
            body = _records_builder(self.elem, rng, n)
        else:
            body = f"[{self.elem.builder(rng)} for _ in range({n})]"
        return body


def _records_builder(elem: TupleElem | DictElem, rng: str, n: int) -> str:
    """n records built column by column (keys and counts drawn at C speed)."""
    d = elem.domain
    columns = [f'["{d.key_prefix}" + str(k) for k in {rng}.choices(range({d.key_pool}), k={n})]',
               f"{rng}.choices(range({d.count_range[0]}, {d.count_range[1] + 1}), k={n})"]
    if elem.with_amount:
        columns.append(f"[round({rng}.uniform({d.amount_range[0]}, {d.amount_range[1]}), 2) for _ in range({n})]")
    zipped = f"zip({', '.join(columns)})"
    if isinstance(elem, TupleElem):
        return f"list({zipped})"
    fields = (d.key_field, d.count_field, d.amount_field)[:len(columns)]
    names = ("k", "c", "a")[:len(columns)]
    pairs = ", ".join(f'"{field}": {name}' for field, name in zip(fields, names))
    return f"[{{{pairs}}} for {', '.join(names)} in {zipped}]"


@dataclasses.dataclass(frozen=True)
class GroupsKind:
    """dict group name -> list of items (`groups` groups in the workload)."""

    elem: ElementKind
    groups: int
    prefix: str

    def check_values(self, rng: random.Random) -> list[Any]:
        values = []
        for case in range(CHECK_CASES):
            count = 0 if case == 0 else 1 if case == 1 else rng.randint(2, 3)
            values.append({f"{self.prefix}{g}": small_list(self.elem, rng.randint(0, CHECK_CASES - 1), rng)
                           for g in range(count)})
        return values

    def builder(self, rng: str, size: int) -> str:
        return f'{{"{self.prefix}" + str(g): [{self.elem.builder(rng)} for _ in range({size})] ' \
               f"for g in range({self.groups})}}"


@dataclasses.dataclass(frozen=True)
class BatchesKind:
    """A list of lists of items (`groups` lists in the workload)."""

    elem: ElementKind
    groups: int

    def check_values(self, rng: random.Random) -> list[Any]:
        values = []
        for case in range(CHECK_CASES):
            count = 0 if case == 0 else 1 if case == 1 else rng.randint(2, 3)
            values.append([small_list(self.elem, rng.randint(0, CHECK_CASES - 1), rng) for _ in range(count)])
        return values

    def builder(self, rng: str, size: int) -> str:
        return f"[[{self.elem.builder(rng)} for _ in range({size})] for _ in range({self.groups})]"


@dataclasses.dataclass(frozen=True)
class MappingKind:
    """dict key -> int (e.g. stock per sku); `fixed_size` keys in the workload, else sized."""

    keys: KeyElem
    lo: int
    hi: int
    fixed_size: int | None = None

    def check_values(self, rng: random.Random) -> list[Any]:
        values = []
        for case in range(CHECK_CASES):
            count = 0 if case == 0 else 1 if case == 1 else rng.randint(2, 5)
            values.append({self.keys.value(rng): _int_value(rng, self.lo, self.hi, case == 3) for _ in range(count)})
        return values

    def builder(self, rng: str, size: int) -> str:
        n = self.fixed_size if self.fixed_size is not None else size
        return f"{{{self.keys.builder(rng)}: {rng}.randint({self.lo}, {self.hi}) for _ in range({n})}}"


@dataclasses.dataclass(frozen=True)
class TextKind:
    """A string of characters from `alphabet` (spaces split it into words)."""

    alphabet: str
    max_check_length: int = 14

    def check_values(self, rng: random.Random) -> list[Any]:
        values = ["", rng.choice(self.alphabet.replace(" ", "") or "a")]
        chunk = "".join(rng.choice(self.alphabet) for _ in range(min(3, self.max_check_length // 2)))
        values.append(chunk + chunk)
        while len(values) < CHECK_CASES:
            length = rng.randint(min(4, self.max_check_length), self.max_check_length)
            values.append("".join(rng.choice(self.alphabet) for _ in range(length)))
        return values

    def builder(self, rng: str, size: int) -> str:
        return f'"".join({rng}.choices({self.alphabet!r}, k={size}))'


@dataclasses.dataclass(frozen=True)
class IntScalar:
    """An int argument: its check values (one per case) and its workload value."""

    checks: tuple[int, ...]
    workload_value: int

    def check_values(self, rng: random.Random) -> list[Any]:
        return [self.checks[i % len(self.checks)] for i in range(CHECK_CASES)]

    def builder(self, rng: str, size: int) -> str:
        return str(self.workload_value)


@dataclasses.dataclass(frozen=True)
class ScaledIntScalar:
    """An int argument that is the workload's size itself (a loop bound, a recursion depth)."""

    checks: tuple[int, ...]

    def check_values(self, rng: random.Random) -> list[Any]:
        return [self.checks[i % len(self.checks)] for i in range(CHECK_CASES)]

    def builder(self, rng: str, size: int) -> str:
        return str(size)


@dataclasses.dataclass(frozen=True)
class KeyScalar:
    """A text key argument drawn from the keys of an element kind."""

    keys: KeyElem

    def check_values(self, rng: random.Random) -> list[Any]:
        return [self.keys.value(rng) for _ in range(CHECK_CASES)]

    def builder(self, rng: str, size: int) -> str:
        return self.keys.builder(rng)


@dataclasses.dataclass(frozen=True)
class FixedValues:
    """An argument with given check values and a given workload expression (e.g. a tuple of steps)."""

    checks: tuple[Any, ...]
    workload_source: str

    def check_values(self, rng: random.Random) -> list[Any]:
        return [self.checks[i % len(self.checks)] for i in range(CHECK_CASES)]

    def builder(self, rng: str, size: int) -> str:
        return self.workload_source


@dataclasses.dataclass(frozen=True)
class GraphKind:
    """dict node -> list of neighbour nodes (ints below the node count), `degree` edges per node."""

    degree: int

    def check_values(self, rng: random.Random) -> list[Any]:
        values = [{}, {0: []}, {0: [1, 1], 1: [0]}]
        while len(values) < CHECK_CASES:
            n = rng.randint(3, 6)
            values.append({node: [rng.randrange(n) for _ in range(rng.randint(0, 2))] for node in range(n)})
        return values

    def builder(self, rng: str, size: int) -> str:
        return f"{{node: [{rng}.randrange({size}) for _ in range({self.degree})] for node in range({size})}}"


ValueKind = Union[ListKind, GroupsKind, BatchesKind, MappingKind, TextKind, IntScalar, ScaledIntScalar,
                  KeyScalar, FixedValues, GraphKind]


def element_kinds(domain: Domain, rng: random.Random) -> list[ElementKind]:
    """The item kinds a list of this domain can hold (ints, floats, keys, tuple and dict records)."""
    lo, hi = domain.count_range
    return [IntElem(lo, hi, domain.count_field, rng.choice((3, 5, 7, 10, 12))),
            FloatElem(domain.amount_range[0], domain.amount_range[1], domain.amount_field),
            KeyElem(domain.key_prefix, domain.key_pool, domain.key_field),
            TupleElem(domain, rng.random() < 0.5),
            DictElem(domain, rng.random() < 0.5)]
