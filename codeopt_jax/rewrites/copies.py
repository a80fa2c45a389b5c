"""Needless copies and conversions: list()/tuple()/[:]/copy() whose copy nobody needs."""

from __future__ import annotations

from typing import Any

import libcst as cst

from codeopt_jax import scopes
from codeopt_jax.rewrites import build, names, purity
from codeopt_jax.rewrites.base import Edit, Rule, Safety
from codeopt_jax.rewrites.context import ProgramContext


def _builtin_call(node: cst.CSTNode, ctx: ProgramContext, allowed: frozenset[str] | set[str] | None = None) -> str | None:
    """The builtin's name when node is `f(one positional argument)` for a builtin f."""
    if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Name)):
        return None
    name = node.func.value
    if allowed is not None and name not in allowed:
        return None
    if not ctx.builtin_usable(name) or len(node.args) != 1 or node.args[0].keyword is not None or node.args[0].star:
        return None
    return name


def _full_slice(node: cst.CSTNode) -> bool:
    """`x[:]`."""
    if not (isinstance(node, cst.Subscript) and len(node.slice) == 1):
        return False
    part = node.slice[0].slice
    return isinstance(part, cst.Slice) and part.lower is None and part.upper is None and part.step is None


def copied_value(node: cst.CSTNode, ctx: ProgramContext) -> cst.BaseExpression | None:
    """x for a shallow copy of it: `list(x)`, `tuple(x)`, `x[:]`, `x.copy()`."""
    if _builtin_call(node, ctx, {"list", "tuple"}) is not None:
        return node.args[0].value
    if _full_slice(node):
        return node.value
    if isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute) and \
            node.func.attr.value == "copy":
        return node.func.value
    return None


_EAGER_CONSUMERS = frozenset({"sorted", "list", "tuple", "set", "frozenset", "sum", "min", "max", "dict"})
_ALREADY = {  # f(e) returns a new object equal to e when e is already a fresh f-value
    "list": (cst.ListComp, cst.List),
    "set": (cst.SetComp, cst.Set),
    "dict": (cst.DictComp, cst.Dict),
    "tuple": (cst.Tuple,),
    "str": (cst.SimpleString, cst.FormattedString),
}
_ALREADY_CALLS = {"list": {"list", "sorted"}, "set": {"set"}, "dict": {"dict"}, "tuple": {"tuple"},
                  "str": {"str"}, "frozenset": {"frozenset"}}


def _eager_consumer(copy: cst.CSTNode, ctx: ProgramContext) -> bool:
    """copy is the iterable argument of a builtin that reads it once, front to back."""
    holder = ctx.parent(copy)
    call = ctx.parent(holder) if isinstance(holder, cst.Arg) else None
    if not isinstance(call, cst.Call) or holder.keyword is not None or holder.star or call.args[0] is not holder:
        return False
    func = call.func
    positional = [a for a in call.args if a.keyword is None]
    if isinstance(func, cst.Name) and func.value in _EAGER_CONSUMERS and ctx.builtin_usable(func.value):
        return func.value == "sum" or len(positional) == 1
    return isinstance(func, cst.Attribute) and func.attr.value == "join" and len(call.args) == 1 \
        and isinstance(func.value, (cst.SimpleString, cst.Name))


_STR_RESULT_METHODS = frozenset({
    "lower", "upper", "strip", "lstrip", "rstrip", "replace", "casefold", "title", "capitalize", "swapcase",
    "zfill", "center", "ljust", "rjust", "removeprefix", "removesuffix", "expandtabs", "format", "join",
})


