"""Rewrite rules: exact before/after snippets, near misses, and the registry API."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import re

import libcst as cst
import pytest

from codeopt_jax.program import parse_program, preorder
from codeopt_jax.rewrites import (ALL_RULES, RewriteError, Safety, apply_rewrite, legal_actions, rule_by_name,
                                  rule_index)
from codeopt_jax.rewrites import analysis
from codeopt_jax.rewrites.context import ProgramContext

FAMILIES = {"append_loop", "filter_map_loop", "manual_reduce", "range_len", "string_concat", "list_membership",
            "dict_counting", "loop_invariant", "repeated_calls", "naive_recursion", "nested_lookup",
            "needless_copies", "sort_extremum", "while_index", "combined"}

# The action space: rule ids are these positions. Append new rules; never reorder.
RULE_ORDER = [
    "append_loop_to_listcomp", "filtered_append_loop_to_listcomp", "set_add_loop_to_setcomp",
    "dict_loop_to_dictcomp", "range_len_to_direct_iteration", "range_len_to_enumerate", "range_min_len_to_zip",
    "range_len_to_zip_assume_equal_length", "while_index_to_for", "sum_loop_to_sum", "min_max_loop_to_builtin",
    "return_loop_to_any_all", "flag_loop_to_any_all", "search_loop_to_any", "search_loop_to_next",
    "list_comp_to_generator_in_reducer", "generator_to_list_comp_in_reducer", "short_circuit_any_all",
    "string_concat_loop_to_join", "list_membership_to_set", "membership_list_to_set",
    "literal_list_membership_to_set", "manual_count_to_get", "grouping_to_setdefault", "counting_loop_to_counter",
    "drop_dict_keys", "hoist_loop_invariant", "alias_bound_method", "alias_module_attribute",
    "reuse_repeated_call", "memoize_recursive_function", "sorted_first_to_min", "sorted_last_to_max",
    "sorted_local_to_min_max", "square_to_multiply", "dead_code_after_exit", "inline_return_temp",
    "inline_single_use_temp", "drop_redundant_conversion", "drop_copy_in_loop", "drop_copy_of_fresh_list",
    "drop_copy_of_read_only_local", "mutation_drop_statement", "mutation_flip_comparison",
    "mutation_range_off_by_one", "mutation_swap_add_subtract", "separator_concat_loop_to_join",
    "split_accumulation_loop", "startswith_to_slice", "flag_to_for_else",
]


@dataclasses.dataclass(frozen=True)
class Case:
    """Rule applied at the first of its num_sites sites turns before into after; the
    entry function gives equal results on every probe (different ones somewhere for
    the deliberately unsafe rules)."""

    rule: str
    entry: str
    num_sites: int
    before: str
    after: str
    probes: list


@dataclasses.dataclass(frozen=True)
class NearMiss:
    """Source where the rule must find no site, and why."""

    rule: str
    why: str
    source: str


POSITIVE_CASES = [
    Case('append_loop_to_listcomp', 'squares', 1, '''\
def squares(xs):
    result = []
    for x in xs:
        result.append(x * x)
    return result
''',
         '''\
def squares(xs):
    result = [x * x for x in xs]
    return result
''',
         [([],), ([1, -2, 3],)]),
    Case('append_loop_to_listcomp', 'copy_items', 1, '''\
def copy_items(xs):
    # keep every item
    out = []
    for x in xs:
        out.append(x)
    return out
''',
         '''\
def copy_items(xs):
    # keep every item
    out = list(xs)
    return out
''',
         [([],), ((1, 2),)]),
    Case('append_loop_to_listcomp', 'magnitudes', 1, '''\
def magnitudes(xs):
    out = []
    for x in xs:
        if x >= 0:
            out.append(x)
        else:
            out.append(-x)
    return out
''',
         '''\
def magnitudes(xs):
    out = [x if x >= 0 else -x for x in xs]
    return out
''',
         [([],), ([3, -4, 0],)]),
    Case('append_loop_to_listcomp', 'flatten', 1, '''\
def flatten(grid):
    cells = []
    n = len(grid)
    for row in grid:
        for value in row:
            cells.append((value, n))
    return cells
''',
         '''\
def flatten(grid):
    n = len(grid)
    cells = [(value, n) for row in grid for value in row]
    return cells
''',
         [([],), ([[1, 2], [], [3]],)]),
    Case('filtered_append_loop_to_listcomp', 'evens', 1, '''\
def evens(xs):
    result = []
    for x in xs:
        if x % 2 == 0:
            result.append(x // 2)
    return result
''',
         '''\
def evens(xs):
    result = [x // 2 for x in xs if x % 2 == 0]
    return result
''',
         [([],), ([1, 2, 3, 4],)]),
    Case('set_add_loop_to_setcomp', 'lowered', 1, '''\
def lowered(words):
    seen = set()
    for w in words:
        if w:
            seen.add(w.lower())
    return seen
''',
         '''\
def lowered(words):
    seen = {w.lower() for w in words if w}
    return seen
''',
         [([],), (['A', 'a', '', 'B'],)]),
    Case('dict_loop_to_dictcomp', 'doubled', 1, '''\
def doubled(pairs):
    table = {}
    for key, value in pairs:
        table[key] = value * 2
    return table
''',
         '''\
def doubled(pairs):
    table = {key: value * 2 for key, value in pairs}
    return table
''',
         [([],), ([('a', 1), ('b', 2), ('a', 3)],)]),
    Case('range_len_to_direct_iteration', 'total', 1, '''\
def total(prices):
    result = 0
    for i in range(len(prices)):
        result += prices[i]
    return result
''',
         '''\
def total(prices):
    result = 0
    for price in prices:
        result += price
    return result
''',
         [([],), ([1, 2, 3],)]),
    Case('range_len_to_enumerate', 'positive_positions', 1, '''\
def positive_positions(values):
    found = []
    for i in range(len(values)):
        if values[i] > 0:
            found.append(i)
    return found
''',
         '''\
def positive_positions(values):
    found = []
    for i, value in enumerate(values):
        if value > 0:
            found.append(i)
    return found
''',
         [([],), ([1, -1, 2],)]),
    Case('range_min_len_to_zip', 'mismatches', 1, '''\
def mismatches(a, b):
    n = min(len(a), len(b))
    count = 0
    for i in range(n):
        if a[i] != b[i]:
            count += 1
    return count
''',
         '''\
def mismatches(a, b):
    n = min(len(a), len(b))
    count = 0
    for a_item, b_item in zip(a, b):
        if a_item != b_item:
            count += 1
    return count
''',
         [('', 'x'), ('abc', 'abd'), ('abcd', 'ab')]),
    Case('range_min_len_to_zip', 'dot', 1, '''\
def dot(a, b):
    if len(a) != len(b):
        raise ValueError("length mismatch")
    total = 0
    for i in range(len(a)):
        total += a[i] * b[i]
    return total
''',
         '''\
def dot(a, b):
    if len(a) != len(b):
        raise ValueError("length mismatch")
    total = 0
    for a_item, b_item in zip(a, b):
        total += a_item * b_item
    return total
''',
         [([], []), ([1, 2], [3, 4])]),
    Case('range_len_to_zip_assume_equal_length', 'pair_sums', 1, '''\
def pair_sums(a, b):
    out = []
    for i in range(len(a)):
        out.append(a[i] + b[i])
    return out
''',
         '''\
def pair_sums(a, b):
    out = []
    for a_item, b_item in zip(a, b):
        out.append(a_item + b_item)
    return out
''',
         [([], []), ([1, 2], [3, 4]), ([1, 2], [3])]),
    Case('while_index_to_for', 'running', 1, '''\
def running(xs):
    out = []
    acc = 0
    i = 0
    while i < len(xs):
        acc += xs[i]
        out.append(acc)
        i += 1
    return out
''',
         '''\
def running(xs):
    out = []
    acc = 0
    for i in range(len(xs)):
        acc += xs[i]
        out.append(acc)
    return out
''',
         [([],), ([1, 2, 3],)]),
    Case('while_index_to_for', 'first_big', 1, '''\
def first_big(xs, limit):
    i = 1
    while i < len(xs) - 1:
        if xs[i] > limit:
            return i
        i += 1
    return -1
''',
         '''\
def first_big(xs, limit):
    for i in range(1, len(xs) - 1):
        if xs[i] > limit:
            return i
    return -1
''',
         [([], 0), ([5, 1, 9, 2], 3), ([9, 9], 3)]),
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
    Case('string_concat_loop_to_join', 'shout', 1, '''\
def shout(words):
    text = ""
    for w in words:
        text += w.upper() + "!"
    return text
''',
         '''\
def shout(words):
    text = "".join([w.upper() + "!" for w in words])
    return text
''',
         [([],), (['a', 'b'],)]),
    Case('string_concat_loop_to_join', 'escape', 1, '''\
def escape(text):
    out = "> "
    for ch in text:
        if ch == "<":
            out += "&lt;"
        elif ch == ">":
            out += "&gt;"
    return out
''',
         '''\
def escape(text):
    out = "> " + "".join(["&lt;" if ch == "<" else "&gt;" if ch == ">" else "" for ch in text])
    return out
''',
         [('',), ('a<b>c',)]),
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
    Case('manual_count_to_get', 'histogram', 1, '''\
def histogram(words):
    counts = {}
    for w in words:
        if w in counts:
            counts[w] += 1
        else:
            counts[w] = 1
    return counts
''',
         '''\
def histogram(words):
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return counts
''',
         [([],), (['a', 'b', 'a'],)]),
    Case('manual_count_to_get', 'histogram', 1, '''\
def histogram(words):
    counts = {}
    for w in words:
        if w.lower() not in counts:
            counts[w.lower()] = 0
        counts[w.lower()] += 1
    return counts
''',
         '''\
def histogram(words):
    counts = {}
    for w in words:
        counts[w.lower()] = counts.get(w.lower(), 0) + 1
    return counts
''',
         [([],), (['a', 'A', 'b'],)]),
    Case('grouping_to_setdefault', 'group', 1, '''\
def group(pairs):
    groups = {}
    for key, value in pairs:
        if key not in groups:
            groups[key] = []
        groups[key].append(value)
    return groups
''',
         '''\
def group(pairs):
    groups = {}
    for key, value in pairs:
        groups.setdefault(key, []).append(value)
    return groups
''',
         [([],), ([('a', 1), ('b', 2), ('a', 3)],)]),
    Case('grouping_to_setdefault', 'group', 1, '''\
def group(pairs):
    groups = {}
    for key, value in pairs:
        if key in groups:
            groups[key].append(value + 1)
        else:
            groups[key] = [value + 1]
    return groups
''',
         '''\
def group(pairs):
    groups = {}
    for key, value in pairs:
        groups.setdefault(key, []).append(value + 1)
    return groups
''',
         [([],), ([('a', 1), ('b', 2), ('a', 3)],)]),
    Case('counting_loop_to_counter', 'histogram', 1, '''\
def histogram(words):
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return counts
''',
         '''\
from collections import Counter


def histogram(words):
    counts = dict(Counter(words))
    return counts
''',
         [([],), (['a', 'b', 'a'],)]),
    Case('counting_loop_to_counter', 'letter_counts', 1, '''\
import collections


def letter_counts(text):
    counts = {}
    for ch in text:
        if ch.isalpha():
            if ch.lower() in counts:
                counts[ch.lower()] += 1
            else:
                counts[ch.lower()] = 1
    return counts
''',
         '''\
import collections


def letter_counts(text):
    counts = dict(collections.Counter(ch.lower() for ch in text if ch.isalpha()))
    return counts
''',
         [('',), ('AbA1',)]),
    Case('drop_dict_keys', 'known', 1, '''\
def known(keys, table):
    return [k for k in keys if k in table.keys()]
''',
         '''\
def known(keys, table):
    return [k for k in keys if k in table]
''',
         [([], {}), ([1, 2], {2: 'x'})]),
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
    Case('string_concat_loop_to_join', 'grid', 1, '''\
def grid(rows):
    out = ""
    for row in rows:
        for cell in row:
            out += "#" if cell else "."
        out += "\\n"
    return out
''',
         '''\
def grid(rows):
    out = ""
    for row in rows:
        out += "".join(["#" if cell else "." for cell in row])
        out += "\\n"
    return out
''',
         [([],), ([[True, False], []],)]),
    Case('string_concat_loop_to_join', 'lines_of', 1, '''\
def lines_of(words):
    text = ""
    for w in words:
        text += w
        text += "\\n"
    return text
''',
         '''\
def lines_of(words):
    text = "".join([w + "\\n" for w in words])
    return text
''',
         [([],), (['a', 'b'],)]),
    Case('separator_concat_loop_to_join', 'mentions', 1, '''\
def mentions(names):
    text = ""
    for name in names:
        if text:
            text += ", "
        text += "@" + name
    return text
''',
         '''\
def mentions(names):
    text = ", ".join(["@" + name for name in names])
    return text
''',
         [([],), (['a'],), (['a', 'b'],)]),
    Case('split_accumulation_loop', 'gains', 1, '''\
def gains(changes):
    total = 0
    count = 0
    for c in changes:
        if c > 0:
            total += c
            count += 1
    return total, count
''',
         '''\
def gains(changes):
    total = 0
    count = 0
    for c in changes:
        if c > 0:
            total += c
    for c in changes:
        if c > 0:
            count += 1
    return total, count
''',
         [([],), ([3, -1, 4],)]),
    Case('startswith_to_slice', 'comments', 1, '''\
def comments(lines):
    return [line for line in lines if not line.startswith("#")]
''',
         '''\
def comments(lines):
    return [line for line in lines if not line[:1] == "#"]
''',
         [([],), (['#a', '', 'b'],)]),
    Case('startswith_to_slice', 'shouts', 1, '''\
def shouts(lines):
    return [line.endswith("!!") for line in lines]
''',
         '''\
def shouts(lines):
    return [line[-2:] == "!!" for line in lines]
''',
         [([],), (['a!!', '!', ''],)]),
    Case('flag_to_for_else', 'missing_count', 1, '''\
def missing_count(wanted, have):
    missing = 0
    for w in wanted:
        found = False
        for h in have:
            if h == w:
                found = True
                break
        if not found:
            missing += 1
    return missing
''',
         '''\
def missing_count(wanted, have):
    missing = 0
    for w in wanted:
        for h in have:
            if h == w:
                break
        else:
            missing += 1
    return missing
''',
         [([], [1]), ([1, 2, 3], [2])]),
]

NEAR_MISSES = [
    NearMiss('append_loop_to_listcomp', 'uses list inside the loop', '''\
def f(xs):
    out = []
    for x in xs:
        out.append(len(out) + x)
    return out
'''),
    NearMiss('append_loop_to_listcomp', 'loop variable read after the loop', '''\
def f(xs):
    out = []
    for x in xs:
        out.append(x)
    return out, x
'''),
    NearMiss('append_loop_to_listcomp', 'statement between mentions the list', '''\
def f(xs):
    out = []
    out.append(0)
    for x in xs:
        out.append(x)
    return out
'''),
    NearMiss('append_loop_to_listcomp', 'list does not start empty', '''\
def f(xs):
    out = [0]
    for x in xs:
        out.append(x)
    return out
'''),
    NearMiss('append_loop_to_listcomp', 'loop has an else clause', '''\
def f(xs):
    out = []
    for x in xs:
        out.append(x)
    else:
        out.append(0)
    return out
'''),
    NearMiss('append_loop_to_listcomp', 'filtered loops belong to the filtered rule', '''\
def f(xs):
    out = []
    for x in xs:
        if x:
            out.append(x)
    return out
'''),
    NearMiss('filtered_append_loop_to_listcomp', 'no filter', '''\
def f(xs):
    out = []
    for x in xs:
        out.append(x)
    return out
'''),
    NearMiss('filtered_append_loop_to_listcomp', 'two statements in the body', '''\
def f(xs):
    out = []
    for x in xs:
        if x:
            out.append(x)
            out.append(x)
    return out
'''),
    NearMiss('set_add_loop_to_setcomp', 'set does not start empty', '''\
def f(xs):
    seen = {0}
    for x in xs:
        seen.add(x)
    return seen
'''),
    NearMiss('dict_loop_to_dictcomp', 'impure value with a computed key', '''\
def f(xs, make):
    table = {}
    for x in xs:
        table[x.key] = make(x)
    return table
'''),
    NearMiss('range_len_to_direct_iteration', 'index used after the loop', '''\
def f(xs):
    t = 0
    for i in range(len(xs)):
        t += xs[i]
    return t, i
'''),
    NearMiss('range_len_to_direct_iteration', 'sequence mutated in the loop', '''\
def f(xs):
    for i in range(len(xs)):
        xs.append(xs[i])
    return xs
'''),
    NearMiss('range_len_to_direct_iteration', 'index used on its own', '''\
def f(xs):
    out = []
    for i in range(len(xs)):
        out.append(xs[i] * i)
    return out
'''),
    NearMiss('range_len_to_enumerate', 'index rebound in the body', '''\
def f(xs):
    out = []
    for i in range(len(xs)):
        i = i + 1
        out.append(xs[i - 1] * i)
    return out
'''),
    NearMiss('range_len_to_enumerate', 'sequence element assigned', '''\
def f(xs):
    for i in range(len(xs)):
        xs[i] = xs[i] * i
    return xs
'''),
    NearMiss('range_min_len_to_zip', 'no proof the lengths match', '''\
def f(a, b):
    t = 0
    for i in range(len(a)):
        t += a[i] * b[i]
    return t
'''),
    NearMiss('range_min_len_to_zip', 'guarded name rebound', '''\
def f(a, b):
    if len(a) != len(b):
        return 0
    b = b[1:]
    t = 0
    for i in range(len(a)):
        t += a[i] * b[i]
    return t
'''),
    NearMiss('range_len_to_zip_assume_equal_length', 'only one sequence', '''\
def f(a):
    t = 0
    for i in range(len(a)):
        t += a[i]
    return t
'''),
    NearMiss('while_index_to_for', 'continue skips the increment', '''\
def f(xs):
    t = 0
    i = 0
    while i < len(xs):
        if xs[i] < 0:
            continue
        t += xs[i]
        i += 1
    return t
'''),
    NearMiss('while_index_to_for', 'index read after the loop', '''\
def f(xs):
    i = 0
    while i < len(xs):
        i += 1
    return i
'''),
    NearMiss('while_index_to_for', 'bound changes in the loop', '''\
def f(xs):
    i = 0
    while i < len(xs):
        xs.pop()
        i += 1
    return xs
'''),
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
    NearMiss('string_concat_loop_to_join', 'prepends instead of appending', '''\
def f(words):
    s = ""
    for w in words:
        s = w + s
    return s
'''),
    NearMiss('string_concat_loop_to_join', 'start is not a string literal', '''\
def f(words, s):
    for w in words:
        s += w
    return s
'''),
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
    NearMiss('manual_count_to_get', 'impure key', '''\
def f(counts, items):
    if items.pop() in counts:
        counts[items.pop()] += 1
    else:
        counts[items.pop()] = 1
'''),
    NearMiss('manual_count_to_get', 'counts by two', '''\
def f(counts, k):
    if k in counts:
        counts[k] += 2
    else:
        counts[k] = 1
'''),
    NearMiss('grouping_to_setdefault', 'value mentions the groups', '''\
def f(groups, k):
    if k not in groups:
        groups[k] = []
    groups[k].append(len(groups))
'''),
    NearMiss('counting_loop_to_counter', 'the name Counter is taken', '''\
def f(words):
    Counter = 0
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return counts, Counter
'''),
    NearMiss('drop_dict_keys', 'the keys view is stored', '''\
def f(d):
    keys = d.keys()
    return keys
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
    NearMiss('separator_concat_loop_to_join', 'pieces may be empty', '''\
def joined(words):
    text = ""
    for w in words:
        if text:
            text += ", "
        text += w
    return text
'''),
    NearMiss('split_accumulation_loop', 'both statements change the same name', '''\
def f(xs):
    text = ""
    for x in xs:
        text += x
        text += ","
    return text
'''),
    NearMiss('split_accumulation_loop', "second statement reads the first one's result", '''\
def f(xs):
    total = 0
    last = 0
    for x in xs:
        total += x
        last = total
    return last
'''),
    NearMiss('startswith_to_slice', 'argument is not a literal', '''\
def f(lines, prefix):
    return [line for line in lines if line.startswith(prefix)]
'''),
    NearMiss('startswith_to_slice', 'empty literal', '''\
def f(line):
    return line.endswith("")
'''),
    NearMiss('flag_to_for_else', 'flag used after the test', '''\
def f(xs, y):
    found = False
    for x in xs:
        if x == y:
            found = True
            break
    if not found:
        xs = []
    return found
'''),
    NearMiss('flag_to_for_else', 'a break that does not set the flag', '''\
def f(xs, y):
    found = False
    for x in xs:
        if x is None:
            break
        if x == y:
            found = True
            break
    if not found:
        return 0
    return 1
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
]


def _outcome(source: str, entry: str, args: tuple) -> tuple:
    namespace: dict = {}
    exec(compile(source, "<snippet>", "exec"), namespace)
    try:
        return "returned", namespace[entry](*copy.deepcopy(args))
    except Exception as exc:  # noqa: BLE001 - the exception type is the outcome
        return "raised", type(exc).__name__


def _case_id(case) -> str:
    return f"{case.rule}-{getattr(case, 'entry', None) or re.sub(r'[^a-z]+', '_', case.why)}"


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=_case_id)
def test_rule_rewrites_snippet_exactly(case: Case) -> None:
    rule = rule_by_name(case.rule)
    module = parse_program(case.before)
    sites = rule.sites(module)
    assert len(sites) == case.num_sites
    assert sites == sorted(set(sites))
    order = preorder(module)
    assert all(isinstance(order[site], rule.anchor_types) for site in sites)
    after = apply_rewrite(case.before, case.rule, sites[0])
    assert after == case.after
    compile(after, "<after>", "exec")
    outcomes = [(_outcome(case.before, case.entry, args), _outcome(after, case.entry, args)) for args in case.probes]
    if rule.safety is Safety.UNSAFE:
        assert any(old != new for old, new in outcomes), "a mutation should change some result"
    else:
        for (old, new), args in zip(outcomes, case.probes):
            assert old == new, f"behaviour changed for {args}"


@pytest.mark.parametrize("case", NEAR_MISSES, ids=_case_id)
def test_rule_skips_near_miss(case: NearMiss) -> None:
    assert rule_by_name(case.rule).sites(parse_program(case.source)) == []


def test_every_rule_has_snippets_and_near_misses() -> None:
    with_snippet = {case.rule for case in POSITIVE_CASES}
    with_near_miss = {case.rule for case in NEAR_MISSES}
    names = {rule.name for rule in ALL_RULES}
    assert names - with_snippet == set()
    assert names - with_near_miss == set()
    assert (with_snippet | with_near_miss) <= names


# --- the registry -------------------------------------------------------------------------------

def test_rule_list_is_fixed_and_well_formed() -> None:
    names = [rule.name for rule in ALL_RULES]
    assert len(ALL_RULES) >= 24
    assert names[:len(RULE_ORDER)] == RULE_ORDER
    assert len(set(names)) == len(names)
    for index, rule in enumerate(ALL_RULES):
        assert re.fullmatch(r"[a-z][a-z0-9_]*", rule.name)
        assert rule.description and "\n" not in rule.description
        assert isinstance(rule.safety, Safety)
        assert set(rule.families) <= FAMILIES
        assert rule.anchor_types
        assert rule_index(rule.name) == index
        assert rule_by_name(rule.name) is rule
        doc = inspect.getdoc(type(rule)) or ""
        if rule.safety is Safety.CONDITIONAL:
            assert "Precondition" in doc, f"{rule.name} must document its precondition"
        if rule.safety is Safety.UNSAFE:
            assert "unsafe" in rule.description
    assert {rule.safety for rule in ALL_RULES} == set(Safety)
    assert sum(rule.name.startswith("mutation_") for rule in ALL_RULES) >= 3


def test_unknown_rule_name_gives_short_key_error() -> None:
    with pytest.raises(KeyError) as raised:
        rule_by_name("no_such_rule")
    message = str(raised.value)
    assert "no_such_rule" in message
    assert len(message) < 200


_PROGRAM = '''\
def squares(xs):
    result = []
    for x in xs:
        result.append(x * x)
    return result
'''


def test_apply_rewrite_refuses_sites_where_the_rule_does_not_apply() -> None:
    module = parse_program(_PROGRAM)
    rule = rule_by_name("append_loop_to_listcomp")
    (site,) = rule.sites(module)
    size = len(preorder(module))
    for bad in (site + 1, 0, -1, size, size + 10, True):
        with pytest.raises(RewriteError):
            apply_rewrite(_PROGRAM, rule.name, bad)
        with pytest.raises(RewriteError):
            rule.apply(module, bad)
    with pytest.raises(RewriteError):
        apply_rewrite("def broken(:\n", rule.name, site)
    with pytest.raises(KeyError):
        apply_rewrite(_PROGRAM, "no_such_rule", site)


def test_legal_actions_are_every_rule_site() -> None:
    source = POSITIVE_CASES[0].before + "\n\n" + '''\
def first(xs):
    ordered = sorted(xs)
    return ordered[0]
'''
    module = parse_program(source)
    expected = sorted((site, index) for index, rule in enumerate(ALL_RULES) for site in rule.sites(module))
    actions = legal_actions(module)
    assert actions == expected
    assert len(set(actions)) == len(actions)
    assert {ALL_RULES[index].name for _, index in actions} >= {"append_loop_to_listcomp", "sorted_local_to_min_max",
                                                               "inline_single_use_temp"}


def test_context_numbers_nodes_like_preorder() -> None:
    module = parse_program(POSITIVE_CASES[-1].before + POSITIVE_CASES[3].before)
    context = ProgramContext(module)
    assert [id(node) for node in context.order] == [id(node) for node in preorder(module)]
    for node in context.order[1:]:
        assert any(child is node for child in context.parent(node).children)


def test_rewritten_module_has_no_shared_nodes_and_matches_apply_rewrite() -> None:
    case = next(c for c in POSITIVE_CASES if c.rule == "manual_count_to_get")
    module = parse_program(case.before)
    rule = rule_by_name(case.rule)
    new_module = rule.apply(module, rule.sites(module)[0])
    nodes = preorder(new_module)
    assert len({id(node) for node in nodes}) == len(nodes)
    assert new_module.code == case.after
    assert module.code == case.before  # the input is left alone


def test_import_is_added_once() -> None:
    source = '''\
def histogram(words):
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return counts


def letters(text):
    counts = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    return counts
'''
    rule = rule_by_name("counting_loop_to_counter")
    once = apply_rewrite(source, rule.name, rule.sites(parse_program(source))[0])
    twice = apply_rewrite(once, rule.name, rule.sites(parse_program(once))[0])
    assert twice.count("from collections import Counter") == 1
    assert twice.startswith("from collections import Counter\n\n\ndef histogram(words):\n")
    assert "counts = dict(Counter(words))" in twice and "counts = dict(Counter(text))" in twice


# --- analysis facts the rules lean on -----------------------------------------------------------

def _context(source: str) -> ProgramContext:
    return ProgramContext(parse_program(source))


def test_aliases_count_as_mutation() -> None:
    ctx = _context('''\
def f(xs, ys):
    add = ys.append
    other = ys
    for x in xs:
        add(x)
    for x in xs:
        other.sort()
    for x in xs:
        print(len(ys))
''')
    loops = ctx.nodes_of_type((cst.For,))
    assert analysis.alias_names("ys", ctx.nodes_of_type((cst.FunctionDef,))[0], ctx) == {"add", "other"}
    assert not analysis.not_mutated("ys", loops[0], ctx)
    assert not analysis.not_mutated("ys", loops[1], ctx)
    assert analysis.not_mutated("xs", loops[0], ctx)


def test_dead_after_follows_control_flow() -> None:
    ctx = _context('''\
def f(xs, ys):
    for x in xs:
        pass
    for x in ys:
        pass
    return 0


def g(xs):
    for x in xs:
        pass
    return x


def h(rows):
    for row in rows:
        print(x)
        for x in row:
            pass
    return 0
''')
    first, second, in_g, outer, inner = ctx.nodes_of_type((cst.For,))
    assert analysis.dead_after(first, ["x"], ctx)  # the next loop rebinds x or leaves it as it was
    assert analysis.dead_after(second, ["x"], ctx)
    assert not analysis.dead_after(in_g, ["x"], ctx)
    assert not analysis.dead_after(inner, ["x"], ctx)  # read again on the next pass of the outer loop


def test_purity_of_calls() -> None:
    ctx = _context('''\
import math


def norm(v):
    return math.sqrt(sum(x * x for x in v))


def noisy(v):
    print(v)
    return v


def f(v, g):
    return norm(v), noisy(v), g(v), sorted(v, key=len), sorted(v, key=g), v.lower(), v.append(1)
''')
    values = ctx.nodes_of_type((cst.Tuple,))[-1].elements
    verdicts = [analysis.is_pure(element.value, ctx) for element in values]
    assert verdicts == [True, False, False, True, False, True, False]
