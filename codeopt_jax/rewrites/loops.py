"""Loop rewrites: building loops -> comprehensions, index loops -> direct iteration."""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import libcst as cst

from codeopt_jax import scopes
from codeopt_jax.rewrites import build, liveness, names, purity
from codeopt_jax.rewrites.base import Edit, Rule, Safety
from codeopt_jax.rewrites.context import ProgramContext
from codeopt_jax.rewrites.loopshape import (BuildingLoop, Initializer, LoopChain, branch_values, chain_is_movable,
                                            find_initializer, flatten_body, loop_chain, method_call_on, replace_loop,
                                            single_leaf, stored_item)


def _is_call_of(node: cst.CSTNode, func: str, ctx: ProgramContext, nargs: int | None = None) -> bool:
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == func \
        and ctx.builtin_usable(func) and (nargs is None or len(node.args) == nargs) \
        and all(a.keyword is None and not a.star for a in node.args)


def _empty_container(value: cst.CSTNode, kind: str, ctx: ProgramContext) -> bool:
    """`[]` / `list()`, `{}` / `dict()`, `set()`."""
    if kind == "list" and isinstance(value, cst.List) and not value.elements:
        return True
    if kind == "dict" and isinstance(value, cst.Dict) and not value.elements:
        return True
    return _is_call_of(value, kind, ctx, nargs=0)


def _has_filter(clauses) -> bool:
    return any(isinstance(clause, build.IfClause) for clause in clauses)


def _is_target_echo(chain: LoopChain, element: cst.BaseExpression) -> bool:
    """The loop is `for x in it: ... x` with one clause, so the element is the item itself."""
    return len(chain.clauses) == 1 and isinstance(element, cst.Name) and \
        isinstance(chain.clauses[0].target, cst.Name) and chain.clauses[0].target.value == element.value


class _AppendLoopRule(Rule):
    """`r = []` then a for loop whose innermost statement is `r.append(e)` becomes
    `r = [e for ...]`; an innermost if/else of appends becomes a conditional expression.

    Precondition (checked): nothing between the initializer and the loop mentions r,
    the loop's headers and elements never mention r, and the loop variables are not
    read after the loop.
    """

    anchor_types = (cst.For,)
    safety = Safety.CONDITIONAL
    families = ("append_loop", "filter_map_loop")
    filtered: bool

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> BuildingLoop | None:
        chain = loop_chain(node)
        if chain is None or _has_filter(chain.clauses) != self.filtered:
            return None
        leaf = single_leaf(chain)
        if leaf is None:
            return None
        found = method_call_on(leaf, "append")
        if found is not None:
            name, element = found
            values = [element]
        else:
            branches = branch_values(leaf, lambda s: method_call_on(s, "append"), allow_missing_else=False)
            if branches is None:
                return None
            name, pairs, final = branches
            element = build.if_expression(pairs, final)
            values = [v for pair in pairs for v in pair] + [final]
        init = find_initializer(node, name, ctx)
        if init is None or not _empty_container(init.value, "list", ctx):
            return None
        if not chain_is_movable(chain, name, values, ctx):
            return None
        return BuildingLoop(chain, init, name, element)

    def build(self, node: cst.CSTNode, found: BuildingLoop, ctx: ProgramContext) -> Edit:
        chain, init, name, element = found.chain, found.init, found.name, found.element
        if _is_target_echo(chain, element) and ctx.builtin_usable("list"):
            value = build.call("list", chain.clauses[0].iter)
        else:
            value = build.comprehension(cst.ListComp, element, chain.clauses)
        return Edit(replace_loop(ctx, chain.loop, init, build.assign(name, value)))


class AppendLoopToListComp(_AppendLoopRule):
    name = "append_loop_to_listcomp"
    description = "r = []; for x in xs: r.append(f(x))  ->  r = [f(x) for x in xs] (no if filter)"
    filtered = False


class FilteredAppendLoopToListComp(_AppendLoopRule):
    name = "filtered_append_loop_to_listcomp"
    description = "r = []; for x in xs: if c(x): r.append(f(x))  ->  r = [f(x) for x in xs if c(x)]"
    filtered = True


