"""Small constructors for the code rules produce, with the parentheses Python needs."""

from __future__ import annotations

import dataclasses
from typing import Sequence

import libcst as cst
from libcst.helpers import parse_template_expression, parse_template_statement

_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float, cst.Imaginary,
          cst.SimpleString, cst.FormattedString, cst.List, cst.Dict, cst.Set, cst.ListComp, cst.SetComp,
          cst.DictComp, cst.GeneratorExp, cst.Ellipsis)


def parenthesized(node: cst.BaseExpression) -> cst.BaseExpression:
    """node wrapped in parentheses (unless it already has them)."""
    if node.lpar:
        return node
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def is_atom(node: cst.BaseExpression) -> bool:
    if node.lpar:
        return True
    return isinstance(node, _ATOMS) and not (isinstance(node, cst.Tuple))


def as_operand(node: cst.BaseExpression) -> cst.BaseExpression:
    """node made safe to use as an operand of any operator, attribute access or call."""
    return node if is_atom(node) else parenthesized(node)


def as_disjunction(node: cst.BaseExpression) -> cst.BaseExpression:
    """node made safe where Python wants an `or`-level expression (a comprehension's
    `in` / `if` part, an `if`-expression's test or body)."""
    if isinstance(node, (cst.IfExp, cst.Lambda, cst.NamedExpr, cst.Yield, cst.Tuple)) and not node.lpar:
        return parenthesized(node)
    return node


def as_argument(node: cst.BaseExpression) -> cst.BaseExpression:
    """node made safe as a call argument (bare tuples, yields and walruses need parentheses)."""
    if isinstance(node, (cst.Tuple, cst.Yield, cst.NamedExpr)) and not node.lpar:
        return parenthesized(node)
    return node


def as_element(node: cst.BaseExpression) -> cst.BaseExpression:
    """node made safe as a comprehension element."""
    if isinstance(node, (cst.Tuple, cst.Yield, cst.NamedExpr)) and not node.lpar:
        return parenthesized(node)
    return node


def without_parens(node: cst.BaseExpression) -> cst.BaseExpression:
    return node.with_changes(lpar=[], rpar=[])


def clean(node: cst.CSTNode) -> cst.CSTNode:
    """A private copy of node, so the new tree never holds one node object twice."""
    return node.deep_clone()


def expr(template: str, **parts: cst.CSTNode) -> cst.BaseExpression:
    """An expression from a template with {name} holes, filled with copies of parts."""
    return parse_template_expression(template, **{k: clean(v) for k, v in parts.items()})


def statement(template: str, **parts: cst.CSTNode) -> cst.BaseStatement:
    """A statement from a template with {name} holes, filled with copies of parts."""
    return parse_template_statement(template, **{k: clean(v) for k, v in parts.items()})


def line(small: cst.BaseSmallStatement, leading_lines: Sequence[cst.EmptyLine] = ()) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(body=[small], leading_lines=leading_lines)


def assign(name: str, value: cst.BaseExpression,
           leading_lines: Sequence[cst.EmptyLine] = ()) -> cst.SimpleStatementLine:
    """`name = value` as a statement line."""
    return line(cst.Assign(targets=[cst.AssignTarget(target=cst.Name(name))], value=value), leading_lines)


def name(identifier: str) -> cst.Name:
    return cst.Name(identifier)


def arg(value: cst.BaseExpression, keyword: str | None = None) -> cst.Arg:
    if keyword is None:
        return cst.Arg(value=as_argument(value))
    return cst.Arg(value=as_argument(value), keyword=cst.Name(keyword),
                   equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                         whitespace_after=cst.SimpleWhitespace("")))


