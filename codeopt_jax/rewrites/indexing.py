"""Membership and search that change the cost class: dict / set indexes built once.

A scan repeated inside a loop (a nested loop joining two collections, `seq.index(x)`,
`seq.count(x)`, `x in some_list`, `k not in out` over a growing list) costs O(n) per
pass; an index built once before the loop answers each pass in O(1). Building the
index is itself O(n), so these rewrites pay only when the loop makes enough lookups;
the rules do not judge that (it depends on the data), the agent learns it.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Sequence

import libcst as cst
import libcst.matchers as m

from codeopt_jax import scopes
from codeopt_jax.rewrites import build, liveness, names, purity
from codeopt_jax.rewrites.base import Edit, Rule, Safety
from codeopt_jax.rewrites.context import ProgramContext
from codeopt_jax.rewrites.imports import ImportedName, imported_name
from codeopt_jax.rewrites.lookups import ListMembershipToSet, MembershipInLoop, membership_comparators
from codeopt_jax.rewrites.loopshape import (Initializer, LoopChain, chain_is_movable, find_initializer, flatten_body,
                                            loop_chain, replace_loop)
from codeopt_jax.rewrites.repeat import RepeatContext, names_stable, repeat_context, stable_in

# --- shared helpers --------------------------------------------------------------------------------------------

_EQUALITY = m.Comparison(comparisons=[m.ComparisonTarget(operator=m.Equal())])
_MEMBERSHIP = m.ComparisonTarget(operator=m.In() | m.NotIn())
_NOT_IN = m.Comparison(comparisons=[m.ComparisonTarget(operator=m.NotIn(), comparator=m.Name())])
_EMPTY_LIST = m.List(elements=[]) | m.Call(func=m.Name("list"), args=[])
# Methods that only store their argument into the receiver (they do not change the argument).
_STORING_METHODS = frozenset({"append", "add", "insert", "appendleft"})


def _insert_before(anchor: cst.CSTNode, statements: Sequence[cst.BaseStatement]):
    """A replacement callable putting statements before anchor (taking over its comments)."""

    def replace(updated: cst.CSTNode) -> cst.FlattenSentinel:
        first = statements[0].with_changes(leading_lines=updated.leading_lines)
        return cst.FlattenSentinel([first, *statements[1:], updated.with_changes(leading_lines=())])

    return replace


def _insert_after(statement: cst.CSTNode, new: cst.BaseStatement):
    """A replacement callable putting new right after statement."""
    return lambda updated: cst.FlattenSentinel([updated, new])


def _loads(node: cst.CSTNode, ctx: ProgramContext) -> set[str]:
    return {o.name for o in names.occurrences(node, ctx) if o.kind == scopes.LOAD}


def _plain_target(target: cst.BaseExpression) -> bool:
    """A loop target made of names only (`x`, `k, v`, `(a, (b, *rest))`), so it also reads as an expression."""
    if isinstance(target, cst.Name):
        return True
    if isinstance(target, (cst.Tuple, cst.List)):
        return all(isinstance(e, cst.Element) and _plain_target(e.value)
                   or isinstance(e, cst.StarredElement) and isinstance(e.value, cst.Name) for e in target.elements)
    return False


def _target_value(target: cst.BaseExpression) -> cst.BaseExpression:
    """The loop target read back as the element it unpacked (`k, v` -> `(k, v)`)."""
    value = build.clean(target)
    return value if isinstance(value, cst.Name) else build.parenthesized(value)


def _container_contents_kept(name: str, region: cst.CSTNode, ctx: ProgramContext) -> bool:
    """No use of name in region may change the object it holds: no mutating method, no item or
    attribute store, no hand-off to unknown code (storing it into a list or tuple is fine),
    and no closure over it."""
    for occurrence in names.occurrences(region, ctx):
        if occurrence.name != name or occurrence.kind != scopes.LOAD:
            continue
        if occurrence.nested:
            return False
        verdict, context = purity.use_of(occurrence.node, ctx)
        if verdict == purity.MUTATE:
            return False
        if verdict == purity.ESCAPE and isinstance(context, cst.Call) and not (
                isinstance(context.func, cst.Attribute) and context.func.attr.value in _STORING_METHODS):
            return False
    return True


def _holds_iterator(name: str, function: cst.FunctionDef, ctx: ProgramContext) -> bool:
    """Whether the function binds name to a one-shot iterator somewhere (a later pass over it sees less)."""
    for occurrence in names.function_occurrences(function, ctx):
        if occurrence.name != name or occurrence.kind == scopes.LOAD:
            continue
        assign = ctx.parent(ctx.parent(occurrence.node))
        if isinstance(assign, cst.Assign) and purity.is_one_shot_iterator(assign.value, ctx):
            return True
    return False


def _try_or_none(statements: Sequence[cst.BaseStatement], name: str) -> cst.Try:
    """`try: <statements> except TypeError: name = None`."""
    handler = cst.ExceptHandler(body=cst.IndentedBlock(body=[build.assign(name, cst.Name("None"))]),
                                type=cst.Name("TypeError"))
    return cst.Try(body=cst.IndentedBlock(body=list(statements)), handlers=[handler])


def _conjuncts(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    """`a and b and c` -> [a, b, c] (anything else: [test])."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And) and not test.lpar:
        return _conjuncts(test.left) + _conjuncts(test.right)
    return [test]


