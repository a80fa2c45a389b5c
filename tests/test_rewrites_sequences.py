"""Exact snippets and near misses of the `sequences` rule family (`codeopt_jax/rewrites/sequences.py`, with
the heapq / bisect rules of `codeopt_jax/rewrites/ordered.py`)."""

from __future__ import annotations

import heapq
import random

import libcst as cst
import pytest

from codeopt_jax.program import parse_program
from codeopt_jax.rewrites import apply_rewrite, rule_by_name
from codeopt_jax.rewrites.context import ProgramContext
from codeopt_jax.rewrites.imports import imported_name
from codeopt_jax.rewrites.sequences import non_negative_int
from tests.rewrite_cases import Case, NearMiss, case_id, check_rewrites_snippet_exactly, check_skips_near_miss

class Touchy:
    """An item whose comparison raises ValueError (the loop lets it escape; so must the rewrite)."""

    def __eq__(self, other: object) -> bool:
        raise ValueError("not comparable")

    __hash__ = None  # type: ignore[assignment]


GRAPH = {"a": ["b", "c"], "b": ["d"], "c": ["d", "e"], "d": ["a"], "e": []}
NAN = float("nan")

POSITIVE_CASES = [
    Case('list_queue_to_deque', 'bfs_order', 1, '''\
def bfs_order(graph, start):
    seen = {start}
    queue = [start]
    order = []
    while queue:
        node = queue.pop(0)
        order.append(node)
        for neighbour in graph.get(node, ()):
            if neighbour not in seen:
                seen.add(neighbour)
                queue.append(neighbour)
    return order
''',
         '''\
from collections import deque


def bfs_order(graph, start):
    seen = {start}
    queue = deque([start])
    order = []
    while queue:
        node = queue.popleft()
        order.append(node)
        for neighbour in graph.get(node, ()):
            if neighbour not in seen:
                seen.add(neighbour)
                queue.append(neighbour)
    return order
''',
         [(GRAPH, "a"), (GRAPH, "e"), ({}, 1)]),
    Case('list_queue_to_deque', 'undo_stack', 1, '''\
def undo_stack(events):
    recent = list()
    for event in events:
        if event == "undo":
            if recent:
                recent.pop(0)
        else:
            recent.insert(0, event)
        if len(recent) > 3:
            recent.pop(-1)
    return recent
''',
         '''\
from collections import deque


def undo_stack(events):
    recent = deque()
    for event in events:
        if event == "undo":
            if recent:
                recent.popleft()
        else:
            recent.appendleft(event)
        if len(recent) > 3:
            recent.pop()
    return list(recent)
''',
         [([],), (["a", "b", "undo", "c", "d", "e", "f"],), (["undo", "undo"],)]),
    Case('slice_iteration_to_islice', 'next_larger', 1, '''\
def next_larger(xs):
    found = []
    for i, x in enumerate(xs):
        for y in xs[i + 1:]:
            if y > x:
                found.append(y)
                break
    return found
''',
         '''\
import itertools


def next_larger(xs):
    found = []
    for i, x in enumerate(xs):
        for y in itertools.islice(xs, i + 1, None):
            if y > x:
                found.append(y)
                break
    return found
''',
         [([],), ([3, 1, 4, 1, 5],), ([5, 4],), ("abca",)]),
    Case('slice_iteration_to_islice', 'has_later_smaller', 1, '''\
def has_later_smaller(xs):
    return [any(y < x for y in xs[i:]) for i, x in enumerate(xs)]
''',
         '''\
import itertools


def has_later_smaller(xs):
    return [any(y < x for y in itertools.islice(xs, i, None)) for i, x in enumerate(xs)]
''',
         [([],), ([2, 3, 1],), ((1, 1, 2),)]),
    Case('sliced_startswith_to_offset', 'count_pairs', 1, '''\
def count_pairs(text):
    return sum(1 for i in range(len(text)) if text[i:].startswith(("ab", "ba")))
''',
         '''\
def count_pairs(text):
    return sum(1 for i in range(len(text)) if text.startswith(("ab", "ba"), i))
''',
         [("",), ("abab",), ("xbaab",), (b"ab",)]),
    Case('sliced_startswith_to_offset', 'ends_before', 1, '''\
def ends_before(text, stop):
    return text[2:stop].endswith("!")
''',
         '''\
def ends_before(text, stop):
    return text.endswith("!", 2, stop)
''',
         [("hey!!", 5), ("hi!", -1), ("a!", 10), ("ab!", None), ("!!!", 1)]),
    Case('append_loop_to_extend', 'collect_line_items', 1, '''\
def collect_line_items(orders):
    items = []
    for order in orders:
        for item in order["items"]:
            items.append(item)
    return items
''',
         '''\
def collect_line_items(orders):
    items = []
    for order in orders:
        items.extend(order["items"])
    return items
''',
         [([],), ([{"items": []}, {"items": ("x", "y")}, {"items": ["z"]}],), ([{"items": 5}],)]),
    Case('clamp_to_conditional', 'clamp_sensor_readings', 1, '''\
def clamp_sensor_readings(readings, low, high):
    clamped = []
    for reading in readings:
        clamped.append(min(max(reading, low), high))
    return clamped
''',
         '''\
def clamp_sensor_readings(readings, low, high):
    clamped = []
    for reading in readings:
        clamped.append((high if high < low else low) if low > reading else (high if high < reading else reading))
    return clamped
''',
         [([], 0, 1), ([-3, 0, 5, 10, 11], 0, 10), ([-3, 5, 42], 10, 0), ([1, 1.0, True], 1, 1),
          ([NAN, 2.5], 0, 1), (["m", "a", "z"], "b", "y")]),
    Case('clamp_to_conditional', 'floor_ceiling', 1, '''\
def floor_ceiling(values, ceiling):
    return [max(min(v, ceiling), 0) + 1 for v in values]
''',
         '''\
def floor_ceiling(values, ceiling):
    return [((0 if 0 > ceiling else ceiling) if ceiling < v else (0 if 0 > v else v)) + 1 for v in values]
''',
         [([], 3), ([-2, 0, 2, 5], 3), ([4, -4], -1)]),
    Case('take_until_loop_to_index_guarded', 'lines_before_marker', 1, '''\
def lines_before_marker(lines, marker):
    body = []
    for line in lines:
        if line == marker:
            break
        body.append(line)
    return body
''',
         '''\
def lines_before_marker(lines, marker):
    if type(lines) is list and type(marker) in (str, int):
        try:
            body = lines[:lines.index(marker)]
        except ValueError:
            if marker in lines:
                raise
            body = lines[:]
    else:
        body = []
        for line in lines:
            if line == marker:
                break
            body.append(line)
    return body
''',
         [([], "---"), (["a", "b", "---", "c", "---"], "---"), (["a", "a"], "---"), ([1, 2.0, 3], 2),
          (("a", "---"), "---"), ([NAN, 1], NAN), ([None, 1], None), ([Touchy(), "a"], "a"), (["a", Touchy()], "a")]),
]

