"""Doing work once instead of repeatedly: hoisting, attribute aliases, reusing a repeated pure call.

Loop-invariant hoisting, method / module attribute aliases before loops, and reuse of
a repeated pure call."""

from __future__ import annotations

import re
import dataclasses

import libcst as cst

from codeopt_jax import scopes
from codeopt_jax.rewrites import build, liveness, names, purity
from codeopt_jax.rewrites.base import Edit, Rule, Safety
from codeopt_jax.rewrites.context import ProgramContext
from codeopt_jax.syntax import COMPREHENSION_TYPES
from codeopt_jax.rewrites.repeat import (RepeatContext, insert_before, names_stable, occurrences_like,
                                         repeat_context, stable_in)

_WORK_TYPES = (cst.Call, cst.Subscript, cst.BinaryOperation, cst.ListComp, cst.SetComp, cst.DictComp)
_COMPREHENSION_SUFFIX = {cst.ListComp: "list", cst.SetComp: "set", cst.DictComp: "dict"}


def _snake(text: str) -> str:
    return re.sub(r"[^0-9a-zA-Z_]+", "_", text).strip("_").lower() or "value"


def _root_name(node: cst.CSTNode) -> str | None:
    while isinstance(node, (cst.Attribute, cst.Subscript, cst.Call)):
        node = node.func if isinstance(node, cst.Call) else node.value
    return node.value if isinstance(node, cst.Name) else None


def temp_name_for(node: cst.CSTNode, ctx: ProgramContext, taken: set[str] | None = None) -> str:
    """A readable fresh name for the value of node (len_xs, keyword_lower, depot_0, ...)."""
    base = "hoisted"
    if isinstance(node, cst.Call):
        func = node.func
        first = node.args[0].value if node.args else None
        if isinstance(func, cst.Name):
            base = func.value + (f"_{_root_name(first)}" if first is not None and _root_name(first) else "")
        elif isinstance(func, cst.Attribute):
            root = _root_name(func.value)
            if root is not None and ctx.imported_module(root) is not None:
                arg_root = _root_name(first) if first is not None else None
                base = func.attr.value + (f"_{arg_root}" if arg_root else "")
            else:
                base = f"{root}_{func.attr.value}" if root else func.attr.value
    elif isinstance(node, cst.Subscript):
        root = _root_name(node.value) or "item"
        index = node.slice[0].slice if len(node.slice) == 1 else None
        suffix = index.value.value if isinstance(index, cst.Index) and isinstance(index.value, cst.Integer) else "item"
        base = f"{root}_{suffix}"
    elif isinstance(node, tuple(_COMPREHENSION_SUFFIX)):
        root = _root_name(node.for_in.iter)
        base = f"{root}_{_COMPREHENSION_SUFFIX[type(node)]}" if root else _COMPREHENSION_SUFFIX[type(node)]
    elif isinstance(node, cst.BinaryOperation):
        root = _root_name(node.left)
        if isinstance(node.operator, cst.Power) and isinstance(node.right, cst.Integer) and node.right.value == "2":
            base = f"{root}_squared" if root else "squared"
        elif root:
            base = f"{root}_value"
    return ctx.fresh_name(_snake(base), taken or set())


def _names_rebound_between(node: cst.CSTNode, top: cst.CSTNode, ctx: ProgramContext) -> set[str]:
    """Names bound by comprehensions, lambdas or for loops between node and top."""
    bound: set[str] = set()
    for ancestor in ctx.ancestors(node):
        if ancestor is top:
            break
        if isinstance(ancestor, COMPREHENSION_TYPES):
            comp_for = ancestor.for_in
            while comp_for is not None:
                bound.update(scopes.target_names(comp_for.target))
                comp_for = comp_for.inner_for_in
        elif isinstance(ancestor, cst.Lambda):
            bound.update(scopes.param_names(ancestor.params))
        elif isinstance(ancestor, cst.For):
            bound.update(scopes.target_names(ancestor.target))
    return bound


def _load_names(node: cst.CSTNode, ctx: ProgramContext) -> set[str]:
    return {o.name for o in names.occurrences(node, ctx) if o.kind == scopes.LOAD}


