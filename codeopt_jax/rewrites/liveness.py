"""Liveness: whether a name may still be read after a statement, and whether it is bound before one."""

from __future__ import annotations

from typing import Iterable

import libcst as cst

from codeopt_jax.rewrites.context import ProgramContext
from codeopt_jax.rewrites.names import loop_jumps, mentions, occurrences
from codeopt_jax.scopes import DECL, LOAD, param_names, target_names
from codeopt_jax.syntax import LOOP_TYPES

_KILL, _READ, _NONE = "kill", "read", "none"


def _scan_for_name(statements: Iterable[cst.CSTNode], name: str, ctx: ProgramContext) -> tuple[str, bool]:
    """Walks statements in order: 'read' if name may be read before being rebound,
    'kill' if surely rebound (or control surely leaves the function) first, else 'none'.
    The flag says whether a break/continue may skip the rest on the way."""
    jumped = False
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                verdict = _small_statement_effect(small, name, ctx)
                if verdict == _READ:
                    return _READ, jumped
                if verdict == _KILL:
                    return (_NONE if jumped else _KILL), jumped
                if isinstance(small, (cst.Break, cst.Continue)):
                    return _NONE, True
            continue
        if isinstance(statement, cst.For) and name in target_names(statement.target) \
                and not mentions(statement.iter, name, ctx) \
                and (statement.orelse is None or not mentions(statement.orelse, name, ctx)):
            jumped = jumped or loop_jumps(statement.body)
            continue
        if mentions(statement, name, ctx):
            return _READ, jumped
        if loop_jumps(statement) and not isinstance(statement, LOOP_TYPES):
            jumped = True
    return _NONE, jumped


def _small_statement_effect(small: cst.BaseSmallStatement, name: str, ctx: ProgramContext) -> str:
    found = [o for o in occurrences(small, ctx) if o.name == name]
    if isinstance(small, (cst.Return, cst.Raise)):
        return _READ if found else _KILL
    if any(o.kind in (LOAD, DECL) for o in found):
        return _READ
    return _KILL if found else _NONE


def dead_after(statement: cst.CSTNode, names: Iterable[str], ctx: ProgramContext) -> bool:
    """Whether none of names can be read after statement finishes (before being rebound).

    Only for statements in a function body, outside try/with blocks, for names that
    no nested scope mentions and no global/nonlocal declares.
    """
    names = set(names)
    if not names:
        return True
    function = ctx.in_function_body(statement)
    if function is None or ctx.inside_try(statement, function):
        return False
    for occurrence in occurrences(function.body, ctx):
        if occurrence.name in names and (occurrence.nested or occurrence.kind == DECL):
            return False
    return all(_dead_after_one(statement, name, function, ctx) for name in names)


def _dead_after_one(statement: cst.CSTNode, name: str, function: cst.FunctionDef, ctx: ProgramContext) -> bool:
    current = statement
    while True:
        position = ctx.block_position(current)
        if position is None:
            return False
        block, index = position
        verdict, _ = _scan_for_name(block.body[index + 1:], name, ctx)
        if verdict == _READ:
            return False
        if verdict == _KILL:
            return True
        owner = ctx.parent(block)
        if owner is function:
            return True
        compound = ctx.statement_of(owner)
        if compound is None:
            return False
        # Loops between the block and its statement may run the code before `current` again.
        path_node: cst.CSTNode | None = block
        while path_node is not None and path_node is not ctx.parent(compound):
            if isinstance(path_node, LOOP_TYPES):
                if _mentions_outside(path_node, current, name, ctx):
                    return False
            path_node = ctx.parent(path_node)
        current = compound


def _mentions_outside(container: cst.CSTNode, excluded: cst.CSTNode, name: str, ctx: ProgramContext) -> bool:
    return any(o.name == name and not ctx.is_inside(o.node, excluded) for o in occurrences(container, ctx))


def bound_before(name: str, statement: cst.CSTNode, ctx: ProgramContext) -> bool:
    """Whether name surely has a value when statement starts: a parameter of the enclosing
    function, a name assigned in an earlier statement of an enclosing block, or a module-level
    name / builtin the function never assigns."""
    function = ctx.in_function_body(statement)
    if function is None:
        return False
    if name in param_names(function.params):
        return True
    local = any(o.name == name and o.kind != LOAD and not o.nested for o in occurrences(function.body, ctx))
    if not local:
        return True  # a global or builtin (or a closure variable of an enclosing def)
    current = statement
    while current is not function:
        parent = ctx.parent(current)
        if isinstance(parent, cst.For) and current is parent.body and name in target_names(parent.target):
            return True  # bound by the loop around it
        position = ctx.block_position(current)
        if position is not None:
            block, index = position
            for earlier in block.body[:index]:
                if isinstance(earlier, cst.SimpleStatementLine):
                    for small in earlier.body:
                        if isinstance(small, cst.Assign) and any(name in target_names(t.target)
                                                                 for t in small.targets):
                            return True
                        if isinstance(small, cst.AnnAssign) and small.value is not None and \
                                name in target_names(small.target):
                            return True
        parent = ctx.parent(current)
        if parent is None:
            return False
        current = parent
    return False
