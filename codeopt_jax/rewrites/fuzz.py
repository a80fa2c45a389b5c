"""Random programs for fuzzing the rules, and the property every rule must keep on any program.

`generate_program(rng)` composes, with libcst, the shapes the rules target (append / add /
dict loops, accumulations, index loops, while loops, searches and flags, membership tests,
counting and grouping, string building, sorted()[0], hoistable calls, recursion, copies...)
with random names (drawn from a small pool, so they collide and shadow each other, builtins
now and then), random element and condition expressions, and random nesting (if / for /
while / try / with around a pattern, patterns inside each other's loops). The programs are
never executed: they need not run, only parse.

`rule_failures(module, rules)` checks the rules on one program: `sites()` never raises;
`apply` at every site it lists succeeds (the action mask is exact), raises nothing else,
changes the program, and gives code that compiles and parses again.
"""

from __future__ import annotations

import dataclasses
import random
import warnings
from typing import Callable, Sequence

import libcst as cst

from codeopt_jax.program import ProgramError, parse_program
from codeopt_jax.rewrites.base import RewriteError, Rule

_SEQUENCES = ("xs", "ys", "items", "words", "nums", "rows", "data")
_RESULTS = ("out", "res", "acc", "total", "count", "best", "seen", "found", "text", "parts", "groups", "counts",
            "result", "value", "n", "xs")
_LOOP_VARIABLES = ("x", "y", "item", "w", "v", "i", "k")
_SHADOWED_BUILTINS = ("sum", "set", "len", "list", "max", "min", "any", "sorted", "str", "range", "dict")
_IMPORTS = ("import math", "import functools", "from collections import Counter", "import collections",
            "from math import sqrt")


@dataclasses.dataclass(frozen=True)
class FuzzFailure:
    """A rule that broke the fuzzing property on a program."""

    rule: str
    site: int | None   # None when sites() itself failed
    stage: str         # "sites", "apply", "mask" (RewriteError at a listed site), "unchanged", "compile", "reparse"
    error: str


