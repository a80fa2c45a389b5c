"""Reductions: accumulation and search loops -> sum / min / max / any / all / next.

Also list-vs-generator arguments of reducing builtins."""

from __future__ import annotations

import dataclasses
from typing import Any

import libcst as cst

from codeopt_jax.rewrites import build, liveness, names, purity
from codeopt_jax.rewrites.base import Edit, Rule, Safety
from codeopt_jax.rewrites.context import ProgramContext
from codeopt_jax.rewrites.loopshape import (BuildingLoop, Initializer, LoopChain, added_to, branch_values,
                                            chain_is_movable, find_initializer, loop_chain, replace_loop, single_leaf)


def _bool_constant(node: cst.CSTNode | None) -> bool | None:
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return None


def _gen_or_iterable(chain_clauses, element: cst.BaseExpression) -> cst.BaseExpression:
    """The iterable itself for `for x in it` yielding x, else a generator expression."""
    if len(chain_clauses) == 1 and isinstance(element, cst.Name) and isinstance(chain_clauses[0].target, cst.Name) \
            and chain_clauses[0].target.value == element.value:
        return build.clean(chain_clauses[0].iter)
    return build.comprehension(cst.GeneratorExp, element, chain_clauses)


def _numeric_literal(node: cst.CSTNode) -> bool:
    if isinstance(node, (cst.Integer, cst.Float)):
        return True
    return isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) and \
        isinstance(node.expression, (cst.Integer, cst.Float))


def _same_code(a: cst.CSTNode, b: cst.CSTNode, ctx: ProgramContext) -> bool:
    strip = lambda text: "".join(text.split())  # noqa: E731
    return strip(ctx.code(a)) == strip(ctx.code(b))


class SumLoopToSum(Rule):
    """`t = 0` then a loop whose innermost statement is `t += e` (or `t = t + e`, or an
    if/else of such) becomes `t = sum(e for ...)` (`sum(gen, start)` for another
    numeric start). Counting loops (`t += 1` under an if) become `sum(1 for ... if ...)`.

    Precondition (checked): the start is a number literal; nothing between it and the
    loop mentions t; the headers and added values never mention t; the loop variables
    are not read after the loop. (From Python 3.12 on, sum() adds floats with extra
    precision, so float totals can differ in the last bits there.)
    """

    name = "sum_loop_to_sum"
    description = "t = 0; for x in xs: [if c(x):] t += f(x)  ->  t = sum(f(x) for x in xs [if c(x)])"
    safety = Safety.CONDITIONAL
    families = ("manual_reduce",)
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> BuildingLoop | None:
        chain = loop_chain(node)
        leaf = single_leaf(chain)
        if leaf is None or not ctx.builtin_usable("sum"):
            return None
        found = added_to(leaf)
        if found is not None:
            name, element = found
            values = [element]
        else:
            branches = branch_values(leaf, added_to, allow_missing_else=False)
            if branches is None:
                return None
            name, pairs, final = branches
            element = build.if_expression(pairs, final)
            values = [v for pair in pairs for v in pair] + [final]
        init = find_initializer(node, name, ctx)
        if init is None or not _numeric_literal(init.value):
            return None
        if not chain_is_movable(chain, name, values, ctx):
            return None
        return BuildingLoop(chain, init, name, element)

    def build(self, node: cst.CSTNode, found: BuildingLoop, ctx: ProgramContext) -> Edit:
        chain, init, name, element = found.chain, found.init, found.name, found.element
        source = _gen_or_iterable(chain.clauses, element)
        if isinstance(init.value, cst.Integer) and init.value.value == "0":
            total = build.call("sum", source)
        else:
            total = build.call("sum", source, init.value)
        return Edit(replace_loop(ctx, chain.loop, init, build.assign(name, total)))


_MAX_WHEN = {  # (operator type, best on the left?) -> which builtin the update computes
    (cst.GreaterThan, False): "max", (cst.LessThan, True): "max",
    (cst.LessThan, False): "min", (cst.GreaterThan, True): "min",
}


