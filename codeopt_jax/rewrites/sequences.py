"""Sequences: queues, slices copied in loops, list building.

Partial sorts and searches in sorted lists are in `ordered`.

    q.pop(0) / q.insert(0, x) in a loop      ->  collections.deque: q.popleft() / q.appendleft(x)
    for y in xs[i + 1:]                      ->  for y in itertools.islice(xs, i + 1, None)
    s[i:].startswith(p)                      ->  s.startswith(p, i)
    for y in ys: r.append(y)                 ->  r.extend(ys)
    min(max(x, lo), hi)                      ->  a conditional expression
    for line in lines: if line == m: break; body.append(line)  ->  lines.index(m) (guarded)
"""

from __future__ import annotations

import dataclasses

import libcst as cst
import libcst.matchers as m

from codeopt_jax import scopes
from codeopt_jax.rewrites import build, liveness, names, purity
from codeopt_jax.rewrites.base import Edit, Rule, Safety
from codeopt_jax.rewrites.charmaps import stands_alone, str_literal
from codeopt_jax.rewrites.context import ProgramContext
from codeopt_jax.rewrites.imports import ImportedName, imported_name
from codeopt_jax.rewrites.copies import list_locals
from codeopt_jax.rewrites.loopshape import Initializer, find_initializer, flatten_body, replace_loop
from codeopt_jax.rewrites.repeat import repeat_context, stable_in
from codeopt_jax.syntax import COMPREHENSION_TYPES, LOOP_TYPES, SCOPE_TYPES


def is_int_literal(node: cst.CSTNode, value: int) -> bool:
    """The literal `value` (a negative one written `-n`)."""
    if value < 0:
        return isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) and \
            is_int_literal(node.expression, -value)
    return isinstance(node, cst.Integer) and node.evaluated_value == value


def _in_loop(node: cst.CSTNode, ctx: ProgramContext) -> bool:
    """Whether a for/while loop of node's own function (or module) encloses node."""
    for ancestor in ctx.ancestors(node):
        if isinstance(ancestor, SCOPE_TYPES):
            return False
        if isinstance(ancestor, LOOP_TYPES):
            return True
    return False


def builtins_usable(ctx: ProgramContext, *builtin_names: str) -> bool:
    return all(ctx.builtin_usable(name) for name in builtin_names)


# --- list used as a queue -> collections.deque ------------------------------------------------------

# Methods lists and deques share with the same meaning.
SHARED_METHODS = frozenset({"append", "extend", "clear", "count", "remove", "reverse", "index"})
# Builtins that read an iterable through once and give the same answer for a list and a deque.
SAME_ON_DEQUE = frozenset({"len", "bool", "list", "tuple", "sorted", "sum", "min", "max", "set", "frozenset", "any",
                           "all"})
_TRUTH_HOLDERS = (cst.If, cst.While, cst.IfExp, cst.CompIf, cst.Assert)


@dataclasses.dataclass(frozen=True)
class QueueSite:
    """A local list used as a queue: its binding and the uses that change spelling."""

    binding: cst.Assign
    name: str
    pop_front: tuple[cst.Call, ...]  # q.pop(0)  -> q.popleft()
    pop_back: tuple[cst.Call, ...]  # q.pop(-1) -> q.pop()
    push_front: tuple[cst.Call, ...]  # q.insert(0, x) -> q.appendleft(x)
    returned: tuple[cst.Name, ...]  # return q -> return list(q)
    deque: ImportedName


def _truth_tested(node: cst.CSTNode, ctx: ProgramContext) -> bool:
    """Whether node's value is only tested for truth (`while q`, `if q and x`, `not q`)."""
    current = node
    while True:
        parent = ctx.parent(current)
        if isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not):
            return True
        if isinstance(parent, cst.BooleanOperation):
            current = parent
            continue
        if isinstance(parent, _TRUTH_HOLDERS):
            return parent.test is current
        return False


