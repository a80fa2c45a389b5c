"""Exact snippets and near misses of the `repeated` rule family (`codeopt_jax/rewrites/repeated.py`)."""

from __future__ import annotations

import pytest

from codeopt_jax.program import parse_program
from codeopt_jax.rewrites import purity, rule_by_name
from codeopt_jax.rewrites.context import ProgramContext
from tests.rewrite_cases import Case, NearMiss, case_id, check_rewrites_snippet_exactly, check_skips_near_miss

POSITIVE_CASES = [
    Case('hoist_reduction_of_walked_collection', 'tallest', 1, '''\
def tallest(heights):
    return [h for h in heights if h == max(heights)]
''',
         '''\
def tallest(heights):
    max_heights = max(heights, default=None)
    return [h for h in heights if h == max_heights]
''',
         [([],), ([3, 1, 3],), ([2],), ([1, 'a'],)]),
    Case('hoist_reduction_of_walked_collection', 'near_top', 1, '''\
def near_top(xs):
    return [x for x in xs if x * 2 > max(xs)]
''',
         '''\
def near_top(xs):
    max_xs = max(xs, default=None)
    return [x for x in xs if x * 2 > max_xs]
''',
         [([],), ([1, 2, 3, 10],), ([5],), (['a'],)]),
    Case('hoist_reduction_of_walked_collection', 'positions_of_min', 1, '''\
def positions_of_min(xs):
    found = []
    for i in range(len(xs)):
        if xs[i] == min(xs):
            found.append(i)
    return found
''',
         '''\
def positions_of_min(xs):
    found = []
    min_xs = min(xs, default=None)
    for i in range(len(xs)):
        if xs[i] == min_xs:
            found.append(i)
    return found
''',
         [([],), ([2, 1, 1],), ('bab',)]),
    Case('hoist_reduction_of_walked_collection', 'longest_count', 1, '''\
def longest_count(words):
    return sum(1 for w in words if len(w) == max(len(v) for v in words))
''',
         '''\
def longest_count(words):
    max_of_words = max((len(v) for v in words), default=None)
    return sum(1 for w in words if len(w) == max_of_words)
''',
         [([],), (['a', 'bb', 'cc'],), ([1],)]),
    Case('flag_loop_add_break', 'contains', 1, '''\
def contains(xs, k):
    found = False
    for x in xs:
        if x == k:
            found = True
    return found
''',
         '''\
def contains(xs, k):
    found = False
    for x in xs:
        if x == k:
            found = True
            break
    return found
''',
         [([], 1), ([1, 2, 1], 1), ([2, 3], 1)]),
    Case('flag_loop_add_break', 'has_negative', 1, '''\
def has_negative(xs):
    seen, label = False, "none"
    for x in xs:
        if x < 0: seen = True; label = "negative"
    return seen, label
''',
         '''\
def has_negative(xs):
    seen, label = False, "none"
    for x in xs:
        if x < 0: seen = True; label = "negative"; break
    return seen, label
''',
         [([],), ([1, -2, -3],), ([4],)]),
    Case('last_match_scan_from_end', 'last_position', 1, '''\
def last_position(xs, k):
    pos = -1
    for i in range(len(xs)):
        if xs[i] == k:
            pos = i
    return pos
''',
         '''\
def last_position(xs, k):
    pos = -1
    for i in reversed(range(len(xs))):
        if xs[i] == k:
            pos = i
            break
    return pos
''',
         [([], 1), ([1, 2, 1, 3], 1), ([2], 1), ('abca', 'a')]),
    Case('last_match_scan_from_end', 'last_long_word', 1, '''\
def last_long_word(text):
    words = text.split()
    longest, size = "", 0
    for w in words:
        if len(w) > 3: longest = w; size = len(w)
    return longest, size
''',
         '''\
def last_long_word(text):
    words = text.split()
    longest, size = "", 0
    for w in reversed(words):
        if len(w) > 3: longest = w; size = len(w); break
    return longest, size
''',
         [('',), ('a long wordy text here',), ('tiny bits',)]),
]

