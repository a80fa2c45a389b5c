"""Exact snippets and near misses of the `indexing` rule family (`codeopt_jax/rewrites/indexing.py`),
and the guarded rules' two paths (index / fallback)."""

from __future__ import annotations

import pytest

from codeopt_jax.program import parse_program
from codeopt_jax.rewrites import apply_rewrite, rule_by_name
from tests.rewrite_cases import (Case, NearMiss, _outcome, case_id, check_rewrites_snippet_exactly,
                                 check_skips_near_miss)

_PRICE_TOTAL = '''\
def price_total(stock, prices):
    total = 0
    missing = []
    for sku, qty in stock:
        for code, cents in prices:
            if code == sku:
                total += qty * cents
                break
        else:
            missing.append(sku)
    return total, missing
'''

_MATCHES = '''\
def matches(queries, records):
    found = []
    for q in queries:
        for r in records:
            if r[0] == q:
                found.append(r[1])
                break
    return found
'''

# (queries, records): hashable keys (the index path) and unhashable ones in records or queries
# (the fallback path), plus a record the original never reaches.
_MATCH_PROBES = [
    ([], []),
    ([1, 2, 3], [(1, "a"), (2, "b"), (1, "c")]),
    ([[1], 2], [([1], "a"), (2, "b")]),
    ([[1], 2], [(1, "a"), (2, "b")]),
    ([], [()]),
    ([1], [(1, "a"), ()]),
]

_IN_STOPLIST = '''\
def kept(tokens, stop):
    return [t for t in tokens if t not in stop]
'''

# (tokens, stop): a list of hashables (the set path), of lists (TypeError: the list path), a str
# (substring tests) and a tuple.
_STOPLIST_PROBES = [
    (["a", "b", "c"], ["b"]),
    ([[1], [2]], [[1]]),
    (["ab", "c", "x"], "abc"),
    ([1, 2, 3], (2, 3)),
    ([], []),
]

_FIRST_POSITIONS = '''\
def first_positions(rows):
    return [rows.index(r) for r in rows]
'''

_REPEATED_ROWS = '''\
def repeated_rows(rows):
    return [r for r in rows if rows.count(r) > 1]
'''

# rows of lists (unhashable: the scan path), of tuples (the index path), a str, none.
_ROW_PROBES = [([[1], [2], [1]],), ([(1,), (2,), (1,)],), ("abca",), ([],)]

