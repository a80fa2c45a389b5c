"""Exact snippets and near misses of the `memo` rule family (`codeopt_jax/rewrites/memo.py`)."""

from __future__ import annotations

import pytest

from tests.rewrite_cases import Case, NearMiss, case_id, check_rewrites_snippet_exactly, check_skips_near_miss

POSITIVE_CASES = [
    Case('memoize_recursive_function', 'fib', 1, '''\
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
''',
         '''\
import functools


@functools.lru_cache(maxsize=None)
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
''',
         [(0,), (10,)]),
    Case('memoize_recursive_function', 'paths', 1, '''\
import functools


def paths(rows, cols):
    def walk(r, c):
        if r == rows - 1 or c == cols - 1:
            return 1
        return walk(r + 1, c) + walk(r, c + 1)

    return walk(0, 0)
''',
         '''\
import functools


def paths(rows, cols):
    @functools.lru_cache(maxsize=None)
    def walk(r, c):
        if r == rows - 1 or c == cols - 1:
            return 1
        return walk(r + 1, c) + walk(r, c + 1)

    return walk(0, 0)
''',
         [(1, 1), (3, 4)]),
]

NEAR_MISSES = [
    NearMiss('memoize_recursive_function', 'parameter used as a sequence', '''\
def total(xs, i):
    if i == len(xs):
        return 0
    return xs[i] + total(xs, i + 1)
'''),
    NearMiss('memoize_recursive_function', 'impure: prints', '''\
def fib(n):
    print(n)
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
'''),
    NearMiss('memoize_recursive_function', 'returns a list', '''\
def seq(n):
    if n == 0:
        return []
    return seq(n - 1) + [n]
'''),
    NearMiss('memoize_recursive_function', 'already decorated', '''\
import functools


@functools.lru_cache(maxsize=None)
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
'''),
]


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=case_id)
def test_rule_rewrites_snippet_exactly(case: Case) -> None:
    check_rewrites_snippet_exactly(case)


@pytest.mark.parametrize("case", NEAR_MISSES, ids=case_id)
def test_rule_skips_near_miss(case: NearMiss) -> None:
    check_skips_near_miss(case)
