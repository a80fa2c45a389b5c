"""The cost model's coefficients: nanoseconds per instruction class, per Python frame, per C-level operation.

The numbers are data, measured on the scoring machine by `python -m launch.calibrate_cost_model`
and shipped as `cost_table.json` beside this module; this module only names the classes and
operations and reads and checks the table. A program's modelled cost (`cost_model`) is

  Σ_class instruction_ns[class] × executed instructions of that class
  + frame_ns × Python frames entered (calls and generator resumptions)
  + Σ_operation base_ns + per_unit_ns × units + per_item_ns × items   (each hooked C-level operation)

where an operation's units and items are what `cost_work` reads off its operands (elements
scanned, characters copied, n log2 n for a sort, ...).
"""

from __future__ import annotations

import dataclasses
import json
import math
import opcode
import pathlib
from typing import Any, Mapping

TABLE_VERSION = 1
DEFAULT_TABLE_PATH = pathlib.Path(__file__).with_name("cost_table.json")

# Bytecode instruction classes (CPython 3.11 opnames); an instruction not listed is "other".
INSTRUCTION_CLASSES: dict[str, tuple[str, ...]] = {
    "local": ("LOAD_FAST", "STORE_FAST", "LOAD_CONST", "POP_TOP", "COPY", "SWAP", "PUSH_NULL", "NOP",
              "DELETE_FAST", "EXTENDED_ARG", "KW_NAMES", "PRECALL", "RESUME", "LOAD_CLOSURE", "LOAD_DEREF",
              "STORE_DEREF", "MAKE_CELL", "COPY_FREE_VARS", "LOAD_ASSERTION_ERROR", "RETURN_GENERATOR"),
    "branch": ("JUMP_FORWARD", "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT", "POP_JUMP_FORWARD_IF_FALSE",
               "POP_JUMP_FORWARD_IF_TRUE", "POP_JUMP_BACKWARD_IF_FALSE", "POP_JUMP_BACKWARD_IF_TRUE",
               "POP_JUMP_FORWARD_IF_NONE", "POP_JUMP_FORWARD_IF_NOT_NONE", "POP_JUMP_BACKWARD_IF_NONE",
               "POP_JUMP_BACKWARD_IF_NOT_NONE", "JUMP_IF_FALSE_OR_POP", "JUMP_IF_TRUE_OR_POP"),
    "iterate": ("FOR_ITER", "GET_ITER"),
    "global": ("LOAD_GLOBAL", "LOAD_NAME", "STORE_NAME", "STORE_GLOBAL", "DELETE_NAME", "DELETE_GLOBAL",
               "IMPORT_NAME", "IMPORT_FROM", "LOAD_BUILD_CLASS", "LOAD_CLASSDEREF"),
    "attribute": ("LOAD_ATTR", "STORE_ATTR", "DELETE_ATTR", "LOAD_METHOD"),
    "arithmetic": ("BINARY_OP", "UNARY_NEGATIVE", "UNARY_NOT", "UNARY_INVERT", "UNARY_POSITIVE"),
    "compare": ("COMPARE_OP", "IS_OP", "CONTAINS_OP"),
    "subscript": ("BINARY_SUBSCR", "STORE_SUBSCR", "DELETE_SUBSCR", "BUILD_SLICE"),
    "append": ("LIST_APPEND", "SET_ADD", "MAP_ADD"),
    "allocate": ("BUILD_TUPLE", "BUILD_LIST", "LIST_TO_TUPLE", "MAKE_FUNCTION"),
    "allocate_hashed": ("BUILD_SET", "BUILD_MAP", "BUILD_CONST_KEY_MAP"),
    "format": ("FORMAT_VALUE", "BUILD_STRING"),
    "unpack": ("UNPACK_SEQUENCE", "UNPACK_EX", "LIST_EXTEND", "SET_UPDATE", "DICT_UPDATE", "DICT_MERGE"),
    "call": ("CALL", "CALL_FUNCTION_EX"),
    "return": ("RETURN_VALUE", "YIELD_VALUE", "SEND", "GET_YIELD_FROM_ITER"),
}
OTHER_CLASS = "other"
CLASS_NAMES: tuple[str, ...] = (*INSTRUCTION_CLASSES, OTHER_CLASS)

# C-level operations the hooks charge (see `cost_work` for how each one's units and items are read).
OPERATIONS: dict[str, str] = {
    "contains_sequence": "`in` a list, tuple, deque or dict.values(): units = elements compared",
    "contains_chars": "`in` a str or bytes: units = characters scanned",
    "contains_hashed": "`in` a set, frozenset, dict or keys view: no units (hash and probe)",
    "sort": "sorted(), list.sort(): units = n log2 n",
    "key_calls": "C-level key functions of sorted/min/max/sort (key=len, itemgetter): units = calls",
    "sum_items": "sum, math.prod, math.fsum, functools.reduce: units = items consumed",
    "compare_items": "min and max (of an iterable or of several arguments): units = items compared",
    "test_items": "any and all: units = items consumed (up to the deciding one)",
    "build_sequence": "list(), tuple(), deque(), list.copy/extend, copy.copy of a list: units = items",
    "build_hashed": "set(), frozenset(), dict(), dict.fromkeys, set/dict update and copy: units = items",
    "count_items": "collections.Counter(iterable) and Counter.update: units = items",
    "scan_sequence": "list/tuple/deque index, count, remove: units = elements compared",
    "shift_sequence": "list.pop(i), list.insert(i, x), del xs[i]: units = elements moved",
    "search_chars": "str/bytes find, index, count, rfind, rindex: units = characters scanned",
    "rewrite_chars": "str replace, lower, upper and the like: units = input + output characters",
    "translate_chars": "str.translate: units = characters",
    "split_chars": "str.split, rsplit, splitlines: units = characters, items = parts",
    "join_chars": "str.join: units = result characters, items = parts",
    "copy_chars": "str/bytes +, * and slicing, strip: units = result characters",
    "copy_refs": "list/tuple +, * and slicing: units = result elements",
    "append_chars": "s += t (or s = s + t) on a str name: units = len(t) (resized in place, amortized)",
    "hashed_method": "dict get, setdefault, pop and set add, discard, remove: no units (hash and probe)",
    "test_chars": "str startswith, endswith and the is* tests (isdigit, ...): units = characters tested",
    "cached_call": "a call of a functools.lru_cache / cache wrapper: no units (the arguments hashed, looked up)",
    "set_algebra": "set/dict-view |, &, -, ^ (and their in-place forms): units = elements hashed",
    "heap": "heapq.heappush, heappop, heapreplace, heappushpop: units = log2(n + 1)",
    "heapify": "heapq.heapify: units = n",
    "bisect": "bisect.bisect_left/right, insort_left/right: units = log2(n + 1)",
}


