"""Memoization: `@functools.lru_cache(maxsize=None)` on a pure self-recursive function."""

from __future__ import annotations


import libcst as cst

from codeopt_jax import scopes
from codeopt_jax.rewrites import build, names, purity
from codeopt_jax.rewrites.base import Edit, Rule, Safety
from codeopt_jax.rewrites.context import ProgramContext
from codeopt_jax.rewrites.imports import ImportedName, imported_name

_HASHABLE_ANNOTATIONS = frozenset({"int", "str", "float", "bool", "bytes", "tuple", "frozenset", "complex"})
_STRING_METHODS = frozenset({
    "lower", "upper", "strip", "lstrip", "rstrip", "isdigit", "isalpha", "isalnum", "isspace", "startswith",
    "endswith", "casefold", "title", "capitalize", "swapcase", "isupper", "islower", "zfill",
})
_NUMBER_OPERATORS = (cst.Add, cst.Subtract, cst.Multiply, cst.FloorDivide, cst.Modulo, cst.Power, cst.Divide,
                     cst.BitAnd, cst.BitOr, cst.BitXor, cst.LeftShift, cst.RightShift)


def self_calls(function: cst.FunctionDef, ctx: ProgramContext) -> list[cst.Call]:
    """Calls of the function's own name in its body (outside nested defs and lambdas)."""
    name = function.name.value
    return [c for c in ctx.nodes_of_type((cst.Call,)) if isinstance(c.func, cst.Name) and c.func.value == name
            and ctx.is_inside(c, function.body) and ctx.enclosing_function(c) is function]


def _string_evidence(param: str, function: cst.FunctionDef, ctx: ProgramContext) -> bool:
    """Whether the body treats param as a string: str methods, int(param[...]),
    param (or param[...]) compared with a string literal."""
    for occurrence in names.occurrences(function.body, ctx):
        if occurrence.name != param or occurrence.kind != scopes.LOAD:
            continue
        node: cst.CSTNode = occurrence.node
        parent = ctx.parent(node)
        if isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value in _STRING_METHODS:
            return True
        if isinstance(parent, cst.Subscript) and parent.value is node:
            node, parent = parent, ctx.parent(parent)
            if isinstance(parent, cst.Arg):
                call = ctx.parent(parent)
                if isinstance(call.func, cst.Name) and call.func.value == "int":
                    return True
        if isinstance(parent, cst.Comparison) and parent.left is node and \
                any(isinstance(t.comparator, cst.SimpleString) for t in parent.comparisons):
            return True
        if isinstance(parent, cst.ComparisonTarget) and parent.comparator is node and \
                isinstance(ctx.parent(parent).left, cst.SimpleString):
            return True
    return False


def hashable_looking(param: cst.Param, function: cst.FunctionDef, ctx: ProgramContext) -> bool:
    """A parameter used only like a number (arithmetic, comparison, index, range bound,
    part of a tuple key) or with clear signs of being a string, or annotated hashable."""
    annotation = param.annotation.annotation if param.annotation is not None else None
    if isinstance(annotation, cst.Name) and annotation.value in _HASHABLE_ANNOTATIONS:
        return True
    name = param.name.value
    if _string_evidence(name, function, ctx):
        return True
    used = False
    for occurrence in names.occurrences(function.body, ctx):
        if occurrence.name != name:
            continue
        if occurrence.kind != scopes.LOAD:
            return False
        used = True
        parent = ctx.parent(occurrence.node)
        if isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, _NUMBER_OPERATORS):
            continue
        if isinstance(parent, (cst.UnaryOperation, cst.Return)):
            continue
        if isinstance(parent, (cst.Comparison, cst.ComparisonTarget)):
            if isinstance(parent, cst.ComparisonTarget) and isinstance(parent.operator, (cst.In, cst.NotIn)) \
                    and parent.comparator is occurrence.node:
                return False  # used as a container
            continue
        if isinstance(parent, cst.Index):
            continue
        if isinstance(parent, cst.Element) and isinstance(ctx.parent(parent), cst.Tuple):
            continue
        if isinstance(parent, cst.Arg):
            call = ctx.parent(parent)
            if isinstance(call.func, cst.Name) and (call.func.value in ("range", "abs", "min", "max", "int", "str",
                                                                        "float", "divmod", "pow", "round")
                                                   or call.func.value == function.name.value):
                continue
        return False
    return used