class _Names:
    """Random identifiers for one program: mostly from small pools (so they collide)."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def sequence(self) -> str:
        return self.rng.choice(_SEQUENCES)

    def result(self) -> str:
        if self.rng.random() < 0.04:
            return self.rng.choice(_SHADOWED_BUILTINS)
        name = self.rng.choice(_RESULTS)
        return name if self.rng.random() < 0.7 else f"{name}{self.rng.randint(1, 3)}"

    def loop_variable(self) -> str:
        return self.rng.choice(_LOOP_VARIABLES)


def _expression(rng: random.Random, x: str, names: _Names) -> str:
    """An element expression built from the loop variable x."""
    return rng.choice([x, f"{x} + 1", f"{x} * 2", f"abs({x})", f"str({x})", f"len({x})", f"{x}[0]", f"helper({x})",
                       f"{x} ** 2", f"({x}, {x})", f"{x}.strip()", f"{x} - {names.sequence()}[0]", f"-{x}",
                       f"{x} % 3", f"math.sqrt({x})", f"{x}.lower()", f"{names.result()}", f"{x} if {x} else 0"])


def _condition(rng: random.Random, x: str, names: _Names) -> str:
    return rng.choice([f"{x} > 0", f"{x} % 2 == 0", f"{x} in {names.sequence()}", f"not {x}", f"{x} == n",
                       f"{x} not in {names.result()}", f"{x} in [1, 2, 3]", f"{x}.startswith('#')",
                       f"len({x}) > 2", f"{x} is None", f"{x} < len({names.sequence()})", f"helper({x})",
                       f"{x} != {x}", f"{x} in ('a', 'b')", f"{x} > {names.result()}"])


def _pattern(rng: random.Random, names: _Names) -> str:
    """Source of one targeted shape (a few statements)."""
    xs, ys, r, x = names.sequence(), names.sequence(), names.result(), names.loop_variable()
    f, c = _expression(rng, x, names), _condition(rng, x, names)
    k = names.result()
    favoured = [  # shapes that later statements often spoil: drawn more often
        f"{r} = []\nfor {x} in {xs}:\n    {r}.append({f})\n",
        f"{r} = {{}}\nfor {x} in {xs}:\n    {r}[{x}] = {r}.get({x}, 0) + 1\n",
        f"{r} = {{}}\nfor {x} in {xs}:\n    {r}[{x}] = {f}\n",
    ]
    if rng.random() < 0.1:
        return rng.choice(favoured)
    return rng.choice([
        f"{r} = []\nfor {x} in {xs}:\n    {r}.append({f})\n",
        f"{r} = []\nfor {x} in {xs}:\n    if {c}:\n        {r}.append({f})\n",
        f"{r} = set()\nfor {x} in {xs}:\n    if {c}:\n        {r}.add({f})\n",
        f"{r} = {{}}\nfor {x} in {xs}:\n    {r}[{x}] = {f}\n",
        f"for i in range(len({xs})):\n    {r} = {xs}[i] + i\n",
        f"for i in range(len({xs})):\n    print({xs}[i])\n",
        f"for i in range(len({xs})):\n    {r} += {xs}[i] * 2\n",
        f"for i in range(len({xs})):\n    if {xs}[i] > {ys}[i]:\n        {r} += 1\n",
        f"for i in range(min(len({xs}), len({ys}))):\n    {r}.append({xs}[i] * {ys}[i])\n",
        f"i = 0\nwhile i < n:\n    {r} += {xs}[i]\n    i += 1\n",
        f"{r} = 0\nfor {x} in {xs}:\n    {r} += {f}\n",
        f"{r} = 0\nfor {x} in {xs}:\n    if {c}:\n        {r} += 1\n",
        f"{r} = {xs}[0]\nfor {x} in {xs}[1:]:\n    if {x} > {r}:\n        {r} = {x}\n",
        f"{r} = None\nfor {x} in {xs}:\n    if {r} is None or {x} < {r}:\n        {r} = {x}\n",
        f"{r} = float('-inf')\nfor {x} in {xs}:\n    {r} = max({r}, {f})\n",
        f"for {x} in {xs}:\n    if {c}:\n        return True\nreturn False\n",
        f"{r} = False\nfor {x} in {xs}:\n    if {c}:\n        {r} = True\n        break\n",
        f"for {x} in {xs}:\n    if {c}:\n        print({x})\n        break\n",
        f"{r} = None\nfor {x} in {xs}:\n    if {c}:\n        {r} = {f}\n        break\n",
        f"{r} = sum([{f} for {x} in {xs}])\n",
        f"{r} = any([{c} for {x} in {xs}])\n",
        f"{r} = max({f} for {x} in {xs})\n",
        f"{r} = ''\nfor {x} in {xs}:\n    {r} += str({x})\n",
        f"{r} = ''\nfor {x} in {xs}:\n    if {r}:\n        {r} += ', '\n    {r} += {x}\n",
        f"for {x} in {xs}:\n    if {x} in {ys}:\n        {r}.append({x})\n",
        f"{r} = []\nfor {x} in {xs}:\n    if {x} not in {r}:\n        {r}.append({x})\n",
        f"{r} = [{x} for {x} in {xs} if {x} in ['a', 'b', 'c']]\n",
        f"if {k} in {r}:\n    {r}[{k}] += 1\nelse:\n    {r}[{k}] = 1\n",
        f"{r} = {{}}\nfor {x} in {xs}:\n    {r}[{x}] = {r}.get({x}, 0) + 1\n",
        f"if {k} not in {r}:\n    {r}[{k}] = []\n{r}[{k}].append({x})\n",
        f"for {x} in {r}.keys():\n    print({x})\n",
        f"for {x} in {xs}:\n    if {x} > len({ys}):\n        {r}.append({x})\n",
        f"for {x} in {xs}:\n    {r}.append(math.sqrt({x}))\n",
        f"{r} = helper({xs}) + helper({xs})\n",
        f"{r} = sorted({xs})[0]\n",
        f"{r} = sorted({xs})[-1]\n",
        f"{k} = sorted({xs})\n{r} = {k}[0] + {k}[-1]\n",
        f"{r} = {x} ** 2\n",
        f"return {r}\n{r} = 0\n",
        f"{k} = {f}\nreturn {k}\n",
        f"{k} = len({xs})\n{r} = {k} + 1\n",
        f"{r} = sorted(list({xs}))\n",
        f"for {x} in list({xs}):\n    {r}.append({x})\n",
        f"{k} = list({xs})\n{r} = len({k})\n",
        f"{r} = {x}.startswith('#')\n",
        f"{r} = 0\n{k} = 0\nfor {x} in {xs}:\n    {r} += {x}\n    {k} += 1\n",
        f"{r} = False\nfor {x} in {xs}:\n    if {c}:\n        {r} = True\n        break\nif not {r}:\n    print({xs})\n",
        f"{r} = 0\nfor {x} in {xs}:\n    {r} = {r} + {f}\n",
        f"{r} = len(list({xs}))\n",
        f"{r} = [{x} for {x} in {xs}.keys()]\n",
        f"{r} = {x} in {{1, 2}} or {x} in (3, 4)\n",
        f"{r} = list(text.split())\n",
        f"{k} = [{f} for {x} in {xs}]\n{r} = len(list({k}))\n",
        f"{k} = {xs}[:]\n{r} = len({k}) + {k}[0]\n",
        f"{k} = {xs}.copy()\nfor {x} in {k}:\n    print({x})\n",
        f"{r} = ''\nfor {x} in {xs}:\n    if {r}:\n        {r} += ', '\n    {r} += '@' + {x}\n",
    ])


def _wrap(rng: random.Random, statements: list[cst.BaseStatement], names: _Names) -> list[cst.BaseStatement]:
    """The statements, maybe nested in an if / for / while / try / with (built with libcst)."""
    body = cst.IndentedBlock(body=statements)
    choice = rng.random()
    if choice < 0.5:
        return statements
    if choice < 0.65:
        return [cst.If(test=cst.parse_expression(rng.choice(["n > 0", "xs", f"not {names.result()}", "flag"])),
                       body=body)]
    if choice < 0.8:
        target = cst.Name(names.loop_variable() if rng.random() < 0.5 else "_")
        return [cst.For(target=target, iter=cst.parse_expression(rng.choice(["range(n)", names.sequence(), "rows"])),
                        body=body)]
    if choice < 0.88:
        return [cst.While(test=cst.parse_expression("n > 0"), body=body)]
    if choice < 0.95:
        handler = cst.ExceptHandler(body=cst.IndentedBlock(body=[cst.SimpleStatementLine([cst.Pass()])]),
                                    type=cst.Name("ValueError"))
        return [cst.Try(body=body, handlers=[handler])]
    return [cst.With(items=[cst.WithItem(cst.parse_expression("lock"))], body=body)]


def _function(rng: random.Random, name: str, names: _Names) -> cst.FunctionDef:
    params = rng.sample(["xs", "ys", "n", "d", "items", "words", "rows", "flag", "text"], rng.randint(1, 5))
    body: list[cst.BaseStatement] = []
    for _ in range(rng.randint(1, 4)):
        statements = list(cst.parse_module(_pattern(rng, names)).body)
        if body and rng.random() < 0.25 and isinstance(body[-1], (cst.For, cst.While, cst.If)):
            # nest into the previous loop's body
            last = body[-1]
            inner = list(last.body.body) + _wrap(rng, statements, names)
            body[-1] = last.with_changes(body=last.body.with_changes(body=inner))
            continue
        body.extend(_wrap(rng, statements, names))
    if rng.random() < 0.8:
        body.append(cst.parse_statement(f"return {names.result()}\n"))
    return cst.FunctionDef(name=cst.Name(name), params=cst.Parameters([cst.Param(cst.Name(p)) for p in params]),
                           body=cst.IndentedBlock(body=body), leading_lines=[cst.EmptyLine()] * 2)


_RECURSIVE = (
    "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
    "def ways(n, k):\n    if n == 0:\n        return 1\n    if n < 0 or k == 0:\n        return 0\n"
    "    return ways(n - k, k) + ways(n, k - 1)\n",
)


def generate_program(rng: random.Random) -> str:
    """One random program (module source) built from the targeted shapes; see the module docstring."""
    names = _Names(rng)
    header = [cst.parse_statement(line + "\n") for line in rng.sample(_IMPORTS, rng.randint(0, 2))]
    if rng.random() < 0.3:
        header.append(cst.parse_statement(f"{rng.choice(_SHADOWED_BUILTINS + _SEQUENCES)} = [1, 2, 3]\n"))
    definitions: list[cst.BaseStatement] = [
        cst.parse_statement("def helper(v):\n    return v\n").with_changes(leading_lines=[cst.EmptyLine()] * 2)]
    if rng.random() < 0.3:
        definitions.append(cst.parse_statement(rng.choice(_RECURSIVE)).with_changes(
            leading_lines=[cst.EmptyLine()] * 2))
    for index in range(rng.randint(1, 2)):
        definitions.append(_function(rng, f"f{index}", names))
    return cst.Module(body=header + definitions).code


@dataclasses.dataclass(frozen=True)
class FuzzReport:
    """One program's check: the sites each rule listed and what broke."""

    sites: dict[str, int]
    failures: tuple[FuzzFailure, ...]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__


