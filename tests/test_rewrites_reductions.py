"""Exact snippets and near misses of the `reductions` rule family (`codeopt_jax/rewrites/reductions.py`)."""

from __future__ import annotations

import pytest

from tests.rewrite_cases import Case, NearMiss, case_id, check_rewrites_snippet_exactly, check_skips_near_miss

POSITIVE_CASES = [
    Case('sum_loop_to_sum', 'total', 1, '''\
def total(xs):
    t = 0
    for x in xs:
        t += x
    return t
''',
         '''\
def total(xs):
    t = sum(xs)
    return t
''',
         [([],), ([1, 2.5],)]),
    Case('sum_loop_to_sum', 'count_long', 1, '''\
def count_long(words, n):
    count = 0
    for w in words:
        if len(w) > n:
            count = count + 1
    return count
''',
         '''\
def count_long(words, n):
    count = sum(1 for w in words if len(w) > n)
    return count
''',
         [([], 1), (['a', 'abc', 'abcd'], 2)]),
    Case('sum_loop_to_sum', 'weighted', 1, '''\
def weighted(rows):
    total = 10
    for price, qty in rows:
        total += price * qty
    return total
''',
         '''\
def weighted(rows):
    total = sum((price * qty for price, qty in rows), 10)
    return total
''',
         [([],), ([(2, 3), (1, 1)],)]),
    Case('min_max_loop_to_builtin', 'largest', 1, '''\
def largest(xs):
    best = xs[0]
    for x in xs[1:]:
        if x > best:
            best = x
    return best
''',
         '''\
def largest(xs):
    best = max(xs)
    return best
''',
         [([3],), ([1, 5, 2],)]),
    Case('min_max_loop_to_builtin', 'shortest', 1, '''\
def shortest(words):
    best = None
    for w in words:
        if best is None or len(w) < best:
            best = len(w)
    return best
''',
         '''\
def shortest(words):
    best = min((len(w) for w in words), default=None)
    return best
''',
         [([],), (['abc', 'a', 'ab'],)]),
    Case('min_max_loop_to_builtin', 'peak', 1, '''\
def peak(xs):
    best = float("-inf")
    for x in xs:
        best = max(best, x * 2)
    return best
''',
         '''\
def peak(xs):
    best = max((x * 2 for x in xs), default=float("-inf"))
    return best
''',
         [([],), ([1, 7, 3],)]),
    Case('return_loop_to_any_all', 'has_negative', 1, '''\
def has_negative(xs):
    for x in xs:
        if x < 0:
            return True
    return False
''',
         '''\
def has_negative(xs):
    return any(x < 0 for x in xs)
''',
         [([],), ([1, -1],), ([1, 2],)]),
    Case('return_loop_to_any_all', 'all_short', 1, '''\
def all_short(words, n):
    for w in words:
        if len(w) > n or not w:
            return False
    return True
''',
         '''\
def all_short(words, n):
    return all(not (len(w) > n or not w) for w in words)
''',
         [([], 1), (['a', 'bb'], 2), (['a', ''], 2), (['abc'], 2)]),
    Case('flag_loop_to_any_all', 'contains', 1, '''\
def contains(xs, target):
    found = False
    for x in xs:
        if x == target:
            found = True
            break
    return found
''',
         '''\
def contains(xs, target):
    found = any(x == target for x in xs)
    return found
''',
         [([], 1), ([1, 2], 2), ([1, 2], 3)]),
    Case('search_loop_to_any', 'matches', 1, '''\
def matches(names, others):
    hits = []
    for name in names:
        for other in others:
            if name.lower() == other.lower():
                hits.append(name)
                break
    return hits
''',
         '''\
def matches(names, others):
    hits = []
    for name in names:
        if any(name.lower() == other.lower() for other in others):
            hits.append(name)
    return hits
''',
         [([], ['a']), (['A', 'b', 'c'], ['a', 'B', 'b'])]),
    Case('search_loop_to_next', 'region_of', 1, '''\
def region_of(key, records):
    region = "unknown"
    for record in records:
        if record[0] == key:
            region = record[1]
            break
    return region
''',
         '''\
def region_of(key, records):
    region = next((record[1] for record in records if record[0] == key), "unknown")
    return region
''',
         [('a', []), ('a', [('b', 1), ('a', 2), ('a', 3)])]),
    Case('list_comp_to_generator_in_reducer', 'sum_squares', 1, '''\
def sum_squares(xs):
    return sum([x * x for x in xs])
''',
         '''\
def sum_squares(xs):
    return sum(x * x for x in xs)
''',
         [([],), ([1, 2],)]),
    Case('list_comp_to_generator_in_reducer', 'longest', 1, '''\
def longest(words):
    return max([len(w) for w in words], default=0)
''',
         '''\
def longest(words):
    return max((len(w) for w in words), default=0)
''',
         [([],), (['ab', 'c'],)]),
    Case('generator_to_list_comp_in_reducer', 'sorted_lower', 1, '''\
def sorted_lower(words):
    return ", ".join(w.lower() for w in words)
''',
         '''\
def sorted_lower(words):
    return ", ".join([w.lower() for w in words])
''',
         [([],), (['B', 'a'],)]),
    Case('short_circuit_any_all', 'any_big', 1, '''\
def any_big(xs, limit):
    return any([x > limit for x in xs])
''',
         '''\
def any_big(xs, limit):
    return any(x > limit for x in xs)
''',
         [([], 1), ([1, 5], 3)]),
]

