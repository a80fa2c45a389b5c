"""Exact snippets and near misses of the `lookups` rule family (`codeopt_jax/rewrites/lookups.py`)."""

from __future__ import annotations

import pytest

from tests.rewrite_cases import Case, NearMiss, case_id, check_rewrites_snippet_exactly, check_skips_near_miss

POSITIVE_CASES = [
    Case('list_membership_to_set', 'common', 1, '''\
def common(xs, ys):
    out = []
    for x in xs:
        if x in ys and x not in out:
            out.append(x)
    return out
''',
         '''\
def common(xs, ys):
    out = []
    ys_set = set(ys)
    for x in xs:
        if x in ys_set and x not in out:
            out.append(x)
    return out
''',
         [([], [1]), ([1, 2, 2, 3], [2, 3, 4])]),
    Case('membership_list_to_set', 'first_repeat', 1, '''\
def first_repeat(items):
    seen = []
    for item in items:
        if item in seen:
            return item
        seen.append(item)
    return None
''',
         '''\
def first_repeat(items):
    seen = set()
    for item in items:
        if item in seen:
            return item
        seen.add(item)
    return None
''',
         [([],), ([1, 2, 1],), ([1, 2],)]),
    Case('literal_list_membership_to_set', 'vowel_count', 1, '''\
def vowel_count(text):
    return sum(1 for ch in text if ch in ["a", "e", "i", "o", "u"])
''',
         '''\
def vowel_count(text):
    return sum(1 for ch in text if ch in {"a", "e", "i", "o", "u"})
''',
         [('',), ('banana',)]),
]

NEAR_MISSES = [
    NearMiss('list_membership_to_set', 'list mutated in the loop', '''\
def f(xs, ys):
    out = []
    for x in xs:
        if x in ys:
            ys.remove(x)
            out.append(x)
    return out
'''),
    NearMiss('list_membership_to_set', 'list changed through an alias', '''\
def f(xs, ys):
    drop = ys.remove
    out = []
    for x in xs:
        if x in ys:
            drop(x)
            out.append(x)
    return out
'''),
    NearMiss('list_membership_to_set', 'container is a string (substring test)', '''\
def f(words):
    vowels = "aeiou"
    return [w for w in words if w in vowels]
'''),
    NearMiss('list_membership_to_set', 'test outside any loop', '''\
def f(x, ys):
    return x in ys
'''),
    NearMiss('membership_list_to_set', 'the list is returned', '''\
def f(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
'''),
    NearMiss('literal_list_membership_to_set', 'elements are variables', '''\
def f(x, a, b):
    return x in [a, b]
'''),
    NearMiss('list_membership_to_set', 'another parameter, maybe the same list (f(a, a)), is mutated in the loop', '''\
def f(xs, ys):
    n = 0
    for x in list(xs):
        if x in ys:
            n += 1
            xs.clear()
    return n
'''),
]


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=case_id)
def test_rule_rewrites_snippet_exactly(case: Case) -> None:
    check_rewrites_snippet_exactly(case)


@pytest.mark.parametrize("case", NEAR_MISSES, ids=case_id)
def test_rule_skips_near_miss(case: NearMiss) -> None:
    check_skips_near_miss(case)
