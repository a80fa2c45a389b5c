"""Moves whose payoff depends on the program and its data (map, count, set, try/except).

Map vs comprehension, count loops vs `.count`, one-off set builds, and try/except vs
membership tests.

Each rule here can win or lose depending on what the mapped function is, how long the
input is, how often keys repeat, or how often the surrounding code runs, so a policy has
to read the code (and guess the data) to choose.
"""

from __future__ import annotations

import dataclasses

import libcst as cst
import libcst.matchers as m

from codeopt_jax.rewrites import build, liveness, names, purity
from codeopt_jax.rewrites.base import Edit, Rule, Safety
from codeopt_jax.rewrites.context import ProgramContext
from codeopt_jax.rewrites.counting import count_update
from codeopt_jax.rewrites.loopshape import Initializer, find_initializer, flatten_body, replace_loop
from codeopt_jax.scopes import LOAD
from codeopt_jax.syntax import COMPREHENSION_TYPES

# Builtins that consume one iterable argument in a single pass (a lazy map or generator fits).
_CONSUMERS = frozenset({"sum", "min", "max", "any", "all", "sorted", "tuple", "frozenset"})
_SEQUENCE_CALLS = {"list": "list", "sorted": "list", "tuple": "tuple", "str": "str"}
_STR_METHODS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip", "replace", "casefold", "title",
                          "capitalize", "swapcase", "join"})


# --- shared checks ------------------------------------------------------------------------------


def _dotted_names(node: cst.BaseExpression) -> list[str] | None:
    """['a', 'b', 'c'] for `a.b.c` (a plain name or attribute chain), else None."""
    if isinstance(node, cst.Name) and not node.lpar:
        return [node.value]
    if isinstance(node, cst.Attribute) and not node.lpar:
        head = _dotted_names(node.value)
        return None if head is None else head + [node.attr.value]
    return None


def _function_reference(node: cst.BaseExpression, ctx: ProgramContext) -> bool:
    """A plain name or attribute chain whose root surely names something: a usable builtin,
    an imported module, a top-level def, or a name the program binds."""
    dotted = _dotted_names(node)
    if dotted is None:
        return False
    root = dotted[0]
    return ctx.builtin_usable(root) or root in ctx.bound_names


def _single_binding(name: str, node: cst.CSTNode, ctx: ProgramContext) -> cst.BaseExpression | None:
    """The value of the only binding of a local name in the def around node (`name = value`)."""
    function = ctx.enclosing_function(node)
    if function is None:
        return None
    stores = [o for o in names.function_occurrences(function, ctx) if o.name == name and o.kind != LOAD]
    if len(stores) != 1 or stores[0].nested:
        return None
    assign = ctx.parent(ctx.parent(stores[0].node))
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and assign.targets[0].target is stores[0].node):
        return None
    return assign.value


def sequence_kind(node: cst.BaseExpression, ctx: ProgramContext, follow: bool = True) -> str | None:
    """'list', 'tuple' or 'str' when node surely evaluates to exactly that type: a literal, a
    comprehension, a call of list/sorted/tuple/str, a str method like `.split()` / `.lower()`
    on a string, or a local bound once to one of those."""
    if isinstance(node, (cst.List, cst.ListComp)):
        return "list"
    if isinstance(node, cst.Tuple) and not any(isinstance(e, cst.StarredElement) for e in node.elements):
        return "tuple"
    if isinstance(node, cst.FormattedString):
        return "str"
    if isinstance(node, cst.SimpleString):
        return None if "b" in node.prefix.lower() else "str"
    if isinstance(node, cst.ConcatenatedString):
        return sequence_kind(node.left, ctx, follow)
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Name) and func.value in _SEQUENCE_CALLS and ctx.builtin_usable(func.value):
            return _SEQUENCE_CALLS[func.value]
        if isinstance(func, cst.Attribute) and sequence_kind(func.value, ctx, follow) == "str":
            if func.attr.value in ("split", "rsplit", "splitlines"):
                return "list"
            if func.attr.value in _STR_METHODS:
                return "str"
        return None
    if follow and isinstance(node, cst.Name):
        value = _single_binding(node.value, node, ctx)
        if value is not None:
            return sequence_kind(value, ctx, follow=False)
    return None


# --- 1. comprehension <-> map -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _MappedCall:
    """`f(x) for x in xs`: the function f and the iterable xs."""

    function: cst.BaseExpression
    iterable: cst.BaseExpression