def _improvement_test(test: cst.BaseExpression, best: str) -> tuple[str, cst.BaseExpression] | None:
    """("max"|"min", e) for `e > best`, `best < e`, `e < best`, `best > e`."""
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    left, right = test.left, test.comparisons[0].comparator
    operator = type(test.comparisons[0].operator)
    if isinstance(right, cst.Name) and right.value == best and not (isinstance(left, cst.Name) and left.value == best):
        kind = _MAX_WHEN.get((operator, False))
        return (kind, left) if kind else None
    if isinstance(left, cst.Name) and left.value == best:
        kind = _MAX_WHEN.get((operator, True))
        return (kind, right) if kind else None
    return None


def _is_none_check(test: cst.BaseExpression, best: str) -> bool:
    return isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and \
        isinstance(test.left, cst.Name) and test.left.value == best and \
        isinstance(test.comparisons[0].operator, cst.Is) and \
        isinstance(test.comparisons[0].comparator, cst.Name) and test.comparisons[0].comparator.value == "None"


def _infinity_sign(node: cst.CSTNode, ctx: ProgramContext) -> int | None:
    """+1 / -1 for float("inf") / float("-inf") / math.inf / -math.inf, else None."""
    sign = 1
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        sign, node = -1, node.expression
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "float" \
            and ctx.builtin_usable("float") and len(node.args) == 1 \
            and isinstance(node.args[0].value, cst.SimpleString):
        text = node.args[0].value.evaluated_value.strip().lower()
        if text in ("inf", "+inf", "infinity", "+infinity"):
            return sign
        if text in ("-inf", "-infinity"):
            return -sign
        return None
    if isinstance(node, cst.Attribute) and node.attr.value == "inf" and isinstance(node.value, cst.Name) \
            and ctx.imported_module(node.value.value) == "math":
        return sign
    return None


def _first_item_of(init: cst.CSTNode, loop_iter: cst.CSTNode) -> bool:
    """init is `xs[0]` and the loop runs over `xs` or `xs[1:]`."""
    if not (isinstance(init, cst.Subscript) and isinstance(init.value, cst.Name) and len(init.slice) == 1):
        return False
    index = init.slice[0].slice
    if not (isinstance(index, cst.Index) and isinstance(index.value, cst.Integer) and index.value.value == "0"):
        return False
    sequence = init.value.value
    if isinstance(loop_iter, cst.Name):
        return loop_iter.value == sequence
    if isinstance(loop_iter, cst.Subscript) and isinstance(loop_iter.value, cst.Name) and \
            loop_iter.value.value == sequence and len(loop_iter.slice) == 1:
        part = loop_iter.slice[0].slice
        return isinstance(part, cst.Slice) and isinstance(part.lower, cst.Integer) and part.lower.value == "1" \
            and part.upper is None and part.step is None
    return False


@dataclasses.dataclass(frozen=True)
class _ExtremumLoop:
    loop: BuildingLoop  # name: the best so far; element: the compared value
    kind: str  # min / max
    default: cst.BaseExpression | None  # the start value (None or +-inf) as `default=`; None for `xs[0]`


