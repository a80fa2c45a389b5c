"""Exact snippets and near misses of the `strings` rule family (`codeopt_jax/rewrites/strings.py`)."""

from __future__ import annotations

import pytest

from tests.rewrite_cases import Case, NearMiss, case_id, check_rewrites_snippet_exactly, check_skips_near_miss

POSITIVE_CASES = [
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
]

NEAR_MISSES = [
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
    NearMiss('separator_concat_loop_to_join', 'pieces may be empty', '''\
def joined(words):
    text = ""
    for w in words:
        if text:
            text += ", "
        text += w
    return text
'''),
    NearMiss('startswith_to_slice', 'argument is not a literal', '''\
def f(lines, prefix):
    return [line for line in lines if line.startswith(prefix)]
'''),
    NearMiss('startswith_to_slice', 'empty literal', '''\
def f(line):
    return line.endswith("")
'''),
]


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=case_id)
def test_rule_rewrites_snippet_exactly(case: Case) -> None:
    check_rewrites_snippet_exactly(case)


@pytest.mark.parametrize("case", NEAR_MISSES, ids=case_id)
def test_rule_skips_near_miss(case: NearMiss) -> None:
    check_skips_near_miss(case)
