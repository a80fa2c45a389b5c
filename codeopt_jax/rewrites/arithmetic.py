"""Arithmetic: loops that compute something with a closed form or a shorter search.

  * a loop over `range(...)` that only adds polynomials of the loop variable to int
    accumulators becomes one formula in the number of steps (Faulhaber's sums);
  * a divisor search `for i in range(2, n): if n % i == 0: <exit>` stops at the square
    root of n, where the smallest divisor of a composite n must lie.
"""

from __future__ import annotations

import dataclasses
import fractions
import math

import libcst as cst
import libcst.matchers as m

from codeopt_jax.rewrites import build, liveness, names
from codeopt_jax.rewrites.base import Edit, Rule, Safety
from codeopt_jax.rewrites.context import ProgramContext
from codeopt_jax.rewrites.loopshape import added_to, find_initializer, flatten_body

# --- integer polynomials --------------------------------------------------------------------------

Poly = tuple[int, ...]  # coefficients, lowest power first, no trailing zeros
MAX_DEGREE = 8


def _trim(coefficients: list[int]) -> Poly:
    while coefficients and coefficients[-1] == 0:
        coefficients.pop()
    return tuple(coefficients)


def poly_add(a: Poly, b: Poly) -> Poly:
    size = max(len(a), len(b))
    return _trim([(a[j] if j < len(a) else 0) + (b[j] if j < len(b) else 0) for j in range(size)])


def poly_scale(a: Poly, factor: int) -> Poly:
    return _trim([factor * c for c in a])


def poly_mul(a: Poly, b: Poly) -> Poly:
    if not a or not b:
        return ()
    product = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            product[i + j] += x * y
    return _trim(product)


def poly_value(a: Poly, x: int) -> int:
    total = 0
    for c in reversed(a):
        total = total * x + c
    return total


def _int_literal(node: cst.CSTNode) -> int | None:
    """The value of an int literal, or of a negated one."""
    if isinstance(node, cst.Integer):
        return int(node.evaluated_value)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) and \
            isinstance(node.expression, cst.Integer):
        return -int(node.expression.evaluated_value)
    return None


def polynomial_of(node: cst.CSTNode, variable: str, known: dict[str, Poly]) -> Poly | None:
    """node as a polynomial with int coefficients in `variable` (names in `known` stand for
    their polynomials): int literals, +, -, * and ** by a small literal; else None."""
    literal = _int_literal(node)
    if literal is not None:
        return _trim([literal])
    if isinstance(node, cst.Name):
        if node.value == variable:
            return (0, 1)
        return known.get(node.value)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        inner = polynomial_of(node.expression, variable, known)
        if inner is None:
            return None
        return poly_scale(inner, -1) if isinstance(node.operator, cst.Minus) else inner
    if not isinstance(node, cst.BinaryOperation):
        return None
    left = polynomial_of(node.left, variable, known)
    if left is None:
        return None
    if isinstance(node.operator, cst.Power):
        exponent = _int_literal(node.right)
        if exponent is None or not 0 <= exponent <= MAX_DEGREE:
            return None
        result: Poly = (1,)
        for _ in range(exponent):
            result = poly_mul(result, left)
    else:
        right = polynomial_of(node.right, variable, known)
        if right is None:
            return None
        if isinstance(node.operator, cst.Add):
            result = poly_add(left, right)
        elif isinstance(node.operator, cst.Subtract):
            result = poly_add(left, poly_scale(right, -1))
        elif isinstance(node.operator, cst.Multiply):
            result = poly_mul(left, right)
        else:
            return None
    return result if len(result) <= MAX_DEGREE + 1 else None


def shifted(a: Poly, start: int, step: int) -> Poly:
    """a(start + step * k) as a polynomial in k."""
    result: Poly = ()
    power: Poly = (1,)
    for c in a:
        result = poly_add(result, poly_scale(power, c))
        power = poly_mul(power, _trim([start, step]))
    return result


@dataclasses.dataclass(frozen=True)
class PrefixSum:
    """sum(a(k) for k in range(n)) == (sum(c * n ** j for j, c in enumerate(numerator))) // divisor
    for every n >= 0 (the numerator is divisible by the divisor exactly)."""

    numerator: Poly
    divisor: int