class SetAddLoopToSetComp(Rule):
    """`s = set()` then a loop whose innermost statement is `s.add(e)` becomes
    `s = {e for ...}` (or `set(xs)`).

    Precondition (checked): as for append_loop_to_listcomp.
    """

    name = "set_add_loop_to_setcomp"
    description = "s = set(); for x in xs: [if c(x):] s.add(f(x))  ->  s = {f(x) for x in xs [if c(x)]}"
    safety = Safety.CONDITIONAL
    families = ("filter_map_loop", "append_loop")
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> BuildingLoop | None:
        chain = loop_chain(node)
        leaf = single_leaf(chain)
        found = method_call_on(leaf, "add") if leaf is not None else None
        if found is None:
            return None
        name, element = found
        init = find_initializer(node, name, ctx)
        if init is None or not _empty_container(init.value, "set", ctx):
            return None
        if not chain_is_movable(chain, name, [element], ctx):
            return None
        return BuildingLoop(chain, init, name, element)

    def build(self, node: cst.CSTNode, found: BuildingLoop, ctx: ProgramContext) -> Edit:
        chain, init, name, element = found.chain, found.init, found.name, found.element
        if _is_target_echo(chain, element):
            value = build.call("set", chain.clauses[0].iter)
        else:
            value = build.comprehension(cst.SetComp, element, chain.clauses)
        return Edit(replace_loop(ctx, chain.loop, init, build.assign(name, value)))


@dataclasses.dataclass(frozen=True)
class _DictLoop:
    loop: BuildingLoop  # its element is the stored value
    key: cst.BaseExpression


class DictLoopToDictComp(Rule):
    """`d = {}` then a loop whose innermost statement is `d[k] = v` becomes
    `d = {k: v for ...}` (later keys win in both, and first-insertion order is kept).

    Precondition (checked): as for append_loop_to_listcomp, plus the key is pure and,
    unless the key is a plain name or constant, the value is pure too (a dict
    comprehension evaluates the key first, the loop the value first).
    """

    name = "dict_loop_to_dictcomp"
    description = "d = {}; for x in xs: [if c(x):] d[k(x)] = v(x)  ->  d = {k(x): v(x) for x in xs [if c(x)]}"
    safety = Safety.CONDITIONAL
    families = ("filter_map_loop", "dict_counting")
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _DictLoop | None:
        chain = loop_chain(node)
        leaf = single_leaf(chain)
        found = stored_item(leaf) if leaf is not None else None
        if found is None:
            return None
        name, key, value = found
        if not purity.is_pure(key, ctx):
            return None
        if not (isinstance(key, cst.Name) or purity.is_constant(key) or purity.is_pure(value, ctx)):
            return None
        init = find_initializer(node, name, ctx)
        if init is None or not _empty_container(init.value, "dict", ctx):
            return None
        if not chain_is_movable(chain, name, [key, value], ctx):
            return None
        return _DictLoop(BuildingLoop(chain, init, name, value), key)

    def build(self, node: cst.CSTNode, found: _DictLoop, ctx: ProgramContext) -> Edit:
        loop = found.loop
        comp = build.comprehension(cst.DictComp, found.key, loop.chain.clauses, value=loop.element)
        return Edit(replace_loop(ctx, loop.chain.loop, loop.init, build.assign(loop.name, comp)))


# --- index loops ---------------------------------------------------------------------------

@dataclasses.dataclass
class _IndexUse:
    """How a `for i in range(...)` body uses i."""

    items: dict[str, list[cst.Subscript]]  # sequence name -> its `seq[i]` loads
    other: int  # uses of i that are not `seq[i]` loads


def _range_of_len(iter_node: cst.CSTNode, ctx: ProgramContext) -> str | None:
    """S for `range(len(S))`."""
    if not _is_call_of(iter_node, "range", ctx, nargs=1):
        return None
    inner = iter_node.args[0].value
    if _is_call_of(inner, "len", ctx, nargs=1) and isinstance(inner.args[0].value, cst.Name):
        return inner.args[0].value.value
    return None


