"""Recursion: a dict cache per outer call, and recursion turned into a bottom-up table.

Both apply to a pure self-recursive def (`recursive_shape`). The parameters every
self-call passes through unchanged ("invariant") stay out of the cache key and the
table; the others ("varying") index it. The fallback copy of the original def that
guarded rewrites run when their fast path does not apply is a sibling def named
`<name>_recursive`.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import libcst as cst
import libcst.matchers as m

from codeopt_jax import scopes
from codeopt_jax.rewrites import build, memo, names, purity
from codeopt_jax.rewrites.base import Edit, RewriteError, Rule, Safety
from codeopt_jax.rewrites.context import ProgramContext

TABLE_CELL_LIMIT = 2_000_000  # larger tables fall back on the recursion (their memory and time could be unbounded)


# --- the shape both rules need --------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, eq=False)
class RecursiveShape:
    """A pure self-recursive def: its parameters, its self-calls, the argument each call passes
    for each parameter (in parameter order), and the parameters some call changes."""

    function: cst.FunctionDef
    params: tuple[str, ...]
    calls: tuple[cst.Call, ...]
    arguments: tuple[tuple[cst.BaseExpression, ...], ...]
    varying: tuple[str, ...]


def _bind_arguments(call: cst.Call, params: tuple[str, ...]) -> tuple[cst.BaseExpression, ...] | None:
    """The argument expression the call passes for each parameter; None unless the call binds
    every parameter exactly once without stars."""
    if any(arg.star for arg in call.args):
        return None
    bound: dict[str, cst.BaseExpression] = {}
    positional = [arg for arg in call.args if arg.keyword is None]
    if len(positional) > len(params):
        return None
    for param, arg in zip(params, positional):
        bound[param] = arg.value
    for arg in call.args:
        if arg.keyword is not None:
            if arg.keyword.value not in params or arg.keyword.value in bound:
                return None
            bound[arg.keyword.value] = arg.value
    if len(bound) != len(params):
        return None
    return tuple(bound[param] for param in params)


def _is_method(function: cst.FunctionDef, ctx: ProgramContext) -> bool:
    return isinstance(ctx.parent(ctx.parent(function)), cst.ClassDef)


def recursive_shape(function: cst.FunctionDef, ctx: ProgramContext) -> RecursiveShape | None:
    """The shape of a def both recursion rules can rewrite, else None.

    Checked: undecorated, sync, not a method; plain parameters only, with constant defaults;
    it calls itself, and every mention of its name in its body is such a call, binding every
    parameter; the program binds the name once; pure-looking (`purity.is_pure_function`:
    no global/nonlocal/yield/I/O); a parameter some call passes through unchanged is never
    rebound; some parameter changes. (Whether results are immutable depends on what a rule
    knows of the parameters: `results_immutable`.)
    """
    key = ("recursive_shape", id(function))
    if key not in ctx.cache:
        ctx.cache[key] = _recursive_shape(function, ctx)
    return ctx.cache[key]


def _recursive_shape(function: cst.FunctionDef, ctx: ProgramContext) -> RecursiveShape | None:
    if function.decorators or function.asynchronous is not None or _is_method(function, ctx):
        return None
    params = function.params
    if params.star_arg is not cst.MaybeSentinel.DEFAULT or params.star_kwarg is not None \
            or params.posonly_params or params.kwonly_params or not params.params:
        return None
    if any(p.default is not None and not purity.is_constant(p.default) for p in params.params):
        return None
    name = function.name.value
    param_names = tuple(p.name.value for p in params.params)
    calls = memo.self_calls(function, ctx)
    if not calls or name in param_names:
        return None
    mentions = [o for o in names.occurrences(function.body, ctx) if o.name == name]
    if any(o.kind != scopes.LOAD for o in mentions) or \
            {id(o.node) for o in mentions} != {id(call.func) for call in calls}:
        return None
    if len([o for o in names.occurrences(ctx.module, ctx) if o.name == name and o.kind != scopes.LOAD]) != 1:
        return None
    if not purity.is_pure_function(function, ctx):
        return None
    arguments = []
    for call in calls:
        bound = _bind_arguments(call, param_names)
        if bound is None:
            return None
        arguments.append(bound)
    varying = tuple(p for index, p in enumerate(param_names)
                    if any(not (isinstance(args[index], cst.Name) and args[index].value == p) for args in arguments))
    stored = names.stored_names(function.body, ctx)
    if not varying or any(p in stored for p in param_names if p not in varying):
        return None
    return RecursiveShape(function, param_names, tuple(calls), tuple(arguments), varying)


def _value_kind(node: cst.BaseExpression, scalars: frozenset[str], shape: RecursiveShape,
                ctx: ProgramContext) -> str:
    """`purity.value_kind`, also knowing that the names in scalars hold immutable values."""
    if isinstance(node, cst.Name) and node.value in scalars:
        return purity.SCALAR
    if isinstance(node, cst.BinaryOperation):
        kinds = {_value_kind(node.left, scalars, shape, ctx), _value_kind(node.right, scalars, shape, ctx)}
        if purity.FRESH not in kinds and purity.SCALAR in kinds:
            return purity.SCALAR
    return purity.value_kind(node, ctx, frozenset({shape.function.name.value}))


def results_immutable(shape: RecursiveShape, scalars: frozenset[str], ctx: ProgramContext) -> bool:
    """Every `return` gives back an immutable-looking value (so handing one stored result to
    several callers shares nothing mutable), given that the names in scalars hold immutable values."""
    function = shape.function
    owned = purity.fresh_locals(function, ctx)
    for node in ctx.nodes_of_type((cst.Return,)):
        if node.value is None or not ctx.is_inside(node, function.body) or ctx.enclosing_function(node) is not function:
            continue
        if _value_kind(node.value, scalars, shape, ctx) == purity.FRESH:
            return False
        if any(o.name in owned for o in names.occurrences(node.value, ctx)
               if purity.use_of(o.node, ctx)[0] == purity.RETURN):
            return False
    return True


# --- building blocks of the new code --------------------------------------------------------------

class _ReplaceById(cst.CSTTransformer):
    """Replaces nodes (matched by identity with the tree being visited) by what a callable
    makes of the updated node."""

    def __init__(self, replace: dict[int, Callable[[cst.CSTNode], object]]):
        super().__init__()
        self._replace = replace

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):
        make = self._replace.get(id(original_node))
        return updated_node if make is None else make(updated_node)


def _body_statements(function: cst.FunctionDef) -> list[cst.BaseStatement]:
    body = function.body
    if isinstance(body, cst.IndentedBlock):
        return list(body.body)
    return [cst.SimpleStatementLine(body=list(body.body))]


_DOCSTRING = m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString() | m.ConcatenatedString())])


def _is_docstring(statement: cst.CSTNode) -> bool:
    return m.matches(statement, _DOCSTRING)


def _split_docstring(statements: list[cst.BaseStatement]) -> tuple[list[cst.BaseStatement], list[cst.BaseStatement]]:
    if statements and _is_docstring(statements[0]):
        return statements[:1], statements[1:]
    return [], statements


def _transformed(statements: Sequence[cst.BaseStatement],
                 replace: dict[int, Callable[[cst.CSTNode], object]]) -> list[cst.BaseStatement]:
    visitor = _ReplaceById(replace)
    result: list[cst.BaseStatement] = []
    for statement in statements:
        new = statement.visit(visitor)
        if isinstance(new, cst.FlattenSentinel):
            result.extend(new.nodes)
        elif isinstance(new, cst.CSTNode):
            result.append(new)
    return result


def _renamed_calls(shape: RecursiveShape, new_name: str, keep: Sequence[str] | None = None
                   ) -> dict[int, Callable[[cst.CSTNode], object]]:
    """Self-calls renamed to new_name, keeping only the arguments for the params in keep (all by default)."""
    replace: dict[int, Callable[[cst.CSTNode], object]] = {}
    for call in shape.calls:
        dropped: set[int] = set()
        if keep is not None:
            positional = [a for a in call.args if a.keyword is None]
            for index, arg in enumerate(call.args):
                param = shape.params[index] if index < len(positional) else arg.keyword.value
                if param not in keep:
                    dropped.add(index)

        def rename(updated: cst.CSTNode, dropped: set[int] = dropped) -> cst.CSTNode:
            args = [arg.with_changes(comma=cst.MaybeSentinel.DEFAULT)
                    for index, arg in enumerate(updated.args) if index not in dropped]
            return updated.with_changes(func=cst.Name(new_name), args=args)

        replace[id(call)] = rename
    return replace


def _indented(statements: Sequence[cst.BaseStatement], like: cst.BaseSuite | None = None) -> cst.IndentedBlock:
    if isinstance(like, cst.IndentedBlock):
        return like.with_changes(body=list(statements))
    return cst.IndentedBlock(body=list(statements))


def _blank_lines(function: cst.FunctionDef, ctx: ProgramContext) -> list[cst.EmptyLine]:
    """The blank lines that separate a sibling def from the one before it."""
    at_top = isinstance(ctx.parent(function), cst.Module)
    return [cst.EmptyLine(indent=False), cst.EmptyLine(indent=False)] if at_top else [cst.EmptyLine(indent=False)]


def _recursive_copy(shape: RecursiveShape, name: str, ctx: ProgramContext) -> cst.FunctionDef:
    """The original def under a new name, calling itself by that name."""
    function = shape.function
    statements = _transformed(_body_statements(function), _renamed_calls(shape, name))
    return function.with_changes(name=cst.Name(name), body=_indented(statements, function.body),
                                 leading_lines=_blank_lines(function, ctx)).deep_clone()


def _parse_statements(code: str) -> list[cst.BaseStatement]:
    return list(cst.parse_module(code).body)


class _Names:
    """Fresh identifiers for one rewrite, distinct from each other and from the program's."""

    def __init__(self, ctx: ProgramContext):
        self._ctx = ctx
        self._taken: set[str] = set()

    def __call__(self, base: str) -> str:
        name = self._ctx.fresh_name(base, self._taken)
        self._taken.add(name)
        return name