def _spread(sites: list[int], most: int | None) -> list[int]:
    """At most `most` of the sites, spread evenly (first and last included); all when most is None."""
    if most is None or len(sites) <= most:
        return sites
    if most <= 1:
        return sites[:most]
    step = (len(sites) - 1) / (most - 1)
    return sorted({sites[round(i * step)] for i in range(most)})


def rule_failures(module: cst.Module, rules: Sequence[Rule], reparse: bool = True,
                  must_compile: bool = True, max_sites: int | None = None) -> FuzzReport:
    """Checks every rule at every site (or at `max_sites` of them, spread out) of one program
    (module docstring). With `must_compile` False (the program itself does not compile), a
    rewrite need not compile either."""
    sites: dict[str, int] = {}
    failures: list[FuzzFailure] = []
    source = module.code
    for rule in rules:
        try:
            found = rule.sites(module)
        except Exception as exc:  # noqa: BLE001 - any exception here is the finding
            failures.append(FuzzFailure(rule.name, None, "sites", _first_line(exc)))
            continue
        sites[rule.name] = len(found)
        for site in _spread(found, max_sites):
            failure = _apply_failure(rule, module, site, source, reparse, must_compile)
            if failure is not None:
                failures.append(failure)
    return FuzzReport(sites, tuple(failures))