def _min_of_lens(node: cst.CSTNode, ctx: ProgramContext) -> list[str] | None:
    """[A, B, ...] for `min(len(A), len(B), ...)`."""
    if not (_is_call_of(node, "min", ctx) and len(node.args) >= 2):
        return None
    sequence_names = []
    for argument in node.args:
        inner = argument.value
        if not (_is_call_of(inner, "len", ctx, nargs=1) and isinstance(inner.args[0].value, cst.Name)):
            return None
        sequence_names.append(inner.args[0].value.value)
    return sequence_names if len(set(sequence_names)) == len(sequence_names) else None


def _index_uses(loop: cst.For, index: str, ctx: ProgramContext) -> _IndexUse | None:
    """Classifies the uses of the loop index in the body; None if the body rebinds it."""
    items: dict[str, list[cst.Subscript]] = {}
    other = 0
    for occurrence in names.occurrences(loop.body, ctx):
        if occurrence.name != index:
            continue
        if occurrence.kind != scopes.LOAD:
            return None
        holder = ctx.parent(occurrence.node)
        element = ctx.parent(holder) if isinstance(holder, cst.Index) else None
        subscript = ctx.parent(element) if isinstance(element, cst.SubscriptElement) else None
        if isinstance(subscript, cst.Subscript) and len(subscript.slice) == 1 and holder.star is None \
                and isinstance(subscript.value, cst.Name) and subscript.value.value != index \
                and not names.in_store_target(subscript, ctx):
            items.setdefault(subscript.value.value, []).append(subscript)
        else:
            other += 1
    return _IndexUse(items=items, other=other)


def singular(word: str) -> str | None:
    """A rough English singular of a plural variable name (None when it does not look plural)."""
    if len(word) < 2 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return None
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "uses", "zes")):
        return word[:-2]
    return word[:-1]


def _item_name(sequence: str, ctx: ProgramContext, taken: set[str]) -> str:
    base = singular(sequence) or f"{sequence}_item"
    chosen = ctx.fresh_name(base, taken)
    taken.add(chosen)
    return chosen


def _sequences_unchanged(loop: cst.For, sequence_names: list[str], ctx: ProgramContext) -> bool:
    """No sequence is changed in the loop body, by name or through another variable that may
    hold the same list (a parameter: `f(a, a)`; then iterating the list itself sees it grow)."""
    function = ctx.enclosing_function(loop)
    return all(purity.not_mutated(name, loop.body, ctx) and not (
        function is not None and purity.mutates_possible_alias(name, loop.body, function, ctx))
        for name in sequence_names)


def _rewrite_index_loop(loop: cst.For, uses: _IndexUse, sequences: tuple[str, ...], keep_index: bool,
                        ctx: ProgramContext) -> cst.For:
    taken: set[str] = set()
    item_names = [_item_name(s, ctx, taken) for s in sequences]
    swaps = {id(sub): cst.Name(item) for s, item in zip(sequences, item_names) for sub in uses.items[s]}
    body = build.substitute(loop.body, swaps)
    if len(sequences) == 1:
        items: cst.BaseExpression = cst.Name(item_names[0])
        source = cst.Name(sequences[0])
    else:
        items = cst.Tuple([cst.Element(cst.Name(n)) for n in item_names], lpar=[], rpar=[])
        source = build.call("zip", *[cst.Name(s) for s in sequences])
    if keep_index:
        if isinstance(items, cst.Tuple):
            items = build.parenthesized(items)
        target = cst.Tuple([cst.Element(build.clean(loop.target)), cst.Element(items)], lpar=[], rpar=[])
        source = build.call("enumerate", source)
    else:
        target = items
    return loop.with_changes(target=target, iter=source, body=body)


@dataclasses.dataclass(frozen=True)
class _IndexLoop:
    uses: _IndexUse
    sequences: tuple[str, ...]  # the sequences indexed by i, in zip order
    keep_index: bool  # i is used besides `seq[i]`: enumerate


class _IndexLoopRule(Rule):
    anchor_types = (cst.For,)
    safety = Safety.CONDITIONAL
    families = ("range_len",)

    def _loop_parts(self, node: cst.CSTNode, ctx: ProgramContext):
        if not (isinstance(node, cst.For) and node.asynchronous is None and node.orelse is None
                and isinstance(node.target, cst.Name)):
            return None
        uses = _index_uses(node, node.target.value, ctx)
        return uses

    def build(self, node: cst.CSTNode, found: _IndexLoop, ctx: ProgramContext) -> Edit:
        return Edit([(node, _rewrite_index_loop(node, found.uses, found.sequences, found.keep_index, ctx))])


