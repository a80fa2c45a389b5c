"""Repeated work: reductions recomputed on every pass of a loop, scans that go on after the answer is known.

`hoisting.HoistLoopInvariant` already moves pure loop-invariant expressions out of loops,
assuming they cannot raise. The hoist here covers what it leaves (or moves unsafely): a
reduction (`max(xs)`, `sum(xs)`, `sorted(xs)`, ...) of the very collection the loop or
comprehension walks, evaluated on every pass. Such a call runs in the original exactly
when the collection is non-empty, so computing it once before the loop raises only where
the original raises, and `min` / `max` get `default=None` for the empty case.
"""

from __future__ import annotations

import dataclasses

import libcst as cst
import libcst.matchers as m

from codeopt_jax import scopes
from codeopt_jax.rewrites import build, copies, hoisting, liveness, names, purity
from codeopt_jax.rewrites.base import Edit, Rule, Safety
from codeopt_jax.rewrites.context import ProgramContext
from codeopt_jax.rewrites.loopshape import flatten_body
from codeopt_jax.rewrites.repeat import RepeatContext, insert_before, names_stable, repeat_context
from codeopt_jax.syntax import COMPREHENSION_TYPES, SCOPE_TYPES

# Reductions of one collection (first positional argument); sum may take a start value.
_REDUCERS = frozenset({"len", "sum", "min", "max", "sorted", "set", "frozenset"})
# Builtins that pull at least the first item of a generator argument right away.
_EAGER_CONSUMERS = frozenset({"sum", "any", "all", "min", "max", "sorted", "list", "set", "tuple", "frozenset",
                              "dict"})
_EXITS = (cst.Return, cst.Raise, cst.Break, cst.Continue)
_EVALUATING_SMALL_STATEMENTS = (cst.Expr, cst.Assign, cst.AugAssign, cst.Return)

Repeater = cst.For | cst.ListComp | cst.SetComp | cst.DictComp | cst.GeneratorExp


def _plain_arg(value: m.BaseMatcherNode = m.DoNotCare()) -> m.Arg:
    return m.Arg(value=value, keyword=None, star="")


def walked_collection(iterable: cst.BaseExpression, ctx: ProgramContext) -> str | None:
    """xs when iterating `iterable` makes one pass per element of the collection xs:
    `xs`, `enumerate(xs[, start])` or `range(len(xs))`."""
    if isinstance(iterable, cst.Name):
        return iterable.value
    if m.matches(iterable, m.Call(func=m.Name("enumerate"), args=[_plain_arg(m.Name())])) or \
            m.matches(iterable, m.Call(func=m.Name("enumerate"),
                                       args=[_plain_arg(m.Name()), m.Arg(value=m.Integer(), star="")])):
        return iterable.args[0].value.value if ctx.builtin_usable("enumerate") else None
    if m.matches(iterable, m.Call(func=m.Name("range"),
                                  args=[_plain_arg(m.Call(func=m.Name("len"), args=[_plain_arg(m.Name())]))])):
        if ctx.builtin_usable("range") and ctx.builtin_usable("len"):
            return iterable.args[0].value.args[0].value.value
    return None


def innermost_repeater(node: cst.CSTNode, ctx: ProgramContext) -> cst.CSTNode | None:
    """The loop or comprehension that evaluates node repeatedly (the one `repeat_context` picks)."""
    child = node
    for ancestor in ctx.ancestors(node):
        if isinstance(ancestor, SCOPE_TYPES):
            return None
        if isinstance(ancestor, cst.For) and child is ancestor.body:
            return ancestor
        if isinstance(ancestor, cst.While) and (child is ancestor.body or child is ancestor.test):
            return ancestor
        if isinstance(ancestor, COMPREHENSION_TYPES) and not ctx.is_inside(node, ancestor.for_in.iter):
            return ancestor
        child = ancestor
    return None


