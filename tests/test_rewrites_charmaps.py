"""Exact snippets and near misses of the `charmaps` rule family (`codeopt_jax/rewrites/charmaps.py`)."""

from __future__ import annotations

import random

import libcst as cst
import pytest

from codeopt_jax.program import parse_program
from codeopt_jax.rewrites import apply_rewrite, rule_by_name
from codeopt_jax.rewrites.charmaps import CharMap, chars_tested, is_str_value, maketrans_call
from codeopt_jax.rewrites.context import ProgramContext
from tests.rewrite_cases import Case, NearMiss, case_id, check_rewrites_snippet_exactly, check_skips_near_miss


class Text(str):
    """A str subclass: the guarded rules must send it down the original path."""


POSITIVE_CASES = [
    Case('char_loop_to_translate', 'mask_number', 1, '''\
def mask_number(n):
    text = str(n)
    out = ""
    for ch in text:
        if ch == "-":
            out += "minus "
        elif "0" <= ch <= "9":
            out += "#"
        else:
            out += ch
    return out
''',
         '''\
MASK_NUMBER_TABLE = str.maketrans({"-": "minus ", "0": "#", "1": "#", "2": "#", "3": "#", "4": "#", "5": "#", \
"6": "#", "7": "#", "8": "#", "9": "#"})


def mask_number(n):
    text = str(n)
    out = text.translate(MASK_NUMBER_TABLE)
    return out
''',
         [(0,), (-1234,), (3.5,), ("x-9",)]),
    Case('char_loop_to_translate_guarded', 'mask_digits', 1, '''\
def mask_digits(text):
    masked = ""
    for ch in text:
        if ch in "0123456789":
            masked += "#"
        elif ch == "1" or ch == "x":
            masked += "?"
        else:
            masked += ch
    return masked
''',
         '''\
MASK_DIGITS_TABLE = str.maketrans("0123456789x", "##########?")


def mask_digits(text):
    if type(text) is str:
        masked = text.translate(MASK_DIGITS_TABLE)
    else:
        masked = ""
        for ch in text:
            if ch in "0123456789":
                masked += "#"
            elif ch == "1" or ch == "x":
                masked += "?"
            else:
                masked += ch
    return masked
''',
         [("",), ("card 4111-1111 x",), ("\u0663 is not ASCII",), (["1", "a", "x", "ab"],), (Text("a1x"),),
          (None,)]),
    Case('char_join_to_translate', 'masked_id', 1, '''\
def masked_id(number):
    digits = str(number)
    return "".join(["*" if c in "0123456789" else "" if c in ("-", "+") else c for c in digits])
''',
         '''\
MASKED_ID_TABLE = str.maketrans("0123456789", "**********", "-+")


def masked_id(number):
    digits = str(number)
    return digits.translate(MASKED_ID_TABLE)
''',
         [(0,), (-12.5,), ("+a-b",)]),
    Case('char_join_to_translate_guarded', 'leet', 1, '''\
LEET = {"a": "4", "e": "3", "o": "0", "s": "5"}


def leet(word):
    return "".join(LEET.get(c, c) for c in word)
''',
         '''\
LEET = {"a": "4", "e": "3", "o": "0", "s": "5"}


LEET_TABLE = str.maketrans("aeos", "4305")


def leet(word):
    return word.translate(LEET_TABLE) if type(word) is str else "".join(LEET.get(c, c) for c in word)
''',
         [("",), ("hello seasons",), (["a", "xy", "s"],), (Text("ease"),), (5,)]),
    Case('replace_chain_to_translate', 'plain_number', 1, '''\
def plain_number(value):
    return int(str(value).replace(",", "").replace("_", "").replace("O", "0"))
''',
         '''\
PLAIN_NUMBER_TABLE = str.maketrans("O", "0", ",_")


def plain_number(value):
    return int(str(value).translate(PLAIN_NUMBER_TABLE))
''',
         [("1,000",), ("1_0O0",), (7,), ("x",)]),
    Case('replace_chain_to_translate_guarded', 'tuple_str_int', 1, '''\
def tuple_str_int(test_str):
    return tuple(int(num) for num in test_str.replace("(", "").replace(")", "").split(", "))
''',
         '''\
TUPLE_STR_INT_TABLE = str.maketrans("", "", "()")


def tuple_str_int(test_str):
    return tuple(int(num) for num in (test_str.translate(TUPLE_STR_INT_TABLE) if type(test_str) is str else \
test_str.replace("(", "").replace(")", "")).split(", "))
''',
         [("(7, 8, 9)",), ("(1, 2)",), (Text("(4, 5)"),), (b"(1)",)]),
]

