"""Names for generated code: record domains (orders, sensor readings, ...) and a picker of fresh identifiers.

A `Domain` names a collection, its items and their fields (a text key, an int count, a
float amount) with realistic value ranges; `Names` hands out identifiers that are unique
within one program and never shadow a builtin, a keyword or a harness name.
"""

from __future__ import annotations

import builtins
import dataclasses
import keyword
import random
from typing import Sequence


@dataclasses.dataclass(frozen=True)
class Domain:
    """A kind of record: e.g. orders with a customer (key), a quantity (count) and a price (amount).

    Keys are `key_prefix` + a number below `key_pool`, so small inputs repeat keys."""

    collection: str          # plural noun: the list's name
    item: str                # singular noun: the loop variable
    key_field: str
    count_field: str
    amount_field: str
    key_prefix: str
    key_pool: int
    count_range: tuple[int, int]
    amount_range: tuple[float, float]


DOMAINS: tuple[Domain, ...] = (
    Domain("orders", "order", "customer", "quantity", "price", "cust", 400, (0, 40), (0.5, 250.0)),
    Domain("readings", "reading", "sensor", "level", "temperature", "s", 120, (-200, 200), (-30.0, 45.0)),
    Domain("users", "user", "name", "age", "balance", "user", 900, (0, 99), (-500.0, 5000.0)),
    Domain("tickets", "ticket", "queue", "priority", "hours", "q", 40, (1, 5), (0.25, 72.0)),
    Domain("products", "product", "sku", "stock", "cost", "sku", 600, (0, 500), (0.99, 999.0)),
    Domain("payments", "payment", "account", "cents", "fee", "acct", 300, (-5000, 20000), (0.0, 35.0)),
    Domain("songs", "song", "artist", "plays", "rating", "artist", 200, (0, 10000), (0.0, 5.0)),
    Domain("students", "student", "student_id", "score", "gpa", "stu", 500, (0, 100), (0.0, 4.0)),
    Domain("shifts", "shift", "worker", "minutes", "rate", "w", 80, (0, 720), (9.5, 60.0)),
    Domain("requests", "request", "endpoint", "status", "latency", "/api/v", 60, (100, 599), (0.1, 900.0)),
    Domain("parcels", "parcel", "city", "weight", "volume", "city", 150, (1, 70), (0.01, 2.5)),
    Domain("trades", "trade", "symbol", "shares", "price", "TK", 250, (-1000, 1000), (1.0, 700.0)),
)

VERBS_SELECT = ("select", "filter", "pick", "keep", "collect", "find", "gather", "extract")
VERBS_BUILD = ("build", "make", "compute", "derive", "list", "map", "convert", "prepare")
VERBS_SUM = ("total", "sum", "tally", "accumulate", "aggregate")
VERBS_COUNT = ("count", "number_of", "how_many")
ADJECTIVES = ("large", "small", "valid", "flagged", "active", "recent", "heavy", "light", "high", "low",
              "matching", "eligible", "selected", "negative", "positive", "odd", "even", "rare", "busy")
RESULT_LIST = ("result", "out", "values", "items", "picked", "selected", "rows", "found", "matches",
               "collected", "output", "kept", "chosen", "entries", "accepted")
ACCUMULATOR = ("total", "acc", "running", "amount", "subtotal", "score", "tally", "aggregate", "result")
COUNTER = ("count", "n", "hits", "seen_count", "num", "matches", "counter")
TABLE = ("counts", "table", "by_key", "index", "groups", "buckets", "summary", "totals", "lookup", "histogram")
TEXT = ("text", "line", "message", "label", "report", "note", "body", "title", "caption", "line_out")
GROUP_KEY = ("group", "name", "label", "region", "team", "category", "bucket", "key")
LIMIT = ("limit", "threshold", "cutoff", "bound", "minimum", "target", "floor", "level")

_RESERVED = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(
    {"check", "workload", "reference", "candidate", "random", "rng", "calls", "math", "bisect", "heapq",
     "collections", "itertools", "functools", "deque", "Counter", "lru_cache", "self", "cls"})


class Names:
    """Fresh identifiers for one program, drawn with the program's rng."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def fresh(self, candidates: Sequence[str], suffixes: Sequence[str] = ("2", "_b", "_all", "_out")) -> str:
        """A name from `candidates` (in random order) not used yet; a suffixed one when all are."""
        options = list(candidates)
        self.rng.shuffle(options)
        for option in options + [o + s for s in suffixes for o in options]:
            if option.isidentifier() and option not in _RESERVED and option not in self.used:
                self.used.add(option)
                return option
        index = len(self.used)
        while f"{options[0]}_{index}" in self.used:
            index += 1
        self.used.add(f"{options[0]}_{index}")
        return f"{options[0]}_{index}"

    def reserve(self, name: str) -> str:
        self.used.add(name)
        return name


def plural(noun: str) -> str:
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith("s") and not noun.endswith(("ss", "us")):
        return noun  # already plural ("shares", "plays")
    return noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")


def function_name(rng: random.Random, names: Names, verbs: Sequence[str], *objects: str) -> str:
    """e.g. `collect_large_orders`: a verb and the nouns, joined; unique in the program."""
    verb = rng.choice(list(verbs))
    return names.fresh(["_".join([verb, *objects])], suffixes=("_v2", "_list", "_all", "_fast"))
