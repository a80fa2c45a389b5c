"""The rule interface: sites (node ids where a rule applies) and apply (rewrite one site).

Safety labels:
  * SAFE: the rewrite preserves behaviour for any code the rule matches.
  * CONDITIONAL: it preserves behaviour given a precondition that `sites()` checks
    statically; the class docstring states it. Where a rule also relies on a fact
    about runtime values that no static check can see (say, that elements are
    hashable), the docstring says so under "Assumes".
  * UNSAFE: it may change behaviour (the deliberate mutations, and rewrites whose
    precondition cannot be checked).

"Behaviour" means what a call returns and does on inputs where the original returns
normally: on inputs where the original raises, a rewrite may raise a different
exception (for instance ValueError from `min([])` instead of IndexError from
`sorted([])[0]`).
"""

from __future__ import annotations

import abc
import dataclasses
import enum
from typing import Any, ClassVar

import libcst as cst

from codeopt_jax.rewrites.context import ProgramContext, context_for


class Safety(str, enum.Enum):
    SAFE = "safe"
    CONDITIONAL = "conditional"
    UNSAFE = "unsafe"


class RewriteError(Exception):
    """The rule does not apply at that site, or the rewrite cannot be made."""


Replacement = Any  # a node, cst.RemovalSentinel.REMOVE, cst.FlattenSentinel, or updated_node -> one of those


@dataclasses.dataclass
class Edit:
    """Replacements of nodes (matched by identity) plus imports the new code needs.

    Targets must not overlap except that one target may hold another, in which case
    its replacement should be a callable that receives the already-updated node.
    `imports` are statements such as "import functools" or "from collections import
    Counter", added at the top of the module when missing.
    """

    replacements: list[tuple[cst.CSTNode, Replacement]]
    imports: tuple[str, ...] = ()


class _ReplaceByIdentity(cst.CSTTransformer):
    """Swaps target nodes (compared with `is`), descending only towards them."""

    def __init__(self, replacements: dict[int, Replacement], on_path: set[int]):
        super().__init__()
        self._replacements = replacements
        self._on_path = on_path

    def on_visit(self, node: cst.CSTNode) -> bool:
        return id(node) in self._on_path

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        replacement = self._replacements.get(id(original_node), None)
        if replacement is None:
            return updated_node
        return replacement(updated_node) if callable(replacement) else replacement


def apply_edit(ctx: ProgramContext, edit: Edit) -> cst.Module:
    """The module with the edit made (and any missing imports added)."""
    replacements = {id(target): new for target, new in edit.replacements}
    on_path: set[int] = set()
    for target, _ in edit.replacements:
        for ancestor in ctx.ancestors(target):
            on_path.add(id(ancestor))
    module = ctx.module.visit(_ReplaceByIdentity(replacements, on_path))
    if not isinstance(module, cst.Module):
        raise RewriteError("the edit removed the whole module")
    for statement in edit.imports:
        module = ensure_import(module, statement)
    return unshare(module)


def unshare(module: cst.Module) -> cst.Module:
    """The module, deep-copied if some node object occurs twice (node ids need unique nodes)."""
    seen: set[int] = set()
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return module.deep_clone()
        seen.add(id(node))
        stack.extend(node.children)
    return module


def _is_future_or_docstring(statement: cst.CSTNode) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    if isinstance(small, cst.ImportFrom) and isinstance(small.module, cst.Name) and small.module.value == "__future__":
        return True
    return isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString))


def ensure_import(module: cst.Module, statement: str) -> cst.Module:
    """Adds `statement` (an import) after the leading imports unless the module already has it."""
    new_line = cst.parse_statement(statement)
    if any(line.deep_equals(new_line) for line in module.body if isinstance(line, cst.SimpleStatementLine)):
        return module
    body = list(module.body)
    index = 0
    while index < len(body) and _is_future_or_docstring(body[index]):
        index += 1
    while index < len(body) and isinstance(body[index], cst.SimpleStatementLine) and \
            all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in body[index].body):
        index += 1
    if index == 0 and body:
        new_line = new_line.with_changes(leading_lines=body[0].leading_lines)
        body[0] = body[0].with_changes(leading_lines=())
    if index < len(body) and isinstance(body[index], (cst.FunctionDef, cst.ClassDef)) and \
            not body[index].leading_lines:
        body[index] = body[index].with_changes(leading_lines=(cst.EmptyLine(), cst.EmptyLine()))
    body.insert(index, new_line)
    return module.with_changes(body=body)


class Rule(abc.ABC):
    """A rewrite rule. Subclasses set the class attributes and implement match/build.

    `match(node, ctx)` decides whether the rule applies at node (it must check the
    whole precondition) and returns whatever `build` needs, or None. `build(node,
    found, ctx)` returns the Edit. Only nodes of `anchor_types` are tried.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    safety: ClassVar[Safety]
    families: ClassVar[tuple[str, ...]] = ()
    anchor_types: ClassVar[tuple[type, ...]]

    def sites(self, module: cst.Module) -> list[int]:
        """Sorted node ids where the rule applies."""
        return self.sites_in(context_for(module))

    def sites_in(self, ctx: ProgramContext) -> list[int]:
        return [ctx.node_id(node) for node in ctx.nodes_of_type(self.anchor_types)
                if self.match(node, ctx) is not None]

    def apply(self, module: cst.Module, site: int) -> cst.Module:
        """The module rewritten at node id `site`; RewriteError if the rule does not apply there."""
        ctx = context_for(module)
        if not isinstance(site, int) or isinstance(site, bool) or not 0 <= site < len(ctx.order):
            raise RewriteError(f"{self.name}: no node {site!r} (the program has {len(ctx.order)} nodes)")
        node = ctx.order[site]
        found = self.match(node, ctx) if isinstance(node, self.anchor_types) else None
        if found is None:
            raise RewriteError(f"{self.name}: does not apply at node {site} ({type(node).__name__})")
        try:
            return apply_edit(ctx, self.build(node, found, ctx))
        except cst.CSTValidationError as exc:
            raise RewriteError(f"{self.name} at node {site} built an invalid tree: {exc}") from None

    @abc.abstractmethod
    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        """What build needs when the rule applies at node, else None."""

    @abc.abstractmethod
    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        """The edit for a site that match accepted."""

    def __repr__(self) -> str:
        return f"<rule {self.name} ({self.safety.value})>"