class ListCompToMap(Rule):
    """`[f(x) for x in xs]` becomes `list(map(f, xs))` (a set comprehension `set(map(f, xs))`,
    a generator `map(f, xs)`, so `sum(f(x) for x in xs)` becomes `sum(map(f, xs))`).

    Precondition (checked): one `for` clause, no `if`, a plain-name target x that is the
    call's only argument and does not occur in f; f is a name or attribute chain that surely
    names something (a usable builtin, an import, a def, a bound name); list/set/map are the
    builtins. Assumes f is not rebound while xs is iterated (map looks f up once).

    Helps when f is implemented in C (int, str, len, abs, a module function): map skips the
    per-element bytecode. Hurts when f is a Python function or a lambda (the call costs the same
    and map adds its own overhead); map_to_listcomp is the move back.
    """

    name = "listcomp_to_map"
    description = "[f(x) for x in xs] / sum(f(x) for x in xs)  ->  list(map(f, xs)) / sum(map(f, xs))"
    safety = Safety.CONDITIONAL
    families = ("filter_map_loop",)
    anchor_types = (cst.ListComp, cst.SetComp, cst.GeneratorExp)

    _WRAPPERS = {cst.ListComp: "list", cst.SetComp: "set"}

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _MappedCall | None:
        pattern = m.TypeOf(m.ListComp, m.SetComp, m.GeneratorExp)(
            elt=m.Call(args=[m.Arg(value=m.Name(), keyword=None, star="")]),
            for_in=m.CompFor(target=m.Name(), ifs=[], inner_for_in=None, asynchronous=None))
        if not m.matches(node, pattern):
            return None
        call, comp_for = node.elt, node.for_in
        target = comp_for.target.value
        if call.args[0].value.value != target or names.mentions(call.func, target, ctx):
            return None
        if not _function_reference(call.func, ctx) or not ctx.builtin_usable("map"):
            return None
        wrapper = self._WRAPPERS.get(type(node))
        if wrapper is not None and not ctx.builtin_usable(wrapper):
            return None
        if not names.simple_expression(comp_for.iter):
            return None
        return _MappedCall(call.func, comp_for.iter)

    def build(self, node: cst.CSTNode, found: _MappedCall, ctx: ProgramContext) -> Edit:
        mapped = build.call("map", build.clean(found.function), build.clean(found.iterable))
        wrapper = self._WRAPPERS.get(type(node))
        return Edit([(node, build.call(wrapper, mapped) if wrapper is not None else mapped)])


@dataclasses.dataclass(frozen=True)
class _MapCall:
    """`map(f, xs)` and how it turns into a comprehension."""

    replaced: cst.CSTNode  # the node replaced: map(...) itself, or list(...) / set(...) around it
    kind: type  # cst.ListComp, cst.SetComp or cst.GeneratorExp
    function: cst.BaseExpression
    iterable: cst.BaseExpression


