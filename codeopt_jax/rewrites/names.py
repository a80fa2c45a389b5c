"""Where names occur: cached occurrence lists, mentions, stores, and node searches.

Everything here is syntactic: it reads the tree (through the program context's cache) and
never judges what a value is or does; `purity` and `liveness` build on these answers.
"""

from __future__ import annotations

import libcst as cst

from codeopt_jax.rewrites.context import ProgramContext
from codeopt_jax.scopes import LOAD, STORE, Occurrence, name_occurrences, param_list
from codeopt_jax.syntax import LOOP_TYPES, SCOPE_TYPES


def occurrences(root: cst.CSTNode, ctx: ProgramContext | None = None) -> list[Occurrence]:
    """Every variable-name occurrence under root (attribute names and keywords excluded;
    names bound only inside a comprehension are skipped)."""
    key = ("occurrences", id(root))
    if ctx is not None and key in ctx.cache:
        return ctx.cache[key]
    found = name_occurrences(root)
    if ctx is not None:
        ctx.cache[key] = found
    return found


def function_occurrences(function: cst.FunctionDef, ctx: ProgramContext) -> list[Occurrence]:
    """Occurrences inside a def as seen from its own scope: its parameters (as stores) and
    its body (only defs/lambdas/classes inside the body count as nested)."""
    key = ("function_occurrences", id(function))
    if key not in ctx.cache:
        params = [Occurrence(p.name.value, STORE, p.name, False) for p in param_list(function.params)]
        ctx.cache[key] = params + occurrences(function.body, ctx)
    return ctx.cache[key]


def names_in(root: cst.CSTNode, ctx: ProgramContext | None = None) -> set[str]:
    return {o.name for o in occurrences(root, ctx)}


def mentions(root: cst.CSTNode, name: str, ctx: ProgramContext | None = None) -> bool:
    return any(o.name == name for o in occurrences(root, ctx))


def stored_names(root: cst.CSTNode, ctx: ProgramContext | None = None) -> set[str]:
    """Names stored, deleted or declared global/nonlocal under root (nested scopes included)."""
    return {o.name for o in occurrences(root, ctx) if o.kind != LOAD}


def has_node(root: cst.CSTNode, types: tuple[type, ...], stop_at_scopes: bool = True) -> bool:
    """Whether root's subtree holds a node of these types (not looking into nested defs/lambdas)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, types):
            return True
        if stop_at_scopes and node is not root and isinstance(node, SCOPE_TYPES):
            continue
        stack.extend(node.children)
    return False


def loop_jumps(root: cst.CSTNode) -> bool:
    """Whether root holds a break/continue that belongs to a loop enclosing root."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Break, cst.Continue)):
            return True
        if node is not root and isinstance(node, LOOP_TYPES + SCOPE_TYPES):
            if isinstance(node, LOOP_TYPES) and node.orelse is not None:
                stack.append(node.orelse)
            continue
        stack.extend(node.children)
    return False


UNSAFE_EXPRESSION_TYPES = (cst.Yield, cst.Await, cst.NamedExpr)


def simple_expression(node: cst.CSTNode) -> bool:
    """No yield, await or walrus inside (they do not survive being moved into a comprehension)."""
    return not has_node(node, UNSAFE_EXPRESSION_TYPES, stop_at_scopes=False)


def in_store_target(node: cst.CSTNode, ctx: ProgramContext) -> bool:
    """Whether node is (part of) the target of an assignment, loop, del or augmented assignment."""
    current = node
    for parent in ctx.ancestors(node):
        if isinstance(parent, cst.AssignTarget):
            return parent.target is current
        if isinstance(parent, (cst.AugAssign, cst.AnnAssign)):
            return parent.target is current
        if isinstance(parent, (cst.For, cst.CompFor)):
            return parent.target is current
        if isinstance(parent, cst.Del):
            return True
        if not isinstance(parent, (cst.Tuple, cst.List, cst.Element, cst.StarredElement)):
            return False
        current = parent
    return False
