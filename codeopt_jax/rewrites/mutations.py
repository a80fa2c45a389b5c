"""Deliberately UNSAFE mutations: rules that usually break the program, on purpose.

They give the test and differential signals something to catch. Never label them
anything but unsafe."""

from __future__ import annotations

from typing import Any

import libcst as cst

from codeopt_jax import scopes
from codeopt_jax.rewrites import build, names
from codeopt_jax.rewrites.base import Edit, Rule, Safety
from codeopt_jax.rewrites.context import ProgramContext

_DROPPABLE = (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Expr, cst.Return, cst.Raise, cst.Assert,
              cst.Break, cst.Continue, cst.Del)


def _nonlocal_names(function: cst.FunctionDef, ctx: ProgramContext) -> set[str]:
    return {o.name for o in names.occurrences(function.body, ctx)
            if o.kind == scopes.DECL and isinstance(ctx.parent(ctx.parent(o.node)), cst.Nonlocal)}


class DropStatement(Rule):
    """Deletes one simple statement inside a function (a block left empty gets `pass`).
    UNSAFE on purpose."""

    name = "mutation_drop_statement"
    description = "delete one simple statement (unsafe on purpose: a mutation for the tests to catch)"
    safety = Safety.UNSAFE
    families = ()
    anchor_types = _DROPPABLE

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        line = ctx.parent(node)
        function = ctx.in_function_body(node)
        if not isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) or function is None:
            return None
        bound = {o.name for o in names.occurrences(node, ctx) if o.kind == scopes.STORE}
        if bound & _nonlocal_names(function, ctx):
            return None  # a nested `nonlocal` needs this binding to compile
        return True

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        return Edit([build.remove_small_statement(node, ctx)])


_FLIPPED = {
    cst.LessThan: cst.GreaterThanEqual, cst.GreaterThanEqual: cst.LessThan,
    cst.GreaterThan: cst.LessThanEqual, cst.LessThanEqual: cst.GreaterThan,
    cst.Equal: cst.NotEqual, cst.NotEqual: cst.Equal,
    cst.In: cst.NotIn, cst.NotIn: cst.In, cst.Is: cst.IsNot, cst.IsNot: cst.Is,
}


class FlipComparison(Rule):
    """Negates the first operator of a comparison (`<` <-> `>=`, `==` <-> `!=`, `in` <->
    `not in`, `is` <-> `is not`). UNSAFE on purpose."""

    name = "mutation_flip_comparison"
    description = "negate a comparison operator, e.g. < -> >= (unsafe on purpose: a mutation for the tests to catch)"
    safety = Safety.UNSAFE
    families = ()
    anchor_types = (cst.Comparison,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        return True if ctx.in_function_body(node) is not None else None

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        first = node.comparisons[0]
        flipped = _FLIPPED[type(first.operator)]()
        return Edit([(first.operator, flipped)])


def _range_stop(node: cst.Call, ctx: ProgramContext) -> cst.Arg | None:
    if not (isinstance(node.func, cst.Name) and node.func.value == "range" and ctx.builtin_usable("range")):
        return None
    if not 1 <= len(node.args) <= 3 or any(a.keyword is not None or a.star for a in node.args):
        return None
    return node.args[0] if len(node.args) == 1 else node.args[1]


class RangeStopOffByOne(Rule):
    """Makes a `range(...)` stop one smaller: `range(n)` -> `range(n - 1)`. UNSAFE on purpose."""

    name = "mutation_range_off_by_one"
    description = "range(a, n) -> range(a, n - 1) (unsafe on purpose: an off-by-one mutation for the tests to catch)"
    safety = Safety.UNSAFE
    families = ()
    anchor_types = (cst.Call,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        if ctx.in_function_body(node) is None:
            return None
        return _range_stop(node, ctx)

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        stop = found
        smaller = cst.BinaryOperation(left=build.as_operand(build.clean(stop.value)), operator=cst.Subtract(),
                                      right=cst.Integer("1"))
        return Edit([(stop.value, smaller)])


class SwapAddSubtract(Rule):
    """Turns a `+` into `-` or a `-` into `+` (binary operators only). UNSAFE on purpose."""

    name = "mutation_swap_add_subtract"
    description = "a + b <-> a - b (unsafe on purpose: a mutation for the tests to catch)"
    safety = Safety.UNSAFE
    families = ()
    anchor_types = (cst.BinaryOperation,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        if not isinstance(node.operator, (cst.Add, cst.Subtract)) or ctx.in_function_body(node) is None:
            return None
        return True

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        operator = node.operator
        swapped = (cst.Subtract if isinstance(operator, cst.Add) else cst.Add)(
            whitespace_before=operator.whitespace_before, whitespace_after=operator.whitespace_after)
        return Edit([(operator, swapped)])
