"""Exact snippets, near misses and behaviour of the `recursion` rule family (`codeopt_jax/rewrites/recursion.py`)."""

from __future__ import annotations

import pathlib
import sys

import pytest

from codeopt_jax.program import parse_program
from codeopt_jax.rewrites import apply_rewrite, rule_by_name
from tests.rewrite_cases import Case, NearMiss, case_id, check_rewrites_snippet_exactly, check_skips_near_miss

TRAIN = pathlib.Path(__file__).resolve().parents[1] / "corpus" / "train"

FIB = '''\
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
'''
EDITS = '''\
def edit_distance(source, target):
    def distance(i, j):
        if i == len(source):
            return len(target) - j
        if j == len(target):
            return len(source) - i
        if source[i] == target[j]:
            return distance(i + 1, j + 1)
        return 1 + min(distance(i + 1, j), distance(i, j + 1), distance(i + 1, j + 1))

    return distance(0, 0)
'''
SUFFIX = '''\
def suffix_edits(xs, ys, i, j):
    """Edits between the first i items of xs and the first j of ys."""
    if not i or not j:
        return i + j
    if xs[i - 1] == ys[j - 1]:
        return suffix_edits(xs, ys, i - 1, j - 1)
    return 1 + min(suffix_edits(xs, ys, i - 1, j), suffix_edits(xs, ys, i, j - 1))
'''
LCS = '''\
def lcs_length(a, b):
    if not a or not b:
        return 0
    if a[0] == b[0]:
        return 1 + lcs_length(a[1:], b[1:])
    return max(lcs_length(a[1:], b), lcs_length(a, b[1:]))
'''
STAIRS = '''\
def stair_ways(n):
    if n == 0 or n == 1:
        return 1
    return stair_ways(n - 1) + stair_ways(n - 2)
'''
COINS = '''\
def change_ways(amount, coins):
    def ways(remaining, index):
        if remaining == 0:
            return 1
        if remaining < 0 or index == len(coins):
            return 0
        return ways(remaining - coins[index], index) + ways(remaining, index + 1)

    return ways(amount, 0)
'''
DIAGONAL = '''\
def diagonal_sum(xs, i, j):
    if i >= len(xs) or j >= len(xs):
        return 0
    return 1 / (j - i) + diagonal_sum(xs, i + 1, j + 1)
'''
POSITIVE_CASES = [
    Case('memoize_per_call', 'fib', 1, FIB,
         '''\
def fib(n):
    memo = {}

    def fib_memo(n):
        if n in memo:
            return memo[n]
        if n < 2:
            memo[n] = result = n
            return result
        memo[n] = result = fib_memo(n - 1) + fib_memo(n - 2)
        return result

    return fib_memo(n)
''',
         [(0,), (1,), (15,)]),
    Case('memoize_per_call', 'edit_distance', 1, EDITS,
         '''\
def edit_distance(source, target):
    def distance(i, j):
        memo = {}

        def distance_memo(i, j):
            key = (i, j)
            if key in memo:
                return memo[key]
            if i == len(source):
                memo[key] = result = len(target) - j
                return result
            if j == len(target):
                memo[key] = result = len(source) - i
                return result
            if source[i] == target[j]:
                memo[key] = result = distance_memo(i + 1, j + 1)
                return result
            memo[key] = result = 1 + min(distance_memo(i + 1, j), distance_memo(i, j + 1), distance_memo(i + 1, j + 1))
            return result

        return distance_memo(i, j)

    return distance(0, 0)
''',
         [("", ""), ("kitten", "sitting"), ("abc", ""), ("flaw", "lawn")]),
    Case('memoize_per_call', 'suffix_edits', 1, SUFFIX,
         '''\
def suffix_edits(xs, ys, i, j):
    """Edits between the first i items of xs and the first j of ys."""
    memo = {}

    def suffix_edits_memo(i, j):
        key = (i, j)
        if key in memo:
            return memo[key]
        if not i or not j:
            memo[key] = result = i + j
            return result
        if xs[i - 1] == ys[j - 1]:
            memo[key] = result = suffix_edits_memo(i - 1, j - 1)
            return result
        memo[key] = result = 1 + min(suffix_edits_memo(i - 1, j), suffix_edits_memo(i, j - 1))
        return result

    return suffix_edits_memo(i, j)
''',
         [([1, 2, 3], [1, 3], 3, 2), ("kitten", "sitting", 6, 7), ([], [4], 0, 1)]),
    Case('memoize_per_call_guarded', 'lcs_length', 1, LCS,
         '''\
def lcs_length(a, b):
    memo = {}

    def lcs_length_memo(a, b):
        key = (a, b)
        if key in memo:
            return memo[key]
        if not a or not b:
            memo[key] = result = 0
            return result
        if a[0] == b[0]:
            memo[key] = result = 1 + lcs_length_memo(a[1:], b[1:])
            return result
        memo[key] = result = max(lcs_length_memo(a[1:], b), lcs_length_memo(a, b[1:]))
        return result

    try:
        return lcs_length_memo(a, b)
    except TypeError:
        return lcs_length_recursive(a, b)


def lcs_length_recursive(a, b):
    if not a or not b:
        return 0
    if a[0] == b[0]:
        return 1 + lcs_length_recursive(a[1:], b[1:])
    return max(lcs_length_recursive(a[1:], b), lcs_length_recursive(a, b[1:]))
''',
         [("abcde", "ace"), ((1, 2, 3), (2, 3)), ([1, 2, 3, 4], [2, 4]), ("", "x"), (5, "a")]),
    Case('recursion_to_table', 'fib', 1, FIB,
         '''\
def fib(n):
    n_start = n
    try:
        if type(n) is int:
            if 0 <= n and (n + 1) <= 2_000_000:
                table = [None] * (n + 1)
                for n in range(0, n_start + 1):
                    if n < 2:
                        table[n] = n
                    else:
                        table[n] = table[n - 1] + table[n - 2]
                return table[n_start]
    except Exception:
        pass
    return fib_recursive(n_start)


def fib_recursive(n):
    if n < 2:
        return n
    return fib_recursive(n - 1) + fib_recursive(n - 2)
''',
         [(0,), (1,), (10,), (25,), (-3,), (7.0,), (True,)]),
    Case('recursion_to_table', 'stair_ways', 1, STAIRS,
         '''\
def stair_ways(n):
    n_start = n
    try:
        if type(n) is int:
            if 0 <= n and (n + 1) <= 2_000_000:
                table = [None] * (n + 1)
                for n in range(0, n_start + 1):
                    if n == 0 or n == 1:
                        table[n] = 1
                    else:
                        table[n] = table[n - 1] + table[n - 2]
                return table[n_start]
    except Exception:
        pass
    return stair_ways_recursive(n_start)


def stair_ways_recursive(n):
    if n == 0 or n == 1:
        return 1
    return stair_ways_recursive(n - 1) + stair_ways_recursive(n - 2)
''',
         [(0,), (1,), (12,), (2.0,)]),
    Case('recursion_to_table', 'edit_distance', 1, EDITS,
         '''\
def edit_distance(source, target):
    def distance(i, j):
        i_start, j_start = i, j
        try:
            if type(i) is int and type(j) is int:
                i_high = len(source)
                j_high = len(target)
                if 0 <= i <= i_high and 0 <= j <= j_high and (i_high + 1) * (j_high + 1) <= 2_000_000:
                    table = [[None] * (j_high + 1) for _ in range(i_high + 1)]
                    for i in range(i_high, i_start - 1, -1):
                        row = table[i]
                        for j in range(j_high, j_start - 1, -1):
                            if i == len(source):
                                row[j] = len(target) - j
                            elif j == len(target):
                                row[j] = len(source) - i
                            elif source[i] == target[j]:
                                row[j] = table[i + 1][j + 1]
                            else:
                                row[j] = 1 + min(table[i + 1][j], row[j + 1], table[i + 1][j + 1])
                    return table[i_start][j_start]
        except Exception:
            pass
        return distance_recursive(i_start, j_start)

    def distance_recursive(i, j):
        if i == len(source):
            return len(target) - j
        if j == len(target):
            return len(source) - i
        if source[i] == target[j]:
            return distance_recursive(i + 1, j + 1)
        return 1 + min(distance_recursive(i + 1, j), distance_recursive(i, j + 1), distance_recursive(i + 1, j + 1))

    return distance(0, 0)
''',
         [("", ""), ("kitten", "sitting"), ("abc", ""), ("", "ab"), ("flaw", "lawn")]),
    Case('recursion_to_table', 'suffix_edits', 1, SUFFIX,
         '''\
def suffix_edits(xs, ys, i, j):
    """Edits between the first i items of xs and the first j of ys."""
    i_start, j_start = i, j
    try:
        if type(i) is int and type(j) is int:
            if 0 <= i and 0 <= j and (i + 1) * (j + 1) <= 2_000_000:
                table = [[None] * (j + 1) for _ in range(i + 1)]
                for i in range(0, i_start + 1):
                    row = table[i]
                    for j in range(0, j_start + 1):
                        if not i or not j:
                            row[j] = i + j
                        elif xs[i - 1] == ys[j - 1]:
                            row[j] = table[i - 1][j - 1]
                        else:
                            row[j] = 1 + min(table[i - 1][j], row[j - 1])
                return table[i_start][j_start]
    except Exception:
        pass
    return suffix_edits_recursive(xs, ys, i_start, j_start)


def suffix_edits_recursive(xs, ys, i, j):
    """Edits between the first i items of xs and the first j of ys."""
    if not i or not j:
        return i + j
    if xs[i - 1] == ys[j - 1]:
        return suffix_edits_recursive(xs, ys, i - 1, j - 1)
    return 1 + min(suffix_edits_recursive(xs, ys, i - 1, j), suffix_edits_recursive(xs, ys, i, j - 1))
''',
         [([1, 2, 3], [1, 3], 3, 2), ("kitten", "sitting", 6, 7), ([], [4], 0, 1), ("ab", "b", -1, 1)]),
    Case('recursion_to_table', 'change_ways', 1, COINS,
         '''\
def change_ways(amount, coins):
    def ways(remaining, index):
        remaining_start, index_start = remaining, index
        try:
            if type(remaining) is int and type(index) is int and (type(coins) is list or type(coins) is tuple) and all(type(step) is int and step > 0 for step in coins):
                remaining_step_max = max(coins, default=1)
                remaining_low = -remaining_step_max
                index_high = len(coins)
                if max(0, remaining_low) <= remaining and 0 <= index <= index_high and (remaining + 1 - min(remaining_low, 0)) * (index_high + 1) <= 2_000_000:
                    table = [[None] * (index_high + 1) for _ in range(remaining + 1 - min(remaining_low, 0))]
                    for remaining in range(remaining_low, remaining_start + 1):
                        row = table[remaining]
                        for index in range(index_high, index_start - 1, -1):
                            if remaining == 0:
                                row[index] = 1
                            elif remaining < 0 or index == len(coins):
                                row[index] = 0
                            else:
                                row[index] = table[remaining - coins[index]][index] + row[index + 1]
                    return table[remaining_start][index_start]
        except Exception:
            pass
        return ways_recursive(remaining_start, index_start)

    def ways_recursive(remaining, index):
        if remaining == 0:
            return 1
        if remaining < 0 or index == len(coins):
            return 0
        return ways_recursive(remaining - coins[index], index) + ways_recursive(remaining, index + 1)

    return ways(amount, 0)
''',
         [(5, (1, 2, 5)), (11, [5, 5]), (0, ()), (5, ()), (-3, (1,)), (10, (5, 2, 3)), (4, (0, 1)), (7, (2.5, 1)), (3, (-1, 2))]),
    Case('recursion_to_table', 'diagonal_sum', 1, DIAGONAL,
         '''\
def diagonal_sum(xs, i, j):
    i_start, j_start = i, j
    try:
        if type(i) is int and type(j) is int:
            i_high = len(xs)
            j_high = len(xs)
            if 0 <= i <= i_high and 0 <= j <= j_high and (i_high + 1) * (j_high + 1) <= 2_000_000:
                table = [[None] * (j_high + 1) for _ in range(i_high + 1)]
                for i in range(i_high, i_start - 1, -1):
                    row = table[i]
                    for j in range(j_high, j_start - 1, -1):
                        if i >= len(xs) or j >= len(xs):
                            row[j] = 0
                        else:
                            row[j] = 1 / (j - i) + table[i + 1][j + 1]
                return table[i_start][j_start]
    except Exception:
        pass
    return diagonal_sum_recursive(xs, i_start, j_start)


def diagonal_sum_recursive(xs, i, j):
    if i >= len(xs) or j >= len(xs):
        return 0
    return 1 / (j - i) + diagonal_sum_recursive(xs, i + 1, j + 1)
''',
         [([1, 2, 3, 4], 0, 1), ([5, 6], 1, 0), ([1, 2], 0, 0), ([], 0, 0)]),
]

