"""Exact snippets and near misses of the `arithmetic` rule family (`codeopt_jax/rewrites/arithmetic.py`)."""

from __future__ import annotations

import itertools

import pytest

from codeopt_jax.program import parse_program
from codeopt_jax.rewrites import apply_rewrite, rule_by_name
from codeopt_jax.rewrites.arithmetic import poly_value, prefix_sum
from tests.rewrite_cases import Case, NearMiss, case_id, check_rewrites_snippet_exactly, check_skips_near_miss

POSITIVE_CASES = [
    Case('range_accumulation_closed_form', 'triangle', 1, '''\
def triangle(n):
    total = 0
    for i in range(n):
        total += i
    return total
''',
         '''\
def triangle(n):
    total = 0
    steps = len(range(n))
    total += (steps - 1) * steps // 2
    return total
''',
         [(0,), (1,), (7,), (-3,), (True,), (2.5,)]),
    Case('range_accumulation_closed_form', 'count_from_three', 1, '''\
def count_from_three(n):
    count = 0
    for _ in range(3, n):
        count += 1
    return count
''',
         '''\
def count_from_three(n):
    count = 0
    count += len(range(3, n))
    return count
''',
         [(0,), (3,), (10,), ('x',)]),
    Case('range_accumulation_closed_form', 'odd_cube_sum', 1, '''\
def odd_cube_sum(n):
    sm = 0
    for i in range(1, n + 1):
        j = 2 * i - 1
        sm = sm + j * j * j
    return sm
''',
         '''\
def odd_cube_sum(n):
    sm = 0
    steps = len(range(1, n + 1))
    sm += (2 * steps * steps - 1) * steps * steps
    return sm
''',
         [(0,), (1,), (4,), (-2,), (10 ** 6,)]),
    Case('range_accumulation_closed_form', 'countdown_total', 1, '''\
def countdown_total(n):
    t = 100
    for i in range(10, n, -3):
        t -= 2 * i
    return t
''',
         '''\
def countdown_total(n):
    t = 100
    steps = len(range(10, n, -3))
    t += (3 * steps - 23) * steps
    return t
''',
         [(20,), (10,), (9,), (-7,), (-100,)]),
    Case('range_accumulation_closed_form', 'squares_and_count', 1, '''\
def squares_and_count(n):
    total = 0
    count = 0
    for i in range(n):
        total += i ** 2
        count += 1
    return total, count
''',
         '''\
def squares_and_count(n):
    total = 0
    count = 0
    steps = len(range(n))
    total += ((2 * steps - 3) * steps + 1) * steps // 6
    count += steps
    return total, count
''',
         [(0,), (1,), (2,), (13,), (-1,)]),
    Case('divisor_loop_to_isqrt_bound', 'is_prime', 1, '''\
import math


def is_prime(n):
    if n < 2:
        return False
    for i in range(2, n):
        if n % i == 0:
            return False
    return True
''',
         '''\
import math


def is_prime(n):
    if n < 2:
        return False
    for i in range(2, math.isqrt(max(n, 0)) + 1):
        if n % i == 0:
            return False
    return True
''',
         [(n,) for n in (-7, 0, 1, 2, 3, 4, 9, 25, 49, 97, 221, 7919)] + [(2.5,)]),
    Case('divisor_loop_to_isqrt_bound', 'smallest_factor', 1, '''\
def smallest_factor(n):
    factor = n
    for d in range(2, n // 2 + 1):
        if not n % d:
            factor = d
            break
    return factor
''',
         '''\
import math


def smallest_factor(n):
    factor = n
    for d in range(2, math.isqrt(max(n, 0)) + 1):
        if not n % d:
            factor = d
            break
    return factor
''',
         [(n,) for n in (-4, 0, 1, 2, 3, 4, 15, 49, 97, 143, 1000003)]),
]