def _joined(conjuncts: Sequence[cst.BaseExpression]) -> cst.BaseExpression:
    result = build.clean(conjuncts[0])
    for part in conjuncts[1:]:
        result = cst.BooleanOperation(left=result, operator=cst.And(), right=build.clean(part))
    return result


def _ends_search(body: cst.BaseSuite) -> bool:
    """The block ends with break / return / raise and jumps nowhere else, so only the first
    element that reaches it matters."""
    items = flatten_body(body)
    if not items or not isinstance(items[-1], (cst.Break, cst.Return, cst.Raise)):
        return False
    return not any(names.loop_jumps(item) for item in items[:-1])


def _base_name(expression: cst.BaseExpression, default: str) -> str:
    if isinstance(expression, cst.Name):
        return expression.value
    if isinstance(expression, cst.Call) and isinstance(expression.func, cst.Attribute) and \
            isinstance(expression.func.value, cst.Name):
        return expression.func.value.value
    return default


# --- 1. nested loops that join two collections -----------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class JoinSite:
    """An inner `for target in iterable: if probe == key [and rest]: body` under a loop.

    key mentions the inner loop's targets (and names stable across the outer loop); probe
    does not mention them; first_only: the body ends the search at the first match."""

    where: RepeatContext
    test: cst.If
    probe: cst.BaseExpression
    key: cst.BaseExpression
    rest: tuple[cst.BaseExpression, ...]
    first_only: bool


def _equality_sides(test: cst.BaseExpression, targets: set[str], ctx: ProgramContext
                    ) -> tuple[cst.BaseExpression, cst.BaseExpression] | None:
    """(probe, key) for `probe == key` / `key == probe` where only key mentions targets."""
    if not m.matches(test, _EQUALITY):
        return None
    left, right = test.left, test.comparisons[0].comparator
    left_inner, right_inner = bool(names.names_in(left, ctx) & targets), bool(names.names_in(right, ctx) & targets)
    if left_inner == right_inner:
        return None
    return (right, left) if left_inner else (left, right)


def _join_site(node: cst.CSTNode, ctx: ProgramContext) -> JoinSite | None:
    if not isinstance(node, cst.For) or node.asynchronous is not None or not _plain_target(node.target):
        return None
    body = flatten_body(node.body)
    if len(body) != 1 or not isinstance(body[0], cst.If) or body[0].orelse is not None:
        return None
    test = body[0]
    targets = set(scopes.target_names(node.target))
    conjuncts = _conjuncts(test.test)
    for position, conjunct in enumerate(conjuncts):
        sides = _equality_sides(conjunct, targets, ctx)
        if sides is not None:
            break
    else:
        return None
    probe, key = sides
    before = conjuncts[:position]
    parts = (probe, key, node.iter, *before)
    if not all(purity.is_pure(part, ctx) and names.simple_expression(part) for part in parts):
        return None
    where = repeat_context(node, ctx, loops_only=True)
    if where is None or names.names_in(node.iter, ctx) & targets:
        return None
    if not names_stable(node.iter, where, ctx):
        return None
    if not all(stable_in(name, where.region, where.anchor, ctx) for name in _loads(key, ctx) - targets):
        return None
    if node.orelse is not None and names.names_in(node.orelse, ctx) & targets:
        return None
    if not liveness.dead_after(node, targets, ctx):
        return None
    function = ctx.in_function_body(node)
    if isinstance(node.iter, cst.Name) and _holds_iterator(node.iter.value, function, ctx):
        return None
    watched = set(targets)
    for target in targets:
        watched |= purity.alias_names(target, function, ctx)
    if not all(_container_contents_kept(name, where.region, ctx) for name in watched):
        return None
    rest = tuple(before + conjuncts[position + 1:])
    first_only = not rest and _ends_search(test.body)
    if not first_only and not _kept_by(test.body, probe, function, ctx):
        return None  # the probe is computed once, where the scan evaluated it per element
    return JoinSite(where=where, test=test, probe=probe, key=key, rest=rest, first_only=first_only)