def _queue_use(node: cst.Name, ctx: ProgramContext) -> str | None:
    """How a load of the queue is used: 'pop_front', 'pop_back', 'push_front', 'returned',
    'same' (means the same for a deque), or None (anything else)."""
    parent = ctx.parent(node)
    if isinstance(parent, cst.Attribute) and parent.value is node:
        call = ctx.parent(parent)
        if not (isinstance(call, cst.Call) and call.func is parent) or \
                any(arg.keyword is not None or arg.star for arg in call.args):
            return None
        method, args = parent.attr.value, [arg.value for arg in call.args]
        if method in SHARED_METHODS:
            return "same"
        if method == "pop":
            if not args:
                return "same"
            if len(args) == 1 and is_int_literal(args[0], 0):
                return "pop_front"
            return "pop_back" if len(args) == 1 and is_int_literal(args[0], -1) else None
        return "push_front" if method == "insert" and len(args) == 2 and is_int_literal(args[0], 0) else None
    if isinstance(parent, cst.Arg) and parent.keyword is None and not parent.star:
        call = ctx.parent(parent)
        if m.matches(call.func, m.Name()) and call.func.value in SAME_ON_DEQUE and \
                ctx.builtin_usable(call.func.value) and call.args[0] is parent:
            return "same"
        join = m.Attribute(value=m.SimpleString() | m.ConcatenatedString(), attr=m.Name("join"))
        return "same" if m.matches(call.func, join) and len(call.args) == 1 else None
    if isinstance(parent, cst.Subscript) and parent.value is node and len(parent.slice) == 1:
        index = parent.slice[0].slice
        literal = m.Integer() | m.UnaryOperation(operator=m.Minus(), expression=m.Integer())
        return "same" if m.matches(index, m.Index(value=literal)) and not names.in_store_target(parent, ctx) \
            else None
    if isinstance(parent, cst.ComparisonTarget) and parent.comparator is node and \
            isinstance(parent.operator, (cst.In, cst.NotIn)):
        return "same"
    if isinstance(parent, cst.For) and parent.iter is node:
        body_uses = [parent.body] + ([parent.orelse] if parent.orelse is not None else [])
        return None if any(names.mentions(part, node.value, ctx) for part in body_uses) else "same"
    if isinstance(parent, cst.Return) and parent.value is node:
        return "returned"
    return "same" if _truth_tested(node, ctx) else None


def _queue_value(node: cst.BaseExpression, ctx: ProgramContext) -> bool:
    """A new list: a display, a list comprehension or `list(...)`."""
    if isinstance(node, (cst.List, cst.ListComp)):
        return True
    return m.matches(node, m.Call(func=m.Name("list"))) and ctx.builtin_usable("list") and len(node.args) <= 1 \
        and all(arg.keyword is None and not arg.star for arg in node.args)


def _queue_site(node: cst.CSTNode, ctx: ProgramContext) -> QueueSite | None:
    if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name) or \
            not _queue_value(node.value, ctx):
        return None
    function = ctx.in_function_body(node)
    name = node.targets[0].target.value
    if function is None or name in scopes.param_names(function.params):
        return None
    uses: dict[str, list[cst.CSTNode]] = {"pop_front": [], "pop_back": [], "push_front": [], "returned": [],
                                          "same": []}
    for occurrence in names.function_occurrences(function, ctx):
        if occurrence.name != name:
            continue
        if occurrence.nested:
            return None
        if occurrence.kind != scopes.LOAD:
            if occurrence.node is not node.targets[0].target:
                return None
            continue
        use = _queue_use(occurrence.node, ctx)
        if use is None:
            return None
        holder = occurrence.node if use == "returned" else ctx.parent(ctx.parent(occurrence.node))
        uses[use].append(holder)
    front = uses["pop_front"] + uses["push_front"]
    if not any(_in_loop(call, ctx) for call in front) or (uses["returned"] and not ctx.builtin_usable("list")):
        return None
    deque = imported_name(ctx, "collections", "deque", import_module=False)
    if deque is None:
        return None
    return QueueSite(binding=node, name=name, pop_front=tuple(uses["pop_front"]), pop_back=tuple(uses["pop_back"]),
                     push_front=tuple(uses["push_front"]), returned=tuple(uses["returned"]), deque=deque)


