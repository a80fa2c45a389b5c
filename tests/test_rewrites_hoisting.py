"""Exact snippets and near misses of the `hoisting` rule family (`codeopt_jax/rewrites/hoisting.py`)."""

from __future__ import annotations

import pytest

from tests.rewrite_cases import Case, NearMiss, case_id, check_rewrites_snippet_exactly, check_skips_near_miss

POSITIVE_CASES = [
    Case('hoist_loop_invariant', 'above_mean', 2, '''\
def above_mean(xs):
    out = []
    for x in xs:
        if x * len(xs) > sum(xs):
            out.append(x)
    return out
''',
         '''\
def above_mean(xs):
    out = []
    len_xs = len(xs)
    for x in xs:
        if x * len_xs > sum(xs):
            out.append(x)
    return out
''',
         [([],), ([1, 2, 3, 10],)]),
    Case('hoist_loop_invariant', 'closest_to_top', 1, '''\
def closest_to_top(xs):
    count = 0
    for x in xs:
        if x == max(xs):
            count += 1
    return count
''',
         '''\
def closest_to_top(xs):
    count = 0
    max_xs = max(xs, default=None)
    for x in xs:
        if x == max_xs:
            count += 1
    return count
''',
         [([],), ([3, 1, 3],)]),
    Case('hoist_loop_invariant', 'flagged', 1, '''\
def flagged(names, banned):
    return [n for n in names if n.lower() in {b.lower() for b in banned}]
''',
         '''\
def flagged(names, banned):
    banned_set = {b.lower() for b in banned}
    return [n for n in names if n.lower() in banned_set]
''',
         [([], ['a']), (['A', 'b'], ['a'])]),
    Case('hoist_loop_invariant_guarded', 'same_as_first', 1, '''\
def same_as_first(s):
    for ch in s:
        if ch != s[0]:
            return False
    return True
''',
         '''\
def same_as_first(s):
    try:
        s_0 = s[0]
    except Exception:
        for ch in s:
            if ch != s[0]:
                return False
    else:
        for ch in s:
            if ch != s_0:
                return False
    return True
''',
         [('',), ('a',), ('aab',), ('bbb',)]),
    Case('hoist_loop_invariant_guarded', 'above_all', 1, '''\
def above_all(xs, ys):
    return [x for x in xs if x > max(ys)]
''',
         '''\
def above_all(xs, ys):
    try:
        max_ys = max(ys)
    except Exception:
        return [x for x in xs if x > max(ys)]
    else:
        return [x for x in xs if x > max_ys]
''',
         [([], []), ([1, 5], []), ([1, 5], [2]), ([], [3])]),
    Case('alias_bound_method', 'evens', 1, '''\
def evens(xs):
    out = []
    for x in xs:
        if x % 2 == 0:
            out.append(x)
    return out
''',
         '''\
def evens(xs):
    out = []
    out_append = out.append
    for x in xs:
        if x % 2 == 0:
            out_append(x)
    return out
''',
         [([],), ([1, 2, 4],)]),
    Case('alias_module_attribute', 'roots', 1, '''\
import math


def roots(xs):
    out = []
    for x in xs:
        out.append(math.sqrt(x))
    return out
''',
         '''\
import math


def roots(xs):
    out = []
    math_sqrt = math.sqrt
    for x in xs:
        out.append(math_sqrt(x))
    return out
''',
         [([],), ([4, 9],)]),
    Case('reuse_repeated_call', 'stripped', 1, '''\
def stripped(lines):
    out = []
    for line in lines:
        if line.strip():
            out.append(line.strip())
    return out
''',
         '''\
def stripped(lines):
    out = []
    for line in lines:
        line_strip = line.strip()
        if line_strip:
            out.append(line_strip)
    return out
''',
         [([],), ([' a ', '  ', 'b'],)]),
    Case('reuse_repeated_call', 'norm_ratio', 1, '''\
def norm(v):
    return sum(x * x for x in v) ** 0.5


def norm_ratio(a, b):
    top = norm(a) + 1
    bottom = norm(a) * norm(b)
    return top / bottom
''',
         '''\
def norm(v):
    return sum(x * x for x in v) ** 0.5


def norm_ratio(a, b):
    norm_a = norm(a)
    top = norm_a + 1
    bottom = norm_a * norm(b)
    return top / bottom
''',
         [([3, 4], [1])]),
]

