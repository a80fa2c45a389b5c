"""naive_recursion: recursive functions whose subproblems repeat (memoization or a table fixes them).

Each variant draws its names, base cases and constants; its workload depth is chosen from
the variant's measured growth so one pass takes a few milliseconds (`Cost.fixed_size`).
"""

from __future__ import annotations

from codeopt_jax.generator.code import Context, Cost, Param, TargetFunction
from codeopt_jax.generator.kinds import FixedValues, IntElem, IntScalar, ListKind, ScaledIntScalar, TextKind


def _cost(ctx: Context, depths: tuple[int, ...]) -> Cost:
    """A fixed depth from `depths` (those that measured a few ms per pass)."""
    return Cost(1.0, fixed_size=ctx.rng.choice(depths))


def step_sequences(ctx: Context) -> TargetFunction:
    names = ctx.names
    name = names.fresh(("count_step_sequences", "ways_to_climb", "count_paths_to_floor", "stair_routes",
                        "count_jump_orders"))
    n, steps, step, total = (names.fresh(c) for c in (("n", "height", "remaining", "floors"),
                                                       ("steps", "moves", "jumps", "strides"),
                                                       ("step", "move", "jump", "stride"),
                                                       ("total", "ways", "count", "routes")))
    choices = ctx.rng.choice(((1, 2), (1, 3), (1, 2, 3), (2, 3), (1, 4), (1, 2, 5)))
    depth = {(1, 2): (19, 20, 21), (1, 3): (24, 25, 26), (1, 2, 3): (15, 16, 17), (2, 3): (32, 34, 36),
             (1, 4): (29, 30, 31), (1, 2, 5): (17, 18, 19)}[choices]
    if ctx.rng.random() < 0.5:
        base = (f"if {n} == 0:", "    return 1", f"if {n} < 0:", "    return 0")
    else:
        base = (f"if {n} < 0:", "    return 0", f"if {n} == 0:", "    return 1")
    if ctx.rng.random() < 0.5:
        body = base + (f"{total} = 0", f"for {step} in {steps}:", f"    {total} += {name}({n} - {step}, {steps})",
                       f"return {total}")
    else:
        body = base + (f"return sum({name}({n} - {step}, {steps}) for {step} in {steps})",)
    params = (Param(n, ScaledIntScalar((0, 1, 2, 3, 5, 7, -1))), Param(steps, FixedValues((choices,), repr(choices))))
    return TargetFunction(name, params, body, f"Count the ordered ways to cover {n} with steps from {steps}.",
                          ("naive_recursion",), _cost(ctx, depth))


def linear_recurrence(ctx: Context) -> TargetFunction:
    names = ctx.names
    name = names.fresh(("population_at", "sequence_value", "term", "growth_after", "cells_after"))
    n = names.fresh(("n", "day", "generation", "index", "year"))
    a, b = ctx.rng.choice(((1, 1), (2, 1), (1, 2), (3, 1), (1, 3), (2, 3)))
    first, second = ctx.rng.randint(0, 3), ctx.rng.randint(1, 4)
    modulus = ctx.rng.choice((1_000_003, 998_244_353, 10_007, 65_521))
    term1 = f"{name}({n} - 1)" if a == 1 else f"{a} * {name}({n} - 1)"
    term2 = f"{name}({n} - 2)" if b == 1 else f"{b} * {name}({n} - 2)"
    body = (f"if {n} <= 0:", f"    return {first}", f"if {n} == 1:", f"    return {second}",
            f"return ({term1} + {term2}) % {modulus}")
    return TargetFunction(name, (Param(n, ScaledIntScalar((0, 1, 2, 3, 6, 9, -2))),), body,
                          f"The {n}-th term of a linear recurrence modulo {modulus}.", ("naive_recursion",),
                          _cost(ctx, (20, 21, 22)))