def prefix_sum(a: Poly) -> PrefixSum:
    """The closed form of the prefix sums of a, from Newton's forward differences."""
    values = [0]
    for k in range(len(a) + 1):
        values.append(values[-1] + poly_value(a, k))
    coefficients = [fractions.Fraction(0)] * len(values)
    row = values
    for order in range(len(values)):
        if row[0]:
            falling: Poly = (1,)  # n (n - 1) ... (n - order + 1)
            for t in range(order):
                falling = poly_mul(falling, (-t, 1))
            for j, c in enumerate(falling):
                coefficients[j] += fractions.Fraction(row[0] * c, math.factorial(order))
        row = [b - a for a, b in zip(row, row[1:])]
    divisor = math.lcm(*(c.denominator for c in coefficients))
    return PrefixSum(numerator=_trim([int(c * divisor) for c in coefficients]), divisor=divisor)


def horner_template(numerator: Poly, divisor: int, hole: str) -> str:
    """Source (with `{hole}` for n) of numerator(n) // divisor, in Horner form;
    the numerator has no constant term."""
    n = "{" + hole + "}"

    def times_n(text: str, is_sum: bool) -> str:
        if text in ("1", "-1"):
            return text[:-1] + n
        return f"({text}) * {n}" if is_sum else f"{text} * {n}"

    text, is_sum = str(numerator[-1]), False
    for c in reversed(numerator[1:-1]):
        text = times_n(text, is_sum)
        if c:
            text, is_sum = text + (f" + {c}" if c > 0 else f" - {-c}"), True
        else:
            is_sum = False
    text = times_n(text, is_sum)
    return text if divisor == 1 else f"{text} // {divisor}"


# --- closed forms of accumulation loops over a range ----------------------------------------------

@dataclasses.dataclass(frozen=True)
class RangeAccumulation:
    """Per accumulator (in order of first appearance), the polynomial the loop adds on step
    k (k = 0, 1, ...), and the range call whose length is the number of steps."""

    totals: tuple[tuple[str, Poly], ...]
    range_call: cst.Call


def _range_start_step(call: cst.CSTNode, ctx: ProgramContext) -> tuple[int, int] | None:
    """(start, step) of `range(stop)`, `range(start, stop)` or `range(start, stop, step)`
    with int literal start and step (step not 0)."""
    if not (m.matches(call, m.Call(func=m.Name("range"))) and ctx.builtin_usable("range")):
        return None
    if any(arg.keyword is not None or arg.star for arg in call.args) or not 1 <= len(call.args) <= 3:
        return None
    if len(call.args) == 1:
        return 0, 1
    start = _int_literal(call.args[0].value)
    step = _int_literal(call.args[2].value) if len(call.args) == 3 else 1
    if start is None or not step:
        return None
    return start, step


def _accumulation(small: cst.CSTNode) -> tuple[str, cst.BaseExpression, int] | None:
    """(name, value, sign) for `t += v`, `t -= v`, `t = t + v` or `t = t - v`."""
    if isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Name) and \
            isinstance(small.operator, (cst.AddAssign, cst.SubtractAssign)):
        return small.target.value, small.value, 1 if isinstance(small.operator, cst.AddAssign) else -1
    found = added_to(small)
    if found is not None:
        return found[0], found[1], 1
    if m.matches(small, m.Assign(targets=[m.AssignTarget(target=m.Name())],
                                 value=m.BinaryOperation(left=m.Name(), operator=m.Subtract(), lpar=[]))):
        target = small.targets[0].target.value
        if small.value.left.value == target:
            return target, small.value.right, -1
    return None