class MinMaxLoopToBuiltin(Rule):
    """A running-extremum loop becomes min()/max():

        best = xs[0]; for x in xs[1:]: if x > best: best = x      ->  best = max(xs)
        best = None; for x in xs: if best is None or f(x) > best: best = f(x)
                                                                 ->  best = max((f(x) for x in xs), default=None)
        best = float("-inf"); for x in xs: best = max(best, f(x)) ->  best = max((f(x) ...), default=float("-inf"))

    Only strict comparisons match, so ties keep the first extreme, as min/max do.
    Precondition (checked): the compared value is pure (the loop evaluates it twice);
    nothing between the start and the loop mentions best; the loop variables are not
    read after the loop. Assumes: with a None start, no element is None; with an
    infinite start, no element is NaN.
    """

    name = "min_max_loop_to_builtin"
    description = "best = xs[0]; for x in xs: if x > best: best = x  ->  best = max(xs) (also min, None/inf starts)"
    safety = Safety.CONDITIONAL
    families = ("manual_reduce", "sort_extremum")
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _ExtremumLoop | None:
        chain = loop_chain(node)
        leaf = single_leaf(chain)
        if not (isinstance(leaf, cst.Assign) and len(leaf.targets) == 1
                and isinstance(leaf.targets[0].target, cst.Name)):
            return None
        best = leaf.targets[0].target.value
        clauses = list(chain.clauses)
        value = leaf.value
        none_start = False
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in ("min", "max") \
                and len(value.args) == 2 and all(a.keyword is None and not a.star for a in value.args) \
                and isinstance(value.args[0].value, cst.Name) and value.args[0].value.value == best:
            kind, element = value.func.value, value.args[1].value
            if not ctx.builtin_usable(kind):
                return None
        else:
            if not isinstance(clauses[-1], build.IfClause):
                return None
            test = clauses.pop().test
            if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or) and not test.lpar \
                    and _is_none_check(test.left, best):
                none_start, test = True, test.right
            improvement = _improvement_test(test, best)
            if improvement is None:
                return None
            kind, element = improvement
            if not (_same_code(element, value, ctx) and purity.is_pure(element, ctx)) or not ctx.builtin_usable(kind):
                return None
        if names.mentions(element, best, ctx):
            return None
        init = find_initializer(node, best, ctx)
        if init is None:
            return None
        start = init.value
        if none_start:
            if not (isinstance(start, cst.Name) and start.value == "None"):
                return None
            default: cst.BaseExpression | None = start
        elif _first_item_of(start, node.iter):
            if len(clauses) != 1 or not (isinstance(element, cst.Name) and isinstance(node.target, cst.Name)
                                         and element.value == node.target.value):
                return None
            default = None
        else:
            sign = _infinity_sign(start, ctx)
            if sign is None or (sign < 0) != (kind == "max"):
                return None
            default = start
        trimmed = LoopChain(loop=chain.loop, clauses=tuple(clauses), leaves=chain.leaves)
        if not chain_is_movable(trimmed, best, [element], ctx):
            return None
        return _ExtremumLoop(BuildingLoop(trimmed, init, best, element), kind, default)

    def build(self, node: cst.CSTNode, found: _ExtremumLoop, ctx: ProgramContext) -> Edit:
        chain, init, best, element = found.loop.chain, found.loop.init, found.loop.name, found.loop.element
        kind, default = found.kind, found.default
        if default is None:
            sequence = init.value.value  # the `xs` of `xs[0]`
            value = build.call(kind, cst.Name(sequence.value))
        else:
            source = _gen_or_iterable(chain.clauses, element)
            if isinstance(source, cst.GeneratorExp):
                source = build.parenthesized(source)
            value = build.call(kind, source, build.arg(build.clean(default), "default"))
        return Edit(replace_loop(ctx, chain.loop, init, build.assign(best, value)))


@dataclasses.dataclass(frozen=True)
class _Search:
    """A loop chain read as a search: the innermost `if` test over the clauses before it."""

    test: cst.BaseExpression
    clauses: tuple[build.Clause, ...]


def _test_and_filters(chain: LoopChain) -> _Search | None:
    if not isinstance(chain.clauses[-1], build.IfClause):
        return None
    return _Search(chain.clauses[-1].test, chain.clauses[:-1])


def _predicate_call(func: str, search: _Search, negate: bool) -> cst.Call:
    element = build.negated(search.test) if negate else search.test
    return build.call(func, build.comprehension(cst.GeneratorExp, element, search.clauses))


@dataclasses.dataclass(frozen=True)
class _ReturnLoop:
    search: _Search
    following: cst.SimpleStatementLine  # the `return False` (or True) after the loop
    func: str  # any / all