def _method_call(receiver: str, method: str, args: list[cst.Arg], like: cst.Call) -> cst.Call:
    return cst.Call(func=cst.Attribute(value=cst.Name(receiver), attr=cst.Name(method)), args=args,
                    lpar=like.lpar, rpar=like.rpar)


class ListQueueToDeque(Rule):
    """A local list used as a queue, `q = [start]` with `q.pop(0)` / `q.insert(0, x)` in a
    loop, becomes a `collections.deque`: `q = deque([start])`, `q.popleft()`,
    `q.appendleft(x)` (`q.pop(-1)` becomes `q.pop()`, `return q` becomes
    `return list(q)`), adding `from collections import deque` when needed.

    Precondition (checked): q is a local bound once, to a list display, comprehension or
    list(...); every other use means the same for a deque: append/extend/pop()/clear/
    count/remove/reverse/index calls, `len(q)` and other whole-sequence builtins,
    `sep.join(q)`, truth tests, `q[<int literal>]` reads, `x in q`, `for x in q` whose body
    does not mention q, and `return q`; some pop(0)/insert(0, ...) sits in a loop.
    Removing from the front of a list moves every other item (O(n)); a deque does it in
    O(1). Helps once the queue holds more than about a hundred items; for short queues
    the two cost about the same.
    """

    name = "list_queue_to_deque"
    description = "q = [s]; while q: x = q.pop(0); q.insert(0, y)  ->  q = deque([s]); ... q.popleft(); q.appendleft(y)"
    safety = Safety.CONDITIONAL
    families = ("needless_copies",)
    anchor_types = (cst.Assign,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> QueueSite | None:
        return _queue_site(node, ctx)

    def build(self, node: cst.CSTNode, found: QueueSite, ctx: ProgramContext) -> Edit:
        value = node.value
        if isinstance(value, cst.List) and not value.elements or isinstance(value, cst.Call) and not value.args:
            new_value = build.call(build.clean(found.deque.reference))
        elif isinstance(value, cst.Call):
            new_value = build.call(build.clean(found.deque.reference), build.clean(value.args[0].value))
        else:
            new_value = build.call(build.clean(found.deque.reference), build.clean(value))
        replacements: list = [(value, new_value)]
        for call in found.pop_front:
            replacements.append((call, _method_call(found.name, "popleft", [], call)))
        for call in found.pop_back:
            replacements.append((call, _method_call(found.name, "pop", [], call)))
        for call in found.push_front:
            item = build.clean(call.args[1]).with_changes(comma=cst.MaybeSentinel.DEFAULT)
            replacements.append((call, _method_call(found.name, "appendleft", [item], call)))
        for name in found.returned:
            replacements.append((name, build.call("list", cst.Name(found.name))))
        return Edit(replacements, imports=found.deque.imports)


# --- slices copied in loops -------------------------------------------------------------------------

def non_negative_int(node: cst.CSTNode, ctx: ProgramContext, seen: frozenset[str] = frozenset()) -> bool:
    """Whether node surely evaluates to an int >= 0: a literal, `len(...)`, a sum of such,
    or a loop index bound only by `for i in range(...)` (with a non-negative start) or
    `for i, x in enumerate(...)` (default or non-negative start), in a statement or a
    comprehension, and read inside that loop (seen: the indices being checked further up)."""
    if isinstance(node, cst.Integer):
        return True
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return non_negative_int(node.left, ctx, seen) and non_negative_int(node.right, ctx, seen)
    if isinstance(node, cst.Call) and m.matches(node.func, m.Name("len")) and ctx.builtin_usable("len"):
        return True
    if not isinstance(node, cst.Name) or node.value in seen:
        return False
    seen = seen | {node.value}
    binder = _comprehension_binder(node, ctx)
    if binder is not None:
        return _counter_target(binder.target, binder.iter, node.value, ctx, seen)
    function = ctx.in_function_body(node)
    if function is None or node.value in scopes.param_names(function.params):
        return False
    stores = [o for o in names.function_occurrences(function, ctx) if o.name == node.value and o.kind != scopes.LOAD]
    if len(stores) != 1 or stores[0].nested:
        return False
    loop = ctx.parent(_target_holder(stores[0].node, ctx))
    return isinstance(loop, cst.For) and _counter_target(loop.target, loop.iter, node.value, ctx, seen) and \
        ctx.is_inside(node, loop.body)


def _target_holder(name: cst.Name, ctx: ProgramContext) -> cst.CSTNode:
    """The loop target holding name: name itself, or the tuple around it."""
    parent = ctx.parent(name)
    return ctx.parent(parent) if isinstance(parent, cst.Element) else name


def _comprehension_binder(node: cst.Name, ctx: ProgramContext) -> cst.CompFor | None:
    """The comprehension `for` that binds node's name where node is read, if one does."""
    for ancestor in ctx.ancestors(node):
        if isinstance(ancestor, SCOPE_TYPES):
            return None
        if isinstance(ancestor, COMPREHENSION_TYPES):
            binder = None
            comp_for = ancestor.for_in
            while comp_for is not None and not ctx.is_inside(node, comp_for.iter):
                if node.value in scopes.target_names(comp_for.target):
                    binder = comp_for
                if ctx.is_inside(node, comp_for.target):
                    return None
                comp_for = comp_for.inner_for_in
            if binder is not None:
                return binder
    return None


def _counter_target(target: cst.CSTNode, iterable: cst.CSTNode, name: str, ctx: ProgramContext,
                    seen: frozenset[str]) -> bool:
    """Whether `for <target> in <iterable>` binds name to a counter that is never negative:
    `i` in `for i in range(a[, b])` with a >= 0, or in `for i, x in enumerate(xs[, a])`."""
    if not isinstance(iterable, cst.Call) or not isinstance(iterable.func, cst.Name) or \
            any(arg.keyword is not None or arg.star for arg in iterable.args) or \
            not ctx.builtin_usable(iterable.func.value) or not 1 <= len(iterable.args) <= 2:
        return False
    func, args = iterable.func.value, iterable.args
    if func == "range" and m.matches(target, m.Name(name)):
        return len(args) == 1 or non_negative_int(args[0].value, ctx, seen)
    if func == "enumerate" and m.matches(target, m.Tuple(elements=[m.Element(value=m.Name(name)), m.Element()])):
        return len(args) == 1 or non_negative_int(args[1].value, ctx, seen)
    return False


EAGER_CONSUMERS = frozenset({"sum", "any", "all", "min", "max", "list", "tuple", "set", "frozenset", "sorted", "dict"})


def _consumed_comprehension(comp_for: cst.CompFor, ctx: ProgramContext) -> cst.CSTNode | None:
    """The outermost comprehension around comp_for within its statement, provided every
    generator expression on the way is consumed at once (the argument of sum/any/list/...
    or str.join), so that nothing runs between creating and finishing an islice."""
    outermost = None
    for ancestor in ctx.ancestors(comp_for):
        if isinstance(ancestor, (cst.BaseSmallStatement, cst.BaseCompoundStatement, *SCOPE_TYPES)):
            break
        if isinstance(ancestor, COMPREHENSION_TYPES):
            outermost = ancestor
            if isinstance(ancestor, cst.GeneratorExp) and not _eagerly_consumed(ancestor, ctx):
                return None
    return outermost


def _eagerly_consumed(generator: cst.GeneratorExp, ctx: ProgramContext) -> bool:
    holder = ctx.parent(generator)
    if not (isinstance(holder, cst.Arg) and holder.keyword is None and not holder.star):
        return False
    func = ctx.parent(holder).func
    if isinstance(func, cst.Name):
        return func.value in EAGER_CONSUMERS and ctx.builtin_usable(func.value)
    return m.matches(func, m.Attribute(value=m.SimpleString() | m.ConcatenatedString(), attr=m.Name("join")))


@dataclasses.dataclass(frozen=True)
class IteratedSlice:
    """`xs[lower:upper]` iterated by a loop inside another loop."""

    sequence: cst.Name
    lower: cst.BaseExpression | None
    upper: cst.BaseExpression | None
    islice: ImportedName


class SliceIterationToIslice(Rule):
    """`for y in xs[i:]` (or `xs[i:j]`, also a comprehension's `for`) inside another loop
    becomes `for y in itertools.islice(xs, i, None)`: no copy of the tail on every pass.

    Precondition (checked): xs is a name the iterating loop never changes; the bounds are
    surely non-negative ints (literals, len(...), indices of `for i in range(...)` /
    `enumerate(...)`, sums of those: islice rejects negative ones); no step; the slice sits
    inside an outer loop.
    Assumes: xs is a sequence whose slices iterate like itself (list, tuple, str, range).
    A choice that matters: islice steps over the first i items one by one (about 3x the
    cost per item of the slice's copy), so it wins big when the start is small and the
    loop stops early on a long sequence (no O(n) copy per pass), and loses (up to 2x) when
    it skips many items or the loop consumes the whole tail.
    """

    name = "slice_iteration_to_islice"
    description = "for ...: for y in xs[i + 1:]  ->  for y in itertools.islice(xs, i + 1, None)"
    safety = Safety.CONDITIONAL
    families = ("needless_copies",)
    anchor_types = (cst.Subscript,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> IteratedSlice | None:
        if not isinstance(node.value, cst.Name) or len(node.slice) != 1 or not isinstance(node.slice[0].slice,
                                                                                        cst.Slice):
            return None
        part = node.slice[0].slice
        if part.step is not None or (part.lower is None and part.upper is None):
            return None
        if any(bound is not None and not non_negative_int(bound, ctx) for bound in (part.lower, part.upper)):
            return None
        loop = ctx.parent(node)
        if not isinstance(loop, (cst.For, cst.CompFor)) or loop.iter is not node or repeat_context(node, ctx) is None:
            return None
        if isinstance(loop, cst.For):
            regions = [loop.body] + ([loop.orelse] if loop.orelse is not None else [])
            if any(names.has_node(region, (cst.Yield, cst.Await)) for region in regions):
                return None  # suspended mid-loop, the sequence could change under islice
        else:
            comprehension = _consumed_comprehension(loop, ctx)
            if comprehension is None:
                return None
            regions = [comprehension]
        if not all(stable_in(node.value.value, region, region, ctx, require_bound=False) for region in regions):
            return None
        islice = imported_name(ctx, "itertools", "islice")
        if islice is None:
            return None
        return IteratedSlice(sequence=node.value, lower=part.lower, upper=part.upper, islice=islice)

    def build(self, node: cst.CSTNode, found: IteratedSlice, ctx: ProgramContext) -> Edit:
        lower = found.lower if found.lower is not None else cst.Integer("0")
        upper = found.upper if found.upper is not None else cst.Name("None")
        new = build.call(build.clean(found.islice.reference), build.clean(found.sequence), build.clean(lower),
                         build.clean(upper))
        return Edit([(node, new)], imports=found.islice.imports)


@dataclasses.dataclass(frozen=True)
class SlicedPrefixTest:
    """`text[lower:upper].startswith(prefix)` (or endswith)."""

    text: cst.BaseExpression
    lower: cst.BaseExpression | None
    upper: cst.BaseExpression | None


def _non_empty_text_argument(node: cst.CSTNode) -> bool:
    """A non-empty str literal or a tuple of them (an empty one differs past the end)."""
    if isinstance(node, cst.Tuple):
        return bool(node.elements) and all(isinstance(e, cst.Element) and _non_empty_text_argument(e.value)
                                           for e in node.elements)
    return bool(str_literal(node))


class SlicedStartswithToOffset(Rule):
    """`s[i:].startswith(p)` becomes `s.startswith(p, i)` and `s[i:j].endswith(p)` becomes
    `s.endswith(p, i, j)`: the method takes the bounds with slice meaning, without copying.

    Precondition (checked): p is a non-empty str literal or a tuple of them (with an empty
    prefix, a start past the end answers False where the slice answers True); no step;
    the call has no start/end of its own.
    Assumes: s is a str (or bytes), the only builtin types with these methods.
    Saves a copy of the tail: a large win (5x and more) in loops over positions of long
    strings; about the same on short ones.
    """

    name = "sliced_startswith_to_offset"
    description = "s[i:].startswith('ab') / s[i:j].endswith('ab')  ->  s.startswith('ab', i) / s.endswith('ab', i, j)"
    safety = Safety.CONDITIONAL
    families = ("needless_copies", "string_concat")
    anchor_types = (cst.Call,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> SlicedPrefixTest | None:
        pattern = m.Call(func=m.Attribute(value=m.Subscript(slice=[m.SubscriptElement(slice=m.Slice(step=None))]),
                                          attr=m.Name("startswith") | m.Name("endswith")),
                         args=[m.Arg(keyword=None, star="")])
        if not m.matches(node, pattern) or not _non_empty_text_argument(node.args[0].value):
            return None
        subscript = node.func.value
        part = subscript.slice[0].slice
        if part.lower is None and part.upper is None:
            return None
        return SlicedPrefixTest(text=subscript.value, lower=part.lower, upper=part.upper)

    def build(self, node: cst.CSTNode, found: SlicedPrefixTest, ctx: ProgramContext) -> Edit:
        args = [build.arg(build.clean(node.args[0].value)),
                build.arg(build.clean(found.lower) if found.lower is not None else cst.Integer("0"))]
        if found.upper is not None:
            args.append(build.arg(build.clean(found.upper)))
        func = cst.Attribute(value=build.clean(found.text), attr=node.func.attr)
        return Edit([(node, cst.Call(func=func, args=args, lpar=node.lpar, rpar=node.rpar))])


# --- building lists --------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class AppendLoop:
    """`for item in source: result.append(item)`."""

    result: str
    source: cst.BaseExpression


class AppendLoopToExtend(Rule):
    """`for y in ys: r.append(y)` becomes `r.extend(ys)`: the same items appended in the
    same order by one C loop; typically the inner loop of a flattening loop. About 2x
    faster with a few items per inner loop, more with longer ones; the same for 0-1 items.

    Precondition (checked): the loop body is only `r.append(y)` with y the loop variable;
    r is a local that only ever holds lists; ys does not mention r; y is not read after
    the loop; no else clause.
    """

    name = "append_loop_to_extend"
    description = "for y in ys: r.append(y)  ->  r.extend(ys) (r a local list)"
    safety = Safety.CONDITIONAL
    families = ("append_loop",)
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> AppendLoop | None:
        if node.orelse is not None or node.asynchronous is not None or not isinstance(node.target, cst.Name):
            return None
        body = flatten_body(node.body)
        statement = m.Expr(value=m.Call(func=m.Attribute(value=m.Name(), attr=m.Name("append")),
                                        args=[m.Arg(value=m.Name(node.target.value), keyword=None, star="")]))
        if len(body) != 1 or not m.matches(body[0], statement):
            return None
        result = body[0].value.func.value.value
        function = ctx.in_function_body(node)
        if function is None or result not in list_locals(function, ctx) or names.mentions(node.iter, result, ctx):
            return None
        if result == node.target.value or not liveness.dead_after(node, [node.target.value], ctx):
            return None
        return AppendLoop(result=result, source=node.iter)

    def build(self, node: cst.CSTNode, found: AppendLoop, ctx: ProgramContext) -> Edit:
        extend = build.statement("{r}.extend({ys})", r=cst.Name(found.result), ys=build.as_argument(found.source))
        return Edit([(node, extend.with_changes(leading_lines=node.leading_lines))])


@dataclasses.dataclass(frozen=True)
class Clamp:
    """`outer(inner(a, b), c)` with {outer, inner} = {min, max}."""

    outer_is_min: bool
    a: cst.BaseExpression
    b: cst.BaseExpression
    c: cst.BaseExpression


def _two_args(call: cst.CSTNode, function: str, ctx: ProgramContext) -> list[cst.BaseExpression] | None:
    if not (isinstance(call, cst.Call) and m.matches(call.func, m.Name(function)) and ctx.builtin_usable(function)):
        return None
    if len(call.args) != 2 or any(arg.keyword is not None or arg.star for arg in call.args):
        return None
    return [arg.value for arg in call.args]


def _plain_operand(node: cst.CSTNode) -> bool:
    """A name or constant: evaluating it twice, or not at all, changes nothing."""
    return isinstance(node, cst.Name) or purity.is_constant(node)


class ClampToConditional(Rule):
    """`min(max(a, b), c)` becomes `(c if c < b else b) if b > a else (c if c < a else a)`
    and `max(min(a, b), c)` becomes `(c if c > b else b) if b < a else (c if c > a else a)`:
    the same comparisons min/max make (`max(a, b)` is `b if b > a else a`), without two
    builtin calls (several times faster per clamp; it never loses).

    Precondition (checked): a, b and c are names or constants; min and max are the
    builtins, called with two positional arguments.
    """

    name = "clamp_to_conditional"
    description = "min(max(x, lo), hi)  ->  (hi if hi < lo else lo) if lo > x else (hi if hi < x else x)"
    safety = Safety.SAFE
    families = ("append_loop",)
    anchor_types = (cst.Call,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Clamp | None:
        for outer, inner in (("min", "max"), ("max", "min")):
            outer_args = _two_args(node, outer, ctx)
            inner_args = _two_args(outer_args[0], inner, ctx) if outer_args is not None else None
            if inner_args is not None and all(_plain_operand(part) for part in [*inner_args, outer_args[1]]):
                return Clamp(outer_is_min=outer == "min", a=inner_args[0], b=inner_args[1], c=outer_args[1])
        return None

    def build(self, node: cst.CSTNode, found: Clamp, ctx: ProgramContext) -> Edit:
        inner, outer = (">", "<") if found.outer_is_min else ("<", ">")
        template = f"({{c}} if {{c}} {outer} {{b}} else {{b}}) if {{b}} {inner} {{a}} else " \
                   f"({{c}} if {{c}} {outer} {{a}} else {{a}})"
        new = build.expr(template, a=build.as_operand(found.a), b=build.as_operand(found.b),
                         c=build.as_operand(found.c))
        if node.lpar or not stands_alone(node, ctx):
            new = build.parenthesized(new)
        return Edit([(node, new)])


@dataclasses.dataclass(frozen=True)
class TakeUntil:
    """`result = []; for item in items: if item == marker: break; result.append(item)`."""

    init: Initializer
    result: str
    items: cst.Name
    marker: cst.Name


def _stop_test(test: cst.CSTNode, var: str) -> cst.BaseExpression | None:
    """marker for `var == marker` or `marker == var`."""
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and
            isinstance(test.comparisons[0].operator, cst.Equal)):
        return None
    left, right = test.left, test.comparisons[0].comparator
    if m.matches(left, m.Name(var)):
        return right
    return left if m.matches(right, m.Name(var)) else None


class TakeUntilLoopToIndexGuarded(Rule):
    """`body = []` then `for line in lines: if line == marker: break` / `body.append(line)`
    (the items before the first one equal to marker) becomes, for a list and a str or int
    marker, one C scan:

        if type(lines) is list and type(marker) in (str, int):
            try:
                body = lines[:lines.index(marker)]
            except ValueError:
                if marker in lines:
                    raise
                body = lines[:]
        else:
            <the original start and loop>

    `index` and `in` compare each item with `item == marker` like the loop (they also
    accept the marker object itself, which equals itself for a str or int marker); the
    `in` re-check lets a ValueError raised by some item's __eq__ propagate as before.

    Precondition (checked): lines and marker are names the loop does not change; the start
    `body = []` sits right before the loop; line is not read after it; no else clause.
    About 3x faster than the loop when the marker is present (one scan), 1.5x when it is
    absent (two scans); the same on short lists.
    """

    name = "take_until_loop_to_index_guarded"
    description = "for x in xs: if x == m: break; r.append(x)  ->  r = xs[:xs.index(m)] (guarded: list, str/int m)"
    safety = Safety.CONDITIONAL
    families = ("append_loop",)
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> TakeUntil | None:
        if node.orelse is not None or node.asynchronous is not None or not isinstance(node.target, cst.Name) or \
                not isinstance(node.iter, cst.Name) or not builtins_usable(ctx, "type", "list", "str", "int",
                                                                            "ValueError"):
            return None
        var = node.target.value
        body = flatten_body(node.body)
        if len(body) != 2 or not isinstance(body[0], cst.If) or body[0].orelse is not None:
            return None
        stop = flatten_body(body[0].body)
        marker = _stop_test(body[0].test, var)
        append = m.Expr(value=m.Call(func=m.Attribute(value=m.Name(), attr=m.Name("append")),
                                     args=[m.Arg(value=m.Name(var), keyword=None, star="")]))
        if len(stop) != 1 or not isinstance(stop[0], cst.Break) or not isinstance(marker, cst.Name) or \
                not m.matches(body[1], append):
            return None
        result = body[1].value.func.value.value
        if len({result, var, marker.value, node.iter.value}) != 4:
            return None
        init = find_initializer(node, result, ctx)
        if init is None or not init.adjacent or not m.matches(init.value, m.List(elements=[])):
            return None
        if not all(stable_in(name, node, node, ctx) for name in (marker.value, node.iter.value)):
            return None
        if not liveness.dead_after(node, [var], ctx):
            return None
        return TakeUntil(init=init, result=result, items=node.iter, marker=marker)

    def build(self, node: cst.CSTNode, found: TakeUntil, ctx: ProgramContext) -> Edit:
        result, items, marker = cst.Name(found.result), found.items, found.marker
        scan = cst.Try(
            body=cst.IndentedBlock(body=[build.statement("{r} = {xs}[:{xs}.index({m})]", r=result, xs=items,
                                                         m=marker)]),
            handlers=[cst.ExceptHandler(type=cst.Name("ValueError"), body=cst.IndentedBlock(body=[
                build.statement("if {m} in {xs}:\n    raise\n", xs=items, m=marker),
                build.statement("{r} = {xs}[:]", r=result, xs=items)]))])
        guard = build.expr("type({xs}) is list and type({m}) in (str, int)", xs=items, m=marker)
        slow = [build.clean(found.init.line).with_changes(leading_lines=()),
                build.clean(node).with_changes(leading_lines=())]
        statement = cst.If(test=guard, body=cst.IndentedBlock(body=[scan]),
                           orelse=cst.Else(body=cst.IndentedBlock(body=slow)))
        return Edit(replace_loop(ctx, node, found.init, statement))