NEAR_MISSES = [
    NearMiss('memoize_per_call', 'impure: prints', '''\
def fib(n):
    print(n)
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
'''),
    NearMiss('memoize_per_call', 'a method', '''\
class Numbers:
    def fib(self, n):
        if n < 2:
            return n
        return self.fib(n - 1) + fib(n - 2)


def fib(n):
    return n
'''),
    NearMiss('memoize_per_call', 'the name is bound again', '''\
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


fib = abs
'''),
    NearMiss('memoize_per_call', 'the function hands itself on as a value', '''\
def total(n):
    if n == 0:
        return 0
    return sum(map(total, range(n)))
'''),
    NearMiss('memoize_per_call', 'a mutable default', '''\
def count(n, seen=[]):
    if n == 0:
        return 0
    return count(n - 1, seen) + 1
'''),
    NearMiss('memoize_per_call', 'returns a list', '''\
def steps(n):
    if n == 0:
        return []
    return steps(n - 1) + [n]
'''),
    NearMiss('memoize_per_call', 'keys not seen to be hashable: the guarded variant applies', '''\
def lcs_length(a, b):
    if not a or not b:
        return 0
    if a[0] == b[0]:
        return 1 + lcs_length(a[1:], b[1:])
    return max(lcs_length(a[1:], b), lcs_length(a, b[1:]))
'''),
    NearMiss('memoize_per_call_guarded', 'keys look hashable: the unguarded rule applies', '''\
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
'''),
    NearMiss('memoize_per_call_guarded', 'a generator', '''\
def countdown(items):
    if items:
        yield items[0]
        yield from countdown(items[1:])
'''),
    NearMiss('recursion_to_table', 'the step is not a constant', '''\
def digits(n):
    if n < 10:
        return 1
    return digits(n // 10) + 1
'''),
    NearMiss('recursion_to_table', 'a parameter moves both ways', '''\
def wobble(n):
    if n <= 0 or n >= 10:
        return 0
    return wobble(n - 1) + wobble(n + 1)
'''),
    NearMiss('recursion_to_table', 'no base case bounds n', '''\
def binomial(n, k):
    if k == 0 or k == n:
        return 1
    return binomial(n - 1, k - 1) + binomial(n - 1, k)
'''),
    NearMiss('recursion_to_table', 'a step of 2 can jump over the equality base case', '''\
def halves(n):
    if n == 0:
        return 0
    return halves(n - 2) + 1
'''),
    NearMiss('recursion_to_table', 'arguments change places', '''\
def delannoy(n, m):
    if m == 0 or n == 0:
        return 1
    return delannoy(m - 1, n) + delannoy(m - 1, n - 1) + delannoy(m, n - 1)
'''),
    NearMiss('recursion_to_table', 'a loop in the body', '''\
def partitions(n):
    if n <= 0:
        return 1
    total = 0
    for k in range(1, 3):
        total += k
    return partitions(n - 1) + total
'''),
    NearMiss('recursion_to_table', 'a path falls off the end', '''\
def maybe(n):
    if n <= 0:
        return 0
    if n % 2:
        return maybe(n - 1)
'''),
    NearMiss('recursion_to_table', 'returns a list', '''\
def ladder(n):
    if n <= 0:
        return []
    return ladder(n - 1) + [n]
'''),
]


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=case_id)
def test_rule_rewrites_snippet_exactly(case: Case) -> None:
    check_rewrites_snippet_exactly(case)