NEAR_MISSES = [
    NearMiss('list_queue_to_deque', 'the queue is sliced (a deque has no slices)', '''\
def f(items):
    queue = list(items)
    while queue:
        head = queue.pop(0)
        if head is None:
            return queue[1:]
    return []
'''),
    NearMiss('list_queue_to_deque', 'the queue is handed to unknown code', '''\
def f(items, log):
    queue = [items]
    while queue:
        log(queue)
        queue.pop(0)
'''),
    NearMiss('list_queue_to_deque', 'no pop(0) or insert(0, ...) inside a loop', '''\
def f(items):
    queue = list(items)
    first = queue.pop(0)
    for item in items:
        queue.append(item)
    return first, len(queue)
'''),
    NearMiss('list_queue_to_deque', 'a loop over the queue changes it', '''\
def f(items):
    queue = list(items)
    for item in queue:
        if item:
            queue.insert(0, None)
    return len(queue)
'''),
    NearMiss('slice_iteration_to_islice', 'the start may be negative', '''\
def f(xs):
    n = 0
    for i in range(len(xs)):
        for y in xs[i - 1:]:
            n += y
    return n
'''),
    NearMiss('slice_iteration_to_islice', 'the inner loop changes the list', '''\
def f(xs):
    for i in range(len(xs)):
        for y in xs[i:]:
            xs.append(y)
            break
    return xs
'''),
    NearMiss('slice_iteration_to_islice', 'a lazy generator would outlive the loop', '''\
def f(xs):
    return [(y for y in xs[i:]) for i in range(len(xs))]
'''),
    NearMiss('slice_iteration_to_islice', 'not inside a loop', '''\
def f(xs):
    return [y for y in xs[1:]]
'''),
    NearMiss('sliced_startswith_to_offset', 'an empty prefix differs past the end', '''\
def f(s, i):
    return s[i:].startswith("")
'''),
    NearMiss('sliced_startswith_to_offset', 'a stepped slice', '''\
def f(s):
    return s[::2].startswith("ab")
'''),
    NearMiss('append_loop_to_extend', 'the loop variable is read after the loop', '''\
def f(groups):
    out = []
    for group in groups:
        out.append(group)
    return out, group
'''),
    NearMiss('append_loop_to_extend', 'the target may not be a list', '''\
def f(out, groups):
    for group in groups:
        out.append(group)
    return out
'''),
    NearMiss('clamp_to_conditional', 'an operand is a call (it would run twice)', '''\
def f(xs, lo, hi):
    return min(max(xs.pop(), lo), hi)
'''),
    NearMiss('take_until_loop_to_index_guarded', 'the loop does more than collect', '''\
def f(lines, marker):
    body = []
    for line in lines:
        if line == marker:
            break
        body.append(line)
        print(line)
    return body
'''),
    NearMiss('take_until_loop_to_index_guarded', 'the marker changes in the loop', '''\
def f(lines, marker):
    body = []
    for line in lines:
        if line == marker:
            break
        body.append(line)
        marker = line
    return body
'''),
]


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=case_id)
def test_rule_rewrites_snippet_exactly(case: Case) -> None:
    check_rewrites_snippet_exactly(case)