class RangeLenToDirectIteration(_IndexLoopRule):
    """`for i in range(len(xs))` whose body uses i only as `xs[i]` becomes `for x in xs`.

    Precondition (checked): the body never rebinds i, never rebinds or mutates xs
    (nor hands it to unknown code, nor mutates a parameter that may be the same list),
    and i is not read after the loop.
    """

    name = "range_len_to_direct_iteration"
    description = "for i in range(len(xs)): ... xs[i] ...  ->  for x in xs: ... x ... (i used only as xs[i])"

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        uses = self._loop_parts(node, ctx)
        sequence = _range_of_len(node.iter, ctx) if uses is not None else None
        if sequence is None or uses.other or set(uses.items) != {sequence}:
            return None
        if not _sequences_unchanged(node, [sequence], ctx) or not liveness.dead_after(node, [node.target.value], ctx):
            return None
        return _IndexLoop(uses, (sequence,), keep_index=False)


class RangeLenToEnumerate(_IndexLoopRule):
    """`for i in range(len(xs))` whose body reads `xs[i]` and also uses i otherwise
    becomes `for i, x in enumerate(xs)`.

    Precondition (checked): the body never rebinds i and never rebinds or mutates xs
    (nor a parameter that may be the same list).
    """

    name = "range_len_to_enumerate"
    description = "for i in range(len(xs)): ... i ... xs[i] ...  ->  for i, x in enumerate(xs): ... i ... x ..."

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        uses = self._loop_parts(node, ctx)
        sequence = _range_of_len(node.iter, ctx) if uses is not None else None
        if sequence is None or not uses.other or sequence not in uses.items or not ctx.builtin_usable("enumerate"):
            return None
        if not _sequences_unchanged(node, [sequence], ctx):
            return None
        return _IndexLoop(uses, (sequence,), keep_index=True)


def _single_assignment_value(name: str, loop: cst.For, ctx: ProgramContext) -> cst.BaseExpression | None:
    """The value of `name = value` when that is the only binding of name in the function
    and it sits in an earlier statement of a block enclosing loop."""
    function = ctx.in_function_body(loop)
    if function is None:
        return None
    stores = [o for o in names.function_occurrences(function, ctx) if o.name == name and o.kind != scopes.LOAD]
    if len(stores) != 1 or not liveness.bound_before(name, loop, ctx):
        return None
    assign = ctx.parent(ctx.parent(stores[0].node))
    if isinstance(assign, cst.Assign) and len(assign.targets) == 1 and assign.targets[0].target is stores[0].node:
        return assign.value
    return None


def _len_of(node: cst.CSTNode, ctx: ProgramContext) -> str | None:
    """x for `len(x)` with x a name."""
    if _is_call_of(node, "len", ctx, nargs=1) and isinstance(node.args[0].value, cst.Name):
        return node.args[0].value.value
    return None