@pytest.mark.parametrize("case", NEAR_MISSES, ids=case_id)
def test_rule_skips_near_miss(case: NearMiss) -> None:
    check_skips_near_miss(case)


# --- behaviour beyond equal results -------------------------------------------------------------

def _rewritten(source: str, rule: str) -> dict:
    """The namespace of source rewritten by rule at its first site."""
    (site, *_) = rule_by_name(rule).sites(parse_program(source))
    namespace: dict = {}
    exec(compile(apply_rewrite(source, rule, site), "<rewritten>", "exec"), namespace)
    return namespace


def _calls(function, args: tuple, names: set[str]) -> tuple[object, int]:
    """(result, how many Python calls of functions with these names the call made)."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event == "call" and frame.f_code.co_name in names:
            count += 1

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        result = function(*args)
    finally:
        sys.setprofile(previous)
    return result, count


def _case(rule: str, entry: str) -> Case:
    (case,) = [c for c in POSITIVE_CASES if c.rule == rule and c.entry == entry]
    return case


def test_memo_and_table_cut_the_calls() -> None:
    memoized = _rewritten(_case("memoize_per_call", "fib").before, "memoize_per_call")
    assert _calls(memoized["fib"], (20,), {"fib", "fib_memo"}) == (6765, 40)  # 21891 calls without the memo
    tabled = _rewritten(_case("recursion_to_table", "fib").before, "recursion_to_table")
    assert _calls(tabled["fib"], (20,), {"fib", "fib_recursive"}) == (6765, 1)


def test_per_call_memo_starts_empty_on_every_call() -> None:
    source = '''\
SCALE = 1


def doubling(n):
    if n == 0:
        return SCALE
    return doubling(n - 1) + doubling(n - 1)
'''
    namespace = _rewritten(source, "memoize_per_call")
    assert namespace["doubling"](3) == 8
    namespace["SCALE"] = 2
    assert namespace["doubling"](3) == 16  # a cache kept between calls would answer 8


def test_guarded_memo_falls_back_only_for_unhashable_arguments() -> None:
    namespace = _rewritten(LCS, "memoize_per_call_guarded")
    assert _calls(namespace["lcs_length"], ("abcde", "ace"), {"lcs_length_recursive"}) == (3, 0)
    result, fallback_calls = _calls(namespace["lcs_length"], ([1, 2, 3, 4], [2, 4]), {"lcs_length_recursive"})
    assert result == 2 and fallback_calls > 0


def test_table_falls_back_when_a_guard_fails_or_a_cell_raises() -> None:
    coins = _rewritten(COINS, "recursion_to_table")["change_ways"]
    assert _calls(coins, (10, (5, 2, 3)), {"ways_recursive"}) == (4, 0)
    result, fallback_calls = _calls(coins, (7, (2.5, 1)), {"ways_recursive"})  # a coin that is no int
    assert result == 2 and fallback_calls > 0
    diagonal = _rewritten(DIAGONAL, "recursion_to_table")["diagonal_sum"]
    result, fallback_calls = _calls(diagonal, ([1, 2, 3, 4], 0, 1), {"diagonal_sum_recursive"})
    assert result == 3.0 and fallback_calls > 0  # cell (1, 1), never visited by the recursion, divides by zero


def test_table_setup_errors_fall_back_too() -> None:
    source = COINS.replace("    return ways(amount, 0)\n", "    first = ways(0, 0)\n    coins = tuple(coins)\n"
                           "    return first + ways(amount, 0)\n")
    change_ways = _rewritten(source, "recursion_to_table")["change_ways"]
    assert change_ways(5, (1, 2, 5)) == 5  # ways(0, 0) runs before `coins` is bound and never reads it


def test_table_answers_where_the_recursion_overflows() -> None:
    source = _case("recursion_to_table", "stair_ways").before
    namespace: dict = {}
    exec(source, namespace)
    with pytest.raises(RecursionError):
        namespace["stair_ways"](sys.getrecursionlimit() + 10)
    tabled = _rewritten(source, "recursion_to_table")["stair_ways"]
    previous, current = 1, 1
    for _ in range(sys.getrecursionlimit() + 9):
        previous, current = current, previous + current
    assert tabled(sys.getrecursionlimit() + 10) == current


@pytest.mark.parametrize("problem", ["coin_change_ways", "count_grid_routes", "edit_distance"])
@pytest.mark.parametrize("rule", ["memoize_per_call", "recursion_to_table"])
def test_train_recursions_are_rewritten_and_still_pass(problem: str, rule: str) -> None:
    source = (TRAIN / f"{problem}.py").read_text()
    namespace = _rewritten(source, rule)
    namespace["check"](namespace[problem])
    original: dict = {}
    exec(source, original)
    for args in original["workload"]():
        assert namespace[problem](*args) == original[problem](*args)

