"""The shape of loops that build one value: `for`/`if` headers around a small innermost body.

    result = []                 <- the initializer (found by `find_initializer`)
    for x in xs:                <- clauses: ForClause(x, xs), IfClause(x > 0)
        if x > 0:
            result.append(x)    <- leaves: the innermost body, flattened

Rules turn such loops into comprehensions, reductions or joins.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import libcst as cst

from codeopt_jax import scopes
from codeopt_jax.rewrites import build, liveness, names
from codeopt_jax.rewrites.context import ProgramContext


@dataclasses.dataclass(frozen=True)
class LoopChain:
    loop: cst.For
    clauses: tuple[build.Clause, ...]
    leaves: tuple[cst.CSTNode, ...]  # small statements and compound statements of the innermost body

    @property
    def targets(self) -> list[str]:
        return [n for clause in self.clauses if isinstance(clause, build.ForClause)
                for n in scopes.target_names(clause.target)]

    def header_parts(self) -> list[cst.CSTNode]:
        parts: list[cst.CSTNode] = []
        for clause in self.clauses:
            parts.extend([clause.target, clause.iter] if isinstance(clause, build.ForClause) else [clause.test])
        return parts


def flatten_body(body: cst.BaseSuite) -> list[cst.CSTNode]:
    """A block's statements with simple lines split into their small statements."""
    if isinstance(body, cst.SimpleStatementSuite):
        return list(body.body)
    items: list[cst.CSTNode] = []
    for statement in body.body:
        if isinstance(statement, cst.SimpleStatementLine):
            items.extend(statement.body)
        else:
            items.append(statement)
    return items


def _plain_for(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.For) and node.asynchronous is None and node.orelse is None


def loop_chain(loop: cst.CSTNode) -> LoopChain | None:
    """The clauses and innermost body of a for loop (nested single-statement for/if headers)."""
    if not _plain_for(loop):
        return None
    clauses: list[build.Clause] = [build.ForClause(loop.target, loop.iter)]
    body = flatten_body(loop.body)
    while len(body) == 1:
        inner = body[0]
        if _plain_for(inner):
            clauses.append(build.ForClause(inner.target, inner.iter))
        elif isinstance(inner, cst.If) and inner.orelse is None:
            clauses.append(build.IfClause(inner.test))
        else:
            break
        body = flatten_body(inner.body)
    return LoopChain(loop=loop, clauses=tuple(clauses), leaves=tuple(body))


def single_leaf(chain: LoopChain | None) -> cst.CSTNode | None:
    """The loop's only innermost statement, or None (also for no loop chain)."""
    return chain.leaves[0] if chain is not None and len(chain.leaves) == 1 else None


def method_call_on(small: cst.CSTNode, method: str) -> tuple[str, cst.BaseExpression] | None:
    """(receiver, argument) for the statement `receiver.method(argument)`."""
    if not (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)):
        return None
    call = small.value
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == method and isinstance(func.value, cst.Name)):
        return None
    if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
        return None
    return func.value.value, call.args[0].value


def added_to(small: cst.CSTNode) -> tuple[str, cst.BaseExpression] | None:
    """(name, value) for `name += value` or `name = name + value`."""
    if isinstance(small, cst.AugAssign) and isinstance(small.operator, cst.AddAssign) \
            and isinstance(small.target, cst.Name):
        return small.target.value, small.value
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        target = small.targets[0].target.value
        value = small.value
        if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add) and \
                isinstance(value.left, cst.Name) and value.left.value == target and not value.lpar:
            return target, value.right
    return None


def stored_item(small: cst.CSTNode) -> tuple[str, cst.BaseExpression, cst.BaseExpression] | None:
    """(name, key, value) for `name[key] = value`."""
    if not (isinstance(small, cst.Assign) and len(small.targets) == 1):
        return None
    target = small.targets[0].target
    if not (isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) and len(target.slice) == 1):
        return None
    index = target.slice[0].slice
    if not isinstance(index, cst.Index) or index.star is not None:
        return None
    return target.value.value, index.value, small.value


