"""Exact snippets and near misses of the `ordered` rule family (`codeopt_jax/rewrites/ordered.py`:
heapq for partial sorts, bisect for searches in a list built by sorted())."""

from __future__ import annotations

import pytest

from tests.rewrite_cases import Case, NearMiss, case_id, check_rewrites_snippet_exactly, check_skips_near_miss

POSITIVE_CASES = [
    Case('sorted_prefix_to_heap', 'cheapest', 1, '''\
def cheapest(items):
    return [name for name, _ in sorted(items, key=lambda item: item[1])[:2]]
''',
         '''\
import heapq


def cheapest(items):
    return [name for name, _ in heapq.nsmallest(2, items, key=lambda item: item[1])]
''',
         [([],), ([("a", 1)],), ([("a", 1), ("b", 0), ("c", 1), ("d", 0)],), ([("a", 2), ("b", 2), ("c", 2)],)]),
    Case('sorted_prefix_to_heap', 'top_three', 1, '''\
def top_three(scores):
    return sorted(scores, reverse=True)[0:3]
''',
         '''\
import heapq


def top_three(scores):
    return heapq.nlargest(3, scores)
''',
         [([],), ([5, 1],), ([3, 9, 3, 9, 1, 9],), ([2.0, 2, 1, 2.0, 2],), (iter([4, 8, 6, 2]),)]),
    Case('sorted_prefix_to_heap_guarded', 'min_k', 1, '''\
def min_k(test_list, K):
    res = sorted(test_list, key=lambda x: x[1])[:K]
    return (res)
''',
         '''\
import heapq


def min_k(test_list, K):
    res = heapq.nsmallest(K, test_list, key=lambda x: x[1]) if type(K) is int and K > 0 else \
sorted(test_list, key=lambda x: x[1])[:K]
    return (res)
''',
         [([("a", 3), ("b", 1), ("c", 1), ("d", 2)], 2), ([("a", 3), ("b", 1)], 0), ([("a", 3), ("b", 1)], -1),
          ([("a", 3), ("b", 1)], 10), ([("a", 3), ("b", 1)], None), ([("a", 3), ("b", 1)], True)]),
    Case('sorted_count_to_bisect', 'rank_below', 1, '''\
def rank_below(values, queries):
    ordered = sorted(values)
    return [sum(v < q for v in ordered) for q in queries]
''',
         '''\
import bisect


def rank_below(values, queries):
    ordered = sorted(values)
    return [bisect.bisect_left(ordered, q) for q in queries]
''',
         [([], [1]), ([5, 1, 3, 3, 9], [0, 1, 3, 4, 9, 10]), ("banana", "abnz")]),
    Case('sorted_count_to_bisect', 'count_above', 1, '''\
def count_above(values, limits):
    ordered = sorted(values)
    counts = {}
    for limit in limits:
        counts[limit] = 2 * len([v for v in ordered if limit < v])
    return counts
''',
         '''\
import bisect


def count_above(values, limits):
    ordered = sorted(values)
    counts = {}
    for limit in limits:
        counts[limit] = 2 * (len(ordered) - bisect.bisect_right(ordered, limit))
    return counts
''',
         [([], [0]), ([4, 4, 1, 7], [0, 1, 4, 5, 7, 8])]),
    Case('sorted_membership_to_bisect', 'known_pairs', 1, '''\
def known_pairs(pairs, queries):
    table = sorted(pairs)
    return [query for query in queries if query not in table]
''',
         '''\
import bisect


def known_pairs(pairs, queries):
    table = sorted(pairs)
    return [query for query in queries if bisect.bisect_left(table, query) == bisect.bisect_right(table, query)]
''',
         [([], [[1]]), ([[1, 2], [0, 1], [1, 2]], [[1, 2], [3], [0, 1], [0]])]),
    Case('sorted_scan_to_bisect', 'next_threshold', 1, '''\
def next_threshold(levels, reading):
    ordered = sorted(levels)
    for level in ordered:
        if level > reading:
            return level
    return None
''',
         '''\
import bisect


def next_threshold(levels, reading):
    ordered = sorted(levels)
    position = bisect.bisect_right(ordered, reading)
    return ordered[position] if position < len(ordered) else None
''',
         [([], 3), ([5, 1, 3, 3, 9], 3), ([5, 1, 3], 0), ([5, 1, 3], 5), ([2.5, 1], 1)]),
    Case('sorted_scan_to_bisect', 'insert_position', 1, '''\
def insert_position(values, x):
    s = sorted(values)
    # the first place x fits
    for i, v in enumerate(s):
        if x <= v:
            return i
    return len(s)
''',
         '''\
import bisect


def insert_position(values, x):
    s = sorted(values)
    # the first place x fits
    return bisect.bisect_left(s, x)
''',
         [([], 1), ([4, 4, 1, 7], 4), ([4, 4, 1, 7], 8), ("dcba", "c")]),
]

NEAR_MISSES = [
    NearMiss('sorted_prefix_to_heap', 'the slice does not start at 0', '''\
def f(xs):
    return sorted(xs)[1:3]
'''),
    NearMiss('sorted_prefix_to_heap', 'the count is not a literal (only the guarded rule applies)', '''\
def f(xs, k):
    return sorted(xs)[:k]
'''),
    NearMiss('sorted_prefix_to_heap_guarded', 'the count is a literal', '''\
def f(xs):
    return sorted(xs)[:-1]
'''),
    NearMiss('sorted_prefix_to_heap_guarded', 'the count has side effects', '''\
def f(xs, counts):
    return sorted(xs)[:counts.pop()]
'''),
    NearMiss('sorted_count_to_bisect', 'the list is sorted in reverse', '''\
def f(xs, x):
    s = sorted(xs, reverse=True)
    return sum(1 for v in s if v < x)
'''),
    NearMiss('sorted_count_to_bisect', 'the list changes after the sort', '''\
def f(xs, x):
    s = sorted(xs)
    s.append(x)
    return sum(1 for v in s if v < x)
'''),
    NearMiss('sorted_count_to_bisect', 'the bound depends on the item', '''\
def f(xs):
    s = sorted(xs)
    return sum(1 for v in s if v < v * 2)
'''),
    NearMiss('sorted_membership_to_bisect', 'the list is rebound', '''\
def f(xs, ys, q):
    s = sorted(xs)
    if q:
        s = ys
    return q in s
'''),
    NearMiss('sorted_membership_to_bisect', 'the list is a parameter', '''\
def f(s, q):
    return q in s
'''),
    NearMiss('sorted_scan_to_bisect', 'the default reads the loop variable', '''\
def f(xs, x):
    s = sorted(xs)
    for v in s:
        if v >= x:
            return v
    return v
'''),
    NearMiss('sorted_scan_to_bisect', 'the list is not known to be sorted', '''\
def f(s, x):
    for v in s:
        if v >= x:
            return v
    return None
'''),
    NearMiss('sorted_scan_to_bisect', 'a search from above (first item below x)', '''\
def f(xs, x):
    s = sorted(xs)
    for v in s:
        if v < x:
            return v
    return None
'''),
]


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=case_id)
def test_rewrites_snippet_exactly(case: Case) -> None:
    check_rewrites_snippet_exactly(case)


@pytest.mark.parametrize("case", NEAR_MISSES, ids=case_id)
def test_skips_near_miss(case: NearMiss) -> None:
    check_skips_near_miss(case)