NEAR_MISSES = [
    NearMiss('sum_loop_to_sum', 'start is not a number literal', '''\
def f(xs, start):
    t = start
    for x in xs:
        t += x
    return t
'''),
    NearMiss('sum_loop_to_sum', 'product, not a sum', '''\
def f(xs):
    t = 0
    for x in xs:
        t = t * x
    return t
'''),
    NearMiss('min_max_loop_to_builtin', 'non-strict comparison keeps the last tie', '''\
def f(xs):
    best = xs[0]
    for x in xs:
        if x >= best:
            best = x
    return best
'''),
    NearMiss('min_max_loop_to_builtin', 'start unrelated to the sequence', '''\
def f(xs, ys):
    best = ys[0]
    for x in xs:
        if x > best:
            best = x
    return best
'''),
    NearMiss('return_loop_to_any_all', 'not followed by the opposite constant', '''\
def f(xs):
    for x in xs:
        if x:
            return True
    return True
'''),
    NearMiss('return_loop_to_any_all', 'returns a value, not a bool', '''\
def f(xs):
    for x in xs:
        if x:
            return x
    return False
'''),
    NearMiss('flag_loop_to_any_all', 'no break', '''\
def f(xs):
    found = False
    for x in xs:
        if x:
            found = True
    return found
'''),
    NearMiss('search_loop_to_any', 'action uses the loop variable', '''\
def f(xs, ys):
    out = []
    for x in xs:
        for y in ys:
            if x == y:
                out.append(y)
                break
    return out
'''),
    NearMiss('search_loop_to_next', 'default changes in the loop', '''\
def f(records, key, d):
    v = d
    for r in records:
        d = r
        if r == key:
            v = r
            break
    return v
'''),
    NearMiss('list_comp_to_generator_in_reducer', 'two positional arguments to max', '''\
def f(xs, y):
    return max([x for x in xs], y)
'''),
    NearMiss('list_comp_to_generator_in_reducer', 'any/all belong to short_circuit_any_all', '''\
def f(xs):
    return any([x for x in xs])
'''),
    NearMiss('generator_to_list_comp_in_reducer', 'any keeps its short circuit', '''\
def f(xs):
    return any(x for x in xs)
'''),
    NearMiss('short_circuit_any_all', 'element calls unknown code', '''\
def f(xs, check):
    return any([check(x) for x in xs])
'''),
]


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=case_id)
def test_rule_rewrites_snippet_exactly(case: Case) -> None:
    check_rewrites_snippet_exactly(case)


@pytest.mark.parametrize("case", NEAR_MISSES, ids=case_id)
def test_rule_skips_near_miss(case: NearMiss) -> None:
    check_skips_near_miss(case)