class MapToListComp(Rule):
    """`list(map(f, xs))` becomes `[f(x) for x in xs]` (`set(map(...))` a set comprehension;
    `map(f, xs)` as the only argument of sum/min/max/any/all/sorted/tuple/frozenset or of a
    `.join` a generator); a lambda `lambda y: e` is inlined as `[e for y in xs]`.

    Precondition (checked): map has exactly two positional arguments; f is a name or attribute
    chain naming something, or a one-parameter lambda (no defaults, no walrus/yield/await in its
    body); the consumer is the builtin. Assumes f is not rebound while xs is iterated.

    Helps a lot with lambdas and Python functions (no call per element for a lambda); hurts with
    C functions such as int or str, where map is faster (listcomp_to_map is the move back).
    """

    name = "map_to_listcomp"
    description = "list(map(f, xs)) / sum(map(f, xs))  ->  [f(x) for x in xs] / sum(f(x) for x in xs)"
    safety = Safety.CONDITIONAL
    families = ("filter_map_loop",)
    anchor_types = (cst.Call,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _MapCall | None:
        pattern = m.Call(func=m.Name("map"), args=[m.Arg(keyword=None, star=""), m.Arg(keyword=None, star="")])
        if not m.matches(node, pattern) or not ctx.builtin_usable("map"):
            return None
        function, iterable = node.args[0].value, node.args[1].value
        if isinstance(function, cst.Lambda):
            params = function.params
            if len(params.params) != 1 or params.params[0].default is not None or params.posonly_params or \
                    params.kwonly_params or not isinstance(params.star_arg, cst.MaybeSentinel) or \
                    params.star_kwarg is not None or not names.simple_expression(function.body):
                return None
        elif not _function_reference(function, ctx):
            return None
        if not names.simple_expression(iterable):
            return None
        parent = ctx.parent(node)
        if not (isinstance(parent, cst.Arg) and parent.keyword is None and not parent.star):
            return None
        consumer = ctx.parent(parent)
        if not isinstance(consumer, cst.Call) or len(consumer.args) != 1:
            return None
        func = consumer.func
        if isinstance(func, cst.Name) and ctx.builtin_usable(func.value):
            if func.value == "list":
                return _MapCall(consumer, cst.ListComp, function, iterable)
            if func.value == "set":
                return _MapCall(consumer, cst.SetComp, function, iterable)
            if func.value in _CONSUMERS:
                return _MapCall(node, cst.GeneratorExp, function, iterable)
        if isinstance(func, cst.Attribute) and func.attr.value == "join":
            return _MapCall(node, cst.GeneratorExp, function, iterable)
        return None

    def build(self, node: cst.CSTNode, found: _MapCall, ctx: ProgramContext) -> Edit:
        function = found.function
        if isinstance(function, cst.Lambda):
            target: cst.BaseExpression = cst.Name(function.params.params[0].name.value)
            element = function.body
        else:
            target = cst.Name(ctx.fresh_name("item"))
            element = build.call(build.as_operand(build.clean(function)), target)
        new = build.comprehension(found.kind, element, [build.ForClause(target, found.iterable)])
        if found.kind is cst.GeneratorExp:
            new = new.with_changes(lpar=[], rpar=[])
        return Edit([(found.replaced, new)])


# --- 2. counting loop -> .count ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _CountLoop:
    """`c = 0; for x in xs: if x == v: c += 1`."""

    loop: cst.For
    init: Initializer
    counter: str
    iterable: cst.BaseExpression
    value: cst.BaseExpression
    kind: str | None  # the iterable's proven type ('list', 'tuple', 'str') or None


def _loop_element(node: cst.For, ctx: ProgramContext) -> tuple[m.BaseMatcherNode, cst.BaseExpression] | None:
    """(matcher of the element expression, the iterable) for `for x in xs` (element `x`) and
    `for i in range(len(xs))` with xs a name (element `xs[i]`)."""
    x = node.target.value
    by_index = m.Call(func=m.Name("range"), args=[m.Arg(value=m.Call(func=m.Name("len"), args=[
        m.Arg(value=m.Name(), keyword=None, star="")]), keyword=None, star="")])
    if m.matches(node.iter, by_index) and ctx.builtin_usable("range") and ctx.builtin_usable("len"):
        xs = node.iter.args[0].value.args[0].value
        if xs.value == x:
            return None
        element = m.Subscript(value=m.Name(xs.value), slice=[m.SubscriptElement(slice=m.Index(value=m.Name(x)))])
        return element, xs
    return m.Name(x), node.iter


def _is_increment(small: cst.CSTNode) -> bool:
    """`c += 1` or `c = c + 1`."""
    if m.matches(small, m.AugAssign(target=m.Name(), operator=m.AddAssign(), value=m.Integer("1"))):
        return True
    return m.matches(small, m.Assign(targets=[m.AssignTarget(target=m.Name())],
                                     value=m.BinaryOperation(left=m.Name(), operator=m.Add(), right=m.Integer("1")))) \
        and small.targets[0].target.value == small.value.left.value


def _count_loop(node: cst.CSTNode, ctx: ProgramContext) -> _CountLoop | None:
    """The counting loop at node, with every static precondition checked."""
    if not m.matches(node, m.For(target=m.Name(), orelse=None, asynchronous=None)) or \
            ctx.in_function_body(node) is None or ctx.block_position(node) is None:
        return None
    body = flatten_body(node.body)
    if len(body) != 1 or not m.matches(body[0], m.If(orelse=None)):
        return None
    test, inside = body[0].test, flatten_body(body[0].body)
    if len(inside) != 1 or not _is_increment(inside[0]):
        return None
    if not m.matches(test, m.Comparison(comparisons=[m.ComparisonTarget(operator=m.Equal())])):
        return None
    shape = _loop_element(node, ctx)
    if shape is None:
        return None
    element, iterable = shape
    x = node.target.value
    counter = (inside[0].target if isinstance(inside[0], cst.AugAssign) else inside[0].targets[0].target).value
    left, right = test.left, test.comparisons[0].comparator
    if m.matches(left, element):
        value = right
    elif m.matches(right, element):
        value = left
    else:
        return None
    if not (isinstance(value, cst.Name) or purity.is_constant(value)):
        return None  # evaluating anything else could raise where the loop never evaluates it
    if counter in (x, *names.names_in(iterable, ctx)) or names.mentions(value, x, ctx) or \
            names.mentions(value, counter, ctx) or not names.simple_expression(iterable):
        return None
    init = find_initializer(node, counter, ctx)
    if init is None or not m.matches(init.value, m.Integer("0")):
        return None
    if not liveness.dead_after(node, [x], ctx):
        return None
    return _CountLoop(node, init, counter, iterable, value, sequence_kind(iterable, ctx))


def _single_character(node: cst.BaseExpression) -> bool:
    if not isinstance(node, cst.SimpleString) or "b" in node.prefix.lower():
        return False
    try:
        return len(node.evaluated_value) == 1
    except Exception:  # noqa: BLE001 - an odd literal is simply not proven
        return False


class CountLoopToCountMethod(Rule):
    """`c = 0` then `for x in xs: if x == v: c += 1` becomes `c = xs.count(v)` (also the index
    form `for i in range(len(xs)): if xs[i] == v: c = c + 1`).

    Precondition (checked): xs is provably a list or tuple, or a str with v a one-character
    string literal (str.count counts substrings); v is a name or a constant (count evaluates
    it even when xs is empty) and mentions neither x nor c; the
    loop has no else, and x is dead after it. Assumes elements equal themselves (count also
    matches by identity, so a NaN element counts) and that `==` is symmetric when written
    `v == x`.

    Helps on long inputs (the scan runs in C); on tiny inputs the gain is small.
    """

    name = "count_loop_to_count_method"
    description = "c = 0; for x in xs: if x == v: c += 1  ->  c = xs.count(v)"
    safety = Safety.CONDITIONAL
    families = ("manual_reduce",)
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _CountLoop | None:
        found = _count_loop(node, ctx)
        if found is None or found.kind is None:
            return None
        if found.kind == "str" and not _single_character(found.value):
            return None
        return found

    def build(self, node: cst.CSTNode, found: _CountLoop, ctx: ProgramContext) -> Edit:
        value = build.expr("{xs}.count({v})", xs=build.as_operand(found.iterable), v=build.as_argument(found.value))
        return Edit(replace_loop(ctx, node, found.init, build.assign(found.counter, value)))


class CountLoopToCountMethodGuarded(Rule):
    """The counting loop of count_loop_to_count_method, for an iterable of unknown type:

        if type(xs) in (list, tuple) or type(xs) is str and type(v) is str and len(v) == 1:
            c = xs.count(v)
        else:
            c = 0
            <the original loop>

    Precondition (checked): as count_loop_to_count_method, without the type of xs; xs is a
    plain name (the guard evaluates it again); type/list/tuple/str/len are the builtins. Assumes
    elements equal themselves (count also matches by identity). Subclasses take the loop.

    Helps on long lists and strings; costs a few type checks on short inputs.
    """

    name = "count_loop_to_count_method_guarded"
    description = "c = 0; for x in xs: if x == v: c += 1  ->  c = xs.count(v) if type(xs) in (list, tuple) else <loop>"
    safety = Safety.CONDITIONAL
    families = ("manual_reduce",)
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _CountLoop | None:
        found = _count_loop(node, ctx)
        if found is None or found.kind is not None or not isinstance(found.iterable, cst.Name):
            return None
        if not all(ctx.builtin_usable(name) for name in ("type", "list", "tuple", "str", "len")):
            return None
        return found

    def build(self, node: cst.CSTNode, found: _CountLoop, ctx: ProgramContext) -> Edit:
        xs = build.as_operand(found.iterable)
        guard = build.expr("type({xs}) in (list, tuple) or type({xs}) is str and type({v}) is str and len({v}) == 1",
                           xs=build.as_argument(found.iterable), v=build.as_argument(found.value))
        fast = build.assign(found.counter, build.expr("{xs}.count({v})", xs=xs, v=build.as_argument(found.value)))
        slow = [build.assign(found.counter, cst.Integer("0")), build.clean(node).with_changes(leading_lines=())]
        new = cst.If(test=guard, body=cst.IndentedBlock(body=[fast]),
                     orelse=cst.Else(body=cst.IndentedBlock(body=slow)))
        return Edit(replace_loop(ctx, node, found.init, new))


# --- 3. one membership test -> a set built for it ----------------------------------------------


@dataclasses.dataclass(frozen=True)
class _OneTest:
    container: cst.Name


class MembershipTestToSetOnce(Rule):
    """A single `x in xs` (or `not in`) that runs once per call becomes `x in set(xs)`.

    Precondition (checked): xs is a local name provably bound to a list or tuple; the test is
    not inside a loop or comprehension; set is the builtin. Assumes the elements and x are
    hashable, with hashing consistent with equality.

    Almost always a loss on its own (building the set is O(n) for a single O(n) lookup); it pays
    only when a later move hoists the set or the function is called with few distinct values.
    """

    name = "membership_test_to_set_once"
    description = "x in xs (once, xs a list)  ->  x in set(xs)"
    safety = Safety.CONDITIONAL
    families = ("list_membership",)
    anchor_types = (cst.ComparisonTarget,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _OneTest | None:
        if not m.matches(node, m.ComparisonTarget(operator=m.In() | m.NotIn(), comparator=m.Name())):
            return None
        function = ctx.in_function_body(node)
        if not ctx.builtin_usable("set") or function is None:
            return None
        for ancestor in ctx.ancestors(node):
            if ancestor is function:
                break
            if isinstance(ancestor, (cst.For, cst.While, cst.Lambda) + COMPREHENSION_TYPES):
                return None  # runs repeatedly: list_membership_to_set's business
        if sequence_kind(node.comparator, ctx) not in ("list", "tuple"):
            return None
        return _OneTest(node.comparator)

    def build(self, node: cst.CSTNode, found: _OneTest, ctx: ProgramContext) -> Edit:
        return Edit([(found.container, build.call("set", build.clean(found.container)))])


# --- 4. membership-tested counting -> try/except KeyError --------------------------------------


@dataclasses.dataclass(frozen=True)
class _TriedCount:
    d: str
    k: cst.BaseExpression


class InTestToTryExcept(Rule):
    """`if k in d: d[k] += 1 else: d[k] = 1` becomes
    `try: d[k] += 1 except KeyError: d[k] = 1`.

    Precondition (checked): the if/else counting shape (either order of the branches), k pure
    with no subscript or call (so only the missing key can raise KeyError), and d a local bound
    once, to `{}` or `dict()`, so a plain dict without __missing__.

    Faster when most keys repeat (no second hash lookup); slower when most keys are new (raising
    and catching KeyError costs more than the test).
    """

    name = "in_test_to_try_except"
    description = "if k in d: d[k] += 1 else: d[k] = 1  ->  try: d[k] += 1 except KeyError: d[k] = 1"
    safety = Safety.CONDITIONAL
    families = ("dict_counting",)
    anchor_types = (cst.If,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _TriedCount | None:
        if not isinstance(node.orelse, cst.Else) or ctx.block_position(node) is None:
            return None
        found = count_update([node], ctx)
        if found is None:
            return None
        d, k, _ = found
        if names.has_node(k, (cst.Subscript, cst.Call), stop_at_scopes=False):
            return None
        start = _single_binding(d, node, ctx)
        if start is None or not (m.matches(start, m.Dict(elements=[])) or
                                 (m.matches(start, m.Call(func=m.Name("dict"), args=[]))
                                  and ctx.builtin_usable("dict"))):
            return None
        if not ctx.builtin_usable("KeyError"):
            return None
        return _TriedCount(d, k)

    def build(self, node: cst.CSTNode, found: _TriedCount, ctx: ProgramContext) -> Edit:
        d, k = cst.Name(found.d), found.k
        new = cst.Try(
            body=cst.IndentedBlock(body=[build.statement("{d}[{k}] += 1", d=d, k=k)]),
            handlers=[cst.ExceptHandler(type=cst.Name("KeyError"),
                                        body=cst.IndentedBlock(body=[build.statement("{d}[{k}] = 1", d=d, k=k)]))],
            leading_lines=node.leading_lines)
        return Edit([(node, new)])
