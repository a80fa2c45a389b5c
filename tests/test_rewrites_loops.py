"""Exact snippets and near misses of the `loops` rule family (`codeopt_jax/rewrites/loops.py`)."""

from __future__ import annotations

import pytest

from tests.rewrite_cases import Case, NearMiss, case_id, check_rewrites_snippet_exactly, check_skips_near_miss

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
    NearMiss('split_accumulation_loop', 'the grown lists are parameters, maybe one list (f(xs, a, a))', '''\
def f(xs, a, b):
    for x in xs:
        a.append(x)
        b.append(x * 2)
    return a, b
'''),
    NearMiss('range_len_to_enumerate', 'the body grows another parameter, maybe the same list (f(a, a))', '''\
def f(xs, ys):
    for i in range(len(xs)):
        ys.append(xs[i] + i)
    return ys
'''),
    NearMiss('range_len_to_direct_iteration', 'the body grows another parameter, maybe the same list (f(a, a))', '''\
def f(xs, ys):
    total = 0
    for i in range(len(xs)):
        total += xs[i]
        ys.append(1)
    return total
'''),
    NearMiss('range_min_len_to_zip', 'the body grows another parameter, maybe one of the lists (f(a, b, b))', '''\
def f(xs, ys, zs):
    for i in range(min(len(xs), len(ys))):
        zs.append(xs[i] * ys[i])
    return zs
'''),
]


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=case_id)
def test_rule_rewrites_snippet_exactly(case: Case) -> None:
    check_rewrites_snippet_exactly(case)


@pytest.mark.parametrize("case", NEAR_MISSES, ids=case_id)
def test_rule_skips_near_miss(case: NearMiss) -> None:
    check_skips_near_miss(case)
