"""Exact snippets and near misses of the `mutations` rule family (`codeopt_jax/rewrites/mutations.py`)."""

from __future__ import annotations

import pytest

from tests.rewrite_cases import Case, NearMiss, case_id, check_rewrites_snippet_exactly, check_skips_near_miss

POSITIVE_CASES = [
    Case('mutation_drop_statement', 'f', 2, '''\
def f(x):
    y = x + 1
    return y
''',
         '''\
def f(x):
    return y
''',
         [(1,)]),
    Case('mutation_flip_comparison', 'f', 1, '''\
def f(x):
    return x < 3
''',
         '''\
def f(x):
    return x >= 3
''',
         [(1,)]),
    Case('mutation_range_off_by_one', 'f', 1, '''\
def f(n):
    return list(range(n))
''',
         '''\
def f(n):
    return list(range(n - 1))
''',
         [(3,)]),
    Case('mutation_swap_add_subtract', 'f', 1, '''\
def f(a, b):
    return a + b
''',
         '''\
def f(a, b):
    return a - b
''',
         [(1, 2)]),
]

NEAR_MISSES = [
    NearMiss('mutation_drop_statement', 'module-level statements are left alone', '''\
X = 1
'''),
    NearMiss('mutation_flip_comparison', 'module-level comparisons are left alone', '''\
X = 1 < 2
'''),
    NearMiss('mutation_range_off_by_one', 'star arguments', '''\
def f(bounds):
    return list(range(*bounds))
'''),
    NearMiss('mutation_swap_add_subtract', 'no + or -', '''\
def f(a, b):
    return a * b
'''),
]


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=case_id)
def test_rule_rewrites_snippet_exactly(case: Case) -> None:
    check_rewrites_snippet_exactly(case)


@pytest.mark.parametrize("case", NEAR_MISSES, ids=case_id)
def test_rule_skips_near_miss(case: NearMiss) -> None:
    check_skips_near_miss(case)