class CostTableError(ValueError):
    """The coefficient table is missing, unreadable or malformed (the message names the file and the field)."""


@dataclasses.dataclass(frozen=True)
class OperationCoefficients:
    """Nanoseconds of one C-level operation: base + per_unit × units + per_item × items."""

    base_ns: float
    per_unit_ns: float
    per_item_ns: float = 0.0

    def cost(self, units: float, items: float) -> float:
        return self.base_ns + self.per_unit_ns * units + self.per_item_ns * items


@dataclasses.dataclass(frozen=True)
class CostTable:
    """Measured coefficients (see the module docstring).

    Attributes:
      version: the table format (`TABLE_VERSION`).
      python: the interpreter version it was measured on ("3.11").
      instruction_ns: nanoseconds per executed instruction, by class (`CLASS_NAMES`).
      frame_ns: nanoseconds per Python frame entered (beyond its instructions).
      operations: coefficients per operation (`OPERATIONS`).
      command: the command that measured it.
    """

    version: int
    python: str
    instruction_ns: Mapping[str, float]
    frame_ns: float
    operations: Mapping[str, OperationCoefficients]
    command: str = ""

    def opcode_weights(self) -> list[float]:
        """[256] nanoseconds per opcode number (3.11 numbering), from the instruction classes."""
        weights = [self.instruction_ns[OTHER_CLASS]] * 256
        for name, opnames in INSTRUCTION_CLASSES.items():
            for opname in opnames:
                if opname in opcode.opmap:
                    weights[opcode.opmap[opname]] = self.instruction_ns[name]
        return weights

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "python": self.python, "command": self.command,
                "instruction_ns": dict(self.instruction_ns), "frame_ns": self.frame_ns,
                "operations": {name: dataclasses.asdict(c) for name, c in self.operations.items()}}


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise CostTableError(f"{where} must be a finite non-negative number, got {value!r}")
    return float(value)


def table_from_json(data: Any, source: str = "cost table") -> CostTable:
    """A `CostTable` from its JSON form; raises CostTableError naming `source` and the bad field."""
    if not isinstance(data, Mapping):
        raise CostTableError(f"{source}: expected a JSON object")
    if data.get("version") != TABLE_VERSION:
        raise CostTableError(f"{source}: table version {data.get('version')!r}, this code reads version "
                             f"{TABLE_VERSION}; run python -m launch.calibrate_cost_model")
    classes = data.get("instruction_ns")
    if not isinstance(classes, Mapping) or set(classes) != set(CLASS_NAMES):
        raise CostTableError(f"{source}: instruction_ns must name exactly the classes {list(CLASS_NAMES)}")
    operations = data.get("operations")
    if not isinstance(operations, Mapping) or set(operations) != set(OPERATIONS):
        missing = sorted(set(OPERATIONS) - set(operations or {}))
        extra = sorted(set(operations or {}) - set(OPERATIONS))
        raise CostTableError(f"{source}: operations must name exactly the known operations "
                             f"(missing {missing}, unknown {extra})")
    coefficients = {}
    for name, values in operations.items():
        if not isinstance(values, Mapping):
            raise CostTableError(f"{source}: operations.{name} must be an object")
        defaults = {"per_item_ns": 0.0}
        coefficients[name] = OperationCoefficients(
            *(_number(values.get(field, defaults.get(field)), f"{source}: operations.{name}.{field}")
              for field in ("base_ns", "per_unit_ns", "per_item_ns")))
    return CostTable(version=TABLE_VERSION, python=str(data.get("python", "")),
                     instruction_ns={name: _number(classes[name], f"{source}: instruction_ns.{name}")
                                     for name in CLASS_NAMES},
                     frame_ns=_number(data.get("frame_ns"), f"{source}: frame_ns"),
                     operations=coefficients, command=str(data.get("command", "")))


def load_cost_table(path: str | pathlib.Path = DEFAULT_TABLE_PATH) -> CostTable:
    """The table in `path` (default: the shipped one); raises CostTableError naming the file."""
    try:
        data = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CostTableError(f"{path}: cannot read the cost table ({exc.strerror or exc}); "
                             f"run python -m launch.calibrate_cost_model") from None
    except json.JSONDecodeError as exc:
        raise CostTableError(f"{path}: not JSON ({exc})") from None
    return table_from_json(data, str(path))