def call(func: str | cst.BaseExpression, *args: cst.Arg | cst.BaseExpression) -> cst.Call:
    """func(args...); a lone generator argument loses its own parentheses."""
    func_node = cst.Name(func) if isinstance(func, str) else func
    arg_nodes = [a if isinstance(a, cst.Arg) else arg(a) for a in args]
    if len(arg_nodes) == 1 and isinstance(arg_nodes[0].value, cst.GeneratorExp) and arg_nodes[0].keyword is None:
        arg_nodes = [arg_nodes[0].with_changes(value=without_parens(arg_nodes[0].value))]
    return cst.Call(func=func_node, args=arg_nodes)


@dataclasses.dataclass(frozen=True)
class ForClause:
    """`for target in iter` in a loop's head, as a comprehension clause."""

    target: cst.BaseExpression
    iter: cst.BaseExpression


@dataclasses.dataclass(frozen=True)
class IfClause:
    """`if test` in a loop's head, as a comprehension clause."""

    test: cst.BaseExpression


Clause = ForClause | IfClause  # a loop's head is a sequence of these


def comprehension(kind: type, elt: cst.BaseExpression, clauses: Sequence[Clause],
                  value: cst.BaseExpression | None = None) -> cst.BaseExpression:
    """A ListComp / SetComp / GeneratorExp (or DictComp with key=elt) from loop clauses."""
    fors: list[cst.CompFor] = []
    ifs: list[list[cst.CompIf]] = []
    for clause in clauses:
        if isinstance(clause, ForClause):
            fors.append(cst.CompFor(target=clean(clause.target), iter=as_disjunction(clean(clause.iter))))
            ifs.append([])
        else:
            ifs[-1].append(cst.CompIf(test=as_disjunction(clean(clause.test))))
    inner: cst.CompFor | None = None
    for comp_for, conditions in reversed(list(zip(fors, ifs))):
        inner = comp_for.with_changes(ifs=conditions, inner_for_in=inner)
    assert inner is not None
    if kind is cst.DictComp:
        assert value is not None
        return cst.DictComp(key=as_disjunction(clean(elt)), value=as_disjunction(clean(value)), for_in=inner)
    return kind(elt=as_element(clean(elt)), for_in=inner)


def if_expression(branches: Sequence[tuple[cst.BaseExpression, cst.BaseExpression]],
                  final: cst.BaseExpression) -> cst.BaseExpression:
    """`v1 if t1 else v2 if t2 else final` from (test, value) branches."""
    result = clean(final)
    if isinstance(result, (cst.Lambda, cst.NamedExpr, cst.Yield)) and not result.lpar:
        result = parenthesized(result)
    for test, value in reversed(branches):
        result = cst.IfExp(test=as_disjunction(clean(test)), body=as_disjunction(clean(value)), orelse=result)
    return result


def negated(test: cst.BaseExpression) -> cst.BaseExpression:
    """`not test`, parenthesizing test when `not` would bind differently."""
    inner = test
    if isinstance(test, (cst.BooleanOperation, cst.IfExp, cst.Lambda, cst.NamedExpr)) and not test.lpar:
        inner = parenthesized(test)
    return cst.UnaryOperation(operator=cst.Not(), expression=clean(inner))


def substitute(node: cst.CSTNode, replacements: dict[int, cst.CSTNode]) -> cst.CSTNode:
    """node with descendants swapped by identity (keys are id() of nodes inside node)."""

    class _Swap(cst.CSTTransformer):
        def on_leave(self, original_node, updated_node):
            new = replacements.get(id(original_node))
            return updated_node if new is None else new

    return node.visit(_Swap())


def remove_small_statement(small: cst.BaseSmallStatement, ctx) -> tuple[cst.CSTNode, object]:
    """A (target, replacement) pair deleting one small statement: the statement itself when
    its line has others, else its line, else (the block would be empty) `pass` instead."""
    line = ctx.parent(small)
    if isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) and len(line.body) > 1:
        return small, cst.RemovalSentinel.REMOVE
    position = ctx.block_position(line)
    if position is not None and len(position[0].body) > 1:
        return line, cst.RemovalSentinel.REMOVE
    return small, cst.Pass()
