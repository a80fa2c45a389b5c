"""Where variable names are bound and used in a libcst tree: binding targets and name occurrences.

`target_names` and `param_names` list the names an assignment target or a parameter
list binds (the tokenizer's per-scope bindings use them too). `name_occurrences(root)`
walks root once and lists every occurrence of a variable name (loads, stores,
deletions, global/nonlocal declarations; attribute names and keywords excluded; names
bound only inside a comprehension are skipped), marking those inside a nested def,
lambda or class; `rewrites.names.occurrences` caches it per program and
`rewrites.context.ProgramContext` uses it for the names a program binds.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable

import libcst as cst

from codeopt_jax.syntax import COMPREHENSION_TYPES

LOAD, STORE, DEL, DECL = "load", "store", "del", "decl"


@dataclasses.dataclass(frozen=True)
class Occurrence:
    """One occurrence of a variable name: a load, store, del or global/nonlocal declaration."""

    name: str
    kind: str
    node: cst.Name
    nested: bool  # inside a def, lambda or class below the walk's root


def target_names(target: cst.BaseExpression) -> list[str]:
    """Names bound by an assignment / loop target (tuples and starred targets unpacked)."""
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        names: list[str] = []
        for element in target.elements:
            names.extend(target_names(element.value))
        return names
    if isinstance(target, cst.StarredElement):
        return target_names(target.value)
    return []


def _leftmost_name(node: cst.BaseExpression) -> cst.Name | None:
    while isinstance(node, cst.Attribute):
        node = node.value
    return node if isinstance(node, cst.Name) else None


def param_list(params: cst.Parameters) -> list[cst.Param]:
    found = list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
    for extra in (params.star_arg, params.star_kwarg):
        if isinstance(extra, cst.Param):
            found.append(extra)
    return found


def param_names(params: cst.Parameters) -> list[str]:
    return [p.name.value for p in param_list(params)]


class _Walker:
    def __init__(self) -> None:
        self.found: list[Occurrence] = []

    def emit(self, name: cst.Name, kind: str, nested: bool, hidden: frozenset[str]) -> None:
        if name.value not in hidden:
            self.found.append(Occurrence(name.value, kind, name, nested))

    def walk_all(self, nodes: Iterable[cst.CSTNode], kind: str, nested: bool, hidden: frozenset[str]) -> None:
        for node in nodes:
            self.walk(node, kind, nested, hidden)

    def walk_params(self, params: cst.Parameters, nested: bool, hidden: frozenset[str]) -> None:
        for param in param_list(params):
            if param.default is not None:
                self.walk(param.default, LOAD, nested, hidden)
            if param.annotation is not None:
                self.walk(param.annotation.annotation, LOAD, nested, hidden)
            self.emit(param.name, STORE, True, frozenset())

    def walk_comprehension(self, node: cst.CSTNode, nested: bool, hidden: frozenset[str]) -> None:
        fors: list[cst.CompFor] = []
        comp_for: cst.CompFor | None = node.for_in
        while comp_for is not None:
            fors.append(comp_for)
            comp_for = comp_for.inner_for_in
        self.walk(fors[0].iter, LOAD, nested, hidden)
        inner = hidden | frozenset(n for f in fors for n in target_names(f.target))
        for index, comp_for in enumerate(fors):
            self.walk(comp_for.target, STORE, nested, inner)
            if index:
                self.walk(comp_for.iter, LOAD, nested, inner)
            for condition in comp_for.ifs:
                self.walk(condition.test, LOAD, nested, inner)
        if isinstance(node, cst.DictComp):
            self.walk(node.key, LOAD, nested, inner)
            self.walk(node.value, LOAD, nested, inner)
        else:
            self.walk(node.elt, LOAD, nested, inner)

    def walk(self, node: cst.CSTNode, kind: str, nested: bool, hidden: frozenset[str]) -> None:
        if isinstance(node, cst.Name):
            self.emit(node, kind, nested, hidden)
        elif isinstance(node, cst.Attribute):
            self.walk(node.value, LOAD, nested, hidden)
        elif isinstance(node, cst.Subscript):
            self.walk(node.value, LOAD, nested, hidden)
            self.walk_all(node.slice, LOAD, nested, hidden)
        elif isinstance(node, (cst.Tuple, cst.List)):
            for element in node.elements:
                self.walk(element.value, kind, nested, hidden)
        elif isinstance(node, cst.StarredElement):
            self.walk(node.value, kind, nested, hidden)
        elif isinstance(node, cst.Assign):
            self.walk(node.value, LOAD, nested, hidden)
            for target in node.targets:
                self.walk(target.target, STORE, nested, hidden)
        elif isinstance(node, cst.AugAssign):
            self.walk(node.value, LOAD, nested, hidden)
            self.walk(node.target, LOAD, nested, hidden)
            self.walk(node.target, STORE, nested, hidden)
        elif isinstance(node, cst.AnnAssign):
            self.walk(node.annotation.annotation, LOAD, nested, hidden)
            if node.value is not None:
                self.walk(node.value, LOAD, nested, hidden)
            self.walk(node.target, STORE, nested, hidden)
        elif isinstance(node, cst.For):
            self.walk(node.iter, LOAD, nested, hidden)
            self.walk(node.target, STORE, nested, hidden)
            self.walk(node.body, LOAD, nested, hidden)
            if node.orelse is not None:
                self.walk(node.orelse, LOAD, nested, hidden)
        elif isinstance(node, cst.NamedExpr):
            self.walk(node.value, LOAD, nested, hidden)
            self.walk(node.target, STORE, nested, hidden)
        elif isinstance(node, cst.Del):
            self.walk(node.target, DEL, nested, hidden)
        elif isinstance(node, (cst.Global, cst.Nonlocal)):
            for item in node.names:
                self.emit(item.name, DECL, nested, hidden)
        elif isinstance(node, cst.Import):
            for alias in node.names:
                bound = alias.asname.name if alias.asname is not None else _leftmost_name(alias.name)
                if isinstance(bound, cst.Name):
                    self.emit(bound, STORE, nested, hidden)
        elif isinstance(node, cst.ImportFrom):
            if not isinstance(node.names, cst.ImportStar):
                for alias in node.names:
                    bound = alias.asname.name if alias.asname is not None else alias.name
                    if isinstance(bound, cst.Name):
                        self.emit(bound, STORE, nested, hidden)
        elif isinstance(node, cst.AsName):
            self.walk(node.name, STORE, nested, hidden)
        elif isinstance(node, cst.Call):
            self.walk(node.func, LOAD, nested, hidden)
            for arg in node.args:
                self.walk(arg.value, LOAD, nested, hidden)
        elif isinstance(node, COMPREHENSION_TYPES):
            self.walk_comprehension(node, nested, hidden)
        elif isinstance(node, cst.FunctionDef):
            for decorator in node.decorators:
                self.walk(decorator.decorator, LOAD, nested, hidden)
            self.walk_params(node.params, nested, hidden)
            if node.returns is not None:
                self.walk(node.returns.annotation, LOAD, nested, hidden)
            self.emit(node.name, STORE, nested, hidden)
            self.walk(node.body, LOAD, True, hidden | frozenset(param_names(node.params)))
        elif isinstance(node, cst.Lambda):
            self.walk_params(node.params, nested, hidden)
            self.walk(node.body, LOAD, True, hidden | frozenset(param_names(node.params)))
        elif isinstance(node, cst.ClassDef):
            for decorator in node.decorators:
                self.walk(decorator.decorator, LOAD, nested, hidden)
            for arg in list(node.bases) + list(node.keywords):
                self.walk(arg.value, LOAD, nested, hidden)
            self.emit(node.name, STORE, nested, hidden)
            self.walk(node.body, LOAD, True, hidden)
        else:
            self.walk_all(node.children, LOAD, nested, hidden)


def name_occurrences(root: cst.CSTNode) -> list[Occurrence]:
    """Every variable-name occurrence under root, in walk order (uncached)."""
    walker = _Walker()
    walker.walk(root, LOAD, False, frozenset())
    return walker.found