def _always_evaluated_up_to(node: cst.CSTNode, top: cst.CSTNode, ctx: ProgramContext) -> bool:
    """Whether evaluating the expression `top` surely evaluates node (no short-circuit
    operand, conditional branch, lambda or later comprehension part on the way)."""
    if node is top:
        return True
    child = node
    for parent in ctx.ancestors(node):
        if parent is top:
            return True
        if isinstance(parent, cst.BooleanOperation) and child is parent.right:
            return False
        if isinstance(parent, cst.IfExp) and child is not parent.test:
            return False
        if isinstance(parent, (*SCOPE_TYPES, cst.BaseSuite, cst.Else)):
            return False
        if isinstance(parent, cst.CompFor):
            owner = ctx.parent(parent)
            if not (child is parent.iter and isinstance(owner, COMPREHENSION_TYPES) and owner.for_in is parent):
                return False
        if isinstance(parent, COMPREHENSION_TYPES) and child is not parent.for_in:
            return False
        child = parent
    return False


def _runs_in_statement(node: cst.CSTNode, statement: cst.CSTNode, ctx: ProgramContext) -> bool:
    """Whether node is evaluated whenever the statement (a line or a compound statement)
    starts: in an if / while test, a for's iterable, or a plain small statement with no
    exit before it on its line."""
    if isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        for small in statement.body:
            if ctx.is_inside(node, small):
                return isinstance(small, _EVALUATING_SMALL_STATEMENTS) and _always_evaluated_up_to(node, small, ctx)
            if isinstance(small, _EXITS):
                return False
        return False
    if isinstance(statement, (cst.If, cst.While)):
        return ctx.is_inside(node, statement.test) and _always_evaluated_up_to(node, statement, ctx)
    if isinstance(statement, cst.For):
        return ctx.is_inside(node, statement.iter) and _always_evaluated_up_to(node, statement, ctx)
    return False


def _on_every_loop_pass(node: cst.CSTNode, loop: cst.For, ctx: ProgramContext) -> bool:
    """Whether every pass of the loop evaluates node before it can leave the pass."""
    if isinstance(loop.body, cst.SimpleStatementSuite):
        return _runs_in_statement(node, loop.body, ctx)
    for statement in loop.body.body:
        if ctx.is_inside(node, statement):
            return _runs_in_statement(node, statement, ctx)
        if names.has_node(statement, _EXITS):
            return False
    return False


def _on_every_comprehension_pass(node: cst.CSTNode, comprehension: cst.CSTNode, ctx: ProgramContext) -> bool:
    """Whether each item of the comprehension's first `for` evaluates node: node sits in the
    first `if`, in the element when there is no filter or inner `for`, or in the iterable
    of an unfiltered inner `for`."""
    first = comprehension.for_in
    child = node
    for parent in ctx.ancestors(node):
        if parent is first:
            if first.ifs and child is first.ifs[0]:
                return _always_evaluated_up_to(node, first.ifs[0], ctx)
            inner = first.inner_for_in
            if not first.ifs and inner is not None and child is inner:
                return ctx.is_inside(node, inner.iter) and _always_evaluated_up_to(node, inner.iter, ctx)
            return False
        if parent is comprehension:
            if first.ifs or first.inner_for_in is not None or child is first:
                return False
            return _always_evaluated_up_to(node, comprehension, ctx)
        child = parent
    return False


def _evaluated_when_statement_runs(comprehension: cst.CSTNode, ctx: ProgramContext) -> bool:
    """Whether the comprehension is evaluated (and, for a generator, starts being consumed)
    whenever its statement runs."""
    if isinstance(comprehension, cst.GeneratorExp):
        arg = ctx.parent(comprehension)
        call = ctx.parent(arg)
        if not (isinstance(arg, cst.Arg) and isinstance(call, cst.Call) and call.args and call.args[0] is arg
                and arg.keyword is None and not arg.star and isinstance(call.func, cst.Name)
                and call.func.value in _EAGER_CONSUMERS and ctx.builtin_usable(call.func.value)):
            return False
    statement = ctx.statement_of(comprehension)
    return statement is not None and _runs_in_statement(comprehension, statement, ctx)


def _reduces_collection(call: cst.Call, collection: str) -> bool:
    """Whether the call's data argument is the collection itself or an unfiltered single-`for`
    generator / comprehension over it (so it is empty exactly when the collection is)."""
    argument = call.args[0].value
    if isinstance(argument, cst.Name):
        return argument.value == collection
    if isinstance(argument, (cst.GeneratorExp, cst.ListComp, cst.SetComp)):
        first = argument.for_in
        return not first.ifs and first.inner_for_in is None and isinstance(first.iter, cst.Name) and \
            first.iter.value == collection
    return False


