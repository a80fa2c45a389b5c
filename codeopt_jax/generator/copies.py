"""needless_copies: a loop pattern over a needless copy, a read-only local copy, or a redundant conversion."""

from __future__ import annotations

import dataclasses

from codeopt_jax.generator import stages
from codeopt_jax.generator.assemble import collection_name, list_target, pick_element
from codeopt_jax.generator.code import Context, Cost, Param, TargetFunction
from codeopt_jax.generator.kinds import IntElem, KeyElem, ListKind, TextKind
from codeopt_jax.generator.lexicon import ACCUMULATOR, function_name

_LINEAR = (stages.map_append, stages.filtered_append, stages.sum_loop, stages.count_loop, stages.count_get,
           stages.min_max_loop, stages.concat_loop)


def copied_loop(ctx: Context) -> TargetFunction:
    """A loop stage iterating over list(coll) or coll[:]."""
    form = stages.LoopForm(copy=ctx.rng.choice(("list", "slice")))
    target = list_target("needless_copies", ctx, form=form, builders=_LINEAR)
    return _tagged(target)


def local_copy(ctx: Context) -> TargetFunction:
    """A read-only local copy of the argument, then a loop stage over the copy."""
    rng, names = ctx.rng, ctx.names
    elem = pick_element(ctx)
    noun = collection_name(elem)
    coll = names.fresh((noun, "items", "records"))
    copy = names.fresh(("data", "snapshot", "working", "rows", "local", "pending"))
    stage = rng.choice(_LINEAR)(ctx, copy, elem, stages.LoopForm())
    copier = rng.choice((f"{coll}[:]", f"{coll}.copy()"))  # list(param) is no copy a rule can prove needless
    body = (f"{copy} = {copier}",) + stage.lines + ((f"return {stage.result}",) if not stage.returns else ())
    name = function_name(rng, names, ("summarize", "process", "compute"), noun)
    target = TargetFunction(name, (Param(coll, ListKind(elem)),) + stage.params, body,
                            f"Return {stage.phrase.replace(copy, coll)}.", ("needless_copies",) + stage.tags,
                            Cost(stage.ns_per_item + 5), imports=stage.imports)
    return target


def conversions(ctx: Context) -> TargetFunction:
    """Redundant conversions around builtins: sorted(list(x)), list(sorted(x)), len(list(x)), list(s.split())."""
    rng, names = ctx.rng, ctx.names
    if rng.random() < 0.5:
        text = names.fresh(("text", "document", "body", "log_text"))
        words, word = names.fresh(("words", "tokens", "terms")), names.fresh(("word", "token", "term"))
        total = names.fresh(ACCUMULATOR)
        body = (f"{words} = list({text}.split())", f"{total} = 0", f"for {word} in list({words}):",
                f"    if len({word}) > {rng.randint(2, 5)}:", f"        {total} += len({word})",
                f"return {total}, len(list({words}))")
        name = function_name(rng, names, ("measure", "count", "size_of"), "long_words")
        return TargetFunction(name, (Param(text, TextKind("ab cd efg hijk lmnop qr st ")),), body,
                              f"Letters in the long words of {text}, and the number of words.",
                              ("needless_copies",), Cost(75, max_size=300_000))
    elem = rng.choice((IntElem(-500, 500, "value"), KeyElem(ctx.domain.key_prefix, ctx.domain.key_pool,
                                                            ctx.domain.key_field)))
    values = names.fresh((collection_name(elem), "values", "items"))
    ordered, out = names.fresh(("ordered", "ranked", "in_order")), names.fresh(("result", "ranks", "labels"))
    item, i = names.fresh(("item", "value", "entry")), names.fresh(("i", "rank", "position"))
    sort = rng.choice((f"sorted(list({values}))", f"list(sorted({values}))"))
    body = (f"{ordered} = {sort}", f"{out} = []", f"for {i}, {item} in enumerate(list({ordered})):",
            f"    {out}.append(({i}, {item}))", f"return {out}")
    name = function_name(rng, names, ("rank", "order", "number"), values)
    return TargetFunction(name, (Param(values, ListKind(elem)),), body, f"Each of {values} in order, numbered.",
                          ("needless_copies",), Cost(260))


def _tagged(target: TargetFunction) -> TargetFunction:
    return dataclasses.replace(target, tags=("needless_copies",) + tuple(t for t in target.tags
                                                                         if t != "needless_copies"))


def needless_copies_target(ctx: Context) -> TargetFunction:
    return ctx.rng.choice((copied_loop, copied_loop, local_copy, conversions))(ctx)