def _exits(block: cst.BaseSuite) -> bool:
    """Whether a block always ends by returning or raising."""
    last = block.body[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return isinstance(last.body[-1], (cst.Return, cst.Raise))
    return isinstance(block, cst.SimpleStatementSuite) and isinstance(last, (cst.Return, cst.Raise))


def _equal_length_guards(loop: cst.For, ctx: ProgramContext) -> set[frozenset[str]]:
    """Pairs {a, b} for earlier guards `if len(a) != len(b): return/raise` in blocks
    enclosing loop, where the function never rebinds a or b."""
    function = ctx.in_function_body(loop)
    if function is None:
        return set()
    stored = {o.name for o in names.occurrences(function.body, ctx) if o.kind != scopes.LOAD}
    pairs: set[frozenset[str]] = set()
    current: cst.CSTNode = loop
    while current is not function:
        for earlier in ctx.previous_statements(current):
            if not (isinstance(earlier, cst.If) and earlier.orelse is None and _exits(earlier.body)):
                continue
            test = earlier.test
            if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and \
                    isinstance(test.comparisons[0].operator, cst.NotEqual):
                lengths = {_len_of(test.left, ctx), _len_of(test.comparisons[0].comparator, ctx)}
                if None not in lengths and len(lengths) == 2 and not lengths & stored:
                    pairs.add(frozenset(lengths))
        current = ctx.parent(current)
    return pairs


class RangeMinLenToZip(_IndexLoopRule):
    """`for i in range(min(len(a), len(b)))` (directly or through a variable bound once to
    that), or `for i in range(len(a))` after a guard `if len(a) != len(b): return/raise`,
    whose body reads `a[i]` and `b[i]` becomes `for x, y in zip(a, b)`, or
    `for i, (x, y) in enumerate(zip(a, b))` when i is used otherwise too. zip stops at
    the shorter sequence exactly where the range does.

    Precondition (checked): the body never rebinds i and never rebinds or mutates the
    sequences (nor a parameter that may be one of them); a guard's names are never rebound in the function; without enumerate, i
    is not read after the loop.
    """

    name = "range_min_len_to_zip"
    description = ("for i in range(min(len(a), len(b))) (or a len(a) != len(b) guard): ... a[i] ... b[i] ...  "
                   "->  for x, y in zip(a, b)")

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        uses = self._loop_parts(node, ctx)
        if uses is None or not _is_call_of(node.iter, "range", ctx, nargs=1) or not ctx.builtin_usable("zip"):
            return None
        bound = node.iter.args[0].value
        single = _len_of(bound, ctx)
        if single is not None:
            guards = _equal_length_guards(node, ctx)
            others = sorted(set(uses.items) - {single})
            if single not in uses.items or not others or \
                    not all(frozenset({single, other}) in guards for other in others):
                return None
            sequences = [single] + others
        else:
            if isinstance(bound, cst.Name):
                bound = _single_assignment_value(bound.value, node, ctx)
                if bound is None:
                    return None
            sequences = _min_of_lens(bound, ctx)
            if sequences is None or set(uses.items) != set(sequences):
                return None
        if not _sequences_unchanged(node, sequences, ctx):
            return None
        keep_index = bool(uses.other)
        if keep_index and not ctx.builtin_usable("enumerate"):
            return None
        if not keep_index and not liveness.dead_after(node, [node.target.value], ctx):
            return None
        return _IndexLoop(uses, tuple(sequences), keep_index)


class RangeLenToZipAssumingEqualLength(_IndexLoopRule):
    """`for i in range(len(a))` whose body reads `a[i]` and `b[i]` (and maybe more
    sequences) becomes `for x, y in zip(a, b)` (or enumerate(zip(...)) when i is used
    otherwise).

    UNSAFE: when b is shorter than a the original raises IndexError part-way while zip
    silently stops; the rewrite is right only when the sequences are at least as long
    as a. The body must not rebind i or mutate the sequences.
    """

    name = "range_len_to_zip_assume_equal_length"
    description = ("for i in range(len(a)): ... a[i] ... b[i] ...  ->  for x, y in zip(a, b); "
                   "unsafe: differs when b is shorter than a")
    safety = Safety.UNSAFE

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        uses = self._loop_parts(node, ctx)
        first = _range_of_len(node.iter, ctx) if uses is not None else None
        if first is None or first not in uses.items or len(uses.items) < 2 or not ctx.builtin_usable("zip"):
            return None
        sequences = [first] + sorted(s for s in uses.items if s != first)
        if not _sequences_unchanged(node, sequences, ctx):
            return None
        keep_index = bool(uses.other)
        if keep_index and not ctx.builtin_usable("enumerate"):
            return None
        if not keep_index and not liveness.dead_after(node, [node.target.value], ctx):
            return None
        return _IndexLoop(uses, tuple(sequences), keep_index)


# --- while loops over an index ---------------------------------------------------------------

def _has_own_continue(root: cst.CSTNode) -> bool:
    stack = list(root.children)
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Continue):
            return True
        if isinstance(node, (cst.For, cst.While)):
            if node.orelse is not None:
                stack.append(node.orelse)
            continue
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        stack.extend(node.children)
    return False


