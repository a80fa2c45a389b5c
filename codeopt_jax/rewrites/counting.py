"""Counting and grouping into dicts: get / setdefault / Counter, and `in d.keys()`."""

from __future__ import annotations

from typing import Any

import libcst as cst

from codeopt_jax.rewrites import build, names, purity
from codeopt_jax.rewrites.base import Edit, Rule, Safety
from codeopt_jax.rewrites.context import ProgramContext
from codeopt_jax.rewrites.loopshape import chain_is_movable, find_initializer, flatten_body, loop_chain, replace_loop


def _same(a: cst.CSTNode, b: cst.CSTNode, ctx: ProgramContext) -> bool:
    return "".join(ctx.code(a).split()) == "".join(ctx.code(b).split())


def _item(node: cst.CSTNode) -> tuple[str, cst.BaseExpression] | None:
    """(d, k) for `d[k]`."""
    if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Name) and len(node.slice) == 1 \
            and isinstance(node.slice[0].slice, cst.Index) and node.slice[0].slice.star is None:
        return node.value.value, node.slice[0].slice.value
    return None


def _is_item(node: cst.CSTNode, d: str, k: cst.BaseExpression, ctx: ProgramContext) -> bool:
    found = _item(node)
    return found is not None and found[0] == d and _same(found[1], k, ctx)


def _membership(test: cst.BaseExpression) -> tuple[cst.BaseExpression, str, bool] | None:
    """(k, d, positive) for `k in d`, `k in d.keys()`, `k not in d`, `k not in d.keys()`."""
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    target = test.comparisons[0]
    if not isinstance(target.operator, (cst.In, cst.NotIn)):
        return None
    container = target.comparator
    if isinstance(container, cst.Call) and not container.args and isinstance(container.func, cst.Attribute) \
            and container.func.attr.value == "keys":
        container = container.func.value
    if not isinstance(container, cst.Name):
        return None
    return test.left, container.value, isinstance(target.operator, cst.In)


def _assigned_item(small: cst.CSTNode) -> tuple[cst.Subscript, cst.BaseExpression] | None:
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Subscript):
        return small.targets[0].target, small.value
    return None


def _is_increment(small: cst.CSTNode, d: str, k: cst.BaseExpression, ctx: ProgramContext) -> bool:
    """`d[k] += 1` or `d[k] = d[k] + 1`."""
    if isinstance(small, cst.AugAssign) and isinstance(small.operator, cst.AddAssign):
        return _is_item(small.target, d, k, ctx) and isinstance(small.value, cst.Integer) and small.value.value == "1"
    found = _assigned_item(small)
    if found is None or not _is_item(found[0], d, k, ctx):
        return False
    value = found[1]
    return isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add) and \
        _is_item(value.left, d, k, ctx) and isinstance(value.right, cst.Integer) and value.right.value == "1"


def _is_set_to(small: cst.CSTNode, d: str, k: cst.BaseExpression, constant: str, ctx: ProgramContext) -> bool:
    found = _assigned_item(small)
    return found is not None and _is_item(found[0], d, k, ctx) and \
        isinstance(found[1], cst.Integer) and found[1].value == constant


def _only(block: cst.CSTNode) -> cst.CSTNode | None:
    items = flatten_body(block)
    return items[0] if len(items) == 1 else None


def count_update(statements: list[cst.CSTNode], ctx: ProgramContext
                 ) -> tuple[str, cst.BaseExpression, int] | None:
    """(d, k, statements used) when statements start with a manual `d[k]` count update:
    an if/else on `k in d`, `if k not in d: d[k] = 0` + `d[k] += 1`, or
    `d[k] = d.get(k, 0) + 1`. k must be pure (the update evaluates it several times)."""
    if not statements:
        return None
    first = statements[0]
    if isinstance(first, cst.If):
        membership = _membership(first.test)
        if membership is None:
            return None
        k, d, positive = membership
        if not purity.is_pure(k, ctx) or names.mentions(k, d, ctx):
            return None
        inside = _only(first.body)
        if isinstance(first.orelse, cst.Else):
            other = _only(first.orelse.body)
            increment, start = (inside, other) if positive else (other, inside)
            if _is_increment(increment, d, k, ctx) and _is_set_to(start, d, k, "1", ctx):
                return d, k, 1
            return None
        if first.orelse is None and not positive and len(statements) >= 2 and \
                _is_set_to(inside, d, k, "0", ctx) and _is_increment(statements[1], d, k, ctx):
            return d, k, 2
        return None
    found = _assigned_item(first)
    if found is None or _item(found[0]) is None:
        return None
    d, k = _item(found[0])
    value = found[1]
    if not (isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add)
            and isinstance(value.right, cst.Integer) and value.right.value == "1"):
        return None
    get = value.left
    if not (isinstance(get, cst.Call) and isinstance(get.func, cst.Attribute) and get.func.attr.value == "get"
            and isinstance(get.func.value, cst.Name) and get.func.value.value == d and len(get.args) == 2
            and _same(get.args[0].value, k, ctx) and isinstance(get.args[1].value, cst.Integer)
            and get.args[1].value.value == "0"):
        return None
    if not purity.is_pure(k, ctx) or names.mentions(k, d, ctx):
        return None
    return d, k, 1


