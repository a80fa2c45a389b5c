"""Local cleanups: sorting for an extreme, squaring, dead code, single-use temporaries."""

from __future__ import annotations

import dataclasses
from typing import Any

import libcst as cst

from codeopt_jax import scopes
from codeopt_jax.rewrites import build, names, purity
from codeopt_jax.rewrites.base import Edit, Rule, Safety
from codeopt_jax.rewrites.context import ProgramContext
from codeopt_jax.syntax import COMPREHENSION_TYPES


def _index_position(subscript: cst.Subscript) -> int | None:
    """0 or -1 for `[0]` / `[-1]`."""
    if len(subscript.slice) != 1 or not isinstance(subscript.slice[0].slice, cst.Index):
        return None
    value = subscript.slice[0].slice.value
    if isinstance(value, cst.Integer) and value.value == "0":
        return 0
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus) and \
            isinstance(value.expression, cst.Integer) and value.expression.value == "1":
        return -1
    return None


@dataclasses.dataclass(frozen=True)
class SortedCall:
    """The arguments of `sorted(x[, key=k][, reverse=True/False])`."""

    iterable: cst.Arg
    key: cst.Arg | None
    reverse: bool


@dataclasses.dataclass(frozen=True)
class _SortedPick:
    """`sorted(...)[0]` or `[-1]`, and the builtin that picks the same element."""

    call: SortedCall
    func: str  # min / max


@dataclasses.dataclass(frozen=True)
class _SortedLocal:
    call: SortedCall
    uses: tuple[tuple[cst.Subscript, int], ...]  # each `s[0]` / `s[-1]` and its index


@dataclasses.dataclass(frozen=True)
class _TempUse:
    """A temporary's binding line, the statement after it that uses it, and that use."""

    line: cst.SimpleStatementLine
    following: cst.CSTNode
    use: cst.CSTNode | None = None


def sorted_parts(call: cst.CSTNode, ctx: ProgramContext) -> SortedCall | None:
    """The arguments of `sorted(x[, key=k][, reverse=True/False])`."""
    if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value == "sorted"
            and ctx.builtin_usable("sorted")):
        return None
    positional = [a for a in call.args if a.keyword is None]
    if len(positional) != 1 or positional[0].star or call.args[0] is not positional[0]:
        return None
    key = None
    reverse = False
    for argument in call.args[1:]:
        if argument.keyword is None or argument.star:
            return None
        if argument.keyword.value == "key":
            key = argument
        elif argument.keyword.value == "reverse" and isinstance(argument.value, cst.Name) and \
                argument.value.value in ("True", "False"):
            reverse = argument.value.value == "True"
        else:
            return None
    return SortedCall(positional[0], key, reverse)


def _extreme_call(func: str, iterable: cst.Arg, key: cst.Arg | None) -> cst.Call:
    args = [build.clean(iterable).with_changes(comma=cst.MaybeSentinel.DEFAULT)]
    if key is not None:
        args.append(build.clean(key).with_changes(comma=cst.MaybeSentinel.DEFAULT))
    return cst.Call(func=cst.Name(func), args=args)


def _builtin_for(position: int, reverse: bool) -> str:
    return "min" if (position == 0) != reverse else "max"