@pytest.mark.parametrize("case", NEAR_MISSES, ids=case_id)
def test_rule_skips_near_miss(case: NearMiss) -> None:
    check_skips_near_miss(case)


def test_heap_selection_matches_sorted_slice_on_ties() -> None:
    """The equivalence sorted_prefix_to_heap relies on, on inputs full of ties."""
    rng = random.Random(7)
    for _ in range(300):
        items = [(rng.randint(0, 4), rng.random()) for _ in range(rng.randint(0, 40))]
        k = rng.randint(1, 45)
        key = lambda item: item[0]  # noqa: E731 - a key that ties often
        assert heapq.nsmallest(k, items, key=key) == sorted(items, key=key)[:k]
        assert heapq.nlargest(k, items, key=key) == sorted(items, key=key, reverse=True)[:k]


def _slice_start(source: str) -> tuple[cst.BaseExpression, ProgramContext]:
    ctx = ProgramContext(parse_program(source))
    (part,) = ctx.nodes_of_type((cst.Slice,))
    return part.lower, ctx


@pytest.mark.parametrize("source, expected", [
    ("def f(xs):\n    for i in range(len(xs)):\n        xs[i + 1:]\n", True),
    ("def f(xs):\n    for i in range(2, 9):\n        xs[i:]\n", True),
    ("def f(xs):\n    for i in range(-2, 9):\n        xs[i:]\n", False),
    ("def f(xs):\n    for i, x in enumerate(xs, 1):\n        xs[i:]\n", True),
    ("def f(xs):\n    for x, i in enumerate(xs):\n        xs[i:]\n", False),
    ("def f(xs):\n    return [xs[j:] for j in range(3)]\n", True),
    ("def f(xs, i):\n    return xs[i:]\n", False),
    ("def f(xs):\n    for i in range(3):\n        i = -1\n        xs[i:]\n", False),
    ("def f(xs):\n    for i in range(i, 3):\n        xs[i:]\n", False),
    ("def f(xs):\n    return [xs[i:] for i, x in enumerate(xs, i)]\n", False),
])
def test_non_negative_int_trusts_only_counters(source: str, expected: bool) -> None:
    lower, ctx = _slice_start(source)
    assert non_negative_int(lower, ctx) is expected


def test_imported_name_reuses_imports_and_avoids_clashes() -> None:
    def spelled(source: str) -> tuple[str, tuple[str, ...]] | None:
        found = imported_name(ProgramContext(parse_program(source)), "heapq", "nsmallest")
        return None if found is None else (cst.Module(body=[]).code_for_node(found.reference), found.imports)

    assert spelled("def f(): pass\n") == ("heapq.nsmallest", ("import heapq",))
    assert spelled("import heapq as hq\n") == ("hq.nsmallest", ())
    assert spelled("from heapq import nsmallest as pick\n") == ("pick", ())
    assert spelled("heapq = 1\n") == ("nsmallest", ("from heapq import nsmallest",))
    assert spelled("heapq = nsmallest = 1\n") is None


def test_sorted_list_stays_provable_after_a_bisect_rewrite() -> None:
    source = """\
def spread(values, x):
    s = sorted(values)
    return sum(1 for v in s if v < x), sum(1 for v in s if v > x), x in s
"""
    for rule in ("sorted_count_to_bisect", "sorted_count_to_bisect", "sorted_membership_to_bisect"):
        (site, *_) = rule_by_name(rule).sites(parse_program(source))
        source = apply_rewrite(source, rule, site)
    assert source.count("bisect.bisect_") == 4 and " in s" not in source
    namespace: dict = {}
    exec(compile(source, "<spread>", "exec"), namespace)  # noqa: S102 - the rewritten snippet
    assert namespace["spread"]([3, 1, 2, 2, 5], 2) == (1, 2, True)
    assert namespace["spread"]([], 2) == (0, 0, False)