NEAR_MISSES = [
    NearMiss('hoist_loop_invariant', 'an index may raise when the loop never runs (the guarded twin moves it)', '''\
def f(s):
    for ch in s:
        if ch != s[0]:
            return False
    return True
'''),
    NearMiss('hoist_loop_invariant', 'a math function may raise (domain error)', '''\
import math


def f(xs, n):
    return [x for x in xs if x > math.sqrt(n)]
'''),
    NearMiss('hoist_loop_invariant_guarded', 'len cannot raise on a sized value: the plain rule moves it', '''\
def f(xs, ys):
    return [x for x in xs if x > len(ys)]
'''),
    NearMiss('hoist_loop_invariant_guarded', 'max of the sequence the loop walks: the plain rule adds default=None', '''\
def f(xs):
    count = 0
    for x in xs:
        if x == max(xs):
            count += 1
    return count
'''),
    NearMiss('hoist_loop_invariant', 'list grows in the loop', '''\
def f(xs):
    out = []
    for x in xs:
        if x > len(out):
            out.append(x)
    return out
'''),
    NearMiss('hoist_loop_invariant', 'depends on the loop variable', '''\
def f(xs):
    return [len(x) for x in xs]
'''),
    NearMiss('hoist_loop_invariant', 'max of another sequence could raise', '''\
def f(xs, ys):
    return [x for x in xs if x > max(ys)]
'''),
    NearMiss('hoist_loop_invariant', 'fresh list that the loop mutates', '''\
def f(xs, ys):
    out = []
    for x in xs:
        row = sorted(ys)
        row.append(x)
        out.append(row)
    return out
'''),
    NearMiss('alias_bound_method', 'receiver rebound in the loop', '''\
def f(xs):
    out = []
    for x in xs:
        out.append(x)
        out = out[:]
    return out
'''),
    NearMiss('alias_bound_method', 'call outside any loop', '''\
def f(xs, x):
    xs.append(x)
    return xs
'''),
    NearMiss('alias_module_attribute', 'module name rebound in the function', '''\
import math


def f(xs):
    out = []
    for x in xs:
        out.append(math.sqrt(x))
        math = None
    return out
'''),
    NearMiss('reuse_repeated_call', 'argument changes between the calls', '''\
def f(x):
    a = abs(x)
    x = x - 1
    b = abs(x)
    return a + b
'''),
    NearMiss('reuse_repeated_call', 'first call only runs conditionally', '''\
def f(xs):
    if xs and max(xs) > 0:
        return max(xs)
    return 0
'''),
    NearMiss('hoist_loop_invariant', 'a called function changes the global', '''\
TABLE = {"a": 1}


def bump():
    TABLE["a"] += 1


def f(xs):
    out = []
    for x in xs:
        bump()
        out.append(x * TABLE["a"])
    return out
'''),
    NearMiss('reuse_repeated_call', 'a call in between may change the global', '''\
LIMITS = [1, 2]


def grow():
    LIMITS.append(3)


def f():
    a = len(LIMITS)
    grow()
    b = len(LIMITS)
    return a, b
'''),
    NearMiss('hoist_loop_invariant', 'another parameter, maybe the same list (f(a, a)), grows in the loop', '''\
def f(xs, ys):
    count = 0
    for x in list(ys):
        if len(xs) > 2:
            count += 1
        ys.append(x)
    return count
'''),
]


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=case_id)
def test_rule_rewrites_snippet_exactly(case: Case) -> None:
    check_rewrites_snippet_exactly(case)


@pytest.mark.parametrize("case", NEAR_MISSES, ids=case_id)
def test_rule_skips_near_miss(case: NearMiss) -> None:
    check_skips_near_miss(case)