class SortedFirstToMin(Rule):
    """`sorted(xs)[0]` becomes `min(xs)` and `sorted(xs, reverse=True)[0]` becomes
    `max(xs)` (key= carries over). A stable sort puts the first of equal extremes in
    front, and min/max also return the first one, so the same element comes back."""

    name = "sorted_first_to_min"
    description = "sorted(xs[, key=k])[0]  ->  min(xs[, key=k]); sorted(xs, reverse=True)[0]  ->  max(xs)"
    safety = Safety.SAFE
    families = ("sort_extremum",)
    anchor_types = (cst.Subscript,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _SortedPick | None:
        parts = sorted_parts(node.value, ctx)
        if parts is None or _index_position(node) != 0 or names.in_store_target(node, ctx):
            return None
        func = _builtin_for(0, parts.reverse)
        return _SortedPick(parts, func) if ctx.builtin_usable(func) else None

    def build(self, node: cst.CSTNode, found: _SortedPick, ctx: ProgramContext) -> Edit:
        iterable, key, func = found.call.iterable, found.call.key, found.func
        return Edit([(node, _extreme_call(func, iterable, key).with_changes(lpar=node.lpar, rpar=node.rpar))])


class SortedLastToMax(Rule):
    """`sorted(xs)[-1]` becomes `max(xs)` and `sorted(xs, reverse=True)[-1]` becomes
    `min(xs)`.

    Precondition (checked): no key= (with a key, equal-key elements differ and sorted()
    picks the last of them while max() picks the first).
    Assumes: elements that compare equal are interchangeable (true for ints, strs,
    tuples of them; not for 1 vs 1.0).
    """

    name = "sorted_last_to_max"
    description = "sorted(xs)[-1]  ->  max(xs); sorted(xs, reverse=True)[-1]  ->  min(xs) (no key=)"
    safety = Safety.CONDITIONAL
    families = ("sort_extremum",)
    anchor_types = (cst.Subscript,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _SortedPick | None:
        parts = sorted_parts(node.value, ctx)
        if parts is None or parts.key is not None or _index_position(node) != -1 or \
                names.in_store_target(node, ctx):
            return None
        func = _builtin_for(-1, parts.reverse)
        return _SortedPick(parts, func) if ctx.builtin_usable(func) else None

    def build(self, node: cst.CSTNode, found: _SortedPick, ctx: ProgramContext) -> Edit:
        iterable, key, func = found.call.iterable, found.call.key, found.func
        return Edit([(node, _extreme_call(func, iterable, key).with_changes(lpar=node.lpar, rpar=node.rpar))])


class SortedLocalToMinMax(Rule):
    """`s = sorted(xs)` whose only uses are `s[0]` / `s[-1]` becomes those uses calling
    `min(xs)` / `max(xs)` directly (two linear scans instead of a sort).

    Precondition (checked): s is bound once in its function and used only as `s[0]` /
    `s[-1]` after that; xs is a name the function never rebinds or mutates after the
    sort, nor mutates another variable that may hold the same list (a parameter: `f(a, a)`);
    the sorted() call is pure; `[-1]` uses need no key=.
    Assumes: xs can be iterated more than once (not an iterator), and for `[-1]` equal
    elements are interchangeable.
    """

    name = "sorted_local_to_min_max"
    description = "s = sorted(xs); ... s[0] ... s[-1]  ->  ... min(xs) ... max(xs)"
    safety = Safety.CONDITIONAL
    families = ("sort_extremum",)
    anchor_types = (cst.Assign,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _SortedLocal | None:
        if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return None
        parts = sorted_parts(node.value, ctx)
        function = ctx.in_function_body(node)
        if parts is None or function is None or not purity.is_pure(node.value, ctx):
            return None
        iterable = parts.iterable.value
        if not isinstance(iterable, cst.Name):
            return None
        name = node.targets[0].target.value
        here = ctx.node_id(node)
        uses: list[tuple[cst.Subscript, int]] = []
        for occurrence in names.function_occurrences(function, ctx):
            if occurrence.name == iterable.value and ctx.node_id(occurrence.node) > here:
                verdict = purity.use_of(occurrence.node, ctx)[0] if occurrence.kind == scopes.LOAD else "store"
                if verdict not in (purity.READ, purity.RETURN):
                    return None
            if occurrence.name != name:
                continue
            if occurrence.node is node.targets[0].target:
                continue
            if occurrence.kind != scopes.LOAD or occurrence.nested or ctx.node_id(occurrence.node) < here:
                return None
            subscript = ctx.parent(occurrence.node)
            position = _index_position(subscript) if isinstance(subscript, cst.Subscript) else None
            if position is None or subscript.value is not occurrence.node or \
                    names.in_store_target(subscript, ctx):
                return None
            if position == -1 and parts.key is not None:
                return None
            uses.append((subscript, position))
        funcs = {_builtin_for(p, parts.reverse) for _, p in uses}
        if not uses or not all(ctx.builtin_usable(f) for f in funcs):
            return None
        if purity.mutates_possible_alias(iterable.value, function.body, function, ctx, after=node):
            return None
        return _SortedLocal(parts, tuple(uses))

    def build(self, node: cst.CSTNode, found: _SortedLocal, ctx: ProgramContext) -> Edit:
        iterable, key, reverse, uses = found.call.iterable, found.call.key, found.call.reverse, found.uses
        replacements: list = [build.remove_small_statement(node, ctx)]
        for subscript, position in uses:
            call = _extreme_call(_builtin_for(position, reverse), iterable, key)
            replacements.append((subscript, call.with_changes(lpar=subscript.lpar, rpar=subscript.rpar)))
        return Edit(replacements)


_OPERAND_PARENTS = (cst.BinaryOperation, cst.UnaryOperation, cst.Attribute, cst.Subscript, cst.Call, cst.Await)


class SquareToMultiply(Rule):
    """`x ** 2` becomes `x * x` for a plain name x (a multiplication is cheaper than
    the general power).

    Precondition (checked): the base is a name and the exponent the literal 2.
    Assumes: x holds an int (for floats, x * x and x ** 2 can differ in the last bit,
    about once in a thousand values).
    """

    name = "square_to_multiply"
    description = "x ** 2  ->  x * x (x a name)"
    safety = Safety.CONDITIONAL
    families = ("loop_invariant",)
    anchor_types = (cst.BinaryOperation,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        if isinstance(node.operator, cst.Power) and isinstance(node.left, cst.Name) and not node.left.lpar \
                and isinstance(node.right, cst.Integer) and node.right.value == "2":
            return True
        return None

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        product = cst.BinaryOperation(left=cst.Name(node.left.value), operator=cst.Multiply(),
                                      right=cst.Name(node.left.value), lpar=node.lpar, rpar=node.rpar)
        if _needs_parentheses(node, ctx):
            product = build.parenthesized(product)
        return Edit([(node, product)])


_LOOSER_THAN_PRODUCT = (cst.Add, cst.Subtract, cst.LeftShift, cst.RightShift, cst.BitAnd, cst.BitOr, cst.BitXor)


def _needs_parentheses(node: cst.BaseExpression, ctx: ProgramContext) -> bool:
    """Whether a product standing where node stands needs parentheses."""
    parent = ctx.parent(node)
    if isinstance(parent, cst.BinaryOperation):
        if isinstance(parent.operator, _LOOSER_THAN_PRODUCT):
            return False
        return not (isinstance(parent.operator, cst.Multiply) and parent.left is node)
    return isinstance(parent, _OPERAND_PARENTS)


_EXITS = (cst.Return, cst.Raise, cst.Break, cst.Continue)


class DeadCodeAfterExit(Rule):
    """Statements after a return / raise / break / continue in the same block never run
    and are removed (unless they hold a global/nonlocal declaration or a yield, which
    change the meaning of the whole function even unreached)."""

    name = "dead_code_after_exit"
    description = "return x; <more statements>  ->  return x (drop unreachable statements in the block)"
    safety = Safety.SAFE
    families = ()
    anchor_types = _EXITS

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> Any | None:
        line = ctx.parent(node)
        if not isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return None
        index = next(i for i, small in enumerate(line.body) if small is node)
        dead: list[cst.CSTNode] = list(line.body[index + 1:])
        if isinstance(line, cst.SimpleStatementLine):
            position = ctx.block_position(line)
            if position is None:
                return None
            block, line_index = position
            dead.extend(block.body[line_index + 1:])
        if not dead:
            return None
        forbidden = (cst.Global, cst.Nonlocal, cst.Yield, cst.Await)
        if any(names.has_node(statement, forbidden) for statement in dead):
            return None
        return dead

    def build(self, node: cst.CSTNode, found: Any, ctx: ProgramContext) -> Edit:
        line = ctx.parent(node)
        replacements: list = []
        trimmed = [small for small in line.body[:line.body.index(node) + 1]]
        if len(trimmed) != len(line.body):
            last = trimmed[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
            replacements.append((line, line.with_changes(body=[*trimmed[:-1], last])))
        for statement in found:
            if ctx.parent(statement) is not line:
                replacements.append((statement, cst.RemovalSentinel.REMOVE))
        return Edit(replacements)


def _single_assignment(node: cst.CSTNode, ctx: ProgramContext) -> tuple[str, cst.SimpleStatementLine] | None:
    """(name, line) for a line holding only `name = value`."""
    line = ctx.parent(node)
    if not (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1):
        return None
    if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
        return None
    return node.targets[0].target.value, line


def _name_occurrences_in_function(name: str, node: cst.CSTNode,
                                  ctx: ProgramContext) -> list[scopes.Occurrence] | None:
    function = ctx.in_function_body(node)
    if function is None:
        return None
    return [o for o in names.function_occurrences(function, ctx) if o.name == name]


class InlineReturnTemp(Rule):
    """`t = expr` directly followed by `return t` becomes `return expr` when t is used
    nowhere else in the function."""

    name = "inline_return_temp"
    description = "t = expr; return t  ->  return expr"
    safety = Safety.SAFE
    families = ()
    anchor_types = (cst.Assign,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _TempUse | None:
        found = _single_assignment(node, ctx)
        if found is None or not names.simple_expression(node.value):
            return None
        name, line = found
        following = ctx.next_statement(line)
        if not (isinstance(following, cst.SimpleStatementLine) and len(following.body) == 1
                and isinstance(following.body[0], cst.Return) and isinstance(following.body[0].value, cst.Name)
                and following.body[0].value.value == name):
            return None
        occurrences = _name_occurrences_in_function(name, node, ctx)
        if occurrences is None or len(occurrences) != 2 or any(o.nested for o in occurrences):
            return None
        return _TempUse(line, following)

    def build(self, node: cst.CSTNode, found: _TempUse, ctx: ProgramContext) -> Edit:
        line, following = found.line, found.following
        new = build.line(cst.Return(value=build.clean(node.value)), leading_lines=line.leading_lines)
        return Edit([(line, new), (following, cst.RemovalSentinel.REMOVE)])


def _fit(value: cst.BaseExpression, slot: cst.CSTNode, ctx: ProgramContext) -> cst.BaseExpression:
    """value made safe to stand where the expression slot is."""
    parent = ctx.parent(slot)
    if isinstance(parent, (cst.Assign, cst.Return, cst.AugAssign, cst.AnnAssign, cst.Expr, cst.If, cst.While,
                           cst.Index, cst.Assert)):
        return value
    if isinstance(parent, cst.Arg):
        return build.as_argument(value)
    if isinstance(parent, cst.Element):
        return build.as_element(value)
    if isinstance(parent, (cst.For, cst.CompFor, cst.CompIf)):
        return build.as_disjunction(value)
    return build.as_operand(value)


def _use_runs_once(use: cst.CSTNode, statement: cst.CSTNode, ctx: ProgramContext) -> bool:
    """Whether use, inside statement, is evaluated at most once per run of statement."""
    child = use
    for parent in ctx.ancestors(use):
        if parent is statement:
            if isinstance(parent, cst.For):
                return child is parent.iter
            if isinstance(parent, cst.While):
                return False
            return True
        if isinstance(parent, (cst.Lambda, cst.FunctionDef, cst.ClassDef, cst.FormattedStringExpression)):
            return False
        if isinstance(parent, (cst.For, cst.While)) and child is not getattr(parent, "iter", None):
            return False
        if isinstance(parent, COMPREHENSION_TYPES) and child is not parent.for_in:
            return False
        if isinstance(parent, cst.CompFor):
            comprehension = ctx.parent(parent)
            if not (child is parent.iter and isinstance(comprehension, COMPREHENSION_TYPES)
                    and comprehension.for_in is parent):
                return False
        child = parent
    return False


class InlineSingleUseTemp(Rule):
    """`t = expr` followed by a statement that uses t once (and t used nowhere else)
    becomes that statement with expr in t's place.

    Precondition (checked): expr is pure; the use runs at most once per run of the
    statement (not in a loop body, comprehension element, lambda or while test); the
    statement does not rebind or mutate expr's variables; t has no other use.
    """

    name = "inline_single_use_temp"
    description = "t = expr; use(t)  ->  use(expr) (t used once, expr pure)"
    safety = Safety.CONDITIONAL
    families = ()
    anchor_types = (cst.Assign,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> _TempUse | None:
        found = _single_assignment(node, ctx)
        if found is None:
            return None
        name, line = found
        value = node.value
        if not purity.is_pure(value, ctx) or not names.simple_expression(value):
            return None
        following = ctx.next_statement(line)
        if following is None:
            return None
        occurrences = _name_occurrences_in_function(name, node, ctx)
        if occurrences is None or len(occurrences) != 2 or any(o.nested for o in occurrences):
            return None
        use = next(o for o in occurrences if o.node is not node.targets[0].target)
        if use.kind != scopes.LOAD or not ctx.is_inside(use.node, following):
            return None
        if not _use_runs_once(use.node, following, ctx):
            return None
        for variable in {o.name for o in names.occurrences(value, ctx) if o.kind == scopes.LOAD}:
            if not purity.not_mutated(variable, following, ctx):
                return None
        return _TempUse(line, following, use.node)

    def build(self, node: cst.CSTNode, found: _TempUse, ctx: ProgramContext) -> Edit:
        line, use, following = found.line, found.use, found.following
        value = _fit(build.clean(node.value), use, ctx)
        leading = list(line.leading_lines) + list(following.leading_lines)

        def moved(updated: cst.CSTNode) -> cst.CSTNode:
            return updated.with_changes(leading_lines=leading)

        return Edit([(line, cst.RemovalSentinel.REMOVE), (use, value), (following, moved)])