def _int_bound(node: cst.CSTNode, loop: cst.While, ctx: ProgramContext) -> bool:
    """An integer-valued expression that the loop body cannot change."""
    if isinstance(node, cst.Integer):
        return True
    if isinstance(node, cst.Name):
        return not any(o.name == node.value and o.kind != scopes.LOAD
                       for o in names.occurrences(loop.body, ctx)) and liveness.bound_before(node.value, loop, ctx)
    if _is_call_of(node, "len", ctx, nargs=1) and isinstance(node.args[0].value, cst.Name):
        return purity.not_mutated(node.args[0].value.value, loop.body, ctx)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Subtract, cst.Multiply,
                                                                             cst.FloorDivide)):
        return _int_bound(node.left, loop, ctx) and _int_bound(node.right, loop, ctx)
    return False


@dataclasses.dataclass(frozen=True)
class _WhileIndex:
    index: str
    init: Initializer  # `i = <int literal>`
    end: cst.BaseExpression


class WhileIndexToFor(Rule):
    """`i = k` + `while i < n: ...; i += 1` (the increment last) becomes
    `for i in range(k, n): ...`.

    Precondition (checked): k is an integer literal; n is an integer literal, `len(xs)`
    of an unmutated xs, a name the body does not assign, or +,-,*,// of those; the body
    assigns i only in the final `i += 1` and has no `continue`; nothing between the
    initializer and the loop mentions i; and i is not read after the loop.
    """

    name = "while_index_to_for"
    description = "i = 0; while i < n: body; i += 1  ->  for i in range(n): body"
    safety = Safety.CONDITIONAL
    families = ("while_index",)
    anchor_types = (cst.While,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _WhileIndex | None:
        if node.orelse is not None or not isinstance(node.body, cst.IndentedBlock) or not ctx.builtin_usable("range"):
            return None
        test = node.test
        if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.left, cst.Name)
                and isinstance(test.comparisons[0].operator, cst.LessThan)):
            return None
        index = test.left.value
        end = test.comparisons[0].comparator
        last = node.body.body[-1]
        if not (isinstance(last, cst.SimpleStatementLine) and len(last.body) == 1):
            return None
        step = last.body[0]
        if not (isinstance(step, cst.AugAssign) and isinstance(step.operator, cst.AddAssign)
                and isinstance(step.target, cst.Name) and step.target.value == index
                and isinstance(step.value, cst.Integer) and step.value.value == "1"):
            return None
        stores = [o for o in names.occurrences(node.body, ctx) if o.name == index and o.kind != scopes.LOAD]
        if len(stores) != 1 or _has_own_continue(node.body):
            return None
        if names.mentions(end, index, ctx) or not _int_bound(end, node, ctx):
            return None
        init = find_initializer(node, index, ctx)
        if init is None or not isinstance(init.value, cst.Integer):
            return None
        if not liveness.dead_after(node, [index], ctx):
            return None
        return _WhileIndex(index, init, end)

    def build(self, node: cst.CSTNode, found: _WhileIndex, ctx: ProgramContext) -> Edit:
        index, end = found.index, found.end
        start = found.init.value
        if start.value == "0":
            bounds = build.call("range", end)
        else:
            bounds = build.call("range", start, end)
        statements = list(node.body.body[:-1]) or [cst.SimpleStatementLine([cst.Pass()])]
        loop = cst.For(target=cst.Name(index), iter=bounds, body=node.body.with_changes(body=statements),
                       leading_lines=node.leading_lines)
        return Edit(replace_loop(ctx, node, found.init, loop))


# --- loop fission -------------------------------------------------------------------------------

_GROWING_METHODS = frozenset({"append", "add", "extend", "update", "appendleft"})


def _leaf_effects(leaf: cst.CSTNode, ctx: ProgramContext) -> tuple[set[str], list[cst.CSTNode]] | None:
    """(names the leaf stores or grows, the values it computes) for `n += v`, `n = v`, or
    `n.append(v)`-style growth of a container; None for anything else."""
    if isinstance(leaf, cst.AugAssign) and isinstance(leaf.target, cst.Name):
        return {leaf.target.value}, [leaf.value]
    if isinstance(leaf, cst.Assign) and len(leaf.targets) == 1 and isinstance(leaf.targets[0].target, cst.Name):
        return {leaf.targets[0].target.value}, [leaf.value]
    if isinstance(leaf, cst.Expr) and isinstance(leaf.value, cst.Call):
        call = leaf.value
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                func.attr.value in _GROWING_METHODS and all(a.keyword is None and not a.star for a in call.args):
            return {func.value.value}, [a.value for a in call.args]
    return None