# --- per-call memoization -------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, eq=False)
class PerCallMemo:
    """The function to rewrite and whether the cache key's hashability needs a runtime guard."""

    shape: RecursiveShape
    guarded: bool


def _keys_look_hashable(shape: RecursiveShape, ctx: ProgramContext) -> bool:
    params = {p.name.value: p for p in shape.function.params.params}
    return all(memo.hashable_looking(params[p], shape.function, ctx) for p in shape.varying) and \
        memo.arguments_hashable_looking(list(shape.calls))


class _PerCallMemoRule(Rule):
    safety = Safety.CONDITIONAL
    families = ("naive_recursion",)
    anchor_types = (cst.FunctionDef,)
    guarded: bool

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> PerCallMemo | None:
        shape = recursive_shape(node, ctx)
        if shape is None or (self.guarded and not ctx.builtin_usable("TypeError")):
            return None
        hashable = _keys_look_hashable(shape, ctx)
        if hashable == self.guarded:
            return None
        if not results_immutable(shape, frozenset(shape.varying) if hashable else frozenset(), ctx):
            return None
        return PerCallMemo(shape, self.guarded)

    def build(self, node: cst.CSTNode, found: PerCallMemo, ctx: ProgramContext) -> Edit:
        shape, function = found.shape, found.shape.function
        fresh = _Names(ctx)
        cache, inner = fresh("memo"), fresh(f"{function.name.value}_memo")
        plain = fresh(f"{function.name.value}_recursive") if found.guarded else ""
        varying = shape.varying
        stored = names.stored_names(function.body, ctx)
        if len(varying) == 1 and varying[0] not in stored:
            key, key_lines = varying[0], []
        else:
            key = fresh("key")
            packed = varying[0] if len(varying) == 1 else "(" + ", ".join(varying) + ")"
            key_lines = _parse_statements(f"{key} = {packed}\n")
        result = fresh("result")

        def cached(value: cst.BaseExpression) -> list[cst.BaseSmallStatement]:
            store = cst.Assign(targets=[cst.AssignTarget(build.expr(f"{cache}[{key}]")),
                                        cst.AssignTarget(cst.Name(result))], value=value)
            return [store, cst.Return(value=cst.Name(result))]

        def cache_return(updated: cst.CSTNode) -> object:
            return cst.FlattenSentinel(cached(updated.value))

        def cache_return_line(updated: cst.CSTNode) -> object:
            store, back = cached(updated.body[0].value)
            return cst.FlattenSentinel([build.line(store, updated.leading_lines), build.line(back)])

        replace = _renamed_calls(shape, inner, keep=varying)
        for statement in ctx.nodes_of_type((cst.Return,)):
            if statement.value is None or not ctx.is_inside(statement, function.body) or \
                    ctx.enclosing_function(statement) is not function:
                continue
            line = ctx.parent(statement)
            if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:
                replace[id(line)] = cache_return_line
            else:
                replace[id(statement)] = cache_return
        docstring, statements = _split_docstring(_body_statements(function))
        lookup = _parse_statements(f"if {key} in {cache}:\n    return {cache}[{key}]\n")
        inner_def = cst.FunctionDef(
            name=cst.Name(inner), params=cst.Parameters(params=[cst.Param(cst.Name(p)) for p in varying]),
            body=cst.IndentedBlock(body=key_lines + lookup + _transformed(statements, replace)),
            leading_lines=[cst.EmptyLine(indent=False)])
        call = f"{inner}({', '.join(varying)})"
        if found.guarded:
            tail = f"try:\n    return {call}\nexcept TypeError:\n    return {plain}({', '.join(shape.params)})\n"
        else:
            tail = f"return {call}\n"
        ending = [s.with_changes(leading_lines=[cst.EmptyLine(indent=False)]) if i == 0 else s
                  for i, s in enumerate(_parse_statements(tail))]
        body = docstring + _parse_statements(f"{cache} = {{}}\n") + [inner_def] + ending
        new = function.with_changes(body=_indented(body, function.body))
        if not found.guarded:
            return Edit([(function, new)])
        return Edit([(function, cst.FlattenSentinel([new, _recursive_copy(shape, plain, ctx)]))])