POSITIVE_CASES = [
    Case('nested_loop_join_to_index', 'price_total', 1, _PRICE_TOTAL, '''\
def price_total(stock, prices):
    total = 0
    missing = []
    prices_index = {}
    for code, cents in prices:
        prices_index.setdefault(code, ((code, cents),))
    for sku, qty in stock:
        for code, cents in prices_index.get(sku, ()):
            total += qty * cents
            break
        else:
            missing.append(sku)
    return total, missing
''',
         [([], []), ([("a", 2)], []), ([("a", 2), ("b", 1), ("c", 5)], [("b", 10), ("a", 3), ("a", 99)])]),
    Case('nested_loop_join_to_index', 'pair_up', 1, '''\
def pair_up(people, pets):
    pairs = []
    for person in people:
        for pet in pets:
            if pet[0].lower() == person.lower():
                pairs.append((person, pet[1]))
    return pairs
''',
         '''\
def pair_up(people, pets):
    pairs = []
    pets_index = {}
    for pet in pets:
        pets_index.setdefault(pet[0].lower(), []).append(pet)
    for person in people:
        for pet in pets_index.get(person.lower(), ()):
            pairs.append((person, pet[1]))
    return pairs
''',
         [([], [("Ann", "cat")]), (["ann", "Bob"], [("Ann", "cat"), ("bob", "dog"), ("ANN", "fish")])]),
    Case('nested_loop_join_to_index', 'first_cheap', 1, '''\
def first_cheap(orders, items, limit):
    for order in orders:
        for item in items:
            if item["id"] == order and item["price"] < limit:
                return item["name"]
    return None
''',
         '''\
def first_cheap(orders, items, limit):
    items_index = {}
    for item in items:
        items_index.setdefault(item["id"], []).append(item)
    for order in orders:
        for item in items_index.get(order, ()):
            if item["price"] < limit:
                return item["name"]
    return None
''',
         [([], [], 5), ([2, 1], [{"id": 1, "price": 9, "name": "x"}, {"id": 1, "price": 3, "name": "y"}], 5),
          ([7], [{"id": 1, "price": 1, "name": "x"}], 5)]),
    Case('nested_loop_join_to_index_guarded', 'matches', 1, _MATCHES, '''\
def matches(queries, records):
    found = []
    try:
        records_index = {}
        for r in records:
            records_index.setdefault(r[0], (r,))
    except Exception:
        records_index = None
    for q in queries:
        try:
            records_candidates = records_index.get(q, ())
        except Exception:
            records_candidates = records
        for r in records_candidates:
            if r[0] == q:
                found.append(r[1])
                break
    return found
''', _MATCH_PROBES),
    Case('index_in_loop_to_positions', 'ranks', 1, '''\
def ranks(names, order):
    return [order.index(name) for name in names]
''',
         '''\
def ranks(names, order):
    order_positions = {}
    for position, item in enumerate(order):
        order_positions.setdefault(item, position)
    return [(order_positions[name] if name in order_positions else order.index(name)) for name in names]
''',
         [([], []), (["b", "a", "b"], ["a", "b", "a", "b"]), (["z"], ["a"]), (["bc", "a", ""], "abca")]),
    Case('index_in_loop_to_positions', 'competition_ranks', 1, '''\
def competition_ranks(scores):
    ranks = []
    for score in scores:
        ordered = sorted(scores, reverse=True)
        try:
            ranks.append(ordered.index(score) + 1)
        except ValueError:
            ranks.append(0)
    return ranks
''',
         '''\
def competition_ranks(scores):
    ranks = []
    ordered_positions = {}
    for position, item in enumerate(sorted(scores, reverse=True)):
        ordered_positions.setdefault(item, position)
    for score in scores:
        ordered = sorted(scores, reverse=True)
        try:
            ranks.append((ordered_positions[score] if score in ordered_positions else ordered.index(score)) + 1)
        except ValueError:
            ranks.append(0)
    return ranks
''',
         [([],), ([5, 5, 3],), ([2, 9, 9, 1],), ([float("nan"), 1.0],)]),
    Case('count_in_loop_to_counter', 'most_common', 1, '''\
def most_common(items):
    best, best_count = None, 0
    for item in items:
        c = items.count(item)
        if c > best_count:
            best, best_count = item, c
    return best
''',
         '''\
from collections import Counter


def most_common(items):
    best, best_count = None, 0
    items_counts = Counter(items)
    for item in items:
        c = (items_counts.get(item) or items.count(item))
        if c > best_count:
            best, best_count = item, c
    return best
''',
         [([],), ([1, 2, 2, 3],), ("hello",), ((1.0, 1, True),)]),
    Case('count_in_loop_to_counter', 'tally', 1, '''\
import collections


def tally(words, text):
    return [text.count(w) for w in words]
''',
         '''\
import collections


def tally(words, text):
    text_counts = collections.Counter(text)
    return [(text_counts.get(w) or text.count(w)) for w in words]
''',
         [([], "ab"), (["a", "ab", "", "z"], "abab"), (["x", 2], ["x", "y", "x", 2])]),
    Case('dedupe_list_companion_set', 'first_seen', 1, '''\
def first_seen(words):
    order = []
    for w in words:
        if w not in order:
            order.append(w)
    return order
''',
         '''\
def first_seen(words):
    order = []
    order_seen = set()
    for w in words:
        if w not in order_seen:
            order.append(w)
            order_seen.add(w)
    return order
''',
         [([],), (["b", "a", "b", "c", "a"],)]),
    Case('dedupe_list_companion_set', 'second_smallest', 1, '''\
def second_smallest(numbers):
    uniq = [numbers[0]]
    for x in numbers:
        if x in uniq: continue
        else: uniq.append(x)
    uniq.sort()
    return uniq[1] if len(uniq) > 1 else None
''',
         '''\
def second_smallest(numbers):
    uniq = [numbers[0]]
    uniq_seen = set(uniq)
    for x in numbers:
        if x in uniq_seen: continue
        else: uniq.append(x); uniq_seen.add(x)
    uniq.sort()
    return uniq[1] if len(uniq) > 1 else None
''',
         [([],), ([3],), ([3, 1, 3, 2, 1],)]),
    Case('dedupe_loop_to_dict_fromkeys', 'dedupe_emails', 1, '''\
def dedupe_emails(emails):
    unique = []
    for email in emails:
        key = email.strip().lower()
        if key and key not in unique:
            unique.append(key)
    return unique
''',
         '''\
def dedupe_emails(emails):
    unique = list(dict.fromkeys(key for email in emails for key in (email.strip().lower(),) if key))
    return unique
''',
         [([],), ([" A@x.org", "a@x.org", "", "b@y.com", " "],)]),
    Case('dedupe_loop_to_dict_fromkeys', 'unique_values', 1, '''\
def unique_values(xs):
    # distinct values, first-seen order
    out = []
    for x in xs:
        if x not in out:
            out.append(x)
    return out
''',
         '''\
def unique_values(xs):
    # distinct values, first-seen order
    out = list(dict.fromkeys(xs))
    return out
''',
         [([],), ([3, 1, 3, 1.0, True, 2],)]),
    Case('dedupe_loop_to_dict_fromkeys', 'distinct_pairs', 1, '''\
def distinct_pairs(rows):
    out = []
    for r in rows:
        if r:
            k = r[0], r[1]
            if k not in out:
                out.append(k)
    return out
''',
         '''\
def distinct_pairs(rows):
    out = list(dict.fromkeys(k for r in rows if r for k in ((r[0], r[1]),)))
    return out
''',
         [([],), ([(1, 2, 3), (), (1, 2, 4), (2, 1)],)]),
    Case('index_in_loop_to_positions_guarded', 'first_positions', 1, _FIRST_POSITIONS, '''\
def first_positions(rows):
    try:
        rows_positions = {}
        for position, item in enumerate(rows):
            rows_positions.setdefault(item, position)
    except TypeError:
        rows_positions = None
    return [(rows_positions[r] if rows_positions is not None and r in rows_positions else rows.index(r)) for r in rows]
''', _ROW_PROBES),
    Case('count_in_loop_to_counter_guarded', 'repeated_rows', 1, _REPEATED_ROWS, '''\
from collections import Counter


def repeated_rows(rows):
    try:
        rows_counts = Counter(rows)
    except TypeError:
        rows_counts = None
    return [r for r in rows if (rows_counts is not None and rows_counts.get(r) or rows.count(r)) > 1]
''', _ROW_PROBES),
    Case('list_membership_to_set_guarded', 'kept', 1, _IN_STOPLIST, '''\
def kept(tokens, stop):
    try:
        stop_set = set(stop) if type(stop) in (list, tuple) else stop
    except TypeError:
        stop_set = stop
    return [t for t in tokens if t not in stop_set]
''', _STOPLIST_PROBES),
]