LeafMatcher = Callable[[cst.CSTNode], "tuple[str, cst.BaseExpression] | None"]


Branches = tuple[str, list[tuple[cst.BaseExpression, cst.BaseExpression]], cst.BaseExpression | None]


def branch_values(statement: cst.CSTNode, leaf: LeafMatcher, allow_missing_else: bool) -> Branches | None:
    """For an if/elif/else whose every branch is one leaf on the same name:
    (name, [(test, value), ...], final value or None when there is no else)."""
    if not (isinstance(statement, cst.If)):
        return None
    targets: set[str] = set()
    branches: list[tuple[cst.BaseExpression, cst.BaseExpression]] = []
    node: cst.CSTNode | None = statement
    while isinstance(node, cst.If):
        body = flatten_body(node.body)
        found = leaf(body[0]) if len(body) == 1 else None
        if found is None:
            return None
        targets.add(found[0])
        branches.append((node.test, found[1]))
        node = node.orelse
    final = None
    if isinstance(node, cst.Else):
        body = flatten_body(node.body)
        found = leaf(body[0]) if len(body) == 1 else None
        if found is None:
            return None
        targets.add(found[0])
        final = found[1]
    elif not allow_missing_else:
        return None
    if len(targets) != 1:
        return None
    return targets.pop(), branches, final


@dataclasses.dataclass(frozen=True)
class Initializer:
    line: cst.SimpleStatementLine
    value: cst.BaseExpression
    adjacent: bool  # directly before the loop


@dataclasses.dataclass(frozen=True)
class BuildingLoop:
    """A loop that builds one value: `name = <init>` before it, each leaf adds `element` to name
    (init is None where the value is grown from an earlier binding)."""

    chain: LoopChain
    init: Initializer | None
    name: str
    element: cst.BaseExpression


def find_initializer(loop: cst.CSTNode, name: str, ctx: ProgramContext) -> Initializer | None:
    """The `name = value` line before loop in the same block, with no statement between
    them mentioning name."""
    for distance, previous in enumerate(ctx.previous_statements(loop)):
        if not names.mentions(previous, name, ctx):
            continue
        if not (isinstance(previous, cst.SimpleStatementLine) and len(previous.body) == 1):
            return None
        small = previous.body[0]
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and \
                isinstance(small.targets[0].target, cst.Name) and small.targets[0].target.value == name and \
                not names.mentions(small.value, name, ctx):
            return Initializer(line=previous, value=small.value, adjacent=distance == 0)
        return None
    return None


def chain_is_movable(chain: LoopChain, accumulator: str, values: Sequence[cst.CSTNode], ctx: ProgramContext) -> bool:
    """Whether the loop's headers and the given values can move into a comprehension:
    they never mention the accumulator, hold no yield/await/walrus, and the loop
    variables are dead once the loop ends."""
    parts = chain.header_parts() + list(values)
    for part in parts:
        if names.mentions(part, accumulator, ctx) or not names.simple_expression(part):
            return False
    return liveness.dead_after(chain.loop, chain.targets, ctx)


def replace_loop(ctx: ProgramContext, loop: cst.CSTNode, init: Initializer | None,
                 new_statement: cst.BaseStatement, remove: Sequence[cst.CSTNode] = ()) -> list:
    """Replacements that put new_statement where the loop was and drop the initializer
    (its comments move along when it sat right before the loop)."""
    leading = list(loop.leading_lines)
    replacements: list = []
    if init is not None:
        if init.adjacent:
            leading = list(init.line.leading_lines) + leading
        replacements.append((init.line, cst.RemovalSentinel.REMOVE))
    if isinstance(new_statement, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        new_statement = new_statement.with_changes(leading_lines=leading)
    replacements.append((loop, new_statement))
    for node in remove:
        replacements.append((node, cst.RemovalSentinel.REMOVE))
    return replacements
