"""The generator's families: family name -> the builder of its target functions.

`build_target(family, rng)` draws a record domain and hands the family's builder a fresh
`Context`. The loop families share `assemble.list_target` (their stages and nestings);
`range_len` also runs other families' stages by index, and the rest have their own modules.
"""

from __future__ import annotations

import random
from typing import Callable

from codeopt_jax.generator import stages
from codeopt_jax.generator.address import FAMILIES, check_family
from codeopt_jax.generator.arithmetic import closed_form_target
from codeopt_jax.generator.assemble import list_target
from codeopt_jax.generator.code import Context, TargetFunction
from codeopt_jax.generator.copies import needless_copies_target
from codeopt_jax.generator.idiomatic import already_good_target
from codeopt_jax.generator.lexicon import DOMAINS, Names
from codeopt_jax.generator.lookups import nested_lookup_target
from codeopt_jax.generator.ordered import queue_front_target, sorted_prefix_target, sorted_search_target
from codeopt_jax.generator.recursion import recursion_target
from codeopt_jax.generator.repeated import repeated_calls_target
from codeopt_jax.generator.text import char_mapping_target

# Stages that read an item only through its index when walked by index (range_len runs them that way).
_INDEXABLE = (stages.map_append, stages.filtered_append, stages.sum_loop, stages.count_loop, stages.min_max_loop,
              stages.any_return, stages.search_next, stages.dict_build, stages.concat_loop, stages.count_get,
              stages.last_match)


def _range_len(ctx: Context) -> TargetFunction:
    if ctx.rng.random() < 0.4:
        return list_target("range_len", ctx)
    target = list_target("range_len", ctx, form=stages.LoopForm(by_index=True), builders=_INDEXABLE)
    tags = ("range_len",) + tuple(t for t in target.tags if t != "range_len")
    return TargetFunction(target.name, target.params, target.body, target.summary, tags, target.cost,
                          target.helpers, target.imports)


def _loop_family(family: str) -> Callable[[Context], TargetFunction]:
    return lambda ctx: list_target(family, ctx)


BUILDERS: dict[str, Callable[[Context], TargetFunction]] = {
    "append_loop": _loop_family("append_loop"),
    "filter_map_loop": _loop_family("filter_map_loop"),
    "manual_reduce": _loop_family("manual_reduce"),
    "range_len": _range_len,
    "string_concat": _loop_family("string_concat"),
    "char_mapping": char_mapping_target,
    "list_membership": _loop_family("list_membership"),
    "dict_counting": _loop_family("dict_counting"),
    "loop_invariant": _loop_family("loop_invariant"),
    "repeated_calls": repeated_calls_target,
    "naive_recursion": recursion_target,
    "nested_lookup": nested_lookup_target,
    "needless_copies": needless_copies_target,
    "queue_front": queue_front_target,
    "sorted_prefix": sorted_prefix_target,
    "sorted_search": sorted_search_target,
    "closed_form": closed_form_target,
    "early_exit": _loop_family("early_exit"),
    "already_good": already_good_target,
}
assert tuple(BUILDERS) == FAMILIES, "every family needs a builder, in FAMILIES order"


def build_target(family: str, rng: random.Random) -> TargetFunction:
    """A target function of `family` drawn with `rng`; raises GeneratorError for a bad family."""
    check_family(family)
    ctx = Context(rng=rng, names=Names(rng), domain=rng.choice(DOMAINS))
    return BUILDERS[family](ctx)