NEAR_MISSES = [
    NearMiss('nested_loop_join_to_index', 'inner collection grows in the outer loop', '''\
def f(xs, ys):
    out = []
    for x in xs:
        for y in ys:
            if y == x:
                out.append(y)
                break
        ys.append(x)
    return out
'''),
    NearMiss('nested_loop_join_to_index', 'key reads the outer variable', '''\
def f(xs, ys):
    out = []
    for x in xs:
        for y in ys:
            if y + x == 10:
                out.append(y)
    return out
'''),
    NearMiss('nested_loop_join_to_index', 'inner variable read after the inner loop', '''\
def f(xs, ys):
    out = []
    for x in xs:
        for y in ys:
            if y == x:
                break
        out.append(y)
    return out
'''),
    NearMiss('nested_loop_join_to_index', 'body mutates the inner element', '''\
def f(xs, rows):
    for x in xs:
        for row in rows:
            if row[0] == x:
                row[0] = None
                break
    return rows
'''),
    NearMiss('nested_loop_join_to_index', 'body changes what the probe reads (all matches kept)', '''\
def f(xs, ys):
    out = []
    for x in xs:
        key = x
        for y in ys:
            if y == key:
                out.append(y)
                key = -key
    return out
'''),
    NearMiss('nested_loop_join_to_index', 'body calls code that may change the global probe (all matches kept)', '''\
LIMIT = [0]


def f(ys, log):
    out = []
    for _ in range(3):
        for y in ys:
            if y == LIMIT[0]:
                out.append(y)
                log()
    return out
'''),
    NearMiss('nested_loop_join_to_index', 'key calls unknown code', '''\
def f(xs, ys, norm):
    out = []
    for x in xs:
        for y in ys:
            if norm(y) == x:
                out.append(y)
    return out
'''),
    NearMiss('nested_loop_join_to_index', 'inner iterable is a one-shot iterator', '''\
def f(xs, ys):
    out = []
    it = iter(ys)
    for x in xs:
        for y in it:
            if y == x:
                out.append(y)
    return out
'''),
    NearMiss('nested_loop_join_to_index', 'a single search, no outer loop', '''\
def f(x, ys):
    for y in ys:
        if y[0] == x:
            return y
    return None
'''),
    NearMiss('nested_loop_join_to_index_guarded', 'inner collection grows in the outer loop', '''\
def f(xs, ys):
    for x in xs:
        for y in ys:
            if y == x:
                break
        ys.append(x)
    return ys
'''),
    NearMiss('index_in_loop_to_positions', 'sequence mutated in the loop', '''\
def f(xs, seq):
    out = []
    for x in xs:
        out.append(seq.index(x))
        seq.remove(x)
    return out
'''),
    NearMiss('index_in_loop_to_positions', 'index with a start argument', '''\
def f(xs, seq):
    return [seq.index(x, 1) for x in xs]
'''),
    NearMiss('index_in_loop_to_positions', 'rebound to a different value each pass', '''\
def f(xs, seq):
    out = []
    for x in xs:
        part = seq[:x]
        out.append(part.index(x))
    return out
'''),
    NearMiss('index_in_loop_to_positions_guarded', 'sequence mutated in the loop', '''\
def f(xs, seq):
    out = []
    for x in xs:
        out.append(seq.index(x))
        seq.insert(0, x)
    return out
'''),
    NearMiss('count_in_loop_to_counter_guarded', 'sequence rebound in the loop', '''\
def f(xs, seq):
    out = []
    for x in xs:
        out.append(seq.count(x))
        seq = seq + [x]
    return out
'''),
    NearMiss('count_in_loop_to_counter', 'call outside any loop', '''\
def f(x, seq):
    return seq.count(x)
'''),
    NearMiss('count_in_loop_to_counter', 'sequence grows in the loop', '''\
def f(xs, seq):
    out = []
    for x in xs:
        out.append(seq.count(x))
        seq.append(x)
    return out
'''),
    NearMiss('dedupe_list_companion_set', 'the list is only searched (membership_list_to_set fits)', '''\
def f(items):
    seen = []
    for item in items:
        if item in seen:
            return item
        seen.append(item)
    return None
'''),
    NearMiss('dedupe_list_companion_set', 'the list is changed by pop', '''\
def f(items):
    out = []
    for item in items:
        if item not in out:
            out.append(item)
        elif out:
            out.pop()
    return out
'''),
    NearMiss('dedupe_list_companion_set', 'the list escapes to unknown code', '''\
def f(items, sink):
    out = []
    for item in items:
        if item not in out:
            out.append(item)
            sink(out)
    return out
'''),
    NearMiss('dedupe_loop_to_dict_fromkeys', 'the loop reads the list otherwise', '''\
def f(xs):
    out = []
    for x in xs:
        if x not in out and len(out) < 3:
            out.append(x)
    return out
'''),
    NearMiss('dedupe_loop_to_dict_fromkeys', 'the appended value is not the tested one', '''\
def f(xs):
    out = []
    for x in xs:
        if x not in out:
            out.append(x * 2)
    return out
'''),
    NearMiss('list_membership_to_set_guarded', 'list mutated in the loop', '''\
def f(xs, ys):
    out = []
    for x in xs:
        if x in ys:
            ys.remove(x)
            out.append(x)
    return out
'''),
]


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=case_id)
def test_rule_rewrites_snippet_exactly(case: Case) -> None:
    check_rewrites_snippet_exactly(case)