NEAR_MISSES = [
    NearMiss('range_accumulation_closed_form', 'float accumulator (rounding would differ)', '''\
def f(n):
    t = 0.0
    for i in range(n):
        t += i
    return t
'''),
    NearMiss('range_accumulation_closed_form', 'start is not a literal', '''\
def f(a, b):
    t = 0
    for i in range(a, b):
        t += i
    return t
'''),
    NearMiss('range_accumulation_closed_form', 'filtered addition', '''\
def f(n):
    t = 0
    for i in range(n):
        if i % 3:
            t += i
    return t
'''),
    NearMiss('range_accumulation_closed_form', 'true division makes floats', '''\
def f(n):
    t = 0
    for i in range(n):
        t += i / 2
    return t
'''),
    NearMiss('range_accumulation_closed_form', 'loop variable read after the loop', '''\
def f(n):
    t = 0
    for i in range(n):
        t += i
    return t + i
'''),
    NearMiss('range_accumulation_closed_form', 'added value is not a polynomial of the loop variable', '''\
def f(xs):
    t = 0
    for i in range(len(xs)):
        t += xs[i]
    return t
'''),
    NearMiss('range_accumulation_closed_form', 'coefficient of unknown type', '''\
def f(n, c):
    t = 0
    for i in range(n):
        t += c * i
    return t
'''),
    NearMiss('range_accumulation_closed_form', 'accumulator has no int start', '''\
def f(n, t):
    for i in range(n):
        t += i
    return t
'''),
    NearMiss('divisor_loop_to_isqrt_bound', 'range reaches n itself', '''\
def f(n):
    for i in range(2, n + 1):
        if n % i == 0:
            return i
    return None
'''),
    NearMiss('divisor_loop_to_isqrt_bound', 'odd steps skip the factor 2', '''\
def f(n):
    for i in range(3, n, 2):
        if n % i == 0:
            return False
    return True
'''),
    NearMiss('divisor_loop_to_isqrt_bound', 'counts every divisor (no exit)', '''\
def f(n):
    count = 0
    for i in range(2, n):
        if n % i == 0:
            count += 1
    return count
'''),
    NearMiss('divisor_loop_to_isqrt_bound', 'loop variable read after the loop', '''\
def f(n):
    for i in range(2, n):
        if n % i == 0:
            break
    return i
'''),
    NearMiss('divisor_loop_to_isqrt_bound', 'math names something else', '''\
def f(n, math):
    for i in range(2, n):
        if n % i == 0:
            return False
    return True
'''),
]


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=case_id)
def test_rewrites_snippet_exactly(case: Case) -> None:
    check_rewrites_snippet_exactly(case)


@pytest.mark.parametrize("case", NEAR_MISSES, ids=case_id)
def test_skips_near_miss(case: NearMiss) -> None:
    check_skips_near_miss(case)


@pytest.mark.parametrize("coefficients", [(0, 1), (5,), (3, -2, 1), (0, 0, 0, 1), (1, -1, 0, 2, 0, -3), (-7, 0, 4)])
def test_prefix_sum_formula_is_exact(coefficients: tuple[int, ...]) -> None:
    form = prefix_sum(coefficients)
    for n in range(40):
        numerator = poly_value(form.numerator, n)
        assert numerator % form.divisor == 0
        assert numerator // form.divisor == sum(poly_value(coefficients, k) for k in range(n))


_BODIES = ("t += i", "t -= 3 * i * i - i", "t = t + (2 * i + 1) ** 3", "j = i - 4\n        t += j * j * i")
_RANGES = ("range(n)", "range(1, n + 1)", "range(-3, n)", "range(7, n, 2)", "range(5, n, -1)", "range(0, n, -4)")


@pytest.mark.parametrize("body, header", list(itertools.product(_BODIES, _RANGES)))
def test_closed_form_matches_the_loop(body: str, header: str) -> None:
    source = f"def f(n):\n    t = 3\n    for i in {header}:\n        {body}\n    return t\n"
    rule = rule_by_name('range_accumulation_closed_form')
    (site,) = rule.sites(parse_program(source))
    after = apply_rewrite(source, rule.name, site)
    assert "for " not in after
    before_ns: dict = {}
    after_ns: dict = {}
    exec(source, before_ns)
    exec(after, after_ns)
    for n in range(-12, 30):
        assert before_ns["f"](n) == after_ns["f"](n), (n, after)


def test_isqrt_bound_agrees_with_the_full_search() -> None:
    source = '''\
def smallest_divisor(n):
    for i in range(2, n):
        if n % i == 0:
            return i
    return n
'''
    rule = rule_by_name('divisor_loop_to_isqrt_bound')
    (site,) = rule.sites(parse_program(source))
    before_ns: dict = {}
    after_ns: dict = {}
    exec(source, before_ns)
    exec(apply_rewrite(source, rule.name, site), after_ns)
    assert [before_ns["smallest_divisor"](n) for n in range(-5, 400)] == \
        [after_ns["smallest_divisor"](n) for n in range(-5, 400)]
