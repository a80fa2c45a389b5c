"""Strings: `s += piece` in a loop -> one `''.join(...)`, and cheaper prefix tests."""

from __future__ import annotations

import dataclasses
from typing import Any

import libcst as cst

from codeopt_jax import scopes
from codeopt_jax.rewrites import build, liveness, names
from codeopt_jax.rewrites.base import Edit, Rule, Safety
from codeopt_jax.rewrites.context import ProgramContext
from codeopt_jax.rewrites.loopshape import (BuildingLoop, added_to, branch_values, chain_is_movable, find_initializer,
                                            flatten_body, loop_chain, replace_loop)


def _string_literal(node: cst.CSTNode) -> bool:
    """A str (not bytes) literal or f-string."""
    if isinstance(node, cst.SimpleString):
        return "b" not in node.prefix.lower()
    if isinstance(node, cst.FormattedString):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return _string_literal(node.left) and _string_literal(node.right)
    return False


def _empty_string(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.SimpleString) and node.evaluated_value == "" and "b" not in node.prefix.lower()


def _piece_operand(node: cst.BaseExpression) -> cst.BaseExpression:
    """node made safe as an operand of a string `+` chain."""
    if build.is_atom(node) or (isinstance(node, cst.BinaryOperation)
                               and isinstance(node.operator, (cst.Add, cst.Multiply))):
        return node
    return build.parenthesized(node)


def _pieces(leaves) -> tuple[str, cst.BaseExpression, list[cst.CSTNode]] | None:
    """(name, piece, original values) when every leaf appends to the same name: `s += p`
    or an if/elif(/else) whose branches each do one `s += p`; several leaves concatenate."""
    targets: set[str] = set()
    parts: list[cst.BaseExpression] = []
    values: list[cst.CSTNode] = []
    for leaf in leaves:
        found = added_to(leaf)
        if found is not None:
            targets.add(found[0])
            parts.append(found[1])
            values.append(found[1])
            continue
        branches = branch_values(leaf, added_to, allow_missing_else=True)
        if branches is None:
            return None
        name, pairs, final = branches
        targets.add(name)
        parts.append(build.if_expression(pairs, final if final is not None else cst.SimpleString('""')))
        values.extend([v for pair in pairs for v in pair] + ([final] if final is not None else []))
    if len(targets) != 1 or not parts:
        return None
    piece = parts[0] if len(parts) == 1 else _piece_operand(parts[0])
    for part in parts[1:]:
        piece = cst.BinaryOperation(left=piece, operator=cst.Add(), right=_piece_operand(part))
    return targets.pop(), piece, values


def _str_local(name: str, loop: cst.CSTNode, ctx: ProgramContext) -> bool:
    """Whether name is a local of loop's function bound only by `name = <str literal>` and
    grown only by `name += ...` / `name = name + ...` (so it always holds a str)."""
    function = ctx.in_function_body(loop)
    if function is None or name in scopes.param_names(function.params):
        return False
    literal = False
    for occurrence in names.function_occurrences(function, ctx):
        if occurrence.name != name or occurrence.kind == scopes.LOAD:
            continue
        if occurrence.kind != scopes.STORE or occurrence.nested:
            return False
        holder = ctx.parent(occurrence.node)
        if isinstance(holder, cst.AugAssign) and isinstance(holder.operator, cst.AddAssign):
            continue
        statement = ctx.parent(holder) if isinstance(holder, cst.AssignTarget) else None
        if not (isinstance(statement, cst.Assign) and len(statement.targets) == 1):
            return False
        if _string_literal(statement.value):
            literal = True
        elif added_to(statement) is None:
            return False
    return literal