class MemoizePerCall(_PerCallMemoRule):
    """A pure self-recursive def keeps its signature but computes through an inner def that
    caches results in a dict made afresh on every outer call, keyed by the parameters that
    change from call to call (those every self-call passes through unchanged stay out of
    the key); every `return v` of the inner def also stores v. The cache dies with the call,
    so repeated outer calls share nothing.

    Precondition (checked): `recursive_shape` (pure-looking, undecorated, not a method,
    not a generator, no global/nonlocal, constant defaults, the name bound once, every
    mention of the name a self-call binding every parameter); the key parameters are used
    only like numbers or strings and self-calls pass no containers.
    Assumes: the key arguments are hashable, and equal arguments give equal results
    (`f(1)` and `f(1.0)` share an entry). The call stack is one frame deeper.
    Helps when the call graph revisits arguments (fibonacci-like, grid paths, edit
    distance: exponential -> polynomial). Hurts when no argument repeats (linear recursion,
    binary search, gcd): every call then pays a key, a lookup and a store.
    """

    name = "memoize_per_call"
    description = "def f(n): ... f(n - 1) ...  ->  def f(n): memo = {}; def f_memo(n): <cached in memo> ...; return f_memo(n)"
    guarded = False


class MemoizePerCallGuarded(_PerCallMemoRule):
    """`memoize_per_call` where the key's hashability cannot be seen statically: the cached
    computation runs in `try`, and a TypeError (an unhashable key, or one the function
    itself raises) reruns the call on `<name>_recursive`, an unchanged copy of the original.

    Precondition (checked): as `memoize_per_call`, except that some key parameter is used
    in ways that do not show it is hashable (attributes, sequences, unknown calls).
    Correct for unhashable inputs too: the function is pure, so the rerun repeats nothing
    visible. Assumes: equal arguments give equal results.
    Helps and hurts as `memoize_per_call`; an input with unhashable arguments pays the failed
    attempt and then the full recursion.
    """

    name = "memoize_per_call_guarded"
    description = ("def f(xs): ... f(xs[1:]) ...  ->  def f(xs): <per-call memo>; try: return f_memo(xs) "
                   "except TypeError: return f_recursive(xs)")
    guarded = True