def arguments_hashable_looking(calls: list[cst.Call]) -> bool:
    """No call passes a starred argument or builds a container (or lambda) in an argument."""
    for call in calls:
        for argument in call.args:
            if argument.star or names.has_node(argument.value, (cst.List, cst.Dict, cst.Set, cst.ListComp,
                                                                   cst.DictComp, cst.SetComp, cst.GeneratorExp,
                                                                   cst.Lambda), stop_at_scopes=False):
                return False
    return True


def _closure_stable(function: cst.FunctionDef, ctx: ProgramContext) -> bool:
    """For a def nested in another, the enclosing function never changes the variables
    it shares with the def after defining it (so cached results stay valid)."""
    outer = ctx.enclosing_function(function)
    if outer is None:
        return True
    inner_params = set(scopes.param_names(function.params))
    local = names.stored_names(function.body, ctx) | inner_params
    shared = {o.name for o in names.occurrences(function.body, ctx) if o.kind == scopes.LOAD} - local
    shared.discard(function.name.value)
    outside = [o for o in names.occurrences(outer.body, ctx) if not ctx.is_inside(o.node, function)]
    for occurrence in outside:
        if occurrence.name not in shared:
            continue
        if occurrence.kind == scopes.LOAD:
            verdict = purity.use_of(occurrence.node, ctx)[0]
            if verdict not in (purity.READ, purity.RETURN):
                return False
        elif occurrence.name != function.name.value:
            position = ctx.node_id(occurrence.node)
            if position > ctx.node_id(function):
                return False
    return True


class MemoizeRecursiveFunction(Rule):
    """A self-recursive function gets `@functools.lru_cache(maxsize=None)` (adding
    `import functools` when missing), so repeated sub-calls are looked up instead of
    recomputed.

    Precondition (checked): the def is undecorated, sync, not a method, and pure-looking
    (no global/nonlocal/yield/I/O, it only mutates containers it created, its calls are
    to known-pure functions or itself); every parameter is used only like a number or a
    string (so arguments look hashable) and recursive calls pass no containers; every
    return value looks immutable; for a nested def, the enclosing function never changes
    the variables the def reads after defining it.
    Assumes: arguments really are hashable (lru_cache raises TypeError otherwise).
    """

    name = "memoize_recursive_function"
    description = "def f(n): ... f(n - 1) ...  ->  @functools.lru_cache(maxsize=None) def f(n): ..."
    safety = Safety.CONDITIONAL
    families = ("naive_recursion",)
    anchor_types = (cst.FunctionDef,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> ImportedName | None:
        if node.decorators or node.asynchronous is not None or isinstance(ctx.parent(ctx.parent(node)), cst.ClassDef):
            return None
        params = node.params
        if params.star_arg is not cst.MaybeSentinel.DEFAULT or params.star_kwarg is not None \
                or params.posonly_params or params.kwonly_params or not params.params:
            return None
        calls = self_calls(node, ctx)
        if not calls:
            return None
        bindings = [o for o in names.occurrences(ctx.module, ctx)
                    if o.name == node.name.value and o.kind != scopes.LOAD]
        if len(bindings) != 1:
            return None
        if not purity.is_pure_function(node, ctx) or not purity.returns_immutable(node, ctx):
            return None
        if not all(hashable_looking(p, node, ctx) for p in params.params):
            return None
        if not arguments_hashable_looking(calls) or not _closure_stable(node, ctx):
            return None
        return imported_name(ctx, "functools", "lru_cache", import_module=True)

    def build(self, node: cst.CSTNode, found: ImportedName, ctx: ProgramContext) -> Edit:
        decorator = cst.Decorator(decorator=build.call(found.reference, build.arg(cst.Name("None"), "maxsize")))
        new = node.with_changes(decorators=[decorator])
        return Edit([(node, new)], imports=found.imports)