class StringConcatLoopToJoin(Rule):
    """`s = ""` then a loop whose innermost statements only append to s (`s += piece`,
    or if/elif chains whose every branch is one `s += ...`) becomes
    `s = "".join([piece for ...])`; a non-empty start stays as a prefix, a branch chain
    without an else adds "" when no branch matches, and several appends in a row
    concatenate. When s already holds text built earlier (no start right before the
    loop), the loop becomes `s += "".join([...])`.

    Precondition (checked): the start is a str literal (or s is a local only ever bound to
    str literals and grown with +=); nothing between the start and the loop mentions s;
    the headers and pieces never mention s; the loop variables are not read after the
    loop. (If a piece is not a str, both versions raise TypeError.)
    """

    name = "string_concat_loop_to_join"
    description = "s = ''; for x in xs: s += f(x)  ->  s = ''.join([f(x) for x in xs]) (if/elif branches too)"
    safety = Safety.CONDITIONAL
    families = ("string_concat",)
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> BuildingLoop | None:
        chain = loop_chain(node)
        if chain is None or not chain.leaves:
            return None
        found = _pieces(chain.leaves)
        if found is None:
            return None
        name, piece, values = found
        init = find_initializer(node, name, ctx)
        if init is not None and not _string_literal(init.value):
            return None
        if init is None and not (_str_local(name, node, ctx) and liveness.bound_before(name, node, ctx)):
            return None
        if not chain_is_movable(chain, name, values, ctx):
            return None
        return BuildingLoop(chain, init, name, piece)

    def build(self, node: cst.CSTNode, found: BuildingLoop, ctx: ProgramContext) -> Edit:
        chain, init, name, piece = found.chain, found.init, found.name, found.element
        joiner = cst.Attribute(value=cst.SimpleString('""'), attr=cst.Name("join"))
        if len(chain.clauses) == 1 and isinstance(piece, cst.Name) and isinstance(chain.clauses[0].target, cst.Name) \
                and chain.clauses[0].target.value == piece.value:
            joined = build.call(joiner, chain.clauses[0].iter)
        else:
            joined = build.call(joiner, build.comprehension(cst.ListComp, piece, chain.clauses))
        if init is None:
            grow = cst.AugAssign(target=cst.Name(name), operator=cst.AddAssign(), value=joined)
            return Edit(replace_loop(ctx, chain.loop, None, build.line(grow)))
        if not _empty_string(init.value):
            joined = cst.BinaryOperation(left=build.as_operand(build.clean(init.value)), operator=cst.Add(),
                                         right=joined)
        return Edit(replace_loop(ctx, chain.loop, init, build.assign(name, joined)))


def _nonempty_text(node: cst.CSTNode) -> bool:
    """An expression that is surely a non-empty str (or raises): a non-empty literal, an
    f-string with literal text, or a `+` with such an operand."""
    if isinstance(node, cst.SimpleString):
        return "b" not in node.prefix.lower() and node.evaluated_value != ""
    if isinstance(node, cst.FormattedString):
        return any(isinstance(part, cst.FormattedStringText) and part.value for part in node.parts)
    if isinstance(node, cst.ConcatenatedString):
        return _nonempty_text(node.left) or _nonempty_text(node.right)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return _nonempty_text(node.left) or _nonempty_text(node.right)
    return False


def _is_truth_test_of(test: cst.BaseExpression, name: str) -> bool:
    """`s` or `s != ""`."""
    if isinstance(test, cst.Name):
        return test.value == name
    return isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and \
        isinstance(test.left, cst.Name) and test.left.value == name and \
        isinstance(test.comparisons[0].operator, cst.NotEqual) and _empty_string(test.comparisons[0].comparator)


@dataclasses.dataclass(frozen=True)
class _SeparatedJoin:
    loop: BuildingLoop  # element: the piece added after the separator
    separator: cst.SimpleString


