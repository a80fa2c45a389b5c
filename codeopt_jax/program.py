"""The program the agent rewrites: a libcst module, its stable node ids and its identity.

A *program* is the part of a problem file the agent may change: its imports,
helper definitions and the target function (see `corpus/README.md`). Rewrites
and the tokenizer agree on one numbering of its nodes: the index of a node in
`preorder(module)`, a deterministic pre-order walk over `node.children`. That
index is a *node id*; a rewrite site is a node id, and the tokenizer maps node
ids to token positions, which is how the action mask lines up with the tokens.
A program's *identity* is `normalized_code(source)`: two sources that differ only in
layout and comments are the same program (to the score cache, the searches and the
environment's "unchanged" check).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst as cst


class ProgramError(ValueError):
    """Source that cannot be parsed as a Python module."""


def parse_program(source: str) -> cst.Module:
    """Parses source into a libcst module; raises ProgramError on bad syntax."""
    import libcst as cst  # here, not at the top: the sandboxed scoring workers import `normalized_code` only

    try:
        return cst.parse_module(source)
    except (cst.ParserSyntaxError, RecursionError, MemoryError) as exc:
        raise ProgramError(f"not valid Python: {str(exc).splitlines()[0]}") from None


def preorder(module: cst.CSTNode) -> list[cst.CSTNode]:
    """All nodes of the tree in pre-order (parent before children, children in order)."""
    order: list[cst.CSTNode] = []
    stack = [module]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(reversed(node.children))
    return order


def normalized_code(source: str) -> str:
    """The AST dump of the source (layout and comments dropped), or the raw text if it does not parse."""
    try:
        return ast.dump(ast.parse(source), annotate_fields=False, include_attributes=False)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return "raw:" + source