class RangeAccumulationClosedForm(Rule):
    """`t = 0; for i in range(...): t += p(i)` with p a polynomial with int coefficients
    (also `t -= ...`, `t = t + ...`, several accumulators, and temporaries `j = q(i)` used
    by later additions) becomes one formula in the number of steps:
    `steps = len(range(1, n + 1)); t += (steps + 1) * steps // 2` for `t += i`;
    a counting loop `c += 1` becomes `c += len(range(...))`.

    Precondition (checked): the range has int literal start and step (step not 0); the
    body only assigns such polynomials to temporaries and adds / subtracts them to
    accumulators; each accumulator starts from an int literal before the loop with nothing
    in between mentioning it, and neither it nor a temporary occurs in the range call;
    the loop variable and temporaries are not read after the loop. All values are ints,
    so the formula (exact floor division) equals the loop's total; `len(range(...))` is
    never negative and raises where `range(...)` raises.

    Helps: O(n) additions become O(1) int operations. Hurts: a few multiplications more
    than a loop of one or two steps.
    """

    name = "range_accumulation_closed_form"
    description = ("for i in range(n): t += i  ->  steps = len(range(n)); t += (steps - 1) * steps // 2 "
                   "(int polynomials of i; c += 1  ->  c += len(range(...)))")
    safety = Safety.CONDITIONAL
    families = ("manual_reduce",)
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> RangeAccumulation | None:
        if node.asynchronous is not None or node.orelse is not None or not isinstance(node.target, cst.Name):
            return None
        start_step = _range_start_step(node.iter, ctx)
        if start_step is None or not ctx.builtin_usable("len"):
            return None
        variable = node.target.value
        temporaries: dict[str, Poly] = {}
        totals: dict[str, Poly] = {}
        for small in flatten_body(node.body):
            accumulation = _accumulation(small)
            if accumulation is not None and accumulation[0] not in temporaries and accumulation[0] != variable:
                name, value, sign = accumulation
                poly = polynomial_of(value, variable, temporaries)
                if poly is None:
                    return None
                totals[name] = poly_add(totals.get(name, ()), poly_scale(poly, sign))
                continue
            if not m.matches(small, m.Assign(targets=[m.AssignTarget(target=m.Name())])):
                return None
            target = small.targets[0].target.value
            poly = polynomial_of(small.value, variable, temporaries)
            if poly is None or target == variable or target in totals:
                return None
            temporaries[target] = poly
        if not totals:
            return None
        for name in totals:
            init = find_initializer(node, name, ctx)
            if init is None or _int_literal(init.value) is None or names.mentions(node.iter, name, ctx):
                return None
        if any(names.mentions(node.iter, name, ctx) for name in temporaries):
            return None
        if not liveness.dead_after(node, [variable, *temporaries], ctx):
            return None
        start, step = start_step
        per_step = tuple((name, shifted(poly, start, step)) for name, poly in totals.items())
        if any(not poly for _, poly in per_step):
            return None
        return RangeAccumulation(totals=per_step, range_call=node.iter)

    def build(self, node: cst.CSTNode, found: RangeAccumulation, ctx: ProgramContext) -> Edit:
        forms = [(name, prefix_sum(poly)) for name, poly in found.totals]
        steps = build.call("len", build.clean(found.range_call))
        uses = sum(len(form.numerator) - 1 for _, form in forms)  # the Horner form spells n once per degree
        statements: list[cst.BaseStatement] = []
        count: cst.BaseExpression = steps
        if uses > 1:
            temp = ctx.fresh_name("steps")
            statements.append(build.assign(temp, steps))
            count = cst.Name(temp)
        for name, form in forms:
            numerator, operator = form.numerator, cst.AddAssign()
            if numerator[-1] < 0:
                numerator, operator = poly_scale(numerator, -1), cst.SubtractAssign()
            value = build.expr(horner_template(numerator, form.divisor, "count"), count=count)
            statements.append(build.line(cst.AugAssign(target=cst.Name(name), operator=operator, value=value)))
        statements[0] = statements[0].with_changes(leading_lines=node.leading_lines)
        return Edit([(node, cst.FlattenSentinel(statements))])


# --- divisor searches -------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class DivisorSearch:
    """The number searched for divisors, and whether `import math` must be added."""

    number: str
    needs_import: bool