class SeparatorConcatLoopToJoin(Rule):
    """`s = ""` then `for x in xs: if s: s += sep; s += piece` becomes
    `s = sep.join([piece for x in xs])`.

    Precondition (checked): sep is a str literal; every piece is surely a non-empty str
    (a non-empty literal, or `+` with one), so the `if s` test is false exactly on the
    first item; headers and pieces never mention s; the loop variables are not read after
    the loop.
    """

    name = "separator_concat_loop_to_join"
    description = "s = ''; for x in xs: if s: s += ', '; s += '@' + x  ->  s = ', '.join(['@' + x for x in xs])"
    safety = Safety.CONDITIONAL
    families = ("string_concat",)
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _SeparatedJoin | None:
        chain = loop_chain(node)
        if chain is None or len(chain.leaves) != 2 or sum(isinstance(c, build.ForClause) for c in chain.clauses) != 1:
            return None
        guard, last = chain.leaves
        grown = added_to(last)
        if grown is None or not isinstance(guard, cst.If) or guard.orelse is not None:
            return None
        name, piece = grown
        inner = flatten_body(guard.body)
        separator = added_to(inner[0]) if len(inner) == 1 else None
        if separator is None or separator[0] != name or not _is_truth_test_of(guard.test, name):
            return None
        if not (isinstance(separator[1], cst.SimpleString) and _string_literal(separator[1])):
            return None
        if not _nonempty_text(piece):
            return None
        init = find_initializer(node, name, ctx)
        if init is None or not _empty_string(init.value):
            return None
        if not chain_is_movable(chain, name, [piece], ctx):
            return None
        return _SeparatedJoin(BuildingLoop(chain, init, name, piece), separator[1])

    def build(self, node: cst.CSTNode, found: _SeparatedJoin, ctx: ProgramContext) -> Edit:
        loop = found.loop
        joiner = cst.Attribute(value=build.clean(found.separator), attr=cst.Name("join"))
        joined = build.call(joiner, build.comprehension(cst.ListComp, loop.element, loop.chain.clauses))
        return Edit(replace_loop(ctx, loop.chain.loop, loop.init, build.assign(loop.name, joined)))


_OPERAND_PARENTS = (cst.BinaryOperation, cst.UnaryOperation, cst.Attribute, cst.Subscript, cst.Call,
                    cst.Comparison, cst.ComparisonTarget, cst.Await)


class StartswithToSlice(Rule):
    """`s.startswith("ab")` becomes `s[:2] == "ab"` and `s.endswith("ab")` becomes
    `s[-2:] == "ab"` for a non-empty literal: the same answer without a method call."""

    name = "startswith_to_slice"
    description = "s.startswith('#') / s.endswith('!')  ->  s[:1] == '#' / s[-1:] == '!' (literal argument)"
    safety = Safety.SAFE
    families = ("filter_map_loop", "string_concat")
    anchor_types = (cst.Call,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in ("startswith", "endswith")):
            return None
        if len(node.args) != 1 or node.args[0].keyword is not None or node.args[0].star:
            return None
        literal = node.args[0].value
        if not isinstance(literal, cst.SimpleString):
            return None
        value = literal.evaluated_value
        if not value:
            return None
        if isinstance(ctx.parent(node), cst.Call) and ctx.parent(node).func is node:
            return None
        return len(value)

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        length = found
        bound = cst.Integer(str(length))
        if node.func.attr.value == "startswith":
            part = cst.Slice(lower=None, upper=bound)
        else:
            part = cst.Slice(lower=cst.UnaryOperation(operator=cst.Minus(), expression=bound), upper=None)
        sliced = cst.Subscript(value=build.clean(node.func.value), slice=[cst.SubscriptElement(slice=part)])
        comparison = cst.Comparison(left=sliced, comparisons=[cst.ComparisonTarget(
            operator=cst.Equal(), comparator=build.clean(node.args[0].value))], lpar=node.lpar, rpar=node.rpar)
        parent = ctx.parent(node)
        negation = isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not)
        if not node.lpar and isinstance(parent, _OPERAND_PARENTS) and not negation:
            comparison = build.parenthesized(comparison)
        return Edit([(node, comparison)])