def _single_min_max(node: cst.CSTNode, ctx: ProgramContext) -> bool:
    """min(x) / max(x) without default=: raises on an empty x."""
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("min", "max") \
        and ctx.builtin_usable(node.func.value) and len([a for a in node.args if a.keyword is None]) == 1 \
        and not any(a.keyword is not None and a.keyword.value == "default" for a in node.args)


_RAISING_CONVERSIONS = ("int", "float")
_RAISING_OPERATORS = (cst.Divide, cst.FloorDivide, cst.Modulo)


def _may_raise(node: cst.CSTNode, ctx: ProgramContext) -> bool:
    """Whether node holds an operation that raises on ordinary values of the right type:
    an index (`s[0]`, `d[k]`; slices never raise), a division or modulo, `min`/`max`
    without a default, `.index(...)`, `int(...)` / `float(...)`, a `math` function."""
    found = False

    class _Visitor(cst.CSTVisitor):
        def visit_Subscript(self, sub: cst.Subscript) -> None:
            nonlocal found
            found |= any(isinstance(element.slice, cst.Index) for element in sub.slice)

        def visit_BinaryOperation(self, operation: cst.BinaryOperation) -> None:
            nonlocal found
            found |= isinstance(operation.operator, _RAISING_OPERATORS)

        def visit_Call(self, call: cst.Call) -> None:
            nonlocal found
            func = call.func
            found |= _single_min_max(call, ctx)
            found |= isinstance(func, cst.Name) and func.value in _RAISING_CONVERSIONS and \
                ctx.builtin_usable(func.value)
            found |= isinstance(func, cst.Attribute) and (
                func.attr.value == "index" or
                (isinstance(func.value, cst.Name) and ctx.imported_module(func.value.value) == "math"))

    node.visit(_Visitor())
    return found


def _alias_read_only(assign: cst.Assign, ctx: ProgramContext) -> bool:
    """`v = <value>` where v is bound only here in its function and only ever read."""
    if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
        return False
    name = assign.targets[0].target.value
    function = ctx.in_function_body(assign)
    if function is None:
        return False
    for occurrence, verdict in purity.name_uses(name, function.body, ctx):
        if occurrence.node is assign.targets[0].target:
            continue
        if verdict not in (purity.READ, purity.RETURN) or occurrence.nested:
            return False
    return True


def _shareable(node: cst.BaseExpression, ctx: ProgramContext) -> bool:
    """Whether one evaluation of node can stand in for several: its value is immutable,
    or every use of it only reads it."""
    if purity.is_one_shot_iterator(node, ctx):
        return False
    if purity.value_kind(node, ctx) != purity.FRESH:
        return True
    verdict, context = purity.use_of(node, ctx)
    if verdict == purity.READ:
        return True
    return verdict == purity.ALIAS and isinstance(context, cst.Assign) and _alias_read_only(context, ctx)


@dataclasses.dataclass(frozen=True)
class _Hoist:
    where: RepeatContext  # the loop, and the statement the value is computed before
    kind: str  # how the value is computed before the loop ("default": min/max get default=None)