@dataclasses.dataclass(frozen=True)
class _FlagSearch:
    search: _Search
    init: Initializer  # `found = False` (or True)
    flag: str
    func: str  # any / all


@dataclasses.dataclass(frozen=True)
class _SearchAction:
    search: _Search
    action: tuple[cst.CSTNode, ...]  # the statements before the break


def _headers_simple(chain: LoopChain) -> bool:
    return all(names.simple_expression(part) for part in chain.header_parts())


class ReturnLoopToAnyAll(Rule):
    """`for x in xs: if c(x): return True` followed by `return False` becomes
    `return any(c(x) for x in xs)`; the mirror image (`return False` inside,
    `return True` after) becomes `return all(not c(x) for x in xs)`. any/all stop at
    the same element the loop returns at.
    """

    name = "return_loop_to_any_all"
    description = "for x in xs: if c(x): return True / return False  ->  return any(c(x) for x in xs) (or all)"
    safety = Safety.SAFE
    families = ("manual_reduce", "list_membership", "nested_lookup")
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _ReturnLoop | None:
        chain = loop_chain(node)
        leaf = single_leaf(chain)
        if not isinstance(leaf, cst.Return):
            return None
        inside = _bool_constant(leaf.value)
        parts = _test_and_filters(chain)
        following = ctx.next_statement(node)
        if inside is None or parts is None or not isinstance(following, cst.SimpleStatementLine) \
                or len(following.body) != 1 or not isinstance(following.body[0], cst.Return):
            return None
        if _bool_constant(following.body[0].value) is not (not inside):
            return None
        func = "any" if inside else "all"
        function = ctx.in_function_body(node)
        if function is None or ctx.inside_try(node, function) or not ctx.builtin_usable(func):
            return None
        if not _headers_simple(chain):
            return None
        return _ReturnLoop(parts, following, func)

    def build(self, node: cst.CSTNode, found: _ReturnLoop, ctx: ProgramContext) -> Edit:
        result = cst.Return(value=_predicate_call(found.func, found.search, negate=found.func == "all"))
        return Edit(replace_loop(ctx, node, None, build.line(result), remove=[found.following]))


class FlagLoopToAnyAll(Rule):
    """`found = False` then `for x in xs: if c(x): found = True; break` becomes
    `found = any(c(x) for x in xs)` (and the True/False mirror image becomes all()).

    Precondition (checked): one `for` (so the break ends the whole search); nothing
    between the flag's start and the loop mentions it; the headers do not mention it;
    the loop variable is not read after the loop.
    """

    name = "flag_loop_to_any_all"
    description = "found = False; for x in xs: if c(x): found = True; break  ->  found = any(c(x) for x in xs)"
    safety = Safety.CONDITIONAL
    families = ("manual_reduce", "list_membership", "nested_lookup")
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _FlagSearch | None:
        chain = loop_chain(node)
        if chain is None or len(chain.leaves) != 2 or not isinstance(chain.leaves[1], cst.Break):
            return None
        if sum(isinstance(c, build.ForClause) for c in chain.clauses) != 1:
            return None
        setter = chain.leaves[0]
        if not (isinstance(setter, cst.Assign) and len(setter.targets) == 1
                and isinstance(setter.targets[0].target, cst.Name)):
            return None
        flag = setter.targets[0].target.value
        inside = _bool_constant(setter.value)
        parts = _test_and_filters(chain)
        if inside is None or parts is None:
            return None
        init = find_initializer(node, flag, ctx)
        if init is None or _bool_constant(init.value) is not (not inside):
            return None
        func = "any" if inside else "all"
        if not ctx.builtin_usable(func) or not chain_is_movable(chain, flag, [], ctx):
            return None
        return _FlagSearch(parts, init, flag, func)

    def build(self, node: cst.CSTNode, found: _FlagSearch, ctx: ProgramContext) -> Edit:
        value = _predicate_call(found.func, found.search, negate=found.func == "all")
        return Edit(replace_loop(ctx, node, found.init, build.assign(found.flag, value)))