def _known_str(node: cst.CSTNode, ctx: ProgramContext) -> bool:
    """An expression that surely evaluates to an exact str: a str literal, str(x), or a
    str method returning a new str called on one of those."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return "b" not in getattr(node, "prefix", "").lower() if isinstance(node, cst.SimpleString) else True
    if isinstance(node, cst.FormattedString):
        return True
    if _builtin_call(node, ctx, {"str"}) is not None:
        return True
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and \
            node.func.attr.value in _STR_RESULT_METHODS:
        return _known_str(node.func.value, ctx)
    return False


class DropRedundantConversion(Rule):
    """Conversions that change nothing go: `sorted(list(x))` -> `sorted(x)` (any copy
    `list(x)` / `tuple(x)` / `x[:]` / `x.copy()` fed to sorted/list/tuple/set/frozenset/
    sum/min/max/dict/str.join, which read it once anyway), `list(sorted(x))` ->
    `sorted(x)`, `list([...])` -> `[...]`, `str(str(x))` -> `str(x)`, `str(str(x).strip())`
    -> `str(x).strip()` (str of something surely a str), `sorted(sorted(x))` ->
    `sorted(x)`; the site is the call that disappears."""

    name = "drop_redundant_conversion"
    description = ("sorted(list(x)) / list(sorted(x)) / str(str(x)) / sum(xs[:])  ->  "
                   "sorted(x) / sorted(x) / str(x) / sum(xs)")
    safety = Safety.SAFE
    families = ("needless_copies",)
    anchor_types = (cst.Call, cst.Subscript)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        inner = copied_value(node, ctx)
        if inner is not None and _eager_consumer(node, ctx):
            return inner
        outer = _builtin_call(node, ctx)
        if outer is None:
            return None
        argument = node.args[0].value
        if isinstance(argument, _ALREADY.get(outer, ())) and not (outer == "tuple" and not argument.lpar):
            return argument
        if outer == "str" and _known_str(argument, ctx):
            return argument
        inner_name = _builtin_call(argument, ctx) if isinstance(argument, cst.Call) else None
        if isinstance(argument, cst.Call) and isinstance(argument.func, cst.Name) and \
                argument.func.value in _ALREADY_CALLS.get(outer, ()) and ctx.builtin_usable(argument.func.value):
            if outer == "str" and inner_name != "str":
                return None
            return argument
        if outer == "sorted" and inner_name == "sorted":
            return argument
        return None

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        replacement = build.clean(found)
        if node.lpar:
            replacement = replacement.with_changes(lpar=node.lpar, rpar=node.rpar)
        return Edit([(node, replacement)])


def _iterated_by_loop(node: cst.CSTNode, ctx: ProgramContext) -> cst.CSTNode | None:
    """The for loop / comprehension that iterates over node, directly or through
    enumerate(node) / zip(..., node, ...)."""
    parent = ctx.parent(node)
    if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is node:
        return parent
    if isinstance(parent, cst.Arg) and parent.keyword is None and not parent.star:
        call = ctx.parent(parent)
        if isinstance(call.func, cst.Name) and call.func.value in ("enumerate", "zip") and \
                ctx.builtin_usable(call.func.value) and (call.func.value == "zip" or call.args[0] is parent):
            holder = ctx.parent(call)
            if isinstance(holder, (cst.For, cst.CompFor)) and holder.iter is call:
                return holder
    return None


def _source_name(node: cst.CSTNode) -> str | None:
    """n for `n` or `n.keys()` / `n.values()` / `n.items()`."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute) and \
            node.func.attr.value in ("keys", "values", "items") and isinstance(node.func.value, cst.Name):
        return node.func.value.value
    return None


class DropCopyInLoop(Rule):
    """A loop over a copy (`for x in list(xs)`, `xs[:]`, `xs.copy()`, `tuple(xs)`, also
    inside enumerate/zip or a comprehension) iterates the original when the loop never
    changes it: `for x in xs`.

    Precondition (checked): the copied value is a name (or its .keys()/.values()/
    .items()) that the loop body never rebinds, mutates or hands to unknown code, and
    the body mutates no other variable that may hold the same object (`ys.append(x)`
    with ys a parameter: `f(a, a)`), only locals holding objects the function created.
    """

    name = "drop_copy_in_loop"
    description = "for x in list(xs) / xs[:] / enumerate(list(xs))  ->  for x in xs (xs unchanged in the loop)"
    safety = Safety.CONDITIONAL
    families = ("needless_copies",)
    anchor_types = (cst.Call, cst.Subscript)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        inner = copied_value(node, ctx)
        if inner is None:
            return None
        source = _source_name(inner)
        loop = _iterated_by_loop(node, ctx)
        if source is None or loop is None:
            return None
        region = ctx.parent(loop) if isinstance(loop, cst.CompFor) else loop
        while isinstance(region, cst.CompFor):
            region = ctx.parent(region)
        if isinstance(loop, cst.For):
            parts = [loop.body] + ([loop.orelse] if loop.orelse is not None else [])
        else:
            parts = [region]
        function = ctx.enclosing_function(node)
        targets = frozenset(scopes.target_names(loop.target))  # elements, not the sequence
        for part in parts:
            if not purity.not_mutated(source, part, ctx):
                return None
            if function is not None and purity.mutates_possible_alias(source, part, function, ctx, targets):
                return None
        return inner

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        return Edit([(node, build.clean(found))])