def _compile(code: str, filename: str) -> None:
    """Compiles code, quietly (random programs draw SyntaxWarnings such as `'a'()`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compile(code, filename, "exec")


def _apply_failure(rule: Rule, module: cst.Module, site: int, source: str, reparse: bool,
                   must_compile: bool) -> FuzzFailure | None:
    def failed(stage: str, error: str) -> FuzzFailure:
        return FuzzFailure(rule.name, site, stage, error)

    try:
        code = rule.apply(module, site).code
    except RewriteError as exc:
        return failed("mask", _first_line(exc))
    except Exception as exc:  # noqa: BLE001
        return failed("apply", _first_line(exc))
    if code == source:
        return failed("unchanged", "the rewrite left the program as it was")
    if must_compile:
        try:
            _compile(code, f"<{rule.name}@{site}>")
        except (SyntaxError, ValueError) as exc:
            return failed("compile", _first_line(exc))
    if reparse:
        try:
            parse_program(code)
        except ProgramError as exc:
            return failed("reparse", _first_line(exc))
    return None


def fuzz_sources(sources: Sequence[str], rules: Sequence[Rule], reparse: bool = True, max_sites: int | None = None,
                 progress: Callable[[int], None] = lambda done: None
                 ) -> tuple[dict[str, int], list[tuple[int, FuzzFailure]]]:
    """Checks the rules on every source that parses (`rule_failures`): (the sites each rule
    listed, all sources together; [(source index, failure)])."""
    totals: dict[str, int] = {rule.name: 0 for rule in rules}
    found: list[tuple[int, FuzzFailure]] = []
    for index, source in enumerate(sources):
        try:
            module = parse_program(source)
        except ProgramError:
            continue
        try:
            _compile(source, "<fuzzed>")
            compiles = True
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            compiles = False
        report = rule_failures(module, rules, reparse=reparse, must_compile=compiles, max_sites=max_sites)
        for name, count in report.sites.items():
            totals[name] += count
        found.extend((index, failure) for failure in report.failures)
        progress(index + 1)
    return totals, found
