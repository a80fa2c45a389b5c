"""Exact snippets and near misses of the `choices` rule family (`codeopt_jax/rewrites/choices.py`)."""

from __future__ import annotations

import pytest

from codeopt_jax.program import parse_program
from codeopt_jax.rewrites import apply_rewrite, rule_by_name
from tests.rewrite_cases import Case, NearMiss, case_id, check_rewrites_snippet_exactly, check_skips_near_miss


class OwnCount(list):
    """A list subclass whose count lies: the guarded rewrite must run the loop for it."""

    def count(self, value: object) -> int:
        return -1


class NeverEqual:
    """Equal to nothing, itself included: `==` never matches, list.count matches it by identity."""

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__


POSITIVE_CASES = [
    Case('listcomp_to_map', 'to_ints', 1, '''\
def to_ints(words):
    return [int(w) for w in words]
''',
         '''\
def to_ints(words):
    return list(map(int, words))
''',
         [([],), (["1", "-2", "30"],), (["x"],)]),
    Case('listcomp_to_map', 'total_length', 1, '''\
def total_length(words):
    return sum(len(w) for w in words)
''',
         '''\
def total_length(words):
    return sum(map(len, words))
''',
         [([],), (["ab", "", "cde"],), ([1],)]),
    Case('listcomp_to_map', 'lower_all', 1, '''\
def lower_all(words):
    return {str.lower(w) for w in words}
''',
         '''\
def lower_all(words):
    return set(map(str.lower, words))
''',
         [([],), (["Ab", "aB", "c"],)]),
    Case('map_to_listcomp', 'square_each', 1, '''\
def square_each(xs):
    return list(map(lambda x: x * x, xs))
''',
         '''\
def square_each(xs):
    return [x * x for x in xs]
''',
         [([],), ([1, -2, 3],)]),
    Case('map_to_listcomp', 'digits_sum', 1, '''\
def digits_sum(n):
    return sum(map(int, str(n)))
''',
         '''\
def digits_sum(n):
    return sum(int(item) for item in str(n))
''',
         [(0,), (9075,), (-3,)]),
    Case('map_to_listcomp', 'shout_words', 1, '''\
def shout_words(words):
    return " ".join(map(str.upper, words))
''',
         '''\
def shout_words(words):
    return " ".join(str.upper(item) for item in words)
''',
         [([],), (["ab", "Cd"],), ([1],)]),
    Case('count_loop_to_count_method', 'occurrences', 1, '''\
def occurrences(items, target):
    found = list(items)
    count = 0
    for item in found:
        if item == target:
            count += 1
    return count
''',
         '''\
def occurrences(items, target):
    found = list(items)
    count = found.count(target)
    return count
''',
         [([], 1), ([1, 2, 1, 1.0], 1), ("abca", "a"), ([[1], [1], 2], [1])]),
    Case('count_loop_to_count_method', 'letter_a', 1, '''\
def letter_a(text):
    s = str(text)
    n = 0
    for i in range(len(s)):
        if s[i] == "a":
            n = n + 1
    return n
''',
         '''\
def letter_a(text):
    s = str(text)
    n = s.count("a")
    return n
''',
         [("",), ("banana",), (12,)]),
    Case('count_loop_to_count_method_guarded', 'count_char', 1, '''\
def count_char(string, char):
    count = 0
    for i in range(len(string)):
        if string[i] == char:
            count = count + 1
    return count
''',
         '''\
def count_char(string, char):
    if type(string) in (list, tuple) or type(string) is str and type(char) is str and len(char) == 1:
        count = string.count(char)
    else:
        count = 0
        for i in range(len(string)):
            if string[i] == char:
                count = count + 1
    return count
''',
         [("", "a"), ("banana", "a"), ("banana", "an"), ("banana", ""), ("abc", 1), ([1, 2, 1], 1),
          ((1, 1), 1), (OwnCount([1, 2, 1]), 1), ({0: "a", 1: "b"}, "a"), (b"aba", 97)]),
    Case('membership_test_to_set_once', 'is_vowel', 1, '''\
def is_vowel(ch):
    vowels = ["a", "e", "i", "o", "u"]
    return ch in vowels
''',
         '''\
def is_vowel(ch):
    vowels = ["a", "e", "i", "o", "u"]
    return ch in set(vowels)
''',
         [("a",), ("b",), ("",)]),
    Case('in_test_to_try_except', 'tally', 1, '''\
def tally(words):
    counts = {}
    for word in words:
        if word in counts:
            counts[word] += 1
        else:
            counts[word] = 1
    return counts
''',
         '''\
def tally(words):
    counts = {}
    for word in words:
        try:
            counts[word] += 1
        except KeyError:
            counts[word] = 1
    return counts
''',
         [([],), (["a", "b", "a", 1, 1.0],), ([[1]],)]),
]