def list_locals(function: cst.FunctionDef, ctx: ProgramContext) -> set[str]:
    """Locals of function that only ever hold lists (every binding is a list-producing
    expression: display, comprehension, list()/sorted(), str split methods, slices or
    sums of such lists)."""
    key = ("list_locals", id(function))
    if key in ctx.cache:
        return ctx.cache[key]
    values: dict[str, list[cst.BaseExpression | None]] = {}
    for occurrence in names.occurrences(function.body, ctx):
        if occurrence.kind != scopes.LOAD and not occurrence.nested:
            values.setdefault(occurrence.name, [])
    for assign in ctx.nodes_of_type((cst.Assign,)):
        if ctx.enclosing_function(assign) is not function or not ctx.is_inside(assign, function.body):
            continue
        for target in assign.targets:
            if isinstance(target.target, cst.Name) and target.target.value in values:
                values[target.target.value].append(assign.value)
    params = set(scopes.param_names(function.params))
    candidates = {n for n, vs in values.items() if n not in params and vs and all(v is not None for v in vs)}
    # every binding of a candidate must be one of these assignments (no for targets, augassign, ...)
    for occurrence in names.occurrences(function.body, ctx):
        if occurrence.name in candidates and occurrence.kind != scopes.LOAD:
            parent = ctx.parent(occurrence.node)
            if not (isinstance(parent, cst.AssignTarget) and isinstance(ctx.parent(parent), cst.Assign)):
                candidates.discard(occurrence.name)
    known: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name in sorted(candidates - known):
            if all(_is_list_valued(v, known | {name}, ctx) for v in values[name]):
                known.add(name)
                changed = True
    ctx.cache[key] = known
    return known


_LIST_METHODS = frozenset({"split", "rsplit", "splitlines"})


def _is_list_valued(node: cst.BaseExpression, lists: set[str], ctx: ProgramContext) -> bool:
    if isinstance(node, (cst.List, cst.ListComp)):
        return True
    if isinstance(node, cst.Name):
        return node.value in lists
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Name) and func.value in ("list", "sorted") and ctx.builtin_usable(func.value):
            return True
        return isinstance(func, cst.Attribute) and func.attr.value in _LIST_METHODS
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Slice):
        return _is_list_valued(node.value, lists, ctx)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return _is_list_valued(node.left, lists, ctx) and _is_list_valued(node.right, lists, ctx)
    return False


def _fresh_list(node: cst.BaseExpression, lists: set[str], ctx: ProgramContext) -> bool:
    """A list-valued expression that builds a new list (so copying it is pointless)."""
    return _is_list_valued(node, lists, ctx) and not isinstance(node, cst.Name)