def _kept_by(body: cst.BaseSuite, probe: cst.BaseExpression, function: cst.FunctionDef, ctx: ProgramContext) -> bool:
    """Whether running body leaves every name probe reads (and what it holds) as it was."""
    changed = names.stored_names(body, ctx)
    local = names.stored_names(function.body, ctx) | set(scopes.param_names(function.params))
    for name in names.names_in(probe, ctx):
        if name in changed or not _container_contents_kept(name, body, ctx):
            return False
        if name not in local and not stable_in(name, body, ctx.parent(body), ctx, require_bound=False):
            return False  # a global that code the body calls might change
    return True


def _index_build(site: JoinSite, loop: cst.For, index: str) -> cst.BaseStatement:
    """`for target in iterable: index.setdefault(key, (element,))` (first match per key) or
    `...setdefault(key, []).append(element)` (every match, in order)."""
    template = "for {target} in {iterable}:\n    {index}.setdefault({key}, ({element},))\n" if site.first_only \
        else "for {target} in {iterable}:\n    {index}.setdefault({key}, []).append({element})\n"
    return build.statement(template, target=loop.target, iterable=loop.iter, index=cst.Name(index),
                           key=build.as_argument(site.key), element=_target_value(loop.target))


def _inner_body(site: JoinSite) -> cst.BaseSuite:
    """The body under the index lookup: the if's body, still guarded by the other conjuncts."""
    if not site.rest:
        return site.test.body
    return cst.IndentedBlock(body=[site.test.with_changes(test=_joined(site.rest), leading_lines=())])


class NestedLoopJoinToIndex(Rule):
    """A nested loop joining two collections,
    `for a in A: ... for b in B: if f(a) == g(b): body`, builds `index` once before the
    outer loop (`index.setdefault(g(b), (b,))`: the first match per key, when the body
    ends the search with break / return / raise; else `index.setdefault(g(b),
    []).append(b)`: every match in order), and the inner loop becomes
    `for b in index.get(f(a), ()): body` (other conjuncts of the test stay as an if).

    Precondition (checked): g(b) and f(a) are pure; B and the names g reads (besides the
    inner targets) are unchanged in the outer loop and bound before it; the outer loop
    never mutates the inner elements (nor hands them to unknown code); the inner targets
    are dead after the inner loop (and its else never reads them); when every match is
    kept, the body does not change what f(a) reads.
    Assumes: B iterates the same elements on every pass (a collection, not an iterator);
    every g(b) and f(a) evaluates without error and is hashable, with == agreeing with
    hashing (NaN keys match by identity in a dict).
    Pays when the outer loop makes many lookups (O(|A|*|B|) -> O(|A|+|B|)); costs the
    index build (and memory) when A is tiny or the first element of B usually matches.
    """

    name = "nested_loop_join_to_index"
    description = "for a in A: for b in B: if f(a) == g(b): ...  ->  index g(b) -> b once; for b in index.get(f(a), ())"
    safety = Safety.CONDITIONAL
    families = ("nested_lookup",)
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        return _join_site(node, ctx)

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        site: JoinSite = found
        index = ctx.fresh_name(f"{_base_name(node.iter, 'items')}_index")
        setup = [build.assign(index, cst.Dict(elements=[])), _index_build(site, node, index)]
        lookup = build.expr("{index}.get({probe}, ())", index=cst.Name(index), probe=build.as_argument(site.probe))
        new_loop = node.with_changes(iter=lookup, body=_inner_body(site))
        return Edit([(site.where.anchor, _insert_before(site.where.anchor, setup)), (node, new_loop)])


class NestedLoopJoinToIndexGuarded(Rule):
    """The guarded form of nested_loop_join_to_index: the index is built in
    `try: ... except Exception: index = None`, and each pass looks its candidates up in
    `try: candidates = index.get(f(a), ()) except Exception: candidates = B`, then runs
    the original `for b in candidates: if test: body`. A key that is unhashable or fails to
    compute (in the build or the lookup) falls back to scanning B as before, and the kept
    test drops candidates matched only by identity; so the result is the original's.

    Precondition (checked): as for nested_loop_join_to_index.
    Assumes: B iterates the same elements on every pass (a collection, not an iterator),
    and keys whose == agrees with their hash.
    Pays like the unguarded form, plus one test per match; when the build fails it only
    adds the failed attempt to the original scan.
    """

    name = "nested_loop_join_to_index_guarded"
    description = ("for a in A: for b in B: if f(a) == g(b): ...  ->  try: index g(b) -> b once; "
                   "for b in index.get(f(a), ()) or B on error: if f(a) == g(b): ...")
    safety = Safety.CONDITIONAL
    families = ("nested_lookup",)
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        return _join_site(node, ctx)

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        site: JoinSite = found
        base = _base_name(node.iter, "items")
        index = ctx.fresh_name(f"{base}_index")
        candidates = ctx.fresh_name(f"{base}_candidates", taken={index})
        build_loop = _index_build(site, node, index)
        setup = cst.Try(
            body=cst.IndentedBlock(body=[build.assign(index, cst.Dict(elements=[])), build_loop]),
            handlers=[cst.ExceptHandler(body=cst.IndentedBlock(body=[build.assign(index, cst.Name("None"))]),
                                        type=cst.Name("Exception"))])
        lookup = build.statement(
            "try:\n    {candidates} = {index}.get({probe}, ())\nexcept Exception:\n    {candidates} = {iterable}\n",
            candidates=cst.Name(candidates), index=cst.Name(index), probe=build.as_argument(site.probe),
            iterable=node.iter)
        new_loop = node.with_changes(iter=cst.Name(candidates), leading_lines=())
        replacement = cst.FlattenSentinel([lookup.with_changes(leading_lines=node.leading_lines), new_loop])
        return Edit([(site.where.anchor, _insert_before(site.where.anchor, [setup])), (node, replacement)])


