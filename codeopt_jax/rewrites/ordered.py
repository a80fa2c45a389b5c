"""Partial sorts and searches in a list built by sorted(): heapq and bisect.

    sorted(xs)[:k]                           ->  heapq.nsmallest(k, xs)
    sum(1 for v in s if v < x), x in s       ->  bisect on s = sorted(...)
    for v in s: if v >= x: return v          ->  bisect on s = sorted(...)
"""

from __future__ import annotations

import dataclasses

import libcst as cst
import libcst.matchers as m

from codeopt_jax import scopes
from codeopt_jax.rewrites import build, liveness, names, purity
from codeopt_jax.rewrites.base import Edit, Rule, Safety
from codeopt_jax.rewrites.charmaps import guarded_expression
from codeopt_jax.rewrites.cleanup import sorted_parts
from codeopt_jax.rewrites.context import ProgramContext
from codeopt_jax.rewrites.imports import ImportedName, imported_name
from codeopt_jax.rewrites.loopshape import flatten_body
from codeopt_jax.rewrites.sequences import builtins_usable, is_int_literal


# --- sorted(xs)[:k] -> heapq.nsmallest(k, xs) -------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class SortedPrefix:
    """`sorted(iterable[, key=...][, reverse=...])[:count]`."""

    iterable: cst.Arg
    key: cst.Arg | None
    reverse: bool
    count: cst.BaseExpression
    heap_function: ImportedName


def _sorted_prefix(node: cst.CSTNode, ctx: ProgramContext) -> SortedPrefix | None:
    parts = sorted_parts(node.value, ctx)
    if parts is None or len(node.slice) != 1 or names.in_store_target(node, ctx):
        return None
    part = node.slice[0].slice
    if not isinstance(part, cst.Slice) or part.step is not None or part.upper is None or \
            not (part.lower is None or is_int_literal(part.lower, 0)):
        return None
    iterable, key, reverse = parts.iterable, parts.key, parts.reverse
    heap_function = imported_name(ctx, "heapq", "nlargest" if reverse else "nsmallest")
    if heap_function is None:
        return None
    return SortedPrefix(iterable=iterable, key=key, reverse=reverse, count=part.upper, heap_function=heap_function)


def _heap_call(found: SortedPrefix) -> cst.Call:
    args = [build.arg(build.clean(found.count)),
            build.clean(found.iterable).with_changes(comma=cst.MaybeSentinel.DEFAULT)]
    if found.key is not None:
        args.append(build.clean(found.key).with_changes(comma=cst.MaybeSentinel.DEFAULT))
    return cst.Call(func=build.clean(found.heap_function.reference), args=args)


def _positive_int_literal(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Integer) and node.evaluated_value > 0