# --- bottom-up tables -----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Step:
    """How one self-call moves one parameter: by a literal (signed) or by an element of a sequence."""

    literal: int = 0
    sequence: str | None = None
    forward: bool = True


@dataclasses.dataclass(frozen=True, eq=False)
class Edge:
    """Where a parameter's base region starts, as expression + constant (expression None for
    a plain integer): the threshold T of `p <= T` / `p >= T`, or (`threshold` False) the far
    end of a run of equalities `p == K` (its lowest value for a parameter that goes down,
    its highest for one that goes up)."""

    expression: cst.BaseExpression | None
    constant: int
    threshold: bool


@dataclasses.dataclass(frozen=True, eq=False)
class Dimension:
    """A table axis: the parameter, its direction (forward: the recursion raises it toward an
    upper bound), its largest literal step, the sequences whose elements are steps, and its edge."""

    param: str
    forward: bool
    literal_step_max: int
    sequences: tuple[str, ...]
    edge: Edge


@dataclasses.dataclass(frozen=True, eq=False)
class TablePlan:
    """The recursion and one table axis per varying parameter, in parameter order."""

    shape: RecursiveShape
    dimensions: tuple[Dimension, ...]


_TABLE_BUILTINS = ("type", "int", "list", "tuple", "all", "max", "min", "range", "Exception")
_MAX_DIMENSIONS = 3


def _literal_int(node: cst.BaseExpression) -> int | None:
    if m.matches(node, m.Integer()):
        return int(node.value, 0)
    if m.matches(node, m.UnaryOperation(operator=m.Minus(), expression=m.Integer())):
        return -int(node.expression.value, 0)
    return None


_LENGTH_CALL = m.Call(func=m.Name("len"), args=[m.Arg(keyword=None, star="")])


def _invariant_expression(node: cst.BaseExpression, shape: RecursiveShape, stored: set[str],
                          ctx: ProgramContext) -> bool:
    """An integer-looking expression the function's entry fixes: literals, invariant parameters,
    names the function never binds, `len(...)`, `+ - *` and subscripts of those."""
    if isinstance(node, cst.Integer):
        return True
    if isinstance(node, cst.Name):
        return node.value not in shape.varying and node.value not in stored and \
            node.value != shape.function.name.value and node.value not in ("True", "False", "None")
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return _invariant_expression(node.expression, shape, stored, ctx)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Subtract, cst.Multiply)):
        return _invariant_expression(node.left, shape, stored, ctx) and \
            _invariant_expression(node.right, shape, stored, ctx)
    if m.matches(node, _LENGTH_CALL) and ctx.builtin_usable("len"):
        return _invariant_expression(node.args[0].value, shape, stored, ctx)
    if m.matches(node, m.Subscript(slice=[m.SubscriptElement(slice=m.Index())])):
        return _invariant_expression(node.value, shape, stored, ctx) and \
            _invariant_expression(node.slice[0].slice.value, shape, stored, ctx)
    return False


_SEQUENCE_ELEMENT = m.Subscript(value=m.Name(), slice=[m.SubscriptElement(slice=m.Index(value=m.Name() | m.Integer()))])