def _rebuild(loop: cst.CSTNode, depth: int, statements: list[cst.CSTNode]) -> cst.CSTNode:
    """loop with the innermost body (depth headers down) replaced by statements."""
    if depth == 0:
        lines = [build.line(s) if isinstance(s, cst.BaseSmallStatement) else s for s in statements]
        if isinstance(loop.body, cst.IndentedBlock):
            return loop.with_changes(body=loop.body.with_changes(body=lines))
        return loop.with_changes(body=cst.IndentedBlock(body=lines))
    inner = flatten_body(loop.body)[0]
    rebuilt = _rebuild(inner, depth - 1, statements)
    if isinstance(loop.body, cst.IndentedBlock):
        return loop.with_changes(body=loop.body.with_changes(body=[rebuilt]))
    return loop.with_changes(body=cst.IndentedBlock(body=[rebuilt]))


def _changes_only_own_objects(leaves: Sequence[cst.CSTNode], function: cst.FunctionDef, ctx: ProgramContext) -> bool:
    """Every container a leaf grows is a local holding objects the function created, and no
    `n += v` targets a parameter or a variable the function does not bind (it may be a shared list)."""
    fresh = purity.fresh_locals(function, ctx)
    bound = names.stored_names(function.body, ctx) - set(scopes.param_names(function.params))
    for leaf in leaves:
        if isinstance(leaf, cst.Expr) and leaf.value.func.value.value not in fresh:
            return False
        if isinstance(leaf, cst.AugAssign) and leaf.target.value not in bound:
            return False
    return True


class SplitAccumulationLoop(Rule):
    """A loop whose innermost body does independent accumulations splits in two: the
    first statement gets its own copy of the loop, the rest keep the original, e.g.
    `for x in xs: if x > 0: total += x; count += 1` -> one loop for total, one for count
    (each then fits sum()/comprehension rules).

    Precondition (checked): every innermost statement is `n += v`, `n = v` or
    `n.append(v)`-style growth, with pure values; no statement touches a name another one
    stores or grows, nor one the headers read, nor a loop variable; the headers are pure
    (the copy evaluates them again); grown containers are not aliases of each other:
    each one a local holding a container the function created, and no `n += v` on a
    parameter or global (`f(xs, a, b)` may be called with a and b one list).
    Assumes: the iterable can be iterated twice (a sequence, not an iterator).
    """

    name = "split_accumulation_loop"
    description = "for x in xs: a += f(x); b += g(x)  ->  for x in xs: a += f(x)  +  for x in xs: b += g(x)"
    safety = Safety.CONDITIONAL
    families = ("manual_reduce",)
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        chain = loop_chain(node)
        if chain is None or len(chain.leaves) < 2 or ctx.block_position(node) is None:
            return None
        function = ctx.in_function_body(node)
        if function is None:
            return None
        effects: list[set[str]] = []
        for leaf in chain.leaves:
            found = _leaf_effects(leaf, ctx)
            if found is None or not all(purity.is_pure(v, ctx) and names.simple_expression(v) for v in found[1]):
                return None
            effects.append(found[0])
        header_names = set()
        for part in chain.header_parts():
            if not purity.is_pure(part, ctx) or not names.simple_expression(part):
                return None
            header_names |= names.names_in(part, ctx)
        changed = set().union(*effects)
        if sum(len(e) for e in effects) != len(changed):
            return None  # two statements change the same name
        if changed & (header_names | set(chain.targets)):
            return None
        for index, leaf in enumerate(chain.leaves):
            others = changed - effects[index]
            if names.names_in(leaf, ctx) & others:
                return None
        for name in changed:
            if purity.alias_names(name, function, ctx) & changed:
                return None
        if not _changes_only_own_objects(chain.leaves, function, ctx):
            return None
        return chain

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        chain = found
        depth = len(chain.clauses) - 1
        first = _rebuild(node, depth, [chain.leaves[0]])
        rest = build.clean(_rebuild(node, depth, list(chain.leaves[1:]))).with_changes(leading_lines=())
        return Edit([(node, cst.FlattenSentinel([first, rest]))])