def _reduction_shape(call: cst.Call, ctx: ProgramContext) -> str | None:
    """The reducer's name when call is `f(data[, start])` / `f(data, key=..., ...)` for a reducer f."""
    func = call.func
    if not (isinstance(func, cst.Name) and func.value in _REDUCERS and ctx.builtin_usable(func.value)):
        return None
    if any(arg.star for arg in call.args):
        return None
    positional = [arg for arg in call.args if arg.keyword is None]
    allowed = 2 if func.value == "sum" else 1
    if not positional or call.args[0] is not positional[0] or len(positional) > allowed:
        return None
    return func.value


def _needs_default(call: cst.Call, reducer: str) -> bool:
    return reducer in ("min", "max") and not any(a.keyword is not None and a.keyword.value == "default"
                                                for a in call.args)


def _rebinds(node: cst.CSTNode, loaded: set[str]) -> bool:
    """Whether node (a comprehension or lambda) binds one of the names."""
    if isinstance(node, cst.Lambda):
        return bool(loaded & set(scopes.param_names(node.params)))
    bound: set[str] = set()
    comp_for = node.for_in
    while comp_for is not None:
        bound.update(scopes.target_names(comp_for.target))
        comp_for = comp_for.inner_for_in
    return bool(loaded & bound)


def _same_calls_in(part: cst.CSTNode, call: cst.Call, ctx: ProgramContext) -> list[cst.CSTNode]:
    """Calls in part with the same code as call where its names mean the same values."""
    text = ctx.code(call)
    loaded = {o.name for o in names.occurrences(call, ctx) if o.kind == scopes.LOAD}
    found: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = [part]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call) and ctx.code(node) == text and not names.in_store_target(node, ctx):
            found.append(node)
            continue
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)) or \
                (isinstance(node, (cst.Lambda, *COMPREHENSION_TYPES)) and _rebinds(node, loaded)):
            continue
        stack.extend(node.children)
    return found


@dataclasses.dataclass(frozen=True)
class HoistedReduction:
    """Where the reduction goes (before where.anchor), the calls it replaces, and whether
    min / max need `default=None`."""

    where: RepeatContext
    uses: tuple[cst.Call, ...]
    add_default: bool