class SortedPrefixToHeap(Rule):
    """`sorted(xs)[:k]` becomes `heapq.nsmallest(k, xs)` and `sorted(xs, reverse=True)[:k]`
    becomes `heapq.nlargest(k, xs)` (key= carries over), adding `import heapq`.

    Precondition (checked): k is a positive int literal; the slice starts at 0 and has no
    step. heapq documents both as equivalent to the sorted slice: they break ties by
    input order like the stable sort, and call key once per item.
    Assumes: the items (or keys) are totally ordered (no NaN), as a sort needs anyway.
    A choice that matters: the heap walks the input in a Python loop, so it wins when n is
    large, k much smaller and the input unsorted (5-10x at n = 10**5, k <= 50); it loses
    on short inputs (n below ~200), when k approaches n, and on already sorted input,
    which the sort handles in linear time. k == 1 uses min()/max() and always wins.
    """

    name = "sorted_prefix_to_heap"
    description = "sorted(xs[, key=f])[:3] / sorted(xs, reverse=True)[:3]  ->  heapq.nsmallest(3, xs) / nlargest"
    safety = Safety.CONDITIONAL
    families = ("sort_extremum",)
    anchor_types = (cst.Subscript,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> SortedPrefix | None:
        found = _sorted_prefix(node, ctx)
        return found if found is not None and _positive_int_literal(found.count) else None

    def build(self, node: cst.CSTNode, found: SortedPrefix, ctx: ProgramContext) -> Edit:
        new = _heap_call(found).with_changes(lpar=node.lpar, rpar=node.rpar)
        return Edit([(node, new)], imports=found.heap_function.imports)


class SortedPrefixToHeapGuarded(Rule):
    """The guarded form of sorted_prefix_to_heap for a count that is not a literal:
    `(heapq.nsmallest(k, xs) if type(k) is int and k > 0 else sorted(xs)[:k])`; a negative,
    zero or non-int count (where the slice and the heap differ) runs the original.

    Precondition (checked): as sorted_prefix_to_heap, except that k is a pure expression
    (it is evaluated up to three times) rather than a positive literal.
    Assumes: the items (or keys) are totally ordered. The same cost note applies.
    """

    name = "sorted_prefix_to_heap_guarded"
    description = "sorted(xs)[:k]  ->  heapq.nsmallest(k, xs) if type(k) is int and k > 0 else sorted(xs)[:k]"
    safety = Safety.CONDITIONAL
    families = ("sort_extremum",)
    anchor_types = (cst.Subscript,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> SortedPrefix | None:
        found = _sorted_prefix(node, ctx)
        if found is None or purity.is_constant(found.count) or not builtins_usable(ctx, "type", "int"):
            return None
        if not purity.is_pure(found.count, ctx) or not names.simple_expression(found.count):
            return None
        return found

    def build(self, node: cst.CSTNode, found: SortedPrefix, ctx: ProgramContext) -> Edit:
        count = build.as_operand(found.count)
        test = build.expr("type({k}) is int and {k} > 0", k=count)
        new = guarded_expression(node, test, _heap_call(found), ctx)
        return Edit([(node, new)], imports=found.heap_function.imports)


# --- searching a list built by sorted() -> bisect ----------------------------------------------------

def sorted_local(node: cst.CSTNode, ctx: ProgramContext) -> bool:
    """Whether node is a name surely holding an ascending sorted list where node is read: a
    local of its function bound once, by `name = sorted(x)` (no key, not reversed) in an
    earlier statement around node, and never mutated, aliased or handed to unknown code."""
    if not isinstance(node, cst.Name):
        return False
    function = ctx.in_function_body(node)
    statement = ctx.statement_of(node)
    if function is None or statement is None or node.value in scopes.param_names(function.params):
        return False
    binding = None
    for occurrence in names.function_occurrences(function, ctx):
        if occurrence.name != node.value:
            continue
        if occurrence.nested:
            return False
        if occurrence.kind != scopes.LOAD:
            holder = ctx.parent(occurrence.node)
            assign = ctx.parent(holder) if isinstance(holder, cst.AssignTarget) else None
            if binding is not None or not isinstance(assign, cst.Assign) or holder.target is not occurrence.node:
                return False
            binding = assign
        elif purity.use_of(occurrence.node, ctx)[0] not in (purity.READ, purity.RETURN) and \
                not _searched_by_bisect(occurrence.node, ctx):
            return False
    if binding is None or len(binding.targets) != 1:
        return False
    parts = sorted_parts(binding.value, ctx)
    if parts is None or parts.key is not None or parts.reverse:
        return False
    return not purity.alias_names(node.value, function, ctx) and liveness.bound_before(node.value, statement, ctx)


BISECT_SEARCHES = frozenset({"bisect_left", "bisect_right", "bisect"})


def _searched_by_bisect(node: cst.Name, ctx: ProgramContext) -> bool:
    """Whether node is the list argument of bisect.bisect_left/bisect_right (a read)."""
    holder = ctx.parent(node)
    call = ctx.parent(holder)
    if not (isinstance(holder, cst.Arg) and holder.keyword is None and not holder.star and
            isinstance(call, cst.Call) and call.args[0] is holder):
        return False
    func = call.func
    if isinstance(func, cst.Name):
        origin = ctx.module_imports.get(func.value)
        return origin is not None and origin.startswith("bisect.") and origin.split(".")[1] in BISECT_SEARCHES \
            and ctx.imported_module(func.value) is not None
    return isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
        func.attr.value in BISECT_SEARCHES and ctx.imported_module(func.value.value) == "bisect"


def _settled_operand(node: cst.CSTNode, ctx: ProgramContext) -> bool:
    """A constant, or a name that surely has a value where node is evaluated."""
    if purity.is_constant(node):
        return True
    statement = ctx.statement_of(node)
    return isinstance(node, cst.Name) and statement is not None and liveness.bound_before(node.value, statement, ctx)


@dataclasses.dataclass(frozen=True)
class SortedCount:
    """Counting the items of a sorted list on one side of a bound."""

    items: cst.Name
    bound: cst.BaseExpression
    below: bool  # counting items below the bound (else above it)
    inclusive: bool  # items equal to the bound count too
    bisect_left: ImportedName
    bisect_right: ImportedName


_FLIPPED = {cst.LessThan: cst.GreaterThan, cst.LessThanEqual: cst.GreaterThanEqual,
            cst.GreaterThan: cst.LessThan, cst.GreaterThanEqual: cst.LessThanEqual}


def _item_comparison(test: cst.CSTNode, var: str) -> tuple[type, cst.BaseExpression] | None:
    """(operator type, other side) for `var < x` (also <=, >, >=, and `x > var` flipped)."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    operator, other = test.comparisons[0].operator, test.comparisons[0].comparator
    if type(operator) not in _FLIPPED:
        return None
    if m.matches(test.left, m.Name(var)):
        return type(operator), other
    if m.matches(other, m.Name(var)):
        return _FLIPPED[type(operator)], test.left
    return None


def _sorted_count(node: cst.CSTNode, ctx: ProgramContext) -> SortedCount | None:
    if not m.matches(node.func, m.Name("sum") | m.Name("len")) or not ctx.builtin_usable(node.func.value) or \
            len(node.args) != 1 or node.args[0].keyword is not None or node.args[0].star:
        return None
    comprehension = node.args[0].value
    counting_len = node.func.value == "len"
    if not isinstance(comprehension, cst.ListComp if counting_len else cst.GeneratorExp):
        return None
    comp_for = comprehension.for_in
    if comp_for.inner_for_in is not None or comp_for.asynchronous is not None or \
            not isinstance(comp_for.target, cst.Name) or len(comp_for.ifs) > 1:
        return None
    var = comp_for.target.value
    element = comprehension.elt
    if comp_for.ifs:  # sum(1 for v in s if v < x) / len([v for v in s if v < x])
        counted = purity.is_constant(element) or m.matches(element, m.Name(var)) if counting_len \
            else is_int_literal(element, 1)
        if not counted:
            return None
        test = comp_for.ifs[0].test
    elif counting_len:
        return None
    else:
        test = element  # sum(v < x for v in s)
    comparison = _item_comparison(test, var)
    if comparison is None or not sorted_local(comp_for.iter, ctx):
        return None
    operator, bound = comparison
    if m.matches(bound, m.Name(var)) or not _settled_operand(bound, ctx) or not builtins_usable(ctx, "len"):
        return None
    left = imported_name(ctx, "bisect", "bisect_left")
    right = imported_name(ctx, "bisect", "bisect_right")
    if left is None or right is None:
        return None
    return SortedCount(items=comp_for.iter, bound=bound, below=operator in (cst.LessThan, cst.LessThanEqual),
                       inclusive=operator in (cst.LessThanEqual, cst.GreaterThanEqual), bisect_left=left,
                       bisect_right=right)


def _bisect_call(function: ImportedName, items: cst.Name, bound: cst.BaseExpression) -> cst.Call:
    return build.call(build.clean(function.reference), build.clean(items), build.clean(bound))


class SortedCountToBisect(Rule):
    """Counting the items of a sorted list below or above a bound becomes a binary search:
    `sum(1 for v in s if v < x)` -> `bisect.bisect_left(s, x)`, `v <= x` -> `bisect_right`,
    `v > x` -> `len(s) - bisect_right(s, x)`, `v >= x` -> `len(s) - bisect_left(s, x)`
    (also `sum(v < x for v in s)` and `len([v for v in s if v < x])`), adding `import bisect`.

    Precondition (checked): s is a local bound once by `s = sorted(...)` (no key, not
    reversed) before the count and never mutated or aliased; x is a constant or a name
    that has a value there and does not depend on v.
    Assumes: the items and x are totally ordered (no NaN), so that `v <= x` is `not x < v`.
    O(log n) instead of O(n): helps for any list beyond a handful of items, most inside
    loops.
    """

    name = "sorted_count_to_bisect"
    description = "s = sorted(xs); sum(1 for v in s if v < x)  ->  bisect.bisect_left(s, x) (<=, >, >= too)"
    safety = Safety.CONDITIONAL
    families = ("list_membership", "nested_lookup")
    anchor_types = (cst.Call,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> SortedCount | None:
        return _sorted_count(node, ctx)

    def build(self, node: cst.CSTNode, found: SortedCount, ctx: ProgramContext) -> Edit:
        left_side = found.below != found.inclusive  # count below x, or count above-or-equal
        function = found.bisect_left if left_side else found.bisect_right
        position = _bisect_call(function, found.items, found.bound)
        if found.below:
            new: cst.BaseExpression = position.with_changes(lpar=node.lpar, rpar=node.rpar)
        else:
            new = cst.BinaryOperation(left=build.call("len", build.clean(found.items)), operator=cst.Subtract(),
                                      right=position)
            new = build.parenthesized(new) if node.lpar or isinstance(ctx.parent(node), _OPERAND_PARENTS) else new
        imports = found.bisect_left.imports if left_side else found.bisect_right.imports
        return Edit([(node, new)], imports=imports)


_OPERAND_PARENTS = (cst.BinaryOperation, cst.UnaryOperation, cst.Attribute, cst.Subscript, cst.Call,
                    cst.Comparison, cst.ComparisonTarget, cst.Await)


@dataclasses.dataclass(frozen=True)
class SortedMembership:
    """`x in s` / `x not in s` with s a sorted list."""

    comparison: cst.Comparison
    value: cst.BaseExpression
    items: cst.Name
    negated: bool
    bisect_left: ImportedName
    bisect_right: ImportedName


class SortedMembershipToBisect(Rule):
    """`x in s` with s built by sorted() becomes
    `bisect.bisect_left(s, x) != bisect.bisect_right(s, x)` (two binary searches; the
    items equal to x lie between them); `x not in s` compares with `==`.

    Precondition (checked): s is a local bound once by `s = sorted(...)` (no key, not
    reversed) before the test and never mutated or aliased; x is pure (it is evaluated
    twice); the test is not part of a chained comparison.
    Assumes: x and the items are totally ordered and compare equal exactly when neither is
    smaller (so no NaN, and x is comparable with the items: `in` would answer False where
    bisect raises TypeError).
    O(log n) instead of O(n). For hashable items a set (list_membership_to_set) is faster
    still; this suits unhashable items such as lists or tuples of lists.
    """

    name = "sorted_membership_to_bisect"
    description = "s = sorted(xs); ... x in s  ->  bisect.bisect_left(s, x) != bisect.bisect_right(s, x)"
    safety = Safety.CONDITIONAL
    families = ("list_membership", "nested_lookup")
    anchor_types = (cst.Comparison,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> SortedMembership | None:
        if len(node.comparisons) != 1 or not isinstance(node.comparisons[0].operator, (cst.In, cst.NotIn)):
            return None
        items, value = node.comparisons[0].comparator, node.left
        if not sorted_local(items, ctx) or not purity.is_pure(value, ctx) or not names.simple_expression(value):
            return None
        left = imported_name(ctx, "bisect", "bisect_left")
        right = imported_name(ctx, "bisect", "bisect_right")
        if left is None or right is None:
            return None
        return SortedMembership(comparison=node, value=value, items=items,
                                negated=isinstance(node.comparisons[0].operator, cst.NotIn), bisect_left=left,
                                bisect_right=right)

    def build(self, node: cst.CSTNode, found: SortedMembership, ctx: ProgramContext) -> Edit:
        value = build.as_argument(found.value)
        operator = cst.Equal() if found.negated else cst.NotEqual()
        new = cst.Comparison(left=_bisect_call(found.bisect_left, found.items, value), comparisons=[
            cst.ComparisonTarget(operator=operator, comparator=_bisect_call(found.bisect_right, found.items, value))],
            lpar=node.lpar, rpar=node.rpar)
        return Edit([(node, new)], imports=tuple(dict.fromkeys(found.bisect_left.imports +
                                                               found.bisect_right.imports)))


@dataclasses.dataclass(frozen=True)
class SortedScan:
    """`for [i, ]v in [enumerate(]s[)]: if v >= x: return v|i` then `return default`."""

    items: cst.Name
    bound: cst.BaseExpression
    strict: bool  # `v > x` (else `v >= x`)
    returns_index: bool
    default: cst.BaseExpression
    after: cst.SimpleStatementLine
    search: ImportedName


def _scan_target(loop: cst.For) -> tuple[str, str | None, cst.BaseExpression] | None:
    """(item name, index name or None, iterated list) for `for v in s` / `for i, v in enumerate(s)`."""
    if isinstance(loop.target, cst.Name):
        return loop.target.value, None, loop.iter
    pair = m.Tuple(elements=[m.Element(value=m.Name()), m.Element(value=m.Name())])
    enumerate_call = m.Call(func=m.Name("enumerate"), args=[m.Arg(keyword=None, star="")])
    if m.matches(loop.target, pair) and m.matches(loop.iter, enumerate_call):
        index, item = (element.value.value for element in loop.target.elements)
        return item, index, loop.iter.args[0].value
    return None


def _sorted_scan(node: cst.For, ctx: ProgramContext) -> SortedScan | None:
    if node.orelse is not None or node.asynchronous is not None:
        return None
    target = _scan_target(node)
    body = flatten_body(node.body)
    if target is None or len(body) != 1 or not isinstance(body[0], cst.If) or body[0].orelse is not None:
        return None
    item, index, items = target
    if index is not None and not ctx.builtin_usable("enumerate"):
        return None
    inner = flatten_body(body[0].body)
    if len(inner) != 1 or not m.matches(inner[0], m.Return(value=m.Name(index if index is not None else item))):
        return None
    comparison = _item_comparison(body[0].test, item)
    if comparison is None or comparison[0] not in (cst.GreaterThan, cst.GreaterThanEqual):
        return None
    bound = comparison[1]
    after = ctx.next_statement(node)
    returned = flatten_body(cst.IndentedBlock(body=[after]))[0] if isinstance(after, cst.SimpleStatementLine) \
        else None
    if not (isinstance(returned, cst.Return) and returned.value is not None and len(after.body) == 1):
        return None
    loop_names = [item] + ([index] if index is not None else [])
    if not names.simple_expression(returned.value) or not liveness.dead_after(node, loop_names, ctx):
        return None
    if not sorted_local(items, ctx) or m.matches(bound, m.Name(item) | m.Name(index or item)) or \
            not _settled_operand(bound, ctx) or not ctx.builtin_usable("len"):
        return None
    strict = comparison[0] is cst.GreaterThan
    search = imported_name(ctx, "bisect", "bisect_right" if strict else "bisect_left")
    if search is None:
        return None
    return SortedScan(items=items, bound=bound, strict=strict, returns_index=index is not None,
                      default=returned.value, after=after, search=search)


class SortedScanToBisect(Rule):
    """A linear scan of a sorted list for the first item at or above a bound,

        for v in s:                       for i, v in enumerate(s):
            if v >= x:                        if v >= x:
                return v                          return i
        return default                    return default

    becomes a binary search: `position = bisect.bisect_left(s, x)` then
    `return s[position] if position < len(s) else default` (or `position` for the index
    form); `v > x` uses bisect_right.

    Precondition (checked): s is a local bound once by `s = sorted(...)` (no key, not
    reversed) before the loop and never mutated or aliased; x is a constant or a name
    with a value there; the return follows the loop and does not read v or i. With the
    index form and `return len(s)`, the loop and return become `return bisect_left(s, x)`.
    Assumes: the items and x are totally ordered (no NaN).
    O(log n) instead of O(n): helps unless the answer is among the first few items.
    """

    name = "sorted_scan_to_bisect"
    description = "s = sorted(xs); for v in s: if v >= x: return v / return d  ->  i = bisect_left(s, x); return ..."
    safety = Safety.CONDITIONAL
    families = ("list_membership", "manual_reduce")
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> SortedScan | None:
        return _sorted_scan(node, ctx)

    def build(self, node: cst.CSTNode, found: SortedScan, ctx: ProgramContext) -> Edit:
        search_call = _bisect_call(found.search, found.items, found.bound)
        default_is_end = m.matches(found.default, m.Call(func=m.Name("len"), args=[m.Arg(value=m.Name(
            found.items.value), keyword=None, star="")]))
        if found.returns_index and default_is_end:  # the insertion point itself
            returned = found.after.with_changes(body=[cst.Return(value=search_call)],
                                                leading_lines=[*node.leading_lines, *found.after.leading_lines])
            return Edit([(node, cst.RemovalSentinel.REMOVE), (found.after, returned)], imports=found.search.imports)
        position = ctx.fresh_name("position")
        search = build.assign(position, search_call, leading_lines=node.leading_lines)
        answer = cst.Name(position) if found.returns_index else build.expr(
            "{s}[{p}]", s=found.items, p=cst.Name(position))
        value = build.expr("{answer} if {p} < len({s}) else {default}", answer=answer, p=cst.Name(position),
                           s=found.items, default=found.default)
        returned = found.after.with_changes(body=[cst.Return(value=value)])
        return Edit([(node, search), (found.after, returned)], imports=found.search.imports)
