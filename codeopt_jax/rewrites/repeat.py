"""Where code repeats: the loop or comprehension around a node, and what may move out of it.

Hoisting rules evaluate something once, before the innermost repeating construct
around a node, instead of on every pass. `repeat_context` finds that construct and
the statement in front of which the one-time evaluation goes.
"""

from __future__ import annotations

import dataclasses

import libcst as cst

from codeopt_jax import scopes
from codeopt_jax.rewrites import liveness, names, purity
from codeopt_jax.rewrites.context import ProgramContext
from codeopt_jax.syntax import COMPREHENSION_TYPES, SCOPE_TYPES


@dataclasses.dataclass(frozen=True)
class RepeatContext:
    """region: the code that repeats (names must not change anywhere in it);
    anchor: the statement the hoisted assignment goes before;
    local_names: names bound by comprehensions around the node (they change per element)."""

    region: cst.CSTNode
    anchor: cst.CSTNode
    local_names: frozenset[str] = frozenset()


def _first_iter(comprehension: cst.CSTNode) -> cst.CSTNode:
    return comprehension.for_in.iter


def repeat_context(node: cst.CSTNode, ctx: ProgramContext, loops_only: bool = False) -> RepeatContext | None:
    """The innermost for/while body (or while test) or comprehension part that evaluates
    node repeatedly, within a function body; None when node runs once per call."""
    child = node
    for ancestor in ctx.ancestors(node):
        if isinstance(ancestor, SCOPE_TYPES):
            return None
        if isinstance(ancestor, cst.For) and child is ancestor.body:
            return _context(ancestor, ancestor, ctx, frozenset())
        if isinstance(ancestor, cst.While) and (child is ancestor.body or child is ancestor.test):
            return _context(ancestor, ancestor, ctx, frozenset())
        if not loops_only and isinstance(ancestor, COMPREHENSION_TYPES) and \
                not ctx.is_inside(node, _first_iter(ancestor)):
            statement = ctx.statement_of(ancestor)
            if statement is None:
                return None
            local: set[str] = set()
            for outer in [ancestor, *ctx.ancestors(ancestor)]:
                if outer is statement:
                    break
                if isinstance(outer, COMPREHENSION_TYPES):
                    comp_for = outer.for_in
                    while comp_for is not None:
                        local.update(scopes.target_names(comp_for.target))
                        comp_for = comp_for.inner_for_in
            return _context(statement, statement, ctx, frozenset(local))
        child = ancestor
    return None


def _context(region: cst.CSTNode, anchor: cst.CSTNode, ctx: ProgramContext,
             local_names: frozenset[str]) -> RepeatContext | None:
    if ctx.block_position(anchor) is None or ctx.in_function_body(anchor) is None:
        return None
    return RepeatContext(region=region, anchor=anchor, local_names=local_names)


def names_stable(expression: cst.CSTNode, where: RepeatContext, ctx: ProgramContext) -> bool:
    """Every variable in expression keeps its value and contents across the repeated
    region and already has a value when the anchor statement starts."""
    loaded = {o.name for o in names.occurrences(expression, ctx) if o.kind == scopes.LOAD}
    if loaded & where.local_names:
        return False
    return all(stable_in(name, where.region, where.anchor, ctx) for name in loaded)


def stable_in(name: str, region: cst.CSTNode, anchor: cst.CSTNode, ctx: ProgramContext,
              require_bound: bool = True) -> bool:
    """name is never rebound, mutated (also through aliases) or handed to unknown code in
    region, has a value before anchor (unless require_bound is False), the region mutates no
    other variable that may hold the same object (a parameter passed twice), and, when name is
    a global or closure variable, the region calls nothing that might change it behind its back."""
    if not purity.not_mutated(name, region, ctx):
        return False
    if require_bound and not liveness.bound_before(name, anchor, ctx):
        return False
    function = ctx.in_function_body(anchor)
    if function is None:
        return False
    if purity.mutates_possible_alias(name, region, function, ctx):
        return False
    local = name in scopes.param_names(function.params) or any(
        o.name == name and o.kind != scopes.LOAD and not o.nested for o in names.occurrences(function.body, ctx))
    return local or not _calls_unknown_code(region, function, ctx)


def _calls_unknown_code(region: cst.CSTNode, function: cst.FunctionDef, ctx: ProgramContext) -> bool:
    """Whether region calls anything but pure functions and methods of the function's locals."""
    key = ("calls_unknown_code", id(region))
    if key in ctx.cache:
        return ctx.cache[key]
    locals_ = names.stored_names(function.body, ctx) | set(scopes.param_names(function.params))
    verdict = False
    for call in ctx.nodes_of_type((cst.Call,)):
        if not ctx.is_inside(call, region) or purity.is_pure_call(call, ctx):
            continue
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in locals_:
            continue
        verdict = True
        break
    ctx.cache[key] = verdict
    return verdict


def occurrences_like(expression: cst.CSTNode, where: RepeatContext, ctx: ProgramContext) -> list[cst.CSTNode]:
    """Nodes in the region with the same code as expression (outside nested defs/lambdas)."""
    text = ctx.code(expression)
    found = []
    stack = [where.region]
    while stack:
        node = stack.pop()
        if isinstance(node, type(expression)) and ctx.code(node) == text:
            found.append(node)
            continue
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        stack.extend(node.children)
    return found


def insert_before(anchor: cst.CSTNode, statement: cst.SimpleStatementLine):
    """A replacement callable putting statement before anchor (taking over its comments)."""

    def replace(updated: cst.CSTNode) -> cst.FlattenSentinel:
        first = statement.with_changes(leading_lines=updated.leading_lines)
        return cst.FlattenSentinel([first, updated.with_changes(leading_lines=())])

    return replace
