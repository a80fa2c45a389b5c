"""The program the agent rewrites: a libcst module, and stable node ids inside it.

A *program* is the part of a problem file the agent may change: its imports,
helper definitions and the target function (see `corpus/README.md`). Rewrites
and the tokenizer agree on one numbering of its nodes: the index of a node in
`preorder(module)`, a deterministic pre-order walk over `node.children`. That
index is a *node id*; a rewrite site is a node id, and the tokenizer maps node
ids to token positions, which is how the action mask lines up with the tokens.
"""

from __future__ import annotations

import libcst as cst


class ProgramError(ValueError):
    """Source that cannot be parsed as a Python module."""


def parse_program(source: str) -> cst.Module:
    """Parses source into a libcst module; raises ProgramError on bad syntax."""
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