class HoistLoopInvariant(Rule):
    """A pure call / subscript / power inside a loop (or comprehension) whose variables
    the loop never changes is computed once before the loop: `for x in xs: if x >
    len(ys)` -> `len_ys = len(ys)` + `for x in xs: if x > len_ys`. Equal occurrences in
    the loop share the value. `min(xs)` / `max(xs)` move only out of a loop over xs
    itself, and get `default=None` (the loop body runs only when xs is non-empty).

    Precondition (checked): the expression is pure (builtins, str methods, math,
    pure-looking module functions); none of its variables is rebound, mutated or handed
    to unknown code in the loop, all have values before the loop; it is the largest such
    expression there; a value that may be a new mutable object is only read; it holds
    nothing that raises on ordinary values (`_may_raise`: an index, a division, `min`/`max`
    without a default, `.index`, `int`/`float`, `math.*`): those move only with
    `hoist_loop_invariant_guarded`.
    Assumes: the expression does not raise on values of the right types (a TypeError would
    now come even when the loop runs zero times).
    """

    guarded = False  # the twin below moves exactly the expressions this rule leaves for `_may_raise`

    name = "hoist_loop_invariant"
    description = "for ...: ... len(ys) ...  ->  len_ys = len(ys); for ...: ... len_ys ... (pure, loop-invariant)"
    safety = Safety.CONDITIONAL
    families = ("loop_invariant", "repeated_calls")
    anchor_types = _WORK_TYPES

    def _hoistable(self, node: cst.CSTNode, where: RepeatContext, ctx: ProgramContext) -> str | None:
        """'plain' / 'default' (min/max needing default=None) when node can move, else None."""
        if not isinstance(node, _WORK_TYPES):
            return None
        if isinstance(node, cst.BinaryOperation) and not names.has_node(node, (cst.Call, cst.Subscript)) \
                and not isinstance(node.operator, cst.Power):
            return None
        if names.in_store_target(node, ctx) or not names.simple_expression(node):
            return None
        if not purity.is_pure(node, ctx) or not names_stable(node, where, ctx):
            return None
        if not _shareable(node, ctx):
            return None
        if _single_min_max(node, ctx):
            loop = where.region
            argument = node.args[0].value
            if isinstance(loop, cst.For) and isinstance(argument, cst.Name) and isinstance(loop.iter, cst.Name) \
                    and loop.iter.value == argument.value and loop.orelse is None:
                return None if self.guarded else "default"  # the loop runs only when xs is non-empty
        return "plain" if _may_raise(node, ctx) == self.guarded else None

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _Hoist | None:
        where = repeat_context(node, ctx)
        if where is None:
            return None
        kind = self._hoistable(node, where, ctx)
        if kind is None:
            return None
        statement = ctx.statement_of(node)
        for ancestor in ctx.ancestors(node):
            if ancestor is statement:
                break
            if isinstance(ancestor, _WORK_TYPES) and repeat_context(ancestor, ctx) == where and \
                    self._hoistable(ancestor, where, ctx) is not None:
                return None  # a larger invariant expression holds this one
        return _Hoist(where, kind)

    def build(self, node: cst.CSTNode, found: _Hoist, ctx: ProgramContext) -> Edit:
        where, kind = found.where, found.kind
        temp = temp_name_for(node, ctx)
        value: cst.BaseExpression = build.clean(node).with_changes(lpar=[], rpar=[])
        if kind == "default":
            value = value.with_changes(args=[*value.args, build.arg(cst.Name("None"), "default")])
        replacements: list = [(where.anchor, insert_before(where.anchor, build.assign(temp, value)))]
        if purity.value_kind(node, ctx) == purity.FRESH:
            targets = [node]
        else:
            loaded = _load_names(node, ctx)
            targets = [other for other in occurrences_like(node, where, ctx)
                       if not names.in_store_target(other, ctx)
                       and not (_names_rebound_between(other, where.region, ctx) & loaded)]
            if node not in targets:
                targets.append(node)
        for target in targets:
            replacements.append((target, cst.Name(temp)))
        if self.guarded:
            replacements[0] = (where.anchor, _try_hoisted(where.anchor, build.assign(temp, value)))
        return Edit(replacements)


def _try_hoisted(anchor: cst.CSTNode, assignment: cst.SimpleStatementLine):
    """A replacement callable: `try: <assignment> except Exception: <anchor as it was> else: <updated anchor>`."""
    original = build.clean(anchor).with_changes(leading_lines=())

    def replace(updated: cst.CSTNode) -> cst.Try:
        return cst.Try(body=cst.IndentedBlock(body=[assignment]),
                       handlers=[cst.ExceptHandler(type=cst.Name("Exception"), body=cst.IndentedBlock(body=[original]))],
                       orelse=cst.Else(body=cst.IndentedBlock(body=[updated.with_changes(leading_lines=())])),
                       leading_lines=updated.leading_lines)

    return replace


class HoistLoopInvariantGuarded(HoistLoopInvariant):
    """`hoist_loop_invariant` for an expression that may raise on ordinary values (`s[0]` on an
    empty s, `a / b`, `max(ys)`): computed once in a `try` before the loop, and the loop
    runs with that value in the `else`; if computing it raises, the original loop runs
    instead (raising where the original raises, or not at all when the loop never gets
    there). Exact for every input: the expression is pure, so computing it once more
    before the original loop changes nothing.

    Precondition (checked): as `hoist_loop_invariant`, for the expressions it leaves
    (`_may_raise`); the statement the loop is (or holds the comprehension) is duplicated.
    """

    name = "hoist_loop_invariant_guarded"
    description = ("for ...: ... s[0] ...  ->  try: s_0 = s[0] except Exception: <loop> "
                   "else: <loop with s_0> (pure, may raise)")
    guarded = True