# --- search flags -------------------------------------------------------------------------------

def _own_breaks(loop: cst.CSTNode) -> list[cst.Break]:
    """The break statements that end this loop (not an inner one)."""
    found: list[cst.Break] = []
    stack = [loop.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Break):
            found.append(node)
            continue
        if isinstance(node, (cst.For, cst.While)):
            if node.orelse is not None:
                stack.append(node.orelse)
            continue
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        stack.extend(node.children)
    return found


def _is_flag_set(small: cst.CSTNode, flag: str) -> bool:
    return isinstance(small, cst.Assign) and len(small.targets) == 1 and \
        isinstance(small.targets[0].target, cst.Name) and small.targets[0].target.value == flag and \
        isinstance(small.value, cst.Name) and small.value.value == "True"


def _statement_before(small: cst.CSTNode, ctx: ProgramContext) -> cst.CSTNode | None:
    """The small statement executed right before small (same line, or the previous line)."""
    line = ctx.parent(small)
    index = next(i for i, s in enumerate(line.body) if s is small)
    if index:
        return line.body[index - 1]
    previous = ctx.previous_statements(line)
    if previous and isinstance(previous[0], cst.SimpleStatementLine):
        return previous[0].body[-1]
    return None


@dataclasses.dataclass(frozen=True)
class _FlagLoop:
    init: Initializer  # `found = False`
    setters: tuple[cst.Assign, ...]  # `found = True` before each break
    following: cst.If  # `if not found: ...`


class FlagToForElse(Rule):
    """`found = False` + a loop that sets `found = True` right before each of its breaks +
    `if not found: ...` right after it becomes a for/else: the else block runs exactly
    when the loop ends without a break, so the flag goes away.

    Precondition (checked): the flag is bound only by the start (False) and by
    `found = True` directly before each break of this loop; its only other use is the
    `if not found:` (without elif/else) right after the loop; the loop has no else yet.
    """

    name = "flag_to_for_else"
    description = "found = False; for ...: ... found = True; break / if not found: X  ->  for ...: ... break / else: X"
    safety = Safety.CONDITIONAL
    families = ("nested_lookup", "list_membership")
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _FlagLoop | None:
        if node.orelse is not None or node.asynchronous is not None:
            return None
        following = ctx.next_statement(node)
        if not (isinstance(following, cst.If) and following.orelse is None):
            return None
        test = following.test
        if not (isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
                and isinstance(test.expression, cst.Name) and not test.expression.lpar):
            return None
        flag = test.expression.value
        init = find_initializer(node, flag, ctx)
        function = ctx.in_function_body(node)
        if init is None or function is None or not (isinstance(init.value, cst.Name) and init.value.value == "False"):
            return None
        breaks = _own_breaks(node)
        if not breaks:
            return None
        setters = [_statement_before(b, ctx) for b in breaks]
        if not all(s is not None and _is_flag_set(s, flag) for s in setters):
            return None
        allowed = {id(init.line.body[0].targets[0].target), id(test.expression)}
        allowed |= {id(s.targets[0].target) for s in setters}
        for occurrence in names.function_occurrences(function, ctx):
            if occurrence.name == flag and id(occurrence.node) not in allowed:
                return None
        return _FlagLoop(init, tuple(setters), following)

    def build(self, node: cst.CSTNode, found: _FlagLoop, ctx: ProgramContext) -> Edit:
        init, setters, following = found.init, found.setters, found.following
        replacements: list = [(init.line, cst.RemovalSentinel.REMOVE), (following, cst.RemovalSentinel.REMOVE)]
        for setter in {id(s): s for s in setters}.values():
            replacements.append(build.remove_small_statement(setter, ctx))

        def with_else(updated: cst.CSTNode) -> cst.CSTNode:
            return updated.with_changes(orelse=cst.Else(body=following.body))

        replacements.append((node, with_else))
        return Edit(replacements)