def _divisibility_test(test: cst.BaseExpression, number: str, divisor: str) -> bool:
    """`n % i == 0`, `0 == n % i` or `not n % i`."""
    remainder = m.BinaryOperation(left=m.Name(number), operator=m.Modulo(), right=m.Name(divisor))
    zero = m.Integer("0")
    return m.matches(test, m.Comparison(left=remainder, comparisons=[m.ComparisonTarget(operator=m.Equal(),
                                                                                         comparator=zero)])) or \
        m.matches(test, m.Comparison(left=zero, comparisons=[m.ComparisonTarget(operator=m.Equal(),
                                                                                comparator=remainder)])) or \
        m.matches(test, m.UnaryOperation(operator=m.Not(), expression=remainder))


def _search_bound(stop: cst.BaseExpression) -> str | None:
    """n for a stop of `n` or `n // 2 + 1` (both cover 2..isqrt(n) and stay below n)."""
    if isinstance(stop, cst.Name):
        return stop.value
    half_plus_one = m.BinaryOperation(left=m.BinaryOperation(left=m.Name(), operator=m.FloorDivide(),
                                                             right=m.Integer("2")),
                                      operator=m.Add(), right=m.Integer("1"))
    if m.matches(stop, half_plus_one):
        return stop.left.left.value
    return None


class DivisorLoopToIsqrtBound(Rule):
    """`for i in range(2, n): if n % i == 0: ...; return / break` (stop `n` or `n // 2 + 1`)
    searches only up to the square root: `range(2, math.isqrt(max(n, 0)) + 1)`. The first
    hit is n's smallest divisor above 1, which for a composite n is at most isqrt(n); a
    prime n has none in either range.

    Precondition (checked): a plain `for` without `else` whose body is one `if` (no else)
    testing `n % i == 0` (or `0 == n % i`, `not n % i`), its body ending in `return` or
    `break` with no other jump; the loop never assigns n; i is not read after the loop;
    `math` is free or the math module. Any n that `range` accepts (ints and other
    `__index__` types) gives the same first hit; negative n leaves both ranges empty.

    Helps: O(n) to O(sqrt(n)) for primes and numbers with large factors. Hurts: nothing
    (numbers with a small factor exit early either way).
    """

    name = "divisor_loop_to_isqrt_bound"
    description = ("for i in range(2, n): if n % i == 0: return False  ->  "
                   "for i in range(2, math.isqrt(max(n, 0)) + 1): ... (also n // 2 + 1)")
    safety = Safety.CONDITIONAL
    families = ("manual_reduce",)
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> DivisorSearch | None:
        if node.asynchronous is not None or node.orelse is not None or not isinstance(node.target, cst.Name):
            return None
        call = node.iter
        if not (m.matches(call, m.Call(func=m.Name("range"), args=[m.Arg(value=m.Integer("2"), keyword=None, star=""),
                                                                   m.Arg(keyword=None, star="")]))
                and ctx.builtin_usable("range") and ctx.builtin_usable("max")):
            return None
        number = _search_bound(call.args[1].value)
        divisor = node.target.value
        if number is None or number == divisor:
            return None
        body = flatten_body(node.body)
        if len(body) != 1 or not isinstance(body[0], cst.If) or body[0].orelse is not None:
            return None
        branch = body[0]
        if not _divisibility_test(branch.test, number, divisor):
            return None
        actions = flatten_body(branch.body)
        if not actions or not isinstance(actions[-1], (cst.Return, cst.Break)):
            return None
        if any(names.loop_jumps(action) or isinstance(action, cst.Continue) for action in actions[:-1]):
            return None
        if number in names.stored_names(node.body, ctx) or not liveness.dead_after(node, [divisor], ctx):
            return None
        if ctx.imported_module("math") == "math":
            return DivisorSearch(number=number, needs_import=False)
        if "math" in ctx.identifiers:
            return None
        return DivisorSearch(number=number, needs_import=True)

    def build(self, node: cst.CSTNode, found: DivisorSearch, ctx: ProgramContext) -> Edit:
        stop = build.expr(f"math.isqrt(max({found.number}, 0)) + 1")
        call = node.iter
        new_call = call.with_changes(args=[call.args[0], call.args[1].with_changes(value=stop)])
        return Edit([(call, new_call)], imports=("import math",) if found.needs_import else ())
