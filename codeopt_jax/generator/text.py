"""char_mapping: per-character mapping loops, mapping joins and `replace` chains on strings.

A mapping (which characters become what) is drawn per program; it is applied to one text,
or by a helper function to each line of a list of lines (a loop around the pattern).
"""

from __future__ import annotations

from codeopt_jax.generator.code import Context, Cost, Param, TargetFunction
from codeopt_jax.generator.kinds import LineElem, ListKind, TextKind
from codeopt_jax.generator.lexicon import RESULT_LIST, TEXT

_CHAR_SETS = (("0123456789", "digits"), ("aeiou", "vowels"), (".,;:!?", "punctuation"), ("()[]", "brackets"),
              ("-_/", "separators"), ("xyz", "the letters x, y and z"))
_ALPHABETS = ("abcdefghij klmnop 0123456789.,;-()", "aeiou bcdfg xyz 012 ,.!?", "hello world 2024-06-01 (ok); [x]",
              "abcxyz_-/ 0123 :;", "the quick brown fox 42 jumps: over; lazy dogs!")


def _mapping(ctx: Context) -> tuple[str, str, str, str]:
    """(characters, replacement, phrase, alphabet): which characters become the replacement."""
    chars, phrase = ctx.rng.choice(_CHAR_SETS)
    replacement = ctx.rng.choice(("#", "*", "", "_", " ", "?"))
    alphabet = ctx.rng.choice(_ALPHABETS) + chars
    return chars, replacement, phrase, alphabet


def _apply_lines(ctx: Context, text: str, chars: str, replacement: str) -> tuple[str, tuple[str, ...], int]:
    """(result name, lines, ns per character) mapping the characters of `text` (one of four idioms)."""
    rng = ctx.rng
    out = ctx.names.fresh(TEXT + ("masked", "cleaned", "scrubbed"))
    ch = ctx.names.fresh(("ch", "c", "char", "symbol"))
    style = rng.randrange(5)
    if style == 0:  # per-character loop with += in both branches
        return out, (f'{out} = ""', f"for {ch} in {text}:", f"    if {ch} in {chars!r}:",
                     f"        {out} += {replacement!r}", "    else:", f"        {out} += {ch}"), 90
    if style == 4:  # two character classes, an if / elif / else chain
        other = rng.choice([c for c in "aeiou.,;xyz-_" if c not in chars])
        return out, (f'{out} = ""', f"for {ch} in {text}:", f"    if {ch} in {chars!r}:",
                     f"        {out} += {replacement!r}", f"    elif {ch} == {other!r}:",
                     f"        {out} += {other.upper()!r}", "    else:", f"        {out} += {ch}"), 110
    if style == 1:  # a mapping dict consulted per character
        table = ctx.names.fresh(("table", "mapping", "swaps", "replacements"))
        targets = "".join(rng.choice("ABCDEFGH#*") for _ in chars)
        pairs = ", ".join(f"{a!r}: {b!r}" for a, b in zip(chars, targets))
        return out, (f"{table} = {{{pairs}}}", f'{out} = "".join({table}.get({ch}, {ch}) for {ch} in {text})'), 60
    if style == 2:  # a conditional expression per character, joined
        return out, (f'{out} = "".join({replacement!r} if {ch} in {chars!r} else {ch} for {ch} in {text})',), 55
    chain = text + "".join(f".replace({c!r}, {replacement!r})" for c in chars[:rng.randint(2, min(5, len(chars)))])
    return out, (f"{out} = {chain}",), 3


def char_mapping_target(ctx: Context) -> TargetFunction:
    chars, replacement, phrase, alphabet = _mapping(ctx)
    verb = ctx.rng.choice(("mask", "scrub", "clean", "redact", "normalize", "strip"))
    text = ctx.names.fresh(TEXT)
    name = ctx.names.fresh((f"{verb}_{phrase.split()[-1]}", f"{verb}_text", f"{verb}_{text}"))
    out, lines, per_char = _apply_lines(ctx, text, chars, replacement)
    body = lines + (f"return {out}",)
    if ctx.rng.random() < 0.5:
        return TargetFunction(name, (Param(text, TextKind(alphabet)),), body,
                              f"Replace the {phrase} in {text} with {replacement!r}.", ("char_mapping",),
                              Cost(per_char, max_size=400_000))
    helper = TargetFunction(name, (Param(text, TextKind(alphabet)),), body, "", (), Cost(1)).source()
    lines_name = ctx.names.fresh(("lines", "rows", "messages", "entries", "labels"))
    line = ctx.names.fresh(("line", "row", "message", "entry", "label"))
    result = ctx.names.fresh(RESULT_LIST)
    entry = ctx.names.fresh((f"{verb}_{lines_name}", f"{verb}_all", f"{verb}_each_{line}"))
    length = ctx.rng.choice((12, 20, 32))
    if ctx.rng.random() < 0.5:
        loop_body: tuple[str, ...] = (f"{result} = []", f"for {line} in {lines_name}:",
                                      f"    {result}.append({name}({line}))", f"return {result}")
    else:
        loop_body = (f"return [{name}({line}) for {line} in {lines_name}]",)
    return TargetFunction(entry, (Param(lines_name, ListKind(LineElem(alphabet, length, "line"))),), loop_body,
                          f"Replace the {phrase} in each of {lines_name} with {replacement!r}.",
                          ("char_mapping",), Cost(400 + length * per_char), helpers=(helper,))