def _step(argument: cst.BaseExpression, param: str, shape: RecursiveShape, stored: set[str]) -> Step | None:
    """`p` (no move), `p + k` / `p - k` (literal k), or `p + S[q]` / `p - S[q]` (S an invariant name,
    q a name or literal)."""
    if m.matches(argument, m.Name(param)):
        return Step()
    if not m.matches(argument, m.BinaryOperation(left=m.Name(param), operator=m.Add() | m.Subtract())):
        return None
    forward = m.matches(argument.operator, m.Add())
    right = argument.right
    if m.matches(right, m.Integer()):
        amount = int(right.value, 0)
        return Step(literal=amount if forward else -amount, forward=forward)
    if m.matches(right, _SEQUENCE_ELEMENT):
        sequence = right.value.value
        if sequence in shape.varying or sequence in stored or sequence == shape.function.name.value:
            return None
        return Step(sequence=sequence, forward=forward)
    return None


def _disjuncts(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        return _disjuncts(test.left) + _disjuncts(test.right)
    return [test]


_MIRRORED = {cst.LessThan: cst.GreaterThan, cst.LessThanEqual: cst.GreaterThanEqual,
             cst.GreaterThan: cst.LessThan, cst.GreaterThanEqual: cst.LessThanEqual, cst.Equal: cst.Equal}


def _comparison_with(test: cst.BaseExpression, param: str) -> tuple[type, cst.BaseExpression] | None:
    """(operator type, other side) for `param OP other`, `other OP param` (mirrored) or `not param` (== 0)."""
    if m.matches(test, m.UnaryOperation(operator=m.Not(), expression=m.Name(param))):
        return cst.Equal, cst.Integer("0")
    if not m.matches(test, m.Comparison(comparisons=[m.ComparisonTarget()])):
        return None
    operator, other = type(test.comparisons[0].operator), test.comparisons[0].comparator
    if operator not in _MIRRORED:
        return None
    if m.matches(test.left, m.Name(param)):
        return operator, other
    if m.matches(other, m.Name(param)):
        return _MIRRORED[operator], test.left
    return None


def _edge(param: str, forward: bool, literal_step_max: int, runtime_steps: bool,
          tests: list[cst.BaseExpression], shape: RecursiveShape, stored: set[str],
          ctx: ProgramContext) -> Edge | None:
    """The edge of param's base region from the guard disjuncts: a threshold if any, else an
    equality run wide enough that no step can jump over it."""
    equal_literals: list[int] = []
    equal_expressions: list[cst.BaseExpression] = []
    for test in tests:
        found = _comparison_with(test, param)
        if found is None or not _invariant_expression(found[1], shape, stored, ctx):
            continue
        operator, other = found
        literal = _literal_int(other)
        expression, constant = (None, literal) if literal is not None else (other, 0)
        if forward and operator in (cst.GreaterThanEqual, cst.GreaterThan):
            return Edge(expression, constant + (1 if operator is cst.GreaterThan else 0), threshold=True)
        if not forward and operator in (cst.LessThanEqual, cst.LessThan):
            return Edge(expression, constant - (1 if operator is cst.LessThan else 0), threshold=True)
        if operator is cst.Equal:
            if literal is not None:
                equal_literals.append(literal)
            else:
                equal_expressions.append(other)
    if runtime_steps:
        return None
    values = sorted(set(equal_literals), reverse=forward)
    runs: list[list[int]] = []
    for value in values:
        if runs and abs(value - runs[-1][-1]) == 1:
            runs[-1].append(value)
        else:
            runs.append([value])
    wide = [run for run in runs if len(run) >= literal_step_max]
    if wide:
        return Edge(None, wide[0][0], threshold=False)
    if equal_expressions and literal_step_max == 1:
        return Edge(equal_expressions[0], 0, threshold=False)
    return None


def _statement_items(statements: Sequence[cst.CSTNode]) -> list[tuple[cst.CSTNode, Sequence[cst.EmptyLine]]]:
    """Statements with simple lines split into their small statements, each with the leading
    lines it should carry."""
    items: list[tuple[cst.CSTNode, Sequence[cst.EmptyLine]]] = []
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine):
            for index, small in enumerate(statement.body):
                items.append((small, statement.leading_lines if index == 0 else ()))
        else:
            items.append((statement, ()))
    return items


def _suite_items(suite: cst.BaseSuite) -> list[tuple[cst.CSTNode, Sequence[cst.EmptyLine]]]:
    if isinstance(suite, cst.IndentedBlock):
        return _statement_items(suite.body)
    return [(small, ()) for small in suite.body]


def _filled(items: list[tuple[cst.CSTNode, Sequence[cst.EmptyLine]]],
            store: Callable[[cst.BaseExpression], cst.BaseSmallStatement]) -> list[cst.BaseStatement] | None:
    """The statements with every `return v` turned into `store(v)` (an if/elif chain where a
    return ended a branch early); None unless every path ends in a return and only
    assignments, ifs and returns occur."""
    if not items:
        return None
    (node, leading), rest = items[0], items[1:]
    if isinstance(node, cst.Return):
        if node.value is None:
            return None
        return [build.line(store(node.value), leading)]
    if isinstance(node, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
        tail = _filled(rest, store)
        if tail is None:
            return None
        return [build.line(node.with_changes(semicolon=cst.MaybeSentinel.DEFAULT), leading)] + tail
    if isinstance(node, cst.Pass) or (isinstance(node, cst.Expr) and
                                      isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString))):
        return _filled(rest, store)
    if isinstance(node, cst.If):
        body = _filled(_suite_items(node.body), store)
        if node.orelse is None:
            other_items = rest
        elif isinstance(node.orelse, cst.If):
            other_items = [(node.orelse, ())] + rest
        else:
            other_items = _suite_items(node.orelse.body) + rest
        other = _filled(other_items, store)
        if body is None or other is None:
            return None
        if len(other) == 1 and isinstance(other[0], cst.If):
            orelse: cst.If | cst.Else = other[0]
        else:
            orelse = cst.Else(body=cst.IndentedBlock(body=other))
        return [node.with_changes(body=_indented(body, node.body), orelse=orelse)]
    return None