# --- 2. seq.index(x) / seq.count(x) inside a loop ----------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ScanSite:
    """`sequence.<method>(x)` calls (x pure) inside one loop where sequence has the same
    value on every pass: `source` (sequence itself, or the pure expression the loop
    binds it to at the top of each pass) gives that value before the loop."""

    sequence: str
    source: cst.BaseExpression
    where: RepeatContext
    calls: tuple[cst.Call, ...]  # every such call of the loop (all switch to the index)


_IN_TEST = m.Comparison(comparisons=[m.ComparisonTarget(operator=m.In())])
_GET_CALL = m.Call(func=m.Attribute(attr=m.Name("get")))
# `(index[x] if [index is not None and] x in index else <call>)`, `([counts is not None and] counts.get(x) or <call>)`
_LOOKUP_FALLBACK = m.IfExp(test=_IN_TEST | m.BooleanOperation(operator=m.And(), right=_IN_TEST)) | \
    m.BooleanOperation(operator=m.Or(), left=_GET_CALL | m.BooleanOperation(operator=m.And(), right=_GET_CALL))


def _scan_call(node: cst.CSTNode, method: str, ctx: ProgramContext) -> str | None:
    """The sequence name of `sequence.<method>(x)` with one pure positional argument x (not
    already the miss path of an index lookup these rules made)."""
    pattern = m.Call(func=m.Attribute(value=m.Name(), attr=m.Name(method)), args=[m.Arg(keyword=None, star="")])
    if not m.matches(node, pattern):
        return None
    parent = ctx.parent(node)
    if m.matches(parent, _LOOKUP_FALLBACK) and (getattr(parent, "orelse", None) is node
                                                or getattr(parent, "right", None) is node):
        return None
    argument = node.args[0].value
    if not (purity.is_pure(argument, ctx) and names.simple_expression(argument)):
        return None
    return node.func.value.value


def _rebound_each_pass(sequence: str, where: RepeatContext, ctx: ProgramContext) -> cst.Assign | None:
    """The `sequence = value` statement that starts each pass of the loop, when value is pure
    and made of names the loop never changes, and the loop only reads sequence otherwise."""
    loop = where.region
    if not isinstance(loop, (cst.For, cst.While)) or not isinstance(loop.body, cst.IndentedBlock):
        return None
    stores = [o for o in names.occurrences(loop, ctx) if o.name == sequence and o.kind != scopes.LOAD]
    if len(stores) != 1:
        return None
    assign = ctx.parent(ctx.parent(stores[0].node))
    if not (m.matches(assign, m.Assign(targets=[m.AssignTarget(target=m.Name())]))
            and assign.targets[0].target is stores[0].node):
        return None
    line = ctx.parent(assign)
    if not (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 and ctx.parent(line) is loop.body):
        return None
    value = assign.value
    if not (purity.is_pure(value, ctx) and names.simple_expression(value)) or names.mentions(value, sequence, ctx) \
            or not names_stable(value, where, ctx):
        return None
    for occurrence, verdict in purity.name_uses(sequence, loop, ctx):
        if occurrence.node is not stores[0].node and verdict not in (purity.READ, purity.RETURN):
            return None
    function = ctx.in_function_body(loop)
    if function is None or names.names_in(loop, ctx) & purity.alias_names(sequence, function, ctx):
        return None
    return assign


def _after(node: cst.CSTNode, statement: cst.CSTNode, ctx: ProgramContext) -> bool:
    """Whether node lies in a statement after statement, in statement's block."""
    block, index = ctx.block_position(statement)
    return any(ctx.is_inside(node, later) for later in block.body[index + 1:])