def _block_items(statement: cst.CSTNode, ctx: ProgramContext) -> list[cst.CSTNode] | None:
    """statement and the statements after it in its block, as flattened items."""
    position = ctx.block_position(statement)
    if position is None:
        return None
    block, index = position
    items: list[cst.CSTNode] = [statement]
    for later in block.body[index + 1:index + 2]:
        if isinstance(later, cst.SimpleStatementLine) and len(later.body) == 1:
            items.append(later.body[0])
        else:
            items.append(later)
    return items


class ManualCountToGet(Rule):
    """`if k in d: d[k] += 1 else: d[k] = 1` (or `if k not in d: d[k] = 0` followed by
    `d[k] += 1`) becomes `d[k] = d.get(k, 0) + 1`, for a pure key k and a dict d."""

    name = "manual_count_to_get"
    description = "if k in d: d[k] += 1 else: d[k] = 1  ->  d[k] = d.get(k, 0) + 1"
    safety = Safety.SAFE
    families = ("dict_counting",)
    anchor_types = (cst.If,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        items = _block_items(node, ctx)
        if items is None:
            return None
        found = count_update(items, ctx)
        if found is None:
            return None
        used = found[2]
        return found, (ctx.next_statement(node) if used == 2 else None)

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        (d, k, _), extra = found
        new = build.statement("{d}[{k}] = {d}.get({k}, 0) + 1", d=cst.Name(d), k=k)
        new = new.with_changes(leading_lines=node.leading_lines)
        replacements: list = [(node, new)]
        if extra is not None:
            replacements.append((extra, cst.RemovalSentinel.REMOVE))
        return Edit(replacements)


def _append_to_item(small: cst.CSTNode, d: str, k: cst.BaseExpression, ctx: ProgramContext
                    ) -> cst.BaseExpression | None:
    """v for `d[k].append(v)`."""
    if not (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)):
        return None
    call = small.value
    if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "append" and len(call.args) == 1
            and call.args[0].keyword is None and not call.args[0].star):
        return None
    if not _is_item(call.func.value, d, k, ctx):
        return None
    return call.args[0].value