def _has_self_call(node: cst.CSTNode, shape: RecursiveShape, ctx: ProgramContext) -> bool:
    return any(ctx.is_inside(call, node) for call in shape.calls)


def _guard_tests(shape: RecursiveShape, ctx: ProgramContext) -> list[cst.BaseExpression]:
    """The disjuncts of the tests of `if test: return v` statements reached before any self-call
    (so at a state where one holds, the call returns without recursing); an `else` of such an
    if is scanned on as the code that follows."""
    tests: list[cst.BaseExpression] = []
    items = _statement_items(_body_statements(shape.function))
    while items:
        (node, _), items = items[0], items[1:]
        if isinstance(node, cst.Return) and isinstance(node.value, cst.IfExp):
            tests.extend(_conditional_guards(node.value, shape, ctx))
            break
        if not isinstance(node, cst.If):
            if _has_self_call(node, shape, ctx):
                break
            continue
        body = _suite_items(node.body)
        if _has_self_call(node.test, shape, ctx) or len(body) != 1 or not isinstance(body[0][0], cst.Return) \
                or body[0][0].value is None or _has_self_call(body[0][0], shape, ctx):
            if _has_self_call(node, shape, ctx):
                break
            continue
        tests.extend(_disjuncts(node.test))
        if isinstance(node.orelse, cst.If):
            items = [(node.orelse, ())] + items
        elif isinstance(node.orelse, cst.Else):
            items = _suite_items(node.orelse.body) + items
    return tests


def _conditional_guards(value: cst.IfExp, shape: RecursiveShape, ctx: ProgramContext) -> list[cst.BaseExpression]:
    """The guard disjuncts of `return v if test else ...` chains: tests whose value has no self-call."""
    tests: list[cst.BaseExpression] = []
    while isinstance(value, cst.IfExp) and not _has_self_call(value.test, shape, ctx) \
            and not _has_self_call(value.body, shape, ctx):
        tests.extend(_disjuncts(value.test))
        value = value.orelse
    return tests


def table_plan(function: cst.FunctionDef, ctx: ProgramContext) -> TablePlan | None:
    """The table for a recursion whose varying parameters move by constant (or sequence-element)
    steps toward base cases that simple comparisons recognise; None when the shape is not that."""
    shape = recursive_shape(function, ctx)
    if shape is None or not 1 <= len(shape.varying) <= _MAX_DIMENSIONS or \
            not results_immutable(shape, frozenset(shape.varying), ctx):
        return None
    if not all(ctx.builtin_usable(name) for name in _TABLE_BUILTINS):
        return None
    stored = names.stored_names(function.body, ctx)
    if any(p in stored for p in shape.varying) or \
            names.has_node(function.body, (cst.Lambda, cst.For, cst.While), stop_at_scopes=False):
        return None
    if _filled(_statement_items(_body_statements(function)), lambda value: cst.Expr(value)) is None:
        return None
    indexes = [shape.params.index(p) for p in shape.varying]
    steps: list[list[Step]] = []
    for arguments in shape.arguments:
        row = [_step(arguments[index], shape.params[index], shape, stored) for index in indexes]
        if any(step is None for step in row):
            return None
        if all(step.literal == 0 and step.sequence is None for step in row):
            return None  # a call with the same arguments again
        steps.append(row)
    tests = _guard_tests(shape, ctx)
    dimensions = []
    for column, param in enumerate(shape.varying):
        moves = [row[column] for row in steps if row[column].literal != 0 or row[column].sequence is not None]
        if not moves or len({move.forward for move in moves}) != 1:
            return None
        forward = moves[0].forward
        literal_step_max = max([abs(move.literal) for move in moves] + [1])
        sequences = tuple(dict.fromkeys(move.sequence for move in moves if move.sequence is not None))
        edge = _edge(param, forward, literal_step_max, bool(sequences), tests, shape, stored, ctx)
        if edge is None:
            return None
        dimensions.append(Dimension(param, forward, literal_step_max, sequences, edge))
    return TablePlan(shape, tuple(dimensions))


@dataclasses.dataclass(frozen=True)
class _Bound:
    """One end of a table axis as code: a literal int, or a variable the guard computes."""

    literal: int | None
    variable: str | None
    code: str
    needs_type_check: bool