NEAR_MISSES = [
    NearMiss('hoist_reduction_of_walked_collection', 'call only evaluated after a short-circuit', '''\
def f(xs):
    return [x for x in xs if x > 0 and x == max(xs)]
'''),
    NearMiss('hoist_reduction_of_walked_collection', 'reduces another collection than the one walked', '''\
def f(xs, ys):
    return [x for x in xs if x == max(ys)]
'''),
    NearMiss('hoist_reduction_of_walked_collection', 'the pass may leave before the call', '''\
def f(xs):
    count = 0
    for x in xs:
        if x is None:
            return -1
        if x == max(xs):
            count += 1
    return count
'''),
    NearMiss('hoist_reduction_of_walked_collection', 'collection changes in the loop', '''\
def f(xs):
    out = []
    for x in xs:
        if x == max(xs):
            xs.remove(x)
    return xs
'''),
    NearMiss('hoist_reduction_of_walked_collection', 'generator kept for later (evaluated lazily)', '''\
def f(xs):
    best = (x for x in xs if x == max(xs))
    xs.append(100)
    return list(best)
'''),
    NearMiss('hoist_reduction_of_walked_collection', 'filtered generator argument may be empty on its own', '''\
def f(xs):
    return [x for x in xs if x == max(v for v in xs if v > 0)]
'''),
    NearMiss('hoist_reduction_of_walked_collection', 'hoist_loop_invariant already applies', '''\
def f(xs):
    out = []
    for x in xs:
        if x * len(xs) > 10:
            out.append(x)
    return out
'''),
    NearMiss('hoist_reduction_of_walked_collection', 'comprehension only evaluated on one branch', '''\
def f(xs, flag):
    return [] if flag else [x for x in xs if x == max(xs)]
'''),
    NearMiss('flag_loop_add_break', 'loop keeps the last match', '''\
def f(xs):
    last = None
    for x in xs:
        if x > 0:
            last = x
    return last
'''),
    NearMiss('flag_loop_add_break', 'loop variable read after the loop', '''\
def f(xs):
    found = False
    for x in xs:
        if x > 0:
            found = True
    return found, x
'''),
    NearMiss('flag_loop_add_break', 'test has effects', '''\
def f(xs, seen):
    found = False
    for x in xs:
        if seen.add(x) or x > 0:
            found = True
    return found
'''),
    NearMiss('flag_loop_add_break', 'body does more than set the flag', '''\
def f(xs):
    found = False
    count = 0
    for x in xs:
        count += 1
        if x > 0:
            found = True
    return found, count
'''),
    NearMiss('flag_loop_add_break', 'for/else would be skipped by a break', '''\
def f(xs):
    found = False
    for x in xs:
        if x > 0:
            found = True
    else:
        found = not found
    return found
'''),
    NearMiss('last_match_scan_from_end', 'running maximum reads what it assigns', '''\
def f(xs):
    best = xs[0]
    for x in xs:
        if x > best:
            best = x
    return best
'''),
    NearMiss('last_match_scan_from_end', 'iterable may be a set or an iterator', '''\
def f(xs):
    last = None
    for x in xs:
        if x > 0:
            last = x
    return last
'''),
    NearMiss('last_match_scan_from_end', 'loop variable read after the loop', '''\
def f(n):
    last = -1
    for i in range(n):
        if i % 7 == 3:
            last = i
    return last, i
'''),
    NearMiss('last_match_scan_from_end', 'value has effects', '''\
def f(n, log):
    last = None
    for i in range(n):
        if i % 2:
            last = log.append(i)
    return last
'''),
]


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=case_id)
def test_rewrites_snippet_exactly(case: Case) -> None:
    check_rewrites_snippet_exactly(case)


@pytest.mark.parametrize("case", NEAR_MISSES, ids=case_id)
def test_skips_near_miss(case: NearMiss) -> None:
    check_skips_near_miss(case)


def test_hoist_reduction_replaces_every_equal_call_in_the_loop() -> None:
    source = '''\
def spread(xs):
    return [(x - min(xs), max(xs) - min(xs)) for x in xs]
'''
    rule = rule_by_name('hoist_reduction_of_walked_collection')
    sites = rule.sites(parse_program(source))
    assert len(sites) == 3  # min(xs) twice, max(xs) once
    after = rule.apply(parse_program(source), sites[0]).code
    assert after.count('min(xs, default=None)') == 1
    assert 'min(xs)' not in after.replace('min(xs, default=None)', '')


def test_math_calls_only_read_their_arguments() -> None:
    """purity: `math.sqrt(v)` neither mutates `math` nor lets v escape, so the invariant call
    can leave the loop (it could not before; it may raise, so under a guard); operator functions may still mutate."""
    source = '''\
import math
import operator


def bands(scores, baseline, variance):
    out = []
    for score in scores:
        out.append(math.floor((score - baseline) / math.sqrt(variance)))
    return out


def tally(scores, table):
    for score in scores:
        operator.setitem(table, score, len(table))
    return table
'''
    module = parse_program(source)
    context = ProgramContext(module)
    call_code = {context.code(context.order[site]) for rule in ('hoist_loop_invariant', 'hoist_loop_invariant_guarded')
                 for site in rule_by_name(rule).sites(module)}  # a math function may raise: the guarded twin's
    assert 'math.sqrt(variance)' in call_code
    assert not any('table' in code for code in call_code)
    assert not purity.not_mutated('table', context.module, context)