NEAR_MISSES = [
    NearMiss('listcomp_to_map', 'an if clause', '''\
def f(xs):
    return [int(x) for x in xs if x]
'''),
    NearMiss('listcomp_to_map', 'a second argument', '''\
def f(xs):
    return [int(x, 2) for x in xs]
'''),
    NearMiss('listcomp_to_map', 'a method of the element', '''\
def f(xs):
    return [x.lower() for x in xs]
'''),
    NearMiss('listcomp_to_map', 'the function depends on the element', '''\
def f(xs, fs):
    return [fs[x](x) for x in xs]
'''),
    NearMiss('listcomp_to_map', 'map is rebound', '''\
def f(xs, map):
    return [len(x) for x in xs]
'''),
    NearMiss('listcomp_to_map', 'an unknown function name', '''\
def f(xs):
    return [mystery(x) for x in xs]
'''),
    NearMiss('map_to_listcomp', 'two iterables', '''\
def f(xs, ys):
    return list(map(pow, xs, ys))
'''),
    NearMiss('map_to_listcomp', 'a consumer with a key', '''\
def f(xs):
    return sorted(map(abs, xs), key=str)
'''),
    NearMiss('map_to_listcomp', 'a two-parameter lambda', '''\
def f(xs):
    return list(map(lambda a, b=1: a + b, xs))
'''),
    NearMiss('map_to_listcomp', 'a lambda with a walrus', '''\
def f(xs):
    return list(map(lambda a: (b := a), xs))
'''),
    NearMiss('map_to_listcomp', 'the map object escapes', '''\
def f(xs):
    ys = map(abs, xs)
    return ys
'''),
    NearMiss('map_to_listcomp', 'a class base', '''\
class A(map(abs, [1])):
    pass
'''),
    NearMiss('count_loop_to_count_method', 'a multi-character needle in a string', '''\
def f(text):
    n = 0
    for ch in str(text):
        if ch == "ab":
            n += 1
    return n
'''),
    NearMiss('count_loop_to_count_method', 'an iterable of unknown type', '''\
def f(xs, v):
    n = 0
    for x in xs:
        if x == v:
            n += 1
    return n
'''),
    NearMiss('count_loop_to_count_method', 'the loop variable is read afterwards', '''\
def f(xs, v):
    ys = list(xs)
    n = 0
    for x in ys:
        if x == v:
            n += 1
    return n, x
'''),
    NearMiss('count_loop_to_count_method', 'a counter that does not start at zero', '''\
def f(xs, v):
    ys = list(xs)
    n = 1
    for x in ys:
        if x == v:
            n += 1
    return n
'''),
    NearMiss('count_loop_to_count_method', 'the needle depends on the element', '''\
def f(xs):
    ys = list(xs)
    n = 0
    for x in ys:
        if x == x * 2:
            n += 1
    return n
'''),
    NearMiss('count_loop_to_count_method_guarded', 'a needle that may raise', '''\
def f(xs, d):
    n = 0
    for x in xs:
        if x == d[0]:
            n += 1
    return n
'''),
    NearMiss('count_loop_to_count_method_guarded', 'str is rebound', '''\
def f(str, v):
    n = 0
    for x in str:
        if x == v:
            n += 1
    return n
'''),
    NearMiss('count_loop_to_count_method_guarded', 'a loop with an else', '''\
def f(xs, v):
    n = 0
    for x in xs:
        if x == v:
            n += 1
    else:
        n = -n
    return n
'''),
    NearMiss('membership_test_to_set_once', 'inside a loop', '''\
def f(xs, ys):
    zs = list(ys)
    return [x for x in xs if x in zs]
'''),
    NearMiss('membership_test_to_set_once', 'a parameter of unknown type', '''\
def f(x, text):
    return x in text
'''),
    NearMiss('membership_test_to_set_once', 'the container is a string', '''\
def f(x):
    letters = "abc"
    return x in letters
'''),
    NearMiss('in_test_to_try_except', 'a dict of unknown class', '''\
def f(words, counts):
    for word in words:
        if word in counts:
            counts[word] += 1
        else:
            counts[word] = 1
    return counts
'''),
    NearMiss('in_test_to_try_except', 'a key that may raise KeyError itself', '''\
def f(words, table):
    counts = {}
    for word in words:
        if table[word] in counts:
            counts[table[word]] += 1
        else:
            counts[table[word]] = 1
    return counts
'''),
]


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=case_id)
def test_rule_rewrites_snippet_exactly(case: Case) -> None:
    check_rewrites_snippet_exactly(case)


@pytest.mark.parametrize("case", NEAR_MISSES, ids=case_id)
def test_rule_skips_near_miss(case: NearMiss) -> None:
    check_skips_near_miss(case)


def _rewritten(source: str, rule: str, entry: str):
    (site,) = rule_by_name(rule).sites(parse_program(source))
    namespace: dict = {}
    exec(compile(apply_rewrite(source, rule, site), "<after>", "exec"), namespace)  # noqa: S102 - the rewrite
    return namespace[entry]


def test_guarded_count_takes_the_fast_path_for_lists_and_the_loop_otherwise() -> None:
    count = _rewritten(POSITIVE_CASES[8].before, 'count_loop_to_count_method_guarded', 'count_char')
    odd = NeverEqual()
    assert count([odd, 1, odd], odd) == 2  # list.count: matched by identity, so the fast path ran
    assert count(OwnCount([odd, odd]), odd) == 0  # a subclass: the original loop ran (`==` never matches)


def test_map_and_comprehension_moves_undo_each_other() -> None:
    source = "def f(xs):\n    return sum(abs(x) for x in xs)\n"
    there = apply_rewrite(source, "listcomp_to_map", rule_by_name("listcomp_to_map").sites(parse_program(source))[0])
    back = apply_rewrite(there, "map_to_listcomp", rule_by_name("map_to_listcomp").sites(parse_program(there))[0])
    assert there == "def f(xs):\n    return sum(map(abs, xs))\n"
    assert back == "def f(xs):\n    return sum(abs(item) for item in xs)\n"