def fewest_coins(ctx: Context) -> TargetFunction:
    """The fewest coins that make an amount (-1 when none do), by trying every coin first."""
    names = ctx.names
    name = names.fresh(("fewest_coins", "min_coins", "fewest_stamps", "min_pieces"))
    amount, coins = names.fresh(("amount", "total", "value")), names.fresh(("coins", "stamps", "pieces"))
    coin, best, sub = names.fresh(("coin", "stamp", "piece")), names.fresh(("best", "fewest", "least")), \
        names.fresh(("rest", "sub", "remaining"))
    body = (f"if {amount} == 0:", "    return 0", f"{best} = -1", f"for {coin} in {coins}:",
            f"    if {coin} <= {amount}:", f"        {sub} = {name}({amount} - {coin}, {coins})",
            f"        if {sub} >= 0 and ({best} < 0 or {sub} + 1 < {best}):", f"            {best} = {sub} + 1",
            f"return {best}")
    choices = ctx.rng.choice(((1, 3, 4), (2, 5, 7), (1, 4, 6), (3, 5)))
    depth = {(1, 3, 4): (19, 20, 21), (2, 5, 7): (34, 36, 38), (1, 4, 6): (24, 25, 26), (3, 5): (50, 53, 56)}[choices]
    return TargetFunction(name, (Param(amount, ScaledIntScalar((0, 1, 2, 5, 7, 9, 4))),
                                 Param(coins, FixedValues((choices,), repr(choices)))), body,
                          f"The fewest of {coins} that add up to {amount} (-1 if impossible).",
                          ("naive_recursion",), Cost(1.0, fixed_size=ctx.rng.choice(depth)))


