"""Exact snippets and near misses of the `copies` rule family (`codeopt_jax/rewrites/copies.py`)."""

from __future__ import annotations

import pytest

from tests.rewrite_cases import Case, NearMiss, case_id, check_rewrites_snippet_exactly, check_skips_near_miss

POSITIVE_CASES = [
    Case('drop_redundant_conversion', 'ordered', 1, '''\
def ordered(xs):
    return sorted(list(xs))
''',
         '''\
def ordered(xs):
    return sorted(xs)
''',
         [([3, 1],), ((2, 1),)]),
    Case('drop_redundant_conversion', 'ordered', 1, '''\
def ordered(xs):
    return list(sorted(xs))
''',
         '''\
def ordered(xs):
    return sorted(xs)
''',
         [([3, 1],)]),
    Case('drop_redundant_conversion', 'label', 1, '''\
def label(x):
    return str(str(x))
''',
         '''\
def label(x):
    return str(x)
''',
         [(3,)]),
    Case('drop_copy_in_loop', 'total', 1, '''\
def total(xs):
    t = 0
    for x in list(xs):
        t += x
    return t
''',
         '''\
def total(xs):
    t = 0
    for x in xs:
        t += x
    return t
''',
         [([],), ([1, 2],)]),
    Case('drop_copy_of_fresh_list', 'word_count', 1, '''\
def word_count(text):
    words = list(text.split())
    return len(words)
''',
         '''\
def word_count(text):
    words = text.split()
    return len(words)
''',
         [('',), ('a b  c',)]),
    Case('drop_copy_of_fresh_list', 'long_count', 1, '''\
def long_count(words, n):
    long_words = [w for w in words if len(w) > n]
    return len(list(long_words))
''',
         '''\
def long_count(words, n):
    long_words = [w for w in words if len(w) > n]
    return len(long_words)
''',
         [([], 1), (['a', 'abc'], 1)]),
    Case('drop_copy_of_read_only_local', 'first_last', 1, '''\
def first_last(xs):
    copy = xs[:]
    return copy[0], copy[-1]
''',
         '''\
def first_last(xs):
    copy = xs
    return copy[0], copy[-1]
''',
         [([1, 2, 3],)]),
]

NEAR_MISSES = [
    NearMiss('drop_redundant_conversion', 'copy kept for later mutation', '''\
def f(xs):
    ys = list(xs)
    ys.append(0)
    return ys
'''),
    NearMiss('drop_redundant_conversion', 'sorted with a key inside sorted', '''\
def f(xs):
    return sorted(sorted(xs, key=len))
'''),
    NearMiss('drop_copy_in_loop', 'loop mutates the original', '''\
def f(xs):
    for x in list(xs):
        if x < 0:
            xs.remove(x)
    return xs
'''),
    NearMiss('drop_copy_of_fresh_list', 'argument may not be a list', '''\
def f(xs):
    return len(list(xs))
'''),
    NearMiss('drop_copy_of_read_only_local', 'copy is mutated', '''\
def f(xs):
    ys = xs[:]
    ys.append(1)
    return len(ys)
'''),
    NearMiss('drop_copy_of_read_only_local', 'copy is returned', '''\
def f(xs):
    ys = xs[:]
    return ys
'''),
    NearMiss('drop_copy_of_read_only_local', 'original mutated while the copy is alive', '''\
def f(xs):
    ys = xs.copy()
    xs.append(1)
    return len(ys)
'''),
    NearMiss('drop_copy_in_loop', 'the loop grows another parameter, maybe the same list (f(a, a))', '''\
def f(xs, ys):
    for x in list(xs):
        if x > 0:
            ys.append(x)
    return len(ys)
'''),
]


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=case_id)
def test_rule_rewrites_snippet_exactly(case: Case) -> None:
    check_rewrites_snippet_exactly(case)


@pytest.mark.parametrize("case", NEAR_MISSES, ids=case_id)
def test_rule_skips_near_miss(case: NearMiss) -> None:
    check_skips_near_miss(case)
