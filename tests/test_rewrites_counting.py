"""Exact snippets and near misses of the `counting` rule family (`codeopt_jax/rewrites/counting.py`)."""

from __future__ import annotations

import pytest

from tests.rewrite_cases import Case, NearMiss, case_id, check_rewrites_snippet_exactly, check_skips_near_miss

POSITIVE_CASES = [
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
]

NEAR_MISSES = [
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
    NearMiss('counting_loop_to_counter', 'the names Counter and collections are taken', '''\
def f(words):
    Counter = collections = 0
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return counts, Counter, collections
'''),
    NearMiss('drop_dict_keys', 'the keys view is stored', '''\
def f(d):
    keys = d.keys()
    return keys
'''),
]


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=case_id)
def test_rule_rewrites_snippet_exactly(case: Case) -> None:
    check_rewrites_snippet_exactly(case)


@pytest.mark.parametrize("case", NEAR_MISSES, ids=case_id)
def test_rule_skips_near_miss(case: NearMiss) -> None:
    check_skips_near_miss(case)
