"""Membership tests: `x in some_list` -> `x in some_set`."""

from __future__ import annotations

import dataclasses
from typing import Any

import libcst as cst

from codeopt_jax import scopes
from codeopt_jax.rewrites import build, names, purity
from codeopt_jax.rewrites.base import Edit, Rule, Safety
from codeopt_jax.rewrites.context import ProgramContext
from codeopt_jax.rewrites.repeat import RepeatContext, insert_before, repeat_context, stable_in


def _membership_target(node: cst.CSTNode) -> cst.ComparisonTarget | None:
    if isinstance(node, cst.ComparisonTarget) and isinstance(node.operator, (cst.In, cst.NotIn)):
        return node
    return None


def _bound_to_string(name: str, ctx: ProgramContext) -> bool:
    """Whether the program ever assigns a string literal to name."""
    for assign in ctx.nodes_of_type((cst.Assign,)):
        if any(name in scopes.target_names(t.target) for t in assign.targets) and \
                isinstance(assign.value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            return True
    return False


def _holds_only_sets(name: str, node: cst.CSTNode, ctx: ProgramContext) -> bool:
    """Whether name is a local of node's function bound only to sets (so `in` is fast already)."""
    function = ctx.enclosing_function(node)
    if function is None:
        return False
    values = []
    for occurrence in names.function_occurrences(function, ctx):
        if occurrence.name != name or occurrence.kind == scopes.LOAD:
            continue
        target = ctx.parent(occurrence.node)
        assign = ctx.parent(target) if isinstance(target, cst.AssignTarget) else None
        if not isinstance(assign, cst.Assign):
            return False
        values.append(assign.value)
    return bool(values) and all(
        isinstance(v, (cst.Set, cst.SetComp)) or (isinstance(v, cst.Call) and isinstance(v.func, cst.Name)
                                                  and v.func.value in ("set", "frozenset")) for v in values)


@dataclasses.dataclass(frozen=True)
class MembershipInLoop:
    name: str  # the list tested with `in`
    where: RepeatContext  # the loop it is tested in, and the statement a set goes before


class ListMembershipToSet(Rule):
    """`x in xs` inside a loop or comprehension, with xs a name, becomes `x in xs_set`
    with `xs_set = set(xs)` computed once before the loop; every `in xs` / `not in xs`
    of that loop switches to the set.

    Precondition (checked): the loop never rebinds, mutates or hands xs to unknown code;
    xs has a value before the loop; the program never binds xs to a string literal.
    Assumes: xs is a list/tuple of hashable values and the tested values are hashable.
    """

    name = "list_membership_to_set"
    description = "for ...: if x in xs  ->  xs_set = set(xs) before the loop; for ...: if x in xs_set"
    safety = Safety.CONDITIONAL
    families = ("list_membership", "nested_lookup")
    anchor_types = (cst.ComparisonTarget,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> MembershipInLoop | None:
        target = _membership_target(node)
        if target is None or not isinstance(target.comparator, cst.Name) or not ctx.builtin_usable("set"):
            return None
        name = target.comparator.value
        where = repeat_context(node, ctx)
        if where is None or name in where.local_names or _bound_to_string(name, ctx) or \
                _holds_only_sets(name, node, ctx):
            return None
        if not stable_in(name, where.region, where.anchor, ctx):
            return None
        return MembershipInLoop(name, where)

    def build(self, node: cst.CSTNode, found: MembershipInLoop, ctx: ProgramContext) -> Edit:
        name, where = found.name, found.where
        set_name = ctx.fresh_name(f"{name}_set")
        replacements: list = [(where.anchor, insert_before(where.anchor, build.assign(
            set_name, build.call("set", cst.Name(name)))))]
        for comparator in membership_comparators(name, where, node, ctx):
            replacements.append((comparator, cst.Name(set_name)))
        return Edit(replacements)


def membership_comparators(name: str, where: RepeatContext, node: cst.CSTNode, ctx: ProgramContext) -> list[cst.Name]:
    """The `name` of every `in name` / `not in name` in the repeated region, in node's function."""
    found = []
    for candidate in ctx.nodes_of_type((cst.ComparisonTarget,)):
        if _membership_target(candidate) is not None and isinstance(candidate.comparator, cst.Name) \
                and candidate.comparator.value == name and ctx.is_inside(candidate, where.region) \
                and ctx.enclosing_function(candidate) is ctx.enclosing_function(node):
            found.append(candidate.comparator)
    return found


class MembershipListToSet(Rule):
    """A local list used only for membership (`seen = []`, `x in seen`, `seen.append(x)`)
    becomes a set (`seen = set()`, `seen.add(x)`), turning each test from O(n) to O(1).

    Precondition (checked): the list is bound once in its function, and every other use
    is an `in` / `not in` test or an `.append(...)` statement.
    Assumes: the appended and tested values are hashable.
    """

    name = "membership_list_to_set"
    description = "seen = []; ... x in seen ... seen.append(x)  ->  seen = set(); ... x in seen ... seen.add(x)"
    safety = Safety.CONDITIONAL
    families = ("list_membership", "nested_lookup")
    anchor_types = (cst.Assign,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> list[cst.Attribute] | None:
        if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return None
        value = node.value
        empty = (isinstance(value, cst.List) and not value.elements) or (
            isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "list"
            and not value.args and ctx.builtin_usable("list"))
        function = ctx.in_function_body(node)
        if not empty or function is None or not ctx.builtin_usable("set"):
            return None
        name = node.targets[0].target.value
        appends: list[cst.Attribute] = []
        tests = 0
        for occurrence in names.function_occurrences(function, ctx):
            if occurrence.name != name:
                continue
            if occurrence.kind != scopes.LOAD:
                if occurrence.node is not node.targets[0].target:
                    return None
                continue
            if occurrence.nested:
                return None
            parent = ctx.parent(occurrence.node)
            if _membership_target(parent) is not None and parent.comparator is occurrence.node:
                tests += 1
                continue
            call = ctx.parent(parent)
            if isinstance(parent, cst.Attribute) and parent.attr.value == "append" and \
                    isinstance(call, cst.Call) and call.func is parent and isinstance(ctx.parent(call), cst.Expr):
                appends.append(parent)
                continue
            return None
        if not tests:
            return None
        return appends

    def build(self, node: cst.CSTNode, found: list[cst.Attribute], ctx: ProgramContext) -> Edit:
        replacements: list = [(node.value, build.call("set"))]
        for attribute in found:
            replacements.append((attribute.attr, cst.Name("add")))
        return Edit(replacements)


def _hashable_constant(node: cst.CSTNode) -> bool:
    return purity.is_constant(node) and not isinstance(node, cst.Ellipsis)


class LiteralListMembershipToSet(Rule):
    """`x in [1, 2, 3]` (or a tuple) of constants becomes `x in {1, 2, 3}`, which Python
    turns into a constant frozenset with O(1) lookups.

    Precondition (checked): every element is a number/string/bool/None constant.
    Assumes: the tested value is hashable (an unhashable one makes the set test raise).
    """

    name = "literal_list_membership_to_set"
    description = "x in [1, 2, 3] / x in (1, 2, 3)  ->  x in {1, 2, 3} (constant elements)"
    safety = Safety.CONDITIONAL
    families = ("list_membership",)
    anchor_types = (cst.List, cst.Tuple)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        target = _membership_target(ctx.parent(node))
        if target is None or target.comparator is not node or len(node.elements) < 2:
            return None
        if not all(isinstance(e, cst.Element) and _hashable_constant(e.value) for e in node.elements):
            return None
        return True

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        elements = [cst.Element(value=build.clean(e.value)) for e in node.elements]
        return Edit([(node, cst.Set(elements=elements))])