def _scan_site(node: cst.CSTNode, method: str, ctx: ProgramContext) -> ScanSite | None:
    sequence = _scan_call(node, method, ctx)
    if sequence is None:
        return None
    where = repeat_context(node, ctx)
    if where is None or sequence in where.local_names:
        return None
    rebinding = None
    if not stable_in(sequence, where.region, where.anchor, ctx):
        rebinding = _rebound_each_pass(sequence, where, ctx)
        if rebinding is None or not _after(node, ctx.parent(rebinding), ctx):
            return None
    function = ctx.enclosing_function(node)
    calls = []
    for call in ctx.nodes_of_type((cst.Call,)):
        if ctx.is_inside(call, where.region) and _scan_call(call, method, ctx) == sequence and \
                ctx.enclosing_function(call) is function:
            around = repeat_context(call, ctx)
            if around is not None and sequence not in around.local_names and \
                    (rebinding is None or _after(call, ctx.parent(rebinding), ctx)):
                calls.append(call)
    source = cst.Name(sequence) if rebinding is None else rebinding.value
    return ScanSite(sequence=sequence, source=source, where=where, calls=tuple(calls))


class IndexInLoopToPositions(Rule):
    """`seq.index(x)` inside a loop (or comprehension) that never changes seq: a dict of
    first positions is built once before the loop (`positions.setdefault(item, i)` over
    `enumerate(seq)`), and every such call of the loop becomes
    `(positions[x] if x in positions else seq.index(x))`. A miss still calls seq.index,
    so an absent x raises ValueError as before, and a substring of a str seq (never a
    key: keys are its characters) is still found.

    Precondition (checked): the loop never rebinds, mutates or hands seq to unknown code,
    and seq has a value before the loop; or else each pass starts with `seq = value`
    (pure, of names the loop never changes; the calls come after it; the loop only reads
    seq otherwise), and value is evaluated once more before the loop. x is pure (it is
    evaluated twice).
    Assumes: seq's elements and the looked-up values are hashable, and seq.index(x) is
    the first i with seq[i] == x (list, tuple, range, deque, str, bytes).
    Pays when the loop looks up many values (O(n) per call -> O(1)); costs a full pass
    over seq when the loop runs once or twice or the values sit near the front.
    """

    name = "index_in_loop_to_positions"
    description = "for ...: seq.index(x)  ->  positions = {item: first index} before the loop; positions[x]"
    safety = Safety.CONDITIONAL
    families = ("nested_lookup", "repeated_calls")
    anchor_types = (cst.Call,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        if not ctx.builtin_usable("enumerate"):
            return None
        return _scan_site(node, "index", ctx)

    guarded: ClassVar[bool] = False

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        site: ScanSite = found
        positions = ctx.fresh_name(f"{site.sequence}_positions")
        position = ctx.fresh_name("position", taken={positions})
        item = ctx.fresh_name("item", taken={positions, position})
        setup = [build.assign(positions, cst.Dict(elements=[])),
                 build.statement("for {position}, {item} in enumerate({sequence}):\n"
                                 "    {positions}.setdefault({item}, {position})\n",
                                 position=cst.Name(position), item=cst.Name(item),
                                 sequence=build.as_argument(site.source), positions=cst.Name(positions))]
        template = "({positions}[{value}] if {value} in {positions} else {call})"
        if self.guarded:
            setup = [_try_or_none(setup, positions)]
            template = "({positions}[{value}] if {positions} is not None and {value} in {positions} else {call})"
        replacements: list = [(site.where.anchor, _insert_before(site.where.anchor, setup))]
        for call in site.calls:
            lookup = build.expr(template, positions=cst.Name(positions), value=build.as_argument(call.args[0].value),
                                call=call)
            replacements.append((call, lookup))
        return Edit(replacements)


class IndexInLoopToPositionsGuarded(IndexInLoopToPositions):
    """The guarded form of index_in_loop_to_positions: the positions dict is built in
    `try: ... except TypeError: positions = None`, and each call becomes
    `(positions[x] if positions is not None and x in positions else seq.index(x))`, so
    unhashable elements (a list of lists) keep the plain seq.index scan.

    Precondition (checked): as for index_in_loop_to_positions.
    Assumes: a looked-up value is hashable whenever seq's elements all are (else the
    lookup raises TypeError where seq.index answers).
    Pays like the unguarded form plus a None test per call; when the build fails it only
    adds the failed attempt to the original scans.
    """

    name = "index_in_loop_to_positions_guarded"
    description = ("for ...: seq.index(x)  ->  try: positions = {item: first index} except TypeError: None; "
                   "positions[x] or seq.index(x)")
    guarded = True


@dataclasses.dataclass(frozen=True)
class _CountSite:
    site: ScanSite
    counter: ImportedName  # collections.Counter as the program can name it


class CountInLoopToCounter(Rule):
    """`seq.count(x)` inside a loop (or comprehension) that never changes seq: `counts =
    Counter(seq)` is built once before the loop and every such call of the loop becomes
    `(counts.get(x) or seq.count(x))` (adding `from collections import Counter` when
    needed). A miss still calls seq.count, so a value seq lacks still counts 0 and a
    substring of a str seq (never a key: keys are its characters) is still counted.

    Precondition (checked): as for index_in_loop_to_positions (seq unchanged in the loop,
    or rebound to the same pure value at the start of each pass); x is pure.
    Assumes: seq's elements and the counted values are hashable, and seq.count(x) counts
    the items equal to x (list, tuple, range, deque; str and bytes through the miss path).
    Pays when the loop counts many values that seq holds (O(n) per call -> O(1)); costs a
    full pass over seq when the loop runs a few times, and misses still scan seq.
    """

    name = "count_in_loop_to_counter"
    description = "for ...: seq.count(x)  ->  counts = Counter(seq) before the loop; (counts.get(x) or seq.count(x))"
    safety = Safety.CONDITIONAL
    families = ("dict_counting", "repeated_calls")
    anchor_types = (cst.Call,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _CountSite | None:
        counter = imported_name(ctx, "collections", "Counter", import_module=False)
        site = _scan_site(node, "count", ctx)
        if counter is None or site is None:
            return None
        return _CountSite(site, counter)

    guarded: ClassVar[bool] = False

    def build(self, node: cst.CSTNode, found: _CountSite, ctx: ProgramContext) -> Edit:
        site, counter = found.site, found.counter
        counts = ctx.fresh_name(f"{site.sequence}_counts")
        setup: list[cst.BaseStatement] = [build.assign(counts, build.call(counter.reference, site.source))]
        template = "({counts}.get({value}) or {call})"
        if self.guarded:
            setup = [_try_or_none(setup, counts)]
            template = "({counts} is not None and {counts}.get({value}) or {call})"
        replacements: list = [(site.where.anchor, _insert_before(site.where.anchor, setup))]
        for call in site.calls:
            lookup = build.expr(template, counts=cst.Name(counts), value=build.as_argument(call.args[0].value),
                                call=call)
            replacements.append((call, lookup))
        return Edit(replacements, imports=counter.imports)


class CountInLoopToCounterGuarded(CountInLoopToCounter):
    """The guarded form of count_in_loop_to_counter: `try: counts = Counter(seq) except
    TypeError: counts = None`, and each call becomes
    `(counts is not None and counts.get(x) or seq.count(x))`, so unhashable elements (a
    list of lists) keep the plain seq.count scan.

    Precondition (checked): as for count_in_loop_to_counter.
    Assumes: a counted value is hashable whenever seq's elements all are (else the lookup
    raises TypeError where seq.count answers).
    Pays like the unguarded form plus a None test per call; when the build fails it only
    adds the failed attempt to the original scans.
    """

    name = "count_in_loop_to_counter_guarded"
    description = ("for ...: seq.count(x)  ->  try: counts = Counter(seq) except TypeError: None; "
                   "(counts is not None and counts.get(x) or seq.count(x))")
    guarded = True


# --- 3. order-preserving dedupe ------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class CompanionSite:
    """A local list whose uses are membership tests, appends, order-only changes and reads."""

    name: str
    line: cst.SimpleStatementLine  # `name = [...]`
    empty: bool
    tests: tuple[cst.Name, ...]  # the `name` of each `in name` / `not in name`
    appends: tuple[cst.Expr, ...]  # each `name.append(v)` statement


_LIST_VALUE = m.List() | m.ListComp() | m.Call(func=m.Name("list"))
_ORDER_ONLY_METHODS = frozenset({"sort", "reverse"})


def _method_statement(name_node: cst.Name, ctx: ProgramContext) -> tuple[str, cst.Expr] | None:
    """(method, statement) when name_node is the receiver of a call statement `name.method(...)`."""
    attribute = ctx.parent(name_node)
    call = ctx.parent(attribute)
    if not (isinstance(attribute, cst.Attribute) and attribute.value is name_node and isinstance(call, cst.Call)
            and call.func is attribute and isinstance(ctx.parent(call), cst.Expr)):
        return None
    return attribute.attr.value, ctx.parent(call)


class DedupeListCompanionSet(Rule):
    """A list that is both searched and used as a list (`out = []`; `if k not in out:
    out.append(k)`; `return out`) gets a companion set: `out_seen = set()` after its
    binding, `out_seen.add(v)` after each `out.append(v)`, and every `in out` / `not in
    out` test asks `out_seen` instead. The list keeps its order and contents.

    Precondition (checked): the list is a local bound once (to a list display, list
    comprehension or list(...)), never captured by a nested scope; every other use is an
    `in` / `not in` test, an `.append(v)` statement with a pure v, `.sort(...)` /
    `.reverse()`, or a read (len, indexing, iteration, return); at least one use is a
    test and one a read (a list used only for membership is membership_list_to_set's).
    Assumes: the appended and tested values are hashable.
    Pays when the list grows long and is searched often (O(len) per test -> O(1)); costs
    a set insert per append, which loses when the list stays short.
    """

    name = "dedupe_list_companion_set"
    description = "out = []; if k not in out: out.append(k)  ->  + out_seen = set(); k not in out_seen; add to both"
    safety = Safety.CONDITIONAL
    families = ("list_membership",)
    anchor_types = (cst.Assign,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        if not m.matches(node, m.Assign(targets=[m.AssignTarget(target=m.Name())], value=_LIST_VALUE)):
            return None
        if isinstance(node.value, cst.Call) and not ctx.builtin_usable("list"):
            return None
        line = ctx.parent(node)
        function = ctx.in_function_body(node)
        if function is None or not ctx.builtin_usable("set") or not isinstance(line, cst.SimpleStatementLine) \
                or len(line.body) != 1 or ctx.block_position(line) is None:
            return None
        name = node.targets[0].target.value
        tests: list[cst.Name] = []
        appends: list[cst.Expr] = []
        reads = 0
        for occurrence in names.function_occurrences(function, ctx):
            if occurrence.name != name:
                continue
            if occurrence.kind != scopes.LOAD:
                if occurrence.node is not node.targets[0].target:
                    return None
                continue
            if occurrence.nested:
                return None
            parent = ctx.parent(occurrence.node)
            if m.matches(parent, _MEMBERSHIP) and parent.comparator is occurrence.node:
                tests.append(occurrence.node)
                continue
            method = _method_statement(occurrence.node, ctx)
            if method is not None and method[0] == "append":
                call = method[1].value
                if not m.matches(call, m.Call(args=[m.Arg(keyword=None, star="")])) or \
                        not purity.is_pure(call.args[0].value, ctx) or names.mentions(call.args[0].value, name, ctx):
                    return None
                appends.append(method[1])
                continue
            if method is not None and method[0] in _ORDER_ONLY_METHODS:
                reads += 1
                continue
            if purity.use_of(occurrence.node, ctx)[0] not in (purity.READ, purity.RETURN):
                return None
            reads += 1
        if not tests or not reads:
            return None
        empty = m.matches(node.value, _EMPTY_LIST)
        return CompanionSite(name=name, line=line, empty=empty, tests=tuple(tests), appends=tuple(appends))

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        site: CompanionSite = found
        seen = ctx.fresh_name(f"{site.name}_seen")
        start = build.call("set") if site.empty else build.call("set", cst.Name(site.name))
        replacements: list = [(site.line, _insert_after(site.line, build.assign(seen, start)))]
        for test in site.tests:
            replacements.append((test, cst.Name(seen)))
        for append in site.appends:
            add = cst.Expr(value=build.expr("{seen}.add({value})", seen=cst.Name(seen),
                                            value=build.as_argument(append.value.args[0].value)))
            line = ctx.parent(append)
            if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 and \
                    ctx.block_position(line) is not None:
                replacements.append((line, _insert_after(line, build.line(add))))
            else:
                replacements.append((append, cst.FlattenSentinel([append, add])))
        return Edit(replacements)


@dataclasses.dataclass(frozen=True)
class DedupeLoop:
    """A loop that appends each new `element` (tested with `element not in out`) to `out`."""

    out: str
    init: Initializer
    chain: LoopChain  # its clauses without the dedupe test (temporaries as `for t in (v,)`)
    element: cst.BaseExpression


def _dedupe_test(test: cst.BaseExpression, out: str, element: cst.BaseExpression,
                 ctx: ProgramContext) -> list[cst.BaseExpression] | None:
    """The other conjuncts when test is `[... and] element not in out`."""
    conjuncts = _conjuncts(test)
    last = conjuncts[-1]
    if not m.matches(last, _NOT_IN) or last.comparisons[0].comparator.value != out:
        return None
    if "".join(ctx.code(last.left).split()) != "".join(ctx.code(element).split()):
        return None
    return conjuncts[:-1]


def _dedupe_loop(node: cst.CSTNode, ctx: ProgramContext) -> DedupeLoop | None:
    chain = loop_chain(node)
    if chain is None:
        return None
    clauses = list(chain.clauses)
    leaves = list(chain.leaves)
    if len(leaves) == 1 and isinstance(clauses[-1], build.IfClause):
        test = clauses.pop().test
    elif leaves and m.matches(leaves[-1], m.If(orelse=None)) and len(flatten_body(leaves[-1].body)) == 1:
        test = leaves[-1].test
        for temporary in leaves[:-1]:
            if not m.matches(temporary, m.Assign(targets=[m.AssignTarget(target=m.Name())])):
                return None
            value = cst.Element(build.as_element(temporary.value))
            clauses.append(build.ForClause(temporary.targets[0].target, cst.Tuple([value])))
        leaves = flatten_body(leaves[-1].body)
    else:
        return None
    append = leaves[0]
    if not m.matches(append, m.Expr(value=m.Call(func=m.Attribute(value=m.Name(), attr=m.Name("append")),
                                                args=[m.Arg(keyword=None, star="")]))):
        return None
    out = append.value.func.value.value
    element = append.value.args[0].value
    others = _dedupe_test(test, out, element, ctx)
    if others is None or not purity.is_pure(element, ctx):
        return None
    if others:
        clauses.append(build.IfClause(_joined(others)))
    init = find_initializer(node, out, ctx)
    if init is None or not m.matches(init.value, _EMPTY_LIST):
        return None
    movable = LoopChain(loop=chain.loop, clauses=tuple(clauses), leaves=(append,))
    if not chain_is_movable(movable, out, [element], ctx):
        return None
    return DedupeLoop(out=out, init=init, chain=movable, element=element)


class DedupeLoopToDictFromkeys(Rule):
    """`out = []` then a loop that appends each value not yet in out (`if v not in out:
    out.append(v)`, other filters and `t = ...` temporaries allowed before it) becomes
    `out = list(dict.fromkeys(v for ...))`: the same values in first-seen order, with
    O(1) instead of O(len(out)) per test.

    Precondition (checked): out starts as an empty list; nothing between the start and the
    loop mentions out; the dedupe test is the last conjunct of the if; v is pure (the loop
    evaluated it twice); the headers, filters and v never mention out; the loop
    variables and temporaries are not read after the loop.
    Assumes: the values are hashable.
    Pays on every input of some length (a dict insert per value instead of a list scan);
    costs little even for short ones.
    """

    name = "dedupe_loop_to_dict_fromkeys"
    description = "out = []; for x in xs: if x not in out: out.append(x)  ->  out = list(dict.fromkeys(xs))"
    safety = Safety.CONDITIONAL
    families = ("list_membership",)
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        if not (ctx.builtin_usable("list") and ctx.builtin_usable("dict")):
            return None
        return _dedupe_loop(node, ctx)

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        loop: DedupeLoop = found
        clauses = loop.chain.clauses
        if len(clauses) == 1 and isinstance(loop.element, cst.Name) and isinstance(clauses[0].target, cst.Name) \
                and clauses[0].target.value == loop.element.value:
            values = build.clean(clauses[0].iter)
        else:
            values = build.comprehension(cst.GeneratorExp, loop.element, clauses)
        fromkeys = cst.Attribute(value=cst.Name("dict"), attr=cst.Name("fromkeys"))
        new = build.assign(loop.out, build.call("list", build.call(fromkeys, values)))
        return Edit(replace_loop(ctx, node, loop.init, new))


# --- 4. guarded list -> set membership -----------------------------------------------------------------------------

class ListMembershipToSetGuarded(ListMembershipToSet):
    """The guarded form of list_membership_to_set: before the loop,
    `try: xs_set = set(xs) if type(xs) in (list, tuple) else xs` / `except TypeError:
    xs_set = xs`, and the loop's `in xs` tests ask xs_set. Only a list or tuple becomes a
    set (a str keeps its substring test, an iterator, dict or custom container is used as
    is), and unhashable elements keep the list.

    Precondition (checked): as for list_membership_to_set.
    Assumes: a value tested against a list of hashable elements is hashable (else the set
    test raises TypeError where the list test answers).
    Pays when the loop tests many values against a long list; costs a pass over xs (and
    the set) when it tests a few.
    """

    name = "list_membership_to_set_guarded"
    description = ("for ...: if x in xs  ->  try: xs_set = set(xs) if type(xs) in (list, tuple) else xs "
                   "except TypeError: xs_set = xs; for ...: if x in xs_set")
    families = ("list_membership", "nested_lookup")

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        if not all(ctx.builtin_usable(name) for name in ("type", "list", "tuple")):
            return None
        return super().match(node, ctx)

    def build(self, node: cst.CSTNode, found: MembershipInLoop, ctx: ProgramContext) -> Edit:
        name, where = found.name, found.where
        set_name = ctx.fresh_name(f"{name}_set")
        setup = build.statement(
            "try:\n    {set_name} = set({name}) if type({name}) in (list, tuple) else {name}\n"
            "except TypeError:\n    {set_name} = {name}\n", set_name=cst.Name(set_name), name=cst.Name(name))
        replacements: list = [(where.anchor, _insert_before(where.anchor, [setup]))]
        for comparator in membership_comparators(name, where, node, ctx):
            replacements.append((comparator, cst.Name(set_name)))
        return Edit(replacements)