NEAR_MISSES = [
    NearMiss('char_loop_to_translate', 'no else branch: other characters are dropped', '''\
def digits_only(n):
    text = str(n)
    out = ""
    for ch in text:
        if ch in "0123456789":
            out += ch
    return out
'''),
    NearMiss('char_loop_to_translate', 'a branch value is computed from the character', '''\
def shout(n):
    text = str(n)
    out = ""
    for ch in text:
        if ch in "abc":
            out += ch.upper()
        else:
            out += ch
    return out
'''),
    NearMiss('char_loop_to_translate', 'the text is a parameter (only the guarded rule applies)', '''\
def mask(text):
    out = ""
    for ch in text:
        if ch == "1":
            out += "#"
        else:
            out += ch
    return out
'''),
    NearMiss('char_loop_to_translate_guarded', 'the loop variable is read after the loop', '''\
def mask(text):
    out = ""
    for ch in text:
        if ch == "1":
            out += "#"
        else:
            out += ch
    return out + ch
'''),
    NearMiss('char_loop_to_translate_guarded', 'the start is not right before the loop', '''\
def mask(text):
    out = ""
    n = len(text)
    for ch in text:
        if ch == "1":
            out += "#"
        else:
            out += ch
    return out, n
'''),
    NearMiss('char_join_to_translate', 'the separator is not empty', '''\
MAP = {"a": "b"}


def spaced(n):
    return "-".join(MAP.get(c, c) for c in str(n))
'''),
    NearMiss('char_join_to_translate_guarded', 'the dict is changed elsewhere in the program', '''\
MAP = {"a": "b"}


def learn(key, value):
    MAP[key] = value


def swap(word):
    return "".join(MAP.get(c, c) for c in word)
'''),
    NearMiss('char_join_to_translate_guarded', 'the default is not the character itself', '''\
MAP = {"a": "b"}


def swap(word):
    return "".join(MAP.get(c, "?") for c in word)
'''),
    NearMiss('replace_chain_to_translate', 'an earlier replacement feeds a later one', '''\
def rotate(n):
    return str(n).replace("1", "2").replace("2", "3")
'''),
    NearMiss('replace_chain_to_translate', 'a single replacement is no chain', '''\
def strip_commas(n):
    return str(n).replace(",", "")
'''),
    NearMiss('replace_chain_to_translate_guarded', 'a multi-character old value ends the chain', '''\
def clean(text):
    return text.replace("...", "").replace(")", "")
'''),
    NearMiss('replace_chain_to_translate_guarded', 'the receiver is rebound in the function', '''\
def clean(text):
    text = text.strip()
    return text.replace("(", "").replace(")", "")
'''),
]


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=case_id)
def test_rule_rewrites_snippet_exactly(case: Case) -> None:
    check_rewrites_snippet_exactly(case)


@pytest.mark.parametrize("case", NEAR_MISSES, ids=case_id)
def test_rule_skips_near_miss(case: NearMiss) -> None:
    check_skips_near_miss(case)


def _expression(code: str) -> cst.BaseExpression:
    return cst.parse_expression(code)


@pytest.mark.parametrize("test, chars", [
    ("c == 'a'", ["a"]),
    ("'a' == c", ["a"]),
    ("c == 'ab'", []),
    ("c in 'abca'", ["a", "b", "c"]),
    ("c in ('x', 'yz', 'y')", ["x", "y"]),
    ("'a' <= c < 'd'", ["a", "b", "c"]),
    ("c == 'z' or c in 'yz'", ["z", "y"]),
    ("c != 'a'", None),
    ("c in name", None),
    ("d == 'a'", None),
    ("' ' <= c <= '\\U0010ffff'", None),
])
def test_chars_tested_lists_exactly_the_accepted_characters(test: str, chars: list[str] | None) -> None:
    assert chars_tested(_expression(test), "c") == chars