def _as_statements(leaves) -> list[cst.BaseStatement]:
    return [build.line(leaf) if isinstance(leaf, cst.BaseSmallStatement) else leaf for leaf in leaves]


class SearchLoopToAny(Rule):
    """`for x in xs: if c(x): <action>; break` becomes `if any(c(x) for x in xs): <action>`
    when the action does not use x.

    Precondition (checked): one `for`; the action never mentions the loop variables and
    has no break/continue of its own; the loop variables are not read after the loop.
    """

    name = "search_loop_to_any"
    description = "for x in xs: if c(x): act(); break  ->  if any(c(x) for x in xs): act()"
    safety = Safety.CONDITIONAL
    families = ("nested_lookup", "list_membership")
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _SearchAction | None:
        chain = loop_chain(node)
        if chain is None or len(chain.leaves) < 2 or not isinstance(chain.leaves[-1], cst.Break):
            return None
        if sum(isinstance(c, build.ForClause) for c in chain.clauses) != 1 or not ctx.builtin_usable("any"):
            return None
        parts = _test_and_filters(chain)
        if parts is None:
            return None
        action = chain.leaves[:-1]
        targets = set(chain.targets)
        for statement in action:
            if isinstance(statement, (cst.Break, cst.Continue)) or names.loop_jumps(statement):
                return None
            if names.names_in(statement, ctx) & targets:
                return None
        if not _headers_simple(chain) or not liveness.dead_after(node, chain.targets, ctx):
            return None
        return _SearchAction(parts, tuple(action))

    def build(self, node: cst.CSTNode, found: _SearchAction, ctx: ProgramContext) -> Edit:
        condition = _predicate_call("any", found.search, negate=False)
        new = cst.If(test=condition, body=cst.IndentedBlock(body=_as_statements(found.action)))
        return Edit(replace_loop(ctx, node, None, new))


class SearchLoopToNext(Rule):
    """`v = d` then `for x in xs: if c(x): v = e(x); break` becomes
    `v = next((e(x) for x in xs if c(x)), d)`.

    Precondition (checked): one `for`; d is a constant or a name the loop does not
    assign; nothing between the start and the loop mentions v; the headers and e do
    not mention v; the loop variables are not read after the loop.
    """

    name = "search_loop_to_next"
    description = "v = d; for x in xs: if c(x): v = e(x); break  ->  v = next((e(x) for x in xs if c(x)), d)"
    safety = Safety.CONDITIONAL
    families = ("nested_lookup",)
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> BuildingLoop | None:
        chain = loop_chain(node)
        if chain is None or len(chain.leaves) != 2 or not isinstance(chain.leaves[1], cst.Break):
            return None
        if sum(isinstance(c, build.ForClause) for c in chain.clauses) != 1 or not ctx.builtin_usable("next"):
            return None
        setter = chain.leaves[0]
        if not (isinstance(setter, cst.Assign) and len(setter.targets) == 1
                and isinstance(setter.targets[0].target, cst.Name)):
            return None
        name = setter.targets[0].target.value
        if not isinstance(chain.clauses[-1], build.IfClause):
            return None
        init = find_initializer(node, name, ctx)
        if init is None:
            return None
        default = init.value
        if not (purity.is_constant(default) or (isinstance(default, cst.Name) and default.value not in
                                                   names.stored_names(node, ctx))):
            return None
        if not chain_is_movable(chain, name, [setter.value], ctx):
            return None
        return BuildingLoop(chain, init, name, setter.value)

    def build(self, node: cst.CSTNode, found: BuildingLoop, ctx: ProgramContext) -> Edit:
        chain, init, name, element = found.chain, found.init, found.name, found.element
        generator = build.parenthesized(build.comprehension(cst.GeneratorExp, element, chain.clauses))
        value = build.call("next", generator, build.clean(init.value))
        return Edit(replace_loop(ctx, node, init, build.assign(name, value)))