@pytest.mark.parametrize("case", NEAR_MISSES, ids=case_id)
def test_rule_skips_near_miss(case: NearMiss) -> None:
    check_skips_near_miss(case)


def _rewritten(source: str, rule: str) -> str:
    (site,) = rule_by_name(rule).sites(parse_program(source))
    return apply_rewrite(source, rule, site)


def test_guarded_join_takes_the_fallback_where_the_plain_index_fails() -> None:
    plain = _rewritten(_MATCHES, "nested_loop_join_to_index")
    guarded = _rewritten(_MATCHES, "nested_loop_join_to_index_guarded")
    unhashable_records = ([[1], 2], [([1], "a"), (2, "b")])
    unhashable_query = ([[1], 2], [(1, "a"), (2, "b")])
    unreached_record = ([], [()])
    for probe in (unhashable_records, unhashable_query, unreached_record):
        assert _outcome(_MATCHES, "matches", probe)[0] == "returned"
        assert _outcome(plain, "matches", probe)[0] == "raised"
        assert _outcome(guarded, "matches", probe) == _outcome(_MATCHES, "matches", probe)
    assert _outcome(guarded, "matches", unhashable_records) == ("returned", ["a", "b"])


def test_join_keeps_the_first_match_only_when_the_body_ends_the_search() -> None:
    first = _rewritten(_PRICE_TOTAL, "nested_loop_join_to_index")
    assert "((code, cents),)" in first and ".append((code, cents))" not in first
    assert _outcome(first, "price_total", ([("a", 1)], [("a", 3), ("a", 99)])) == ("returned", (3, []))
    without_break = _PRICE_TOTAL.replace("                break\n", "")
    every = _rewritten(without_break, "nested_loop_join_to_index")
    assert ".append((code, cents))" in every
    probe = ([("a", 1), ("b", 2)], [("a", 3), ("a", 99)])
    assert _outcome(every, "price_total", probe) == _outcome(without_break, "price_total", probe) == \
        ("returned", (102, ["a", "b"]))