def test_maketrans_call_builds_the_table_it_describes() -> None:
    for pairs in ((("a", "b"), ("c", "")), (("x", ""),), (("-", "--"), ("q", "Q"))):
        table = eval(cst.Module(body=[]).code_for_node(maketrans_call(CharMap(pairs))))  # noqa: S307 - our own code
        assert "a-cxq".translate(table) == "".join(dict(pairs).get(c, c) for c in "a-cxq")


def test_is_str_value_proves_strs_and_nothing_else() -> None:
    module = parse_program('''\
def f(n, given):
    a = str(n)
    b = a.strip() + "!"
    for piece in b.split():
        c = piece
    d = given
    e = n.lower()
    return a, b, c, d, e, f"{n}", given
''')
    ctx = ProgramContext(module)
    returned = [n for n in ctx.nodes_of_type((cst.Return,))][0].value
    verdicts = [is_str_value(element.value, ctx) for element in returned.elements]
    assert verdicts == [True, True, True, False, False, True, False]


def _random_test(rng: random.Random) -> str:
    """A random character test on ch, in one of the accepted spellings."""
    chars = "ab01-x"
    kind = rng.randrange(5)
    if kind == 0:
        return f"ch == {rng.choice(chars)!r}"
    if kind == 1:
        return f"ch in {''.join(rng.sample(chars, rng.randint(1, 3)))!r}"
    if kind == 2:
        return f"ch in {tuple(rng.sample(chars + 'yz', rng.randint(1, 3)))!r}"
    if kind == 3:
        low, high = sorted(rng.sample(chars, 2))
        return f"{low!r} <= ch <= {high!r}"
    return f"{_random_test(rng)} or {_random_test(rng)}"


def _run(source: str, argument: object) -> object:
    namespace: dict = {}
    exec(compile(source, "<snippet>", "exec"), namespace)  # noqa: S102 - snippets built by the test
    try:
        return namespace["f"](argument)
    except Exception as exc:  # noqa: BLE001 - the exception type is the outcome
        return type(exc)


@pytest.mark.slow
def test_random_branch_chains_translate_exactly() -> None:
    """Random if/elif chains (overlapping tests: the first match wins) give the same text."""
    rng = random.Random(12)
    applied = 0
    for _ in range(30):
        lines = ["def f(text):", "    out = ''", "    for ch in text:"]
        for index in range(rng.randint(1, 4)):
            value = rng.choice(["''", "'#'", "'XY'", "'a'", "ch"])
            lines += [f"        {'if' if index == 0 else 'elif'} {_random_test(rng)}:", f"            out += {value}"]
        lines += ["        else:", "            out += ch", "    return out", ""]
        source = "\n".join(lines)
        sites = rule_by_name("char_loop_to_translate_guarded").sites(parse_program(source))
        if not sites:
            continue
        applied += 1
        after = apply_rewrite(source, "char_loop_to_translate_guarded", sites[0])
        for _ in range(15):
            text = "".join(rng.choice("ab01-xyz9") for _ in range(rng.randint(0, 12)))
            assert _run(after, text) == _run(source, text), (source, text)
        assert _run(after, list("ab-")) == _run(source, list("ab-"))
    assert applied >= 20


def test_random_replace_chains_translate_exactly_or_not_at_all() -> None:
    """Random replace chains: where the rule applies the result is the same text; order-dependent
    chains (a replacement's output replaced later) are refused."""
    rng = random.Random(5)
    applied = refused = 0
    for _ in range(40):
        steps = [(rng.choice("ab0-"), rng.choice(["", "a", "b", "#", "ab"])) for _ in range(rng.randint(2, 4))]
        source = "def f(text):\n    return text" + "".join(f".replace({old!r}, {new!r})" for old, new in steps) + "\n"
        sites = rule_by_name("replace_chain_to_translate_guarded").sites(parse_program(source))
        feeds = any(old in new for index, (_, new) in enumerate(steps) for old, _ in steps[index + 1:])
        assert bool(sites) != (feeds or all(old == new for old, new in steps))
        if not sites:
            refused += 1
            continue
        applied += 1
        after = apply_rewrite(source, "replace_chain_to_translate_guarded", sites[0])
        for _ in range(15):
            text = "".join(rng.choice("ab0-z") for _ in range(rng.randint(0, 10)))
            assert _run(after, text) == _run(source, text), (source, text)
    assert applied >= 8 and refused >= 8