class HoistReductionOfWalkedCollection(Rule):
    """`max(xs)` / `min` / `sum` / `len` / `sorted` / `set` / `frozenset` of the collection a
    loop or comprehension walks, evaluated on every pass, is computed once before it:
    `[x for x in xs if x == max(xs)]` -> `max_xs = max(xs, default=None)` + `[x for x in xs
    if x == max_xs]`; in `for x in xs: if x > sum(xs) / len(xs)` the sum and the length move
    (the division stays, so an empty xs never divides by zero). min / max get
    `default=None`: the loop only reads the value when xs is non-empty.

    Precondition (checked): the loop is `for ... in xs` / `enumerate(xs)` / `range(len(xs))`
    or a comprehension whose first `for` walks so; the call's data argument is xs or an
    unfiltered generator over xs; the call is pure, its names keep their values across the
    loop and are bound before it; every pass evaluates it before anything can leave the
    pass (and a comprehension holding it is evaluated whenever its statement runs); a new
    list / set result is only read; `hoist_loop_invariant` does not apply at the call.
    Assumes: xs is a collection (iterating it does not consume it).

    Helps: O(len(xs)) work per pass becomes O(len(xs)) once (quadratic to linear). Hurts:
    nothing measurable; one assignment when xs is empty.
    """

    name = "hoist_reduction_of_walked_collection"
    description = ("[x for x in xs if x == max(xs)]  ->  max_xs = max(xs, default=None); "
                   "[x for x in xs if x == max_xs] (also sum/len/sorted/set; exact on empty xs)")
    safety = Safety.CONDITIONAL
    families = ("loop_invariant", "repeated_calls")
    anchor_types = (cst.Call,)

    _hoist = hoisting.HoistLoopInvariant()

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> HoistedReduction | None:
        reducer = _reduction_shape(node, ctx)
        if reducer is None or names.in_store_target(node, ctx) or not names.simple_expression(node):
            return None
        repeater = innermost_repeater(node, ctx)
        if isinstance(repeater, cst.For):
            if repeater.asynchronous is not None:
                return None
            collection = walked_collection(repeater.iter, ctx)
            every_pass = _on_every_loop_pass(node, repeater, ctx)
            repeating_part: cst.CSTNode = repeater.body
        elif isinstance(repeater, COMPREHENSION_TYPES):
            if repeater.for_in.asynchronous is not None:
                return None
            collection = walked_collection(repeater.for_in.iter, ctx)
            every_pass = _on_every_comprehension_pass(node, repeater, ctx) and \
                _evaluated_when_statement_runs(repeater, ctx)
            repeating_part = repeater
        else:
            return None
        if collection is None or not every_pass or not _reduces_collection(node, collection):
            return None
        where = repeat_context(node, ctx)
        if where is None or not purity.is_pure(node, ctx) or not names_stable(node, where, ctx):
            return None
        if self._hoist.match(node, ctx) is not None:
            return None
        fresh = purity.value_kind(node, ctx) == purity.FRESH
        if fresh and purity.use_of(node, ctx)[0] != purity.READ:
            return None
        if fresh:
            uses: list[cst.CSTNode] = [node]
        else:
            uses = [use for use in _same_calls_in(repeating_part, node, ctx)
                    if not (isinstance(repeater, COMPREHENSION_TYPES) and ctx.is_inside(use, repeater.for_in.iter))]
        return HoistedReduction(where=where, uses=tuple(uses), add_default=_needs_default(node, reducer))

    def build(self, node: cst.CSTNode, found: HoistedReduction, ctx: ProgramContext) -> Edit:
        data = node.args[0].value
        if isinstance(data, COMPREHENSION_TYPES):
            temp = ctx.fresh_name(f"{node.func.value}_of_{data.for_in.iter.value}")
        else:
            temp = hoisting.temp_name_for(node, ctx)
        value = build.without_parens(build.clean(node))
        if found.add_default:
            args = list(value.args)
            if isinstance(args[0].value, cst.GeneratorExp):
                args[0] = args[0].with_changes(value=build.parenthesized(args[0].value))
            value = value.with_changes(args=[*args, build.arg(cst.Name("None"), "default")])
        replacements: list = [(found.where.anchor, insert_before(found.where.anchor, build.assign(temp, value)))]
        replacements.extend((use, cst.Name(temp)) for use in found.uses)
        return Edit(replacements)


# --- early exit ---------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class FlagSetter:
    """The loop's only statement: `if test:` whose body only sets names to constants."""

    branch: cst.If


class FlagLoopAddBreak(Rule):
    """A loop whose only statement is `if c(x): found = True` (any constants, one or more
    names) keeps scanning after the first hit although later passes change nothing: a
    `break` after the assignments ends it there.

    Precondition (checked): a plain `for` without `else`; the if has no else/elif and its
    body only assigns constants to names; the test and the iterable are pure; the loop
    variables are not read after the loop. Assumes: iterating the rest of the iterable has
    no effect (a collection, or an iterator nobody reads afterwards). Where a later test
    would have raised, the loop now ends normally.

    Helps: stops at the first hit (any() speed; `flag_loop_to_any_all` then applies).
    Hurts: nothing when no element matches.
    """

    name = "flag_loop_add_break"
    description = "found = False; for x in xs: if c(x): found = True  ->  ...: found = True; break (first hit ends it)"
    safety = Safety.CONDITIONAL
    families = ("manual_reduce", "list_membership")
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> FlagSetter | None:
        if node.asynchronous is not None or node.orelse is not None:
            return None
        body = flatten_body(node.body)
        if len(body) != 1 or not isinstance(body[0], cst.If) or body[0].orelse is not None:
            return None
        branch = body[0]
        assigned: list[str] = []
        for small in flatten_body(branch.body):
            if not (m.matches(small, m.Assign(targets=[m.AssignTarget(target=m.Name())]))
                    and purity.is_constant(small.value)):
                return None
            assigned.append(small.targets[0].target.value)
        targets = scopes.target_names(node.target)
        if not assigned or set(assigned) & set(targets):
            return None
        for part in (branch.test, node.iter):
            if not purity.is_pure(part, ctx) or not names.simple_expression(part):
                return None
        if not liveness.dead_after(node, targets, ctx):
            return None
        return FlagSetter(branch=branch)

    def build(self, node: cst.CSTNode, found: FlagSetter, ctx: ProgramContext) -> Edit:
        body = found.branch.body
        if isinstance(body, cst.SimpleStatementSuite):
            new_body = body.with_changes(body=[*body.body, cst.Break()])
        else:
            new_body = body.with_changes(body=[*body.body, build.line(cst.Break())])
        return Edit([(body, new_body)])