def test_guarded_membership_keeps_lists_and_strings_where_a_set_would_differ() -> None:
    plain = _rewritten(_IN_STOPLIST, "list_membership_to_set")
    guarded = _rewritten(_IN_STOPLIST, "list_membership_to_set_guarded")
    unhashable, substring = ([[1], [2]], [[1]]), (["ab", "c", "x"], "abc")
    for probe in (unhashable, substring):
        assert _outcome(plain, "kept", probe) != _outcome(_IN_STOPLIST, "kept", probe)
        assert _outcome(guarded, "kept", probe) == _outcome(_IN_STOPLIST, "kept", probe)
    assert _outcome(guarded, "kept", substring) == ("returned", ["x"])


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=case_id)
def test_rule_does_not_fire_again_on_its_own_output(case: Case) -> None:
    """An index already built (a lookup's miss path included) offers no second site."""
    assert rule_by_name(case.rule).sites(parse_program(case.after)) == []


@pytest.mark.parametrize("rule,source,entry", [("index_in_loop_to_positions", _FIRST_POSITIONS, "first_positions"),
                                               ("count_in_loop_to_counter", _REPEATED_ROWS, "repeated_rows")])
def test_guarded_scan_keeps_the_scan_for_unhashable_elements(rule: str, source: str, entry: str) -> None:
    plain, guarded = _rewritten(source, rule), _rewritten(source, rule + "_guarded")
    rows = ([[1], [2], [1]],)
    assert _outcome(source, entry, rows)[0] == "returned"
    assert _outcome(plain, entry, rows) == ("raised", "TypeError")
    assert _outcome(guarded, entry, rows) == _outcome(source, entry, rows)