def binomial(ctx: Context) -> TargetFunction:
    names = ctx.names
    name = names.fresh(("choose", "count_teams", "committees", "subsets_of_size", "binomial", "count_panels",
                        "selections", "ways_to_pick"))
    n, k = names.fresh(("n", "people", "pool", "size", "candidates", "members")), \
        names.fresh(("k", "picked", "team", "chosen", "seats", "slots"))
    body = (f"if {k} < 0 or {k} > {n}:", "    return 0", f"if {k} == 0 or {k} == {n}:", "    return 1",
            f"return {name}({n} - 1, {k} - 1) + {name}({n} - 1, {k})")
    depth = ctx.rng.choice((16, 17, 18))
    return TargetFunction(name, (Param(n, ScaledIntScalar((0, 1, 2, 4, 6, 5, 3))),
                                 Param(k, IntScalar((0, 1, 1, 2, 3, 7, -1), depth // 2))), body,
                          f"The number of ways to choose {k} of {n}.", ("naive_recursion",),
                          Cost(1.0, fixed_size=depth))


def partitions(ctx: Context) -> TargetFunction:
    names = ctx.names
    name = names.fresh(("partitions", "split_ways", "count_bundles", "ways_to_pack", "count_splits",
                        "count_groupings", "bundle_ways", "partition_count"))
    n, m = names.fresh(("n", "amount", "total", "units", "size", "quantity")), \
        names.fresh(("m", "largest", "max_part", "cap", "biggest", "limit"))
    body = (f"if {n} == 0:", "    return 1", f"if {n} < 0 or {m} == 0:", "    return 0",
            f"return {name}({n} - {m}, {m}) + {name}({n}, {m} - 1)")
    depth = ctx.rng.choice((28, 30, 32))
    return TargetFunction(name, (Param(n, ScaledIntScalar((0, 1, 2, 5, 7, 4, 3))),
                                 Param(m, IntScalar((0, 1, 2, 3, 5, 7, 2), depth))), body,
                          f"The number of ways to write {n} as a sum of parts of at most {m}.",
                          ("naive_recursion",), Cost(1.0, fixed_size=depth))


def grid_routes(ctx: Context) -> TargetFunction:
    names = ctx.names
    name = names.fresh(("count_routes", "grid_paths", "monotone_walks", "lattice_routes"))
    rows, cols = names.fresh(("rows", "height", "r_max")), names.fresh(("cols", "width", "c_max"))
    inner = names.fresh(("walk", "routes", "paths_from", "go"))
    r, c = names.fresh(("r", "row", "y")), names.fresh(("c", "col", "x"))
    body = (f"def {inner}({r}, {c}):", f"    if {r} >= {rows} or {c} >= {cols}:", "        return 0",
            f"    if {r} == {rows} - 1 and {c} == {cols} - 1:", "        return 1",
            f"    return {inner}({r} + 1, {c}) + {inner}({r}, {c} + 1)", "", f"return {inner}(0, 0)")
    depth = ctx.rng.choice((8, 9))
    return TargetFunction(name, (Param(rows, ScaledIntScalar((0, 1, 2, 3, 3, 4, 1))),
                                 Param(cols, IntScalar((5, 1, 2, 3, 4, 4, 0), depth))), body,
                          f"Count the right/down routes across a {rows} x {cols} grid.", ("naive_recursion",),
                          Cost(1.0, fixed_size=depth))


def best_non_adjacent(ctx: Context) -> TargetFunction:
    """House-robber style: the best sum of values with no two neighbours taken (slices: unhashable lists)."""
    names = ctx.names
    name = names.fresh(("best_schedule", "max_non_adjacent", "best_pick", "max_loot", "best_bookings"))
    values = names.fresh(("values", "rewards", "profits", "gains"))
    if ctx.rng.random() < 0.5:
        body = (f"if not {values}:", "    return 0",
                f"return max({name}({values}[1:]), {values}[0] + {name}({values}[2:]))")
    else:
        inner, i = names.fresh(("best_from", "solve", "go")), names.fresh(("i", "start", "pos"))
        body = (f"def {inner}({i}):", f"    if {i} >= len({values}):", "        return 0",
                f"    return max({inner}({i} + 1), {values}[{i}] + {inner}({i} + 2))", "", f"return {inner}(0)")
    return TargetFunction(name, (Param(values, ListKind(IntElem(0, 50, "value"))),), body,
                          f"The best total of {values} taking no two neighbours.", ("naive_recursion",),
                          Cost(1.0, fixed_size=ctx.rng.choice((18, 19))))


def common_subsequence(ctx: Context) -> TargetFunction:
    names = ctx.names
    name = names.fresh(("lcs_length", "shared_subsequence", "common_length", "alignment_score"))
    a, b = names.fresh(("a", "left", "first", "s")), names.fresh(("b", "right", "second", "t"))
    inner = names.fresh(("solve", "lcs", "go", "best"))
    i, j = names.fresh(("i", "p")), names.fresh(("j", "q"))
    body = (f"def {inner}({i}, {j}):", f"    if {i} == len({a}) or {j} == len({b}):", "        return 0",
            f"    if {a}[{i}] == {b}[{j}]:", f"        return 1 + {inner}({i} + 1, {j} + 1)",
            f"    return max({inner}({i} + 1, {j}), {inner}({i}, {j} + 1))", "", f"return {inner}(0, 0)")
    alphabet = ctx.rng.choice(("abcdefghijkl", "mnopqrstuvwx", "ABCDEFGHIJKL", "acgtuvwxyzij"))
    length = 8  # matches prune the recursion: 12 letters keep them rare, and 3 calls even out the rest
    text = TextKind(alphabet, max_check_length=6)
    return TargetFunction(name, (Param(a, text), Param(b, text)), body,
                          f"The length of the longest common subsequence of {a} and {b}.", ("naive_recursion",),
                          Cost(1.0, fixed_size=length, calls=3))


def decodings(ctx: Context) -> TargetFunction:
    names = ctx.names
    name = names.fresh(("count_decodings", "decode_ways", "letter_readings", "parse_ways", "readings_of",
                        "count_spellings", "decodings", "ways_to_read"))
    digits = names.fresh(("digits", "code", "message", "encoded", "cipher", "signal", "pin", "payload"))
    ways = names.fresh(("ways", "total", "count", "readings", "options"))
    body = (f"if not {digits}:", "    return 1", f'if {digits}[0] == "0":', "    return 0",
            f"{ways} = {name}({digits}[1:])",
            f'if len({digits}) >= 2 and int({digits}[:2]) <= 26:', f"    {ways} += {name}({digits}[2:])",
            f"return {ways}")
    alphabet = ctx.rng.choice(("1112", "1211", "2111"))  # no zeros: every digit pair below 27 splits two ways
    return TargetFunction(name, (Param(digits, TextKind(alphabet, max_check_length=12)),), body,
                          f"The number of ways to read {digits} as letters (1 = a ... 26 = z).",
                          ("naive_recursion",), Cost(1.0, fixed_size=ctx.rng.choice((18, 19, 20))))


VARIANTS = (step_sequences, linear_recurrence, binomial, partitions, grid_routes, best_non_adjacent,
            common_subsequence, decodings, fewest_coins)


def recursion_target(ctx: Context) -> TargetFunction:
    return ctx.rng.choice(VARIANTS)(ctx)
