"""One program's tree with the lookups rules share: node ids, parents, scopes, names.

A `ProgramContext` is built once per module (the last one is cached, since rules
ask for the sites of the same module one after another) and answers structural
questions: which block holds a statement, which loops enclose a node, which
names the program binds, and which fresh names are free to introduce.
"""

from __future__ import annotations

import builtins
import functools
import keyword
from typing import Iterator

import libcst as cst

from codeopt_jax.scopes import LOAD, name_occurrences
from codeopt_jax.syntax import BLOCK_TYPES


class ProgramContext:
    """Pre-order node list (the node ids), parent links and name tables of one module."""

    def __init__(self, module: cst.Module):
        self.module = module
        order: list[cst.CSTNode] = []
        parents: dict[int, cst.CSTNode] = {}
        stack: list[cst.CSTNode] = [module]
        while stack:  # the same walk as codeopt_jax.program.preorder, recording parents
            node = stack.pop()
            order.append(node)
            kids = node.children
            for kid in kids:
                parents[id(kid)] = node
            stack.extend(reversed(kids))
        self.order = order
        self._parents = parents
        self._ids = {id(node): index for index, node in enumerate(order)}
        self._by_type: dict[tuple[type, ...], list[cst.CSTNode]] = {}
        self.cache: dict[object, object] = {}  # per-module memo for analyses

    # --- ids and tree links -------------------------------------------------------
    def node_id(self, node: cst.CSTNode) -> int:
        return self._ids[id(node)]

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self._parents.get(id(node))

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        """Parent, grandparent, ... up to the module."""
        current = self._parents.get(id(node))
        while current is not None:
            yield current
            current = self._parents.get(id(current))

    def is_inside(self, node: cst.CSTNode, container: cst.CSTNode) -> bool:
        """Whether node is container or lies in its subtree."""
        if node is container:
            return True
        return any(a is container for a in self.ancestors(node))

    def nodes_of_type(self, types: tuple[type, ...]) -> list[cst.CSTNode]:
        """All nodes that are instances of types, in pre-order."""
        found = self._by_type.get(types)
        if found is None:
            found = [node for node in self.order if isinstance(node, types)]
            self._by_type[types] = found
        return found

    def code(self, node: cst.CSTNode) -> str:
        """Source text of a node (memoized)."""
        key = ("code", id(node))
        text = self.cache.get(key)
        if text is None:
            text = self.module.code_for_node(node)
            self.cache[key] = text
        return text

    # --- statements, blocks, scopes -----------------------------------------------
    def block_position(self, statement: cst.CSTNode) -> tuple[cst.CSTNode, int] | None:
        """(block, index) when statement sits directly in an indented block or the module."""
        parent = self.parent(statement)
        if isinstance(parent, BLOCK_TYPES):
            for index, item in enumerate(parent.body):
                if item is statement:
                    return parent, index
        return None

    def statement_of(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """The statement holding node that sits directly in a block (node itself if it does)."""
        current: cst.CSTNode | None = node
        while current is not None:
            if isinstance(self.parent(current), BLOCK_TYPES):
                return current
            current = self.parent(current)
        return None

    def next_statement(self, statement: cst.CSTNode) -> cst.CSTNode | None:
        position = self.block_position(statement)
        if position is None:
            return None
        block, index = position
        return block.body[index + 1] if index + 1 < len(block.body) else None

    def previous_statements(self, statement: cst.CSTNode) -> list[cst.CSTNode]:
        """Statements before this one in its block, nearest first."""
        position = self.block_position(statement)
        if position is None:
            return []
        block, index = position
        return list(reversed(block.body[:index]))

    def enclosing_function(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        """The innermost def holding node; None at module level, in a class body or a lambda."""
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.FunctionDef):
                return ancestor
            if isinstance(ancestor, (cst.ClassDef, cst.Lambda)):
                return None
        return None

    def in_function_body(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        """Like enclosing_function, but None unless node is in the def's body (not its header)."""
        function = self.enclosing_function(node)
        if function is None or not self.is_inside(node, function.body):
            return None
        return function

    def inside_try(self, node: cst.CSTNode, stop: cst.CSTNode | None) -> bool:
        """Whether a try statement encloses node below stop."""
        for ancestor in self.ancestors(node):
            if ancestor is stop:
                return False
            if isinstance(ancestor, (cst.Try, cst.TryStar, cst.With)):
                return True
        return False

    # --- names ----------------------------------------------------------------------
    @functools.cached_property
    def identifiers(self) -> frozenset[str]:
        """Every identifier spelled anywhere in the program (attributes and keywords too)."""
        return frozenset(node.value for node in self.nodes_of_type((cst.Name,)))

    @functools.cached_property
    def bound_names(self) -> frozenset[str]:
        """Names the program binds anywhere: assignments, params, defs, imports, targets."""
        return frozenset(o.name for o in name_occurrences(self.module) if o.kind != LOAD)

    def builtin_usable(self, name: str) -> bool:
        """Whether a builtin name surely means the builtin (the program never rebinds it)."""
        return hasattr(builtins, name) and name not in self.bound_names

    @functools.cached_property
    def module_imports(self) -> dict[str, str]:
        """Top-level `import m` / `from m import n [as a]` bindings: bound name -> dotted origin."""
        found: dict[str, str] = {}
        for statement in self.module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.Import):
                    for alias in small.names:
                        dotted = self.code(alias.name)
                        if alias.asname is not None:
                            found[self.code(alias.asname.name)] = dotted
                        elif "." not in dotted:
                            found[dotted] = dotted
                elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar) \
                        and small.module is not None and not small.relative:
                    origin = self.code(small.module)
                    for alias in small.names:
                        name = self.code(alias.name)
                        bound = self.code(alias.asname.name) if alias.asname is not None else name
                        found[bound] = f"{origin}.{name}"
        return found

    def imported_module(self, name: str) -> str | None:
        """The module a name refers to when it is bound only by a top-level `import`."""
        origin = self.module_imports.get(name)
        if origin is None:
            return None
        bindings = [o for o in name_occurrences(self.module) if o.name == name and o.kind != LOAD]
        if len(bindings) != 1:
            return None
        return origin

    @functools.cached_property
    def module_functions(self) -> dict[str, cst.FunctionDef]:
        """Top-level function definitions by name (names defined once only)."""
        counts: dict[str, int] = {}
        defs: dict[str, cst.FunctionDef] = {}
        for statement in self.module.body:
            if isinstance(statement, cst.FunctionDef):
                counts[statement.name.value] = counts.get(statement.name.value, 0) + 1
                defs[statement.name.value] = statement
        return {name: node for name, node in defs.items() if counts[name] == 1}

    def fresh_name(self, base: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
        """An identifier that appears nowhere in the program and is not a keyword or builtin."""
        base = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in base).strip("_") or "value"
        if base[0].isdigit():
            base = "v_" + base
        candidate, suffix = base, 1
        while (candidate in self.identifiers or candidate in taken or keyword.iskeyword(candidate)
               or hasattr(builtins, candidate)):
            suffix += 1
            candidate = f"{base}_{suffix}"
        return candidate


_LAST: list[ProgramContext] = []


def context_for(module: cst.Module) -> ProgramContext:
    """The context of module, reusing the last one built when it is for the same object."""
    if _LAST and _LAST[0].module is module:
        return _LAST[0]
    context = ProgramContext(module)
    _LAST[:] = [context]
    return context
