"""closed_form: counting / summing loops over a range that a formula replaces, and trial division up to n."""

from __future__ import annotations

from codeopt_jax.generator.code import Context, Cost, Param, TargetFunction
from codeopt_jax.generator.kinds import IntElem, IntScalar, ListKind, ScaledIntScalar
from codeopt_jax.generator.lexicon import ACCUMULATOR, function_name


def range_sum(ctx: Context) -> TargetFunction:
    rng, names = ctx.rng, ctx.names
    n = names.fresh(("n", "days", "steps", "rounds", "levels", "weeks"))
    i = names.fresh(("i", "day", "step", "k", "level"))
    total = names.fresh(ACCUMULATOR)
    a, b = rng.randint(1, 9), rng.randint(0, 20)
    start = rng.choice(("", "1, ", "2, "))
    stop = rng.choice((n, f"{n} + 1"))
    term = rng.choice((i, f"{a} * {i}", f"{a} * {i} + {b}", f"{i} * {i}", f"{i} * {i} + {a} * {i}", "1"))
    lines = [f"{total} = 0", f"for {i} in range({start}{stop}):"]
    if term == "1":
        lines.append(f"    {total} += 1")
        summary = f"How many steps a loop to {n} takes."
    else:
        lines.append(f"    {total} += {term}")
        summary = f"The sum of {term} over the range to {n}."
    extra: tuple[Param, ...] = ()
    result = total
    if rng.random() < 0.4:
        rate = names.fresh(("rate", "scale", "factor"))
        result = f"{total} * {rate}"
        extra = (Param(rate, IntScalar((1, 2, 0, -1, 3, 5, 7), rng.randint(2, 9))),)
    name = function_name(rng, names, ("total", "sum", "accumulate", "count"), "over", n)
    return TargetFunction(name, (Param(n, ScaledIntScalar((0, 1, 2, 5, 10, -3, 7))),) + extra,
                          tuple(lines) + (f"return {result}",), summary, ("closed_form",),
                          Cost(70, max_size=150_000))


def per_item_sums(ctx: Context) -> TargetFunction:
    """A range-sum helper applied to each of a list of sizes (the pattern inside a helper)."""
    rng, names = ctx.rng, ctx.names
    helper = names.fresh(("triangular", "pairs_among", "handshakes", "stacked_blocks"))
    m, i, acc = names.fresh(("m", "size", "people")), names.fresh(("i", "j", "k")), names.fresh(ACCUMULATOR)
    term = rng.choice((i, f"{i} * {i}", "1"))
    helper_source = (f"def {helper}({m}):\n    {acc} = 0\n    for {i} in range({m}):\n        {acc} += {term}\n"
                     f"    return {acc}\n")
    sizes, size, out = names.fresh(("sizes", "team_sizes", "heights")), names.fresh(("size", "h", "count")), \
        names.fresh(("totals", "result", "values"))
    body = (f"{out} = []", f"for {size} in {sizes}:", f"    {out}.append({helper}({size}))", f"return {out}")
    hi = rng.choice((500, 1000, 2000))
    name = function_name(rng, names, ("totals_for", "compute", "table_of"), sizes)
    return TargetFunction(name, (Param(sizes, ListKind(IntElem(0, hi, "size"))),), body,
                          f"The {helper} number of each of {sizes}.", ("closed_form", "append_loop"),
                          Cost(150 + 32 * hi, max_size=20_000), helpers=(helper_source,))


def trial_division(ctx: Context) -> TargetFunction:
    rng, names = ctx.rng, ctx.names
    helper = names.fresh(("is_prime", "prime", "has_no_divisor", "irreducible"))
    n, d = names.fresh(("n", "number", "candidate", "value")), names.fresh(("d", "divisor", "factor", "i"))
    bound = rng.choice((n, f"{n} // 2 + 1"))
    helper_source = (f"def {helper}({n}):\n    if {n} < 2:\n        return False\n    for {d} in range(2, {bound}):\n"
                     f"        if {n} % {d} == 0:\n            return False\n    return True\n")
    values, v = names.fresh(("values", "numbers", "ids", "codes")), names.fresh(("v", "number", "x", "code"))
    if rng.random() < 0.5:
        out = names.fresh(("primes", "picked", "result"))
        body = (f"{out} = []", f"for {v} in {values}:", f"    if {helper}({v}):", f"        {out}.append({v})",
                f"return {out}")
    else:
        out = names.fresh(("count", "total", "hits"))
        body = (f"{out} = 0", f"for {v} in {values}:", f"    if {helper}({v}):", f"        {out} += 1", f"return {out}")
    hi = rng.choice((3000, 6000, 12000))
    per_number = 30 * (hi / 8 if bound == n else hi / 16) + 200
    name = function_name(rng, names, ("primes_in", "count_primes", "prime_codes"), values)
    return TargetFunction(name, (Param(values, ListKind(IntElem(-5, hi, "number"))),), body,
                          f"The primes among {values} (found by trial division).", ("closed_form",),
                          Cost(per_number, max_size=50_000), helpers=(helper_source,))


def closed_form_target(ctx: Context) -> TargetFunction:
    return ctx.rng.choice((range_sum, range_sum, per_item_sums, trial_division))(ctx)
