"""repeated_calls: a pure helper called twice with the same arguments, or again on every iteration."""

from __future__ import annotations

from codeopt_jax.generator.code import Context, Cost, Param, TargetFunction
from codeopt_jax.generator.kinds import FloatElem, IntElem, IntScalar, ListKind
from codeopt_jax.generator.assemble import collection_name, pick_element
from codeopt_jax.generator.lexicon import LIMIT, RESULT_LIST, function_name
from codeopt_jax.generator.stages import LoopForm, loop


def _scorer(ctx: Context, view_of) -> tuple[str, str, str]:
    """(helper name, helper source, its argument name): a pure score of one item."""
    rng, names = ctx.rng, ctx.names
    name = names.fresh(("score", "weight_of", "cost_of", "rating", "priority_of", "value_of", "penalty"))
    arg = names.fresh(("entry", "record", "item_value", "row"))
    view = view_of(arg)
    a, b = rng.randint(2, 9), rng.randint(1, 20)
    expr = rng.choice((f"{view.num} * {a} + {b}", f"abs({view.num} - {b}) * {a}", f"({view.num} % {a + 3}) * {b}"))
    if view.amt is not None and view.amt != view.num and rng.random() < 0.5:
        expr = f"round({view.num} * {a} + {view.amt}, 2)"
    lines = [f"def {name}({arg}):"]
    if rng.random() < 0.4:
        base = names.fresh(("base", "raw", "points"))
        lines += [f"    {base} = {expr}", f"    if {base} < 0:", "        return 0", f"    return {base}"]
    else:
        lines.append(f"    return {expr}")
    return name, "\n".join(lines) + "\n", arg


def twice_per_item(ctx: Context) -> TargetFunction:
    rng, names = ctx.rng, ctx.names
    elem = pick_element(ctx)
    noun = collection_name(elem)
    coll = names.fresh((noun, "items", "records"))
    helper, helper_source, _ = _scorer(ctx, elem.view)
    lp = loop(ctx, coll, elem, LoopForm(unpack=False))
    out = names.fresh(RESULT_LIST)
    limit = names.fresh(LIMIT)
    call = f"{helper}({lp.item})"
    style = rng.randrange(3)
    if style == 0:
        lines = (f"{out} = []", lp.header, f"    if {call} > {limit}:", f"        {out}.append({call})")
    elif style == 1:
        lines = (f"{out} = 0", lp.header, f"    {out} += {call} * {call}")
    else:
        lines = (f"{out} = []", lp.header, f"    {out}.append({call} + {call} // 2)")
    params = (Param(coll, ListKind(elem)),) + ((Param(limit, IntScalar((0, 5, 10, 50, -1, 100, 20), 100)),)
                                               if style == 0 else ())
    name = function_name(rng, names, ("score", "rank", "rate", "weigh"), noun)
    summary = f"The sum of the squared scores of {coll}." if style == 1 else f"Score each of {coll}."
    return TargetFunction(name, params, lines + (f"return {out}",), summary,
                          ("repeated_calls",), Cost(420), helpers=(helper_source,))


def invariant_helper(ctx: Context) -> TargetFunction:
    """A helper over a whole list (a norm, a spread) called on every iteration with the same argument."""
    rng, names = ctx.rng, ctx.names
    values = names.fresh(("weights", "profile", "reference", "baseline", "scale"))
    helper = names.fresh(("norm", "spread", "magnitude", "total_weight", "span"))
    arg, v = names.fresh(("vector", "numbers", "data")), names.fresh(("v", "w", "component"))
    kind = rng.randrange(3)
    if kind == 0:
        helper_source = f"def {helper}({arg}):\n    return sum({v} * {v} for {v} in {arg}) ** 0.5\n"
    elif kind == 1:
        helper_source = f"def {helper}({arg}):\n    return max({arg}) - min({arg}) if {arg} else 0\n"
    else:
        acc = names.fresh(("acc", "running", "total"))
        helper_source = (f"def {helper}({arg}):\n    {acc} = 0\n    for {v} in {arg}:\n        {acc} += abs({v})\n"
                         f"    return {acc}\n")
    elem = rng.choice((IntElem(-100, 100, "reading"), FloatElem(-10.0, 10.0, "signal")))
    items = names.fresh(("readings", "samples", "points", "measurements"))
    item = names.fresh(("sample", "point", "reading", "x"))
    out = names.fresh(RESULT_LIST)
    body = (f"{out} = []", f"for {item} in {items}:", f"    {out}.append(round({item} / ({helper}({values}) or 1), 6))",
            f"return {out}")
    size = rng.choice((20, 40, 80))
    name = function_name(rng, names, ("normalize", "scale", "rescale"), items)
    return TargetFunction(name, (Param(items, ListKind(elem)), Param(values, ListKind(IntElem(-20, 20, "w"), size))),
                          body, f"Divide each of {items} by the {helper} of {values}.", ("repeated_calls",),
                          Cost(250 + 55 * size), helpers=(helper_source,))


def repeated_calls_target(ctx: Context) -> TargetFunction:
    return ctx.rng.choice((twice_per_item, twice_per_item, invariant_helper))(ctx)