def _axis_bound(dimension: Dimension, step_max: str | None, variable: str, ctx: ProgramContext) -> _Bound:
    """The lowest state a backward axis reaches (T + 1 - step for thresholds), or the highest a
    forward axis reaches (T - 1 + step); an equality run's start itself."""
    edge = dimension.edge
    constant = edge.constant
    if edge.threshold and step_max is None:
        constant += (dimension.literal_step_max - 1) if dimension.forward else (1 - dimension.literal_step_max)
    elif edge.threshold:
        constant += -1 if dimension.forward else 1
    if edge.expression is None and step_max is None:
        return _Bound(constant, None, str(constant), False)
    code = ctx.code(edge.expression) if edge.expression is not None else ""
    if constant:
        code = f"{code} {'+' if constant > 0 else '-'} {abs(constant)}" if code else str(constant)
    if step_max is not None:
        sign = "+" if dimension.forward else "-"
        code = f"{code} {sign} {step_max}" if code else ("" if dimension.forward else "-") + step_max
    is_length = isinstance(edge.expression, cst.Call) and isinstance(edge.expression.func, cst.Name) and \
        edge.expression.func.value == "len"
    return _Bound(None, variable, code, edge.expression is not None and not is_length)


class RecursionToTable(Rule):
    """A pure recursion over integer parameters that move by constant steps becomes a loop
    that fills a table (nested lists indexed by the parameters' values) from the base cases
    up, each cell computed by the function's own body with `return v` storing v and each
    self-call reading a cell; the original def stays as `<name>_recursive`.

    Precondition (checked): `recursive_shape`; 1-3 varying parameters, never rebound; the body
    only assigns, branches (if/elif/else) and returns, every path returning a value, with no
    loops or lambdas; each self-call passes `p`, `p + k`, `p - k` (k a literal) or `p - S[q]`
    / `p + S[q]` (S a sequence the call does not change) for each varying p, moves at least
    one of them, and each parameter only ever moves one way; for each parameter an `if
    <test>: return v` before the first self-call bounds it with an `or`-part of its test: a
    threshold (`p <= T`, `p < T`, `p >= T`, `p > T`) or equalities (`p == K`, `not p`) that
    no step can jump over, with T / K literals, invariant parameters, unbound names or
    `len(...)` of them.
    Guarded at runtime: the varying arguments are ints inside the table's range, bounds are
    ints, every S is a list or tuple of positive ints, and the table has at most
    TABLE_CELL_LIMIT cells; otherwise, and on any exception while filling the table (a state
    the recursion would never have visited may raise), the call runs `<name>_recursive`.
    Where the original hits RecursionError (deep inputs) the table returns the value; the
    fallback runs one frame deeper than the original.
    Helps when the recursion revisits states (grid paths, coin change, edit distance:
    exponential -> one pass over the table with no calls) and even for linear recursion
    (no call per step). Hurts when the recursion touches a thin part of the table (say
    edit distance of equal strings walks the diagonal only) or the range is wide and sparse.
    """

    name = "recursion_to_table"
    description = ("def f(i, j): if i == n: return ...; return f(i + 1, j) + f(i, j + 1)  ->  "
                   "for i ...: for j ...: table[i][j] = <body>; return table[i0][j0]")
    safety = Safety.CONDITIONAL
    families = ("naive_recursion",)
    anchor_types = (cst.FunctionDef,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> TablePlan | None:
        return table_plan(node, ctx)

    def build(self, node: cst.CSTNode, found: TablePlan, ctx: ProgramContext) -> Edit:
        shape, dimensions = found.shape, found.dimensions
        function = shape.function
        fresh = _Names(ctx)
        table, row, plain = fresh("table"), fresh("row"), fresh(f"{function.name.value}_recursive")
        placeholder, element = fresh("fill_cell"), fresh("step")
        unused = "_" if "_" not in ctx.identifiers else fresh("unused")
        starts = {d.param: fresh(f"{d.param}_start") for d in dimensions}
        step_max = {d.param: fresh(f"{d.param}_step_max") for d in dimensions if d.sequences}
        bounds = {d.param: _axis_bound(d, step_max.get(d.param), fresh(f"{d.param}_{'high' if d.forward else 'low'}"),
                                       ctx) for d in dimensions}
        sequences = list(dict.fromkeys(s for d in dimensions for s in d.sequences))

        checks = [f"type({d.param}) is int" for d in dimensions] + [
            f"(type({s}) is list or type({s}) is tuple) and all(type({element}) is int and {element} > 0 "
            f"for {element} in {s})" for s in sequences]
        setup = []
        for d in dimensions:
            if d.param in step_max:
                largest = ", ".join([str(d.literal_step_max)] + [f"max({s}, default=1)" for s in d.sequences])
                setup.append(f"{step_max[d.param]} = max({largest})" if d.literal_step_max > 1 or len(d.sequences) > 1
                             else f"{step_max[d.param]} = max({d.sequences[0]}, default=1)")
        conditions, lengths = [], []
        for d in dimensions:
            bound = bounds[d.param]
            edge = bound.variable if bound.literal is None else str(bound.literal)
            if bound.literal is None:
                setup.append(f"{bound.variable} = {bound.code}")
                if bound.needs_type_check:
                    conditions.append(f"type({bound.variable}) is int")
            if d.forward:
                conditions.append(f"0 <= {d.param} <= {edge}")
                lengths.append(f"{edge} + 1" if bound.literal is None else str(bound.literal + 1))
            elif bound.literal is not None:
                conditions.append(f"{max(bound.literal, 0)} <= {d.param}")
                lengths.append(f"{d.param} + {1 - min(bound.literal, 0)}")
            else:
                conditions.append(f"max(0, {edge}) <= {d.param}")
                lengths.append(f"{d.param} + 1 - min({edge}, 0)")
        conditions.append(" * ".join(f"({length})" for length in lengths) + f" <= {TABLE_CELL_LIMIT:_}")
        allocation = f"[None] * ({lengths[-1]})"
        for length in reversed(lengths[:-1]):
            allocation = f"[{allocation} for {unused} in range({length})]"

        lines = [f"{', '.join(starts.values())} = {', '.join(starts)}",
                 "try:",
                 f"    if {' and '.join(checks)}:"]
        lines += [f"        {line}" for line in setup]
        lines += [f"        if {' and '.join(conditions)}:",
                  f"            {table} = {allocation}"]
        indent = "            "
        for position, d in enumerate(dimensions):
            edge = bounds[d.param].code if bounds[d.param].literal is not None else bounds[d.param].variable
            if d.forward:
                lines.append(f"{indent}for {d.param} in range({edge}, {starts[d.param]} - 1, -1):")
            else:
                lines.append(f"{indent}for {d.param} in range({edge}, {starts[d.param]} + 1):")
            indent += "    "
            if position == len(dimensions) - 2:
                lines.append(f"{indent}{row} = {table}" + "".join(f"[{e.param}]" for e in dimensions[:-1]))
        lines += [f"{indent}{placeholder}",
                  f"            return {table}" + "".join(f"[{starts[d.param]}]" for d in dimensions),
                  "except Exception:",
                  "    pass",
                  f"return {plain}({', '.join(starts.get(p, p) for p in shape.params)})"]
        skeleton = _parse_statements("\n".join(lines) + "\n")

        columns = [shape.params.index(d.param) for d in dimensions]
        last = dimensions[-1].param

        def cell(coordinates: list[cst.BaseExpression]) -> cst.BaseExpression:
            if len(dimensions) > 1 and all(isinstance(c, cst.Name) and c.value == d.param
                                           for c, d in zip(coordinates[:-1], dimensions[:-1])):
                base: cst.BaseExpression = cst.Name(row)
                coordinates = coordinates[-1:]
            else:
                base = cst.Name(table)
            for coordinate in coordinates:
                base = cst.Subscript(value=base, slice=[cst.SubscriptElement(cst.Index(coordinate.deep_clone()))])
            return base

        replace: dict[int, Callable[[cst.CSTNode], object]] = {}
        for call, arguments in zip(shape.calls, shape.arguments):
            lookup = cell([build.without_parens(arguments[c]) for c in columns])
            replace[id(call)] = lambda updated, lookup=lookup: lookup.with_changes(lpar=updated.lpar,
                                                                                   rpar=updated.rpar)
        store_target = cst.Name(last) if len(dimensions) > 1 else cst.Name(dimensions[0].param)
        store_base = row if len(dimensions) > 1 else table

        def store(value: cst.BaseExpression) -> cst.BaseSmallStatement:
            target = cst.Subscript(value=cst.Name(store_base),
                                   slice=[cst.SubscriptElement(cst.Index(store_target.deep_clone()))])
            return cst.Assign(targets=[cst.AssignTarget(target)], value=value)

        docstring, statements = _split_docstring(_body_statements(function))
        filled = _filled(_statement_items(_transformed(statements, replace)), store)
        if filled is None:  # cannot happen: match translated the same statements
            raise RewriteError(f"{self.name}: the body of {function.name.value} cannot fill a table")
        skeleton = [s.visit(_FillPlaceholder(placeholder, filled)) for s in skeleton]
        new = function.with_changes(body=_indented(docstring + skeleton, function.body))
        return Edit([(function, cst.FlattenSentinel([new, _recursive_copy(shape, plain, ctx)]))])


class _FillPlaceholder(cst.CSTTransformer):
    """Replaces the line holding only the placeholder name by the given statements."""

    def __init__(self, placeholder: str, statements: list[cst.BaseStatement]):
        super().__init__()
        self._placeholder = placeholder
        self._statements = statements

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine,
                                  updated_node: cst.SimpleStatementLine):
        body = updated_node.body
        if len(body) == 1 and isinstance(body[0], cst.Expr) and isinstance(body[0].value, cst.Name) \
                and body[0].value.value == self._placeholder:
            return cst.FlattenSentinel(self._statements)
        return updated_node
