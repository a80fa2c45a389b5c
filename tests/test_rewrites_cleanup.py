"""Exact snippets and near misses of the `cleanup` rule family (`codeopt_jax/rewrites/cleanup.py`)."""

from __future__ import annotations

import pytest

from tests.rewrite_cases import Case, NearMiss, case_id, check_rewrites_snippet_exactly, check_skips_near_miss

POSITIVE_CASES = [
    Case('sorted_first_to_min', 'cheapest', 1, '''\
def cheapest(offers):
    return sorted(offers, key=lambda o: o[1])[0][0]
''',
         '''\
def cheapest(offers):
    return min(offers, key=lambda o: o[1])[0]
''',
         [([('a', 3), ('b', 1), ('c', 1)],)]),
    Case('sorted_first_to_min', 'largest', 1, '''\
def largest(xs):
    return sorted(xs, reverse=True)[0]
''',
         '''\
def largest(xs):
    return max(xs)
''',
         [([1, 3, 2],)]),
    Case('sorted_last_to_max', 'largest', 1, '''\
def largest(xs):
    return sorted(xs)[-1]
''',
         '''\
def largest(xs):
    return max(xs)
''',
         [([1, 3, 2],)]),
    Case('sorted_local_to_min_max', 'spread', 1, '''\
def spread(xs):
    ordered = sorted(xs)
    low = ordered[0]
    return ordered[-1] - low
''',
         '''\
def spread(xs):
    low = min(xs)
    return max(xs) - low
''',
         [([4, 1, 9],)]),
    Case('square_to_multiply', 'inverse_square', 2, '''\
def inverse_square(x, y):
    return 1 / x ** 2 + y ** 2
''',
         '''\
def inverse_square(x, y):
    return 1 / (x * x) + y ** 2
''',
         [(2, 3)]),
    Case('dead_code_after_exit', 'sign', 1, '''\
def sign(x):
    if x < 0:
        return -1
        x = -x
    return 1
''',
         '''\
def sign(x):
    if x < 0:
        return -1
    return 1
''',
         [(-2,), (2,)]),
    Case('inline_return_temp', 'area', 1, '''\
def area(w, h):
    result = w * h
    return result
''',
         '''\
def area(w, h):
    return w * h
''',
         [(2, 3)]),
    Case('inline_single_use_temp', 'scaled', 1, '''\
def scaled(a, b):
    total = a + b
    return total * 2
''',
         '''\
def scaled(a, b):
    return (a + b) * 2
''',
         [(1, 2)]),
]

NEAR_MISSES = [
    NearMiss('sorted_first_to_min', 'second element', '''\
def f(xs):
    return sorted(xs)[1]
'''),
    NearMiss('sorted_last_to_max', 'key makes ties distinguishable', '''\
def f(words):
    return sorted(words, key=len)[-1]
'''),
    NearMiss('sorted_local_to_min_max', 'middle element used', '''\
def f(xs):
    ordered = sorted(xs)
    return ordered[0], ordered[len(ordered) // 2]
'''),
    NearMiss('sorted_local_to_min_max', 'sequence mutated after sorting', '''\
def f(xs):
    ordered = sorted(xs)
    xs.append(0)
    return ordered[0]
'''),
    NearMiss('square_to_multiply', 'cube', '''\
def f(x):
    return x ** 3
'''),
    NearMiss('square_to_multiply', 'base is not a name', '''\
def f(a, b):
    return (a + b) ** 2
'''),
    NearMiss('dead_code_after_exit', 'nothing after the return', '''\
def f(x):
    if x:
        return 1
    return 2
'''),
    NearMiss('dead_code_after_exit', 'unreachable yield still makes a generator', '''\
def f(x):
    return x
    yield x
'''),
    NearMiss('inline_return_temp', 'temporary used twice', '''\
def f(a):
    t = a * 2
    print(t)
    return t
'''),
    NearMiss('inline_single_use_temp', 'use is in a loop body', '''\
def f(xs, a):
    t = a * 2
    for x in xs:
        print(x + t)
'''),
    NearMiss('inline_single_use_temp', 'value calls unknown code', '''\
def f(g, a):
    t = g(a)
    return t + 1
'''),
    NearMiss('inline_single_use_temp', "statement mutates the value's variables", '''\
def f(xs):
    t = len(xs)
    return xs.pop() + t
'''),
    NearMiss('sorted_local_to_min_max', 'another parameter, maybe the same list (f(a, a)), grows after the sort', '''\
def f(xs, ys):
    s = sorted(xs)
    ys.append(100)
    return s[0] + s[-1]
'''),
]


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=case_id)
def test_rule_rewrites_snippet_exactly(case: Case) -> None:
    check_rewrites_snippet_exactly(case)


@pytest.mark.parametrize("case", NEAR_MISSES, ids=case_id)
def test_rule_skips_near_miss(case: NearMiss) -> None:
    check_skips_near_miss(case)