# --- list vs generator arguments ---------------------------------------------------------------

_REDUCERS = frozenset({"sum", "min", "max", "sorted", "set", "frozenset", "tuple", "dict"})


def _reducer_argument(node: cst.CSTNode, ctx: ProgramContext, reducers: frozenset[str]) -> cst.Call | None:
    """The call when node is the first positional argument of a reducing builtin or str.join."""
    holder = ctx.parent(node)
    call = ctx.parent(holder) if isinstance(holder, cst.Arg) else None
    if not isinstance(call, cst.Call) or holder.keyword is not None or holder.star or call.args[0] is not holder:
        return None
    positional = [a for a in call.args if a.keyword is None]
    func = call.func
    if isinstance(func, cst.Name) and func.value in reducers and ctx.builtin_usable(func.value):
        if func.value in ("min", "max", "sorted", "set", "frozenset", "tuple", "dict", "any", "all") \
                and len(positional) != 1:
            return None
        return call
    if isinstance(func, cst.Attribute) and func.attr.value == "join" and len(call.args) == 1 \
            and isinstance(func.value, (cst.SimpleString, cst.Name)) and "join" in reducers:
        return call
    return None


class ListCompToGeneratorInReducer(Rule):
    """`sum([e for x in xs])` becomes `sum(e for x in xs)` (also min, max, sorted, set,
    frozenset, tuple, dict, str.join): the reducer consumes every element in order
    either way, so only memory and speed change."""

    name = "list_comp_to_generator_in_reducer"
    description = "sum([f(x) for x in xs])  ->  sum(f(x) for x in xs) (min/max/sorted/set/tuple/dict/join too)"
    safety = Safety.SAFE
    families = ("needless_copies", "manual_reduce")
    anchor_types = (cst.ListComp,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        return _reducer_argument(node, ctx, _REDUCERS | {"join"})

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        call = found
        lone = len(call.args) == 1
        generator = cst.GeneratorExp(elt=node.elt, for_in=node.for_in,
                                     lpar=[] if lone else [cst.LeftParen()], rpar=[] if lone else [cst.RightParen()])
        return Edit([(node, generator)])


class GeneratorToListCompInReducer(Rule):
    """`sum(e for x in xs)` becomes `sum([e for x in xs])` (also min, max, sorted, set,
    frozenset, tuple, dict, str.join): building the list first is often faster for
    small inputs; the values and their order are the same."""

    name = "generator_to_list_comp_in_reducer"
    description = "sum(f(x) for x in xs)  ->  sum([f(x) for x in xs]) (min/max/sorted/set/tuple/dict/join too)"
    safety = Safety.SAFE
    families = ("manual_reduce",)
    anchor_types = (cst.GeneratorExp,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        return _reducer_argument(node, ctx, _REDUCERS | {"join"})

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        return Edit([(node, cst.ListComp(elt=node.elt, for_in=node.for_in))])


class ShortCircuitAnyAll(Rule):
    """`any([c(x) for x in xs])` becomes `any(c(x) for x in xs)` (also all), so the scan
    stops at the first deciding element.

    Precondition (checked): the comprehension is pure, so skipping the elements after
    the deciding one changes nothing but time.
    """

    name = "short_circuit_any_all"
    description = "any([c(x) for x in xs])  ->  any(c(x) for x in xs) (also all; pure conditions only)"
    safety = Safety.CONDITIONAL
    families = ("manual_reduce", "needless_copies")
    anchor_types = (cst.ListComp,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        call = _reducer_argument(node, ctx, frozenset({"any", "all"}))
        if call is None or len(call.args) != 1 or not purity.is_pure(node, ctx):
            return None
        return call

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        return Edit([(node, cst.GeneratorExp(elt=node.elt, for_in=node.for_in, lpar=[], rpar=[]))])