class DropCopyOfFreshList(Rule):
    """`list(e)` where e already is a new list goes: `list(s.split())` -> `s.split()`,
    `list(data[a:b])` -> `data[a:b]` when data only ever holds lists; and `list(xs)` of
    such a list-only local xs goes where the copy is only read on the spot (len(list(xs)),
    x in list(xs), a loop over it that does not change xs).

    Precondition (checked): local type inference: the name is bound only to list
    displays, comprehensions, list()/sorted() calls, split methods, slices or sums of those.
    Assumes: `.split()` / `.splitlines()` are called on strings.
    """

    name = "drop_copy_of_fresh_list"
    description = "list(s.split()) / list(lst[a:b]) / len(list(lst))  ->  s.split() / lst[a:b] / len(lst)"
    safety = Safety.CONDITIONAL
    families = ("needless_copies",)
    anchor_types = (cst.Call,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        if _builtin_call(node, ctx, {"list"}) is None:
            return None
        function = ctx.in_function_body(node)
        if function is None:
            return None
        lists = list_locals(function, ctx)
        argument = node.args[0].value
        if _fresh_list(argument, lists, ctx):
            return argument
        if isinstance(argument, cst.Name) and argument.value in lists:
            verdict = purity.use_of(node, ctx)[0]
            if verdict == purity.READ:
                loop = _iterated_by_loop(node, ctx)
                if isinstance(loop, cst.For) and not purity.not_mutated(argument.value, loop.body, ctx):
                    return None
                if loop is not None and not isinstance(loop, cst.For):
                    region = ctx.parent(loop)
                    while isinstance(region, cst.CompFor):
                        region = ctx.parent(region)
                    if not purity.not_mutated(argument.value, region, ctx):
                        return None
                return argument
        return None

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        return Edit([(node, build.clean(found).with_changes(lpar=node.lpar, rpar=node.rpar)
                      if node.lpar else build.clean(found))])


_MAPPING_METHODS = frozenset({"get", "items", "keys", "values"})


class DropCopyOfReadOnlyLocal(Rule):
    """`v = x[:]` / `x.copy()` / `list(x)` (x a list-only local) / `dict(x)` becomes
    `v = x` when v is only ever read: nobody can tell the copy from the original.

    Precondition (checked): v is bound once in its function and every use of v is a
    read (no mutation, no return, no alias, no closure); x is a name or a subscript /
    attribute path whose root name the function never mutates or hands to unknown code;
    `dict(x)` only when v is used like a mapping (string-key subscripts, .get/.items/...).
    Assumes: no other variable aliases x's object and mutates it while v is in use;
    for `dict(x)`, x already is a dict.
    """

    name = "drop_copy_of_read_only_local"
    description = "v = list(x) / x[:] / x.copy() / dict(x), v only read  ->  v = x"
    safety = Safety.CONDITIONAL
    families = ("needless_copies",)
    anchor_types = (cst.Assign,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return None
        function = ctx.in_function_body(node)
        if function is None:
            return None
        value = node.value
        source = None
        kind = None
        if _full_slice(value) or (isinstance(value, cst.Call) and not value.args
                                  and isinstance(value.func, cst.Attribute) and value.func.attr.value == "copy"):
            source = copied_value(value, ctx)
            kind = "same"
        elif _builtin_call(value, ctx, {"list"}) is not None:
            source = value.args[0].value
            if not (isinstance(source, cst.Name) and source.value in list_locals(function, ctx)):
                return None
            kind = "same"
        elif _builtin_call(value, ctx, {"dict"}) is not None:
            source = value.args[0].value
            kind = "dict"
        if source is None:
            return None
        root = source
        while isinstance(root, (cst.Subscript, cst.Attribute)):
            if isinstance(root, cst.Subscript) and not all(purity.is_pure(e, ctx) for e in root.slice):
                return None
            root = root.value
        if not isinstance(root, cst.Name):
            return None
        name = node.targets[0].target.value
        if name == root.value:
            return None
        for occurrence, verdict in purity.name_uses(root.value, function, ctx):
            if verdict not in (purity.READ, purity.RETURN, scopes.STORE):
                return None
        here = ctx.node_id(node)
        for occurrence, verdict in purity.name_uses(name, function, ctx):
            if occurrence.node is node.targets[0].target:
                continue
            if occurrence.nested or ctx.node_id(occurrence.node) < here:
                return None
            if verdict != purity.READ and not self._item_read(occurrence.node, ctx):
                return None
            if kind == "dict" and not self._mapping_use(occurrence.node, ctx):
                return None
        return source

    @staticmethod
    def _item_read(name_node: cst.Name, ctx: ProgramContext) -> bool:
        """`v[...]` read (not assigned or deleted): the container itself does not leak."""
        parent = ctx.parent(name_node)
        return isinstance(parent, cst.Subscript) and parent.value is name_node and \
            not names.in_store_target(parent, ctx)

    @staticmethod
    def _mapping_use(name_node: cst.Name, ctx: ProgramContext) -> bool:
        parent = ctx.parent(name_node)
        if isinstance(parent, cst.Subscript) and parent.value is name_node and len(parent.slice) == 1:
            index = parent.slice[0].slice
            return isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString)
        if isinstance(parent, cst.Attribute) and parent.value is name_node:
            return parent.attr.value in _MAPPING_METHODS
        return False

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        return Edit([(node.value, build.clean(found))])