@dataclasses.dataclass(frozen=True)
class LastMatch:
    """The loop's only statement (`if test:` assigning names), and how to walk backwards."""

    branch: cst.If
    backwards: cst.BaseExpression


def _backwards(iterable: cst.BaseExpression, function: cst.FunctionDef,
               ctx: ProgramContext) -> cst.BaseExpression | None:
    """`reversed(it)` when it is a range(...) call or a local bound only to lists (both walk
    back over exactly the items they walk forward)."""
    if not ctx.builtin_usable("reversed"):
        return None
    if m.matches(iterable, m.Call(func=m.Name("range"))) and ctx.builtin_usable("range") and \
            not any(arg.star or arg.keyword is not None for arg in iterable.args):
        return build.call("reversed", build.clean(iterable))
    if isinstance(iterable, cst.Name) and iterable.value in copies.list_locals(function, ctx):
        return build.call("reversed", build.clean(iterable))
    return None


class LastMatchScanFromEnd(Rule):
    """A loop that keeps the last match, `for i in range(n): if c(i): last = f(i)`, walks
    backwards and stops at the first hit: `for i in reversed(range(n)): if c(i): last =
    f(i); break` (also a loop over a list local: `reversed(xs)`).

    Precondition (checked): a plain `for` without `else` over a range(...) call or a local
    bound only to lists, not changed in the loop; its only statement is an `if` (no
    else/elif) whose body only assigns pure values to names; the test and the values never
    read the assigned names; the loop variables are not read after the loop. The last
    forward hit is the first backward one, and earlier hits' assignments were overwritten.
    Where a skipped test would have raised, the loop now ends normally.

    Helps: a match near the end is found in O(1) instead of O(n). Hurts: a match near the
    front is found last (the same O(n) as before, plus reversed()).
    """

    name = "last_match_scan_from_end"
    description = ("for i in range(n): if c(i): last = f(i)  ->  "
                   "for i in reversed(range(n)): if c(i): last = f(i); break (also lists)")
    safety = Safety.CONDITIONAL
    families = ("manual_reduce", "range_len")
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> LastMatch | None:
        function = ctx.in_function_body(node)
        if function is None or node.asynchronous is not None or node.orelse is not None:
            return None
        body = flatten_body(node.body)
        if len(body) != 1 or not isinstance(body[0], cst.If) or body[0].orelse is not None:
            return None
        branch = body[0]
        assigned: list[str] = []
        values: list[cst.BaseExpression] = []
        for small in flatten_body(branch.body):
            if not m.matches(small, m.Assign(targets=[m.AssignTarget(target=m.Name())])):
                return None
            assigned.append(small.targets[0].target.value)
            values.append(small.value)
        targets = scopes.target_names(node.target)
        if not assigned or set(assigned) & set(targets):
            return None
        for part in (branch.test, *values):
            if not purity.is_pure(part, ctx) or not names.simple_expression(part) or \
                    names.names_in(part, ctx) & set(assigned):
                return None
        if isinstance(node.iter, cst.Name) and not purity.not_mutated(node.iter.value, node.body, ctx):
            return None
        backwards = _backwards(node.iter, function, ctx)
        if backwards is None or not purity.is_pure(node.iter, ctx) or not liveness.dead_after(node, targets, ctx):
            return None
        return LastMatch(branch=branch, backwards=backwards)

    def build(self, node: cst.CSTNode, found: LastMatch, ctx: ProgramContext) -> Edit:
        body = found.branch.body
        if isinstance(body, cst.SimpleStatementSuite):
            new_body = body.with_changes(body=[*body.body, cst.Break()])
        else:
            new_body = body.with_changes(body=[*body.body, build.line(cst.Break())])
        return Edit([(node.iter, found.backwards), (body, new_body)])