class AliasBoundMethod(Rule):
    """A method called on the same object in a loop (`result.append(x)`) is looked up once
    before the loop: `result_append = result.append`, then `result_append(x)`.

    Precondition (checked): the loop never rebinds the object's name (mutating the object
    is fine: the bound method stays bound to it), and the name has a value before the loop.
    """

    name = "alias_bound_method"
    description = "for ...: r.append(x)  ->  r_append = r.append; for ...: r_append(x)"
    safety = Safety.CONDITIONAL
    families = ("loop_invariant", "append_loop")
    anchor_types = (cst.Attribute,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> RepeatContext | None:
        call = ctx.parent(node)
        if not (isinstance(call, cst.Call) and call.func is node and isinstance(node.value, cst.Name)):
            return None
        receiver = node.value.value
        if ctx.imported_module(receiver) is not None or receiver in ("self", "cls"):
            return None
        where = repeat_context(node, ctx, loops_only=True)
        if where is None or receiver in _names_rebound_between(node, where.region, ctx):
            return None
        if any(o.name == receiver and o.kind != scopes.LOAD for o in names.occurrences(where.region, ctx)):
            return None
        if not liveness.bound_before(receiver, where.anchor, ctx):
            return None
        return where

    def build(self, node: cst.CSTNode, where: RepeatContext, ctx: ProgramContext) -> Edit:
        receiver = node.value.value
        alias = ctx.fresh_name(_snake(f"{receiver}_{node.attr.value}"))
        replacements: list = [(where.anchor, insert_before(where.anchor, build.assign(alias, build.clean(node))))]
        for other in occurrences_like(node, where, ctx):
            if not names.in_store_target(other, ctx) and \
                    receiver not in _names_rebound_between(other, where.region, ctx):
                replacements.append((other, cst.Name(alias)))
        return Edit(replacements)


class AliasModuleAttribute(Rule):
    """A module attribute used in a loop (`math.sqrt`) is looked up once before the loop:
    `math_sqrt = math.sqrt`, then `math_sqrt(x)`.

    Precondition (checked): the module name is bound only by a top-level import and the
    loop does not rebind it. (Module attributes are taken to be constant.)
    """

    name = "alias_module_attribute"
    description = "for ...: math.sqrt(x)  ->  math_sqrt = math.sqrt; for ...: math_sqrt(x)"
    safety = Safety.CONDITIONAL
    families = ("loop_invariant",)
    anchor_types = (cst.Attribute,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> RepeatContext | None:
        parent = ctx.parent(node)
        if isinstance(parent, cst.Attribute) and parent.value is node:
            return None  # anchor the longest chain
        root = node.value
        while isinstance(root, cst.Attribute):
            root = root.value
        if not isinstance(root, cst.Name) or ctx.imported_module(root.value) is None:
            return None
        if names.in_store_target(node, ctx):
            return None
        where = repeat_context(node, ctx, loops_only=True)
        if where is None or root.value in _names_rebound_between(node, where.region, ctx):
            return None
        if any(o.name == root.value and o.kind != scopes.LOAD for o in names.occurrences(where.region, ctx)):
            return None
        return where

    def build(self, node: cst.CSTNode, where: RepeatContext, ctx: ProgramContext) -> Edit:
        alias = ctx.fresh_name(_snake(ctx.code(node).replace(".", "_")))
        replacements: list = [(where.anchor, insert_before(where.anchor, build.assign(alias, build.clean(node))))]
        for other in occurrences_like(node, where, ctx):
            parent = ctx.parent(other)
            if isinstance(parent, cst.Attribute) and parent.value is other:
                continue
            if not names.in_store_target(other, ctx):
                replacements.append((other, cst.Name(alias)))
        return Edit(replacements)


def _evaluated_unconditionally(node: cst.CSTNode, statement: cst.CSTNode, ctx: ProgramContext) -> bool:
    """Whether node is evaluated every time statement runs (before any of its bodies)."""
    child = node
    for parent in ctx.ancestors(node):
        if parent is statement:
            if isinstance(parent, cst.SimpleStatementLine):
                return True
            if isinstance(parent, (cst.If, cst.While)):
                return child is parent.test
            if isinstance(parent, cst.For):
                return child is parent.iter
            return False
        if isinstance(parent, cst.BooleanOperation) and child is parent.right:
            return False
        if isinstance(parent, cst.IfExp) and child is not parent.test:
            return False
        if isinstance(parent, (cst.Lambda, cst.FunctionDef, cst.ClassDef, cst.BaseSuite, cst.Else)):
            return False
        if isinstance(parent, cst.CompFor):
            comprehension = ctx.parent(parent)
            if not (child is parent.iter and isinstance(comprehension, COMPREHENSION_TYPES)
                    and comprehension.for_in is parent):
                return False
        if isinstance(parent, COMPREHENSION_TYPES) and child is not parent.for_in:
            return False
        child = parent
    return False


def _call_text_counts(ctx: ProgramContext) -> dict[str, int]:
    key = ("call_text_counts",)
    counts = ctx.cache.get(key)
    if counts is None:
        counts = {}
        for call in ctx.nodes_of_type((cst.Call,)):
            text = ctx.code(call)
            counts[text] = counts.get(text, 0) + 1
        ctx.cache[key] = counts
    return counts


@dataclasses.dataclass(frozen=True)
class _RepeatedCall:
    statement: cst.CSTNode  # the first statement that computes the value
    uses: tuple[cst.CSTNode, ...]  # every occurrence, the first one included


class ReuseRepeatedCall(Rule):
    """A pure call repeated in a statement and the statements right after it, with the
    same arguments, is computed once: `a = f(x) + 1; b = f(x) * 2` -> `f_x = f(x); a =
    f_x + 1; b = f_x * 2`. The site is the first occurrence.

    Precondition (checked): the call is pure and evaluated whenever its statement runs;
    none of its variables is rebound or mutated from its statement to the last reuse;
    a value that may be a new mutable object is only read at every use.
    """

    name = "reuse_repeated_call"
    description = "y = f(x) + f(x) / consecutive statements repeating f(x)  ->  f_x = f(x); ... f_x ... (pure)"
    safety = Safety.CONDITIONAL
    families = ("repeated_calls",)
    anchor_types = (cst.Call,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _RepeatedCall | None:
        if not (node.args or isinstance(node.func, cst.Attribute)):
            return None
        if _call_text_counts(ctx).get(ctx.code(node), 0) < 2:
            return None
        statement = ctx.statement_of(node)
        position = ctx.block_position(statement) if statement is not None else None
        if position is None or ctx.in_function_body(statement) is None:
            return None
        if not purity.is_pure(node, ctx) or not names.simple_expression(node) or \
                names.in_store_target(node, ctx):
            return None
        if not _evaluated_unconditionally(node, statement, ctx):
            return None
        loaded = _load_names(node, ctx)
        if loaded & _names_rebound_between(node, statement, ctx):
            return None
        block, index = position
        region: list[cst.CSTNode] = []
        for later in block.body[index:]:
            if not all(stable_in(name, later, statement, ctx, require_bound=False) for name in loaded):
                if later is statement:
                    return None
                break
            region.append(later)
        text = ctx.code(node)
        found: list[cst.CSTNode] = []
        for part in region:
            for other in occurrences_like(node, RepeatContext(region=part, anchor=part), ctx):
                if names.in_store_target(other, ctx) or (_names_rebound_between(other, part, ctx) & loaded):
                    continue
                found.append(other)
        found.sort(key=ctx.node_id)
        if len(found) < 2 or found[0] is not node or ctx.code(found[0]) != text:
            return None
        if purity.is_one_shot_iterator(node, ctx):
            return None
        if purity.value_kind(node, ctx) == purity.FRESH and \
                not all(purity.use_of(o, ctx)[0] == purity.READ for o in found):
            return None
        return _RepeatedCall(statement, tuple(found))

    def build(self, node: cst.CSTNode, found: _RepeatedCall, ctx: ProgramContext) -> Edit:
        statement, uses = found.statement, found.uses
        temp = temp_name_for(node, ctx)
        value = build.clean(node).with_changes(lpar=[], rpar=[])
        replacements: list = [(statement, insert_before(statement, build.assign(temp, value)))]
        for use in uses:
            replacements.append((use, cst.Name(temp)))
        return Edit(replacements)