class GroupingToSetdefault(Rule):
    """`if k not in g: g[k] = []` followed by `g[k].append(v)` (or `if k in g:
    g[k].append(v) else: g[k] = [v]`) becomes `g.setdefault(k, []).append(v)`, for a pure
    key k, a dict g, and a value v that does not mention g."""

    name = "grouping_to_setdefault"
    description = "if k not in g: g[k] = []; g[k].append(v)  ->  g.setdefault(k, []).append(v)"
    safety = Safety.SAFE
    families = ("dict_counting",)
    anchor_types = (cst.If,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        membership = _membership(node.test)
        items = _block_items(node, ctx)
        if membership is None or items is None:
            return None
        k, d, positive = membership
        if not purity.is_pure(k, ctx) or names.mentions(k, d, ctx):
            return None
        inside = _only(node.body)
        value = None
        extra = None
        if isinstance(node.orelse, cst.Else):
            other = _only(node.orelse.body)
            append, start = (inside, other) if positive else (other, inside)
            value = _append_to_item(append, d, k, ctx)
            found = _assigned_item(start)
            if value is None or found is None or not _is_item(found[0], d, k, ctx):
                return None
            if not (isinstance(found[1], cst.List) and len(found[1].elements) == 1
                    and isinstance(found[1].elements[0], cst.Element)
                    and _same(found[1].elements[0].value, value, ctx)):
                return None
        elif node.orelse is None and not positive and len(items) == 2:
            found = _assigned_item(inside)
            if found is None or not _is_item(found[0], d, k, ctx) or \
                    not (isinstance(found[1], cst.List) and not found[1].elements):
                return None
            value = _append_to_item(items[1], d, k, ctx)
            extra = ctx.next_statement(node)
            if value is None:
                return None
        else:
            return None
        if names.mentions(value, d, ctx):
            return None
        return d, k, value, extra

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        d, k, value, extra = found
        new = build.statement("{d}.setdefault({k}, []).append({v})", d=cst.Name(d), k=k, v=build.as_argument(value))
        replacements: list = [(node, new.with_changes(leading_lines=node.leading_lines))]
        if extra is not None:
            replacements.append((extra, cst.RemovalSentinel.REMOVE))
        return Edit(replacements)


def counter_reference(ctx: ProgramContext) -> tuple[cst.BaseExpression, tuple[str, ...]] | None:
    """How to name collections.Counter here, and the import that needs adding (if any)."""
    for bound, origin in ctx.module_imports.items():
        if origin == "collections.Counter" and ctx.imported_module(bound) is not None:
            return cst.Name(bound), ()
    for bound, origin in ctx.module_imports.items():
        if origin == "collections" and ctx.imported_module(bound) is not None:
            return cst.Attribute(value=cst.Name(bound), attr=cst.Name("Counter")), ()
    if "Counter" in ctx.identifiers:
        return None
    return cst.Name("Counter"), ("from collections import Counter",)


class CountingLoopToCounter(Rule):
    """`d = {}` then a loop whose body only counts `d[k]` up by one (if/else on `k in d`,
    or `d[k] = d.get(k, 0) + 1`) becomes `d = dict(Counter(k for ...))`, adding
    `from collections import Counter` when needed. Counter counts in the same order, and
    dict() keeps the result a plain dict.

    Precondition (checked): k is pure and does not mention d; nothing between the start
    and the loop mentions d; the headers do not mention d; the loop variables are not
    read after the loop.
    """

    name = "counting_loop_to_counter"
    description = "d = {}; for x in xs: d[k] = d.get(k, 0) + 1  ->  d = dict(Counter(k for x in xs))"
    safety = Safety.CONDITIONAL
    families = ("dict_counting",)
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        chain = loop_chain(node)
        if chain is None or not ctx.builtin_usable("dict"):
            return None
        found = count_update(list(chain.leaves), ctx)
        if found is None or found[2] != len(chain.leaves):
            return None
        d, k, _ = found
        init = find_initializer(node, d, ctx)
        if init is None or not (isinstance(init.value, cst.Dict) and not init.value.elements):
            return None
        if not chain_is_movable(chain, d, [k], ctx):
            return None
        counter = counter_reference(ctx)
        if counter is None:
            return None
        return chain, init, d, k, counter

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        chain, init, d, k, (counter, imports) = found
        if len(chain.clauses) == 1 and isinstance(k, cst.Name) and isinstance(chain.clauses[0].target, cst.Name) \
                and chain.clauses[0].target.value == k.value:
            source = build.clean(chain.clauses[0].iter)
        else:
            source = build.comprehension(cst.GeneratorExp, k, chain.clauses)
        value = build.call("dict", build.call(counter, source))
        return Edit(replace_loop(ctx, chain.loop, init, build.assign(d, value)), imports=imports)


class DropDictKeys(Rule):
    """`k in d.keys()` becomes `k in d`; `for k in d.keys()` becomes `for k in d`; and
    `len/sorted/list/set/tuple/min/max/sum/any/all(d.keys())` take d directly. For a dict
    these mean the same (same keys, same order) without building a view."""

    name = "drop_dict_keys"
    description = "k in d.keys() / for k in d.keys() / sorted(d.keys())  ->  k in d / for k in d / sorted(d)"
    safety = Safety.SAFE
    families = ("dict_counting", "needless_copies")
    anchor_types = (cst.Call,)

    _CONSUMERS = frozenset({"len", "sorted", "list", "set", "tuple", "frozenset", "min", "max", "sum", "any", "all"})

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        func = node.func
        if node.args or not (isinstance(func, cst.Attribute) and func.attr.value == "keys"):
            return None
        if not isinstance(func.value, (cst.Name, cst.Attribute, cst.Subscript)):
            return None
        parent = ctx.parent(node)
        if isinstance(parent, cst.ComparisonTarget) and parent.comparator is node and \
                isinstance(parent.operator, (cst.In, cst.NotIn)):
            return True
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is node:
            return True
        if isinstance(parent, cst.Arg) and parent.keyword is None and not parent.star:
            call = ctx.parent(parent)
            if isinstance(call.func, cst.Name) and call.func.value in self._CONSUMERS and \
                    ctx.builtin_usable(call.func.value) and len(call.args) == 1:
                return True
        return None

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        return Edit([(node, build.clean(node.func.value).with_changes(lpar=node.lpar, rpar=node.rpar))])
