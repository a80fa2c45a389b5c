"""Target functions of the loop families: one stage over a list, or stages nested and chained.

Nesting (drawn per program): `plain` (the stage over the argument), `chained` (a filter
that keeps items, then the stage: two patterns in one function), `grouped` (the stage
inside a loop over a dict of name -> list), `helper` (the stage in a helper function the
target calls once per list of a list of lists).
"""

from __future__ import annotations

from codeopt_jax.generator import exprs, stages
from codeopt_jax.generator.code import Context, Cost, Param, Stage, TargetFunction, indent, unique
from codeopt_jax.generator.kinds import (BatchesKind, DictElem, ElementKind, GroupsKind, ListKind, TupleElem,
                                         element_kinds)
from codeopt_jax.generator.lexicon import (GROUP_KEY, RESULT_LIST, VERBS_BUILD, VERBS_COUNT, VERBS_SELECT,
                                           VERBS_SUM, function_name, plural)

NESTINGS = ("plain", "plain", "plain", "chained", "grouped", "helper")
# How much dearer an item's fields are than a plain int's (indexing a tuple, a dict lookup, ...).
_ITEM_COST = {"IntElem": 1.0, "FloatElem": 1.1, "KeyElem": 1.1, "LineElem": 1.2, "TupleElem": 1.35,
              "DictElem": 1.6}
_VERBS = {"append_loop": VERBS_BUILD, "filter_map_loop": VERBS_SELECT, "manual_reduce": VERBS_SUM + VERBS_COUNT,
          "range_len": VERBS_SELECT + VERBS_BUILD, "string_concat": ("format", "render", "join", "describe"),
          "list_membership": VERBS_SELECT, "dict_counting": ("count", "tally", "group", "index", "bucket"),
          "loop_invariant": ("normalize", "scale", "rank", "compare", "rescale", "measure"),
          "early_exit": ("find", "detect", "locate", "check", "scan"),
          "needless_copies": VERBS_BUILD + VERBS_SUM}


def collection_name(elem: ElementKind) -> str:
    """A plural noun for a list of these items."""
    if isinstance(elem, (TupleElem, DictElem)):
        return elem.domain.collection
    return plural(elem.noun)


def pick_element(ctx: Context) -> ElementKind:
    return ctx.rng.choice(element_kinds(ctx.domain, ctx.rng))


def keep_filter(ctx: Context, coll: str, elem: ElementKind) -> Stage:
    """A first stage that keeps some of the items as they are (the second stage reads its list)."""
    choice = ctx.rng.randrange(3)
    if choice == 0:
        return _filter_items(ctx, coll, elem)
    if choice == 1:
        return _membership_items(ctx, coll, elem)
    return _dedupe_items(ctx, coll, elem)


def _filter_items(ctx: Context, coll: str, elem: ElementKind) -> Stage:
    lp = stages.loop(ctx, coll, elem)
    kept = ctx.names.fresh(("kept", "valid", "eligible", "filtered", "candidates", "relevant"))
    cond = exprs.condition(lp.view, ctx.rng)
    lines = (f"{kept} = []", lp.header, f"    if {cond.text}:", f"        {kept}.append({lp.item})")
    return Stage(lines, kept, tags=("filter_map_loop",), ns_per_item=90, phrase=f"{cond.phrase}")


def _membership_items(ctx: Context, coll: str, elem: ElementKind) -> Stage:
    lp = stages.loop(ctx, coll, elem)
    size = ctx.rng.choice((30, 60, 120))
    param, keys, tested = stages.key_list_param(ctx, lp.view, elem, size)
    kept = ctx.names.fresh(("kept", "valid", "eligible", "filtered", "candidates", "relevant"))
    negate = ctx.rng.random() < 0.5
    lines = (f"{kept} = []", lp.header, f"    if {tested} {'not in' if negate else 'in'} {keys}:",
             f"        {kept}.append({lp.item})")
    return Stage(lines, kept, params=(param,), tags=("list_membership",), ns_per_item=90 + 7 * size,
                 phrase=f"whose key is {'not ' if negate else ''}in {keys}")


def _dedupe_items(ctx: Context, coll: str, elem: ElementKind) -> Stage:
    lp = stages.loop(ctx, coll, elem)
    seen = ctx.names.fresh(("seen", "visited", "used_keys"))
    kept = ctx.names.fresh(("kept", "firsts", "unique_items", "deduped"))
    lines = (f"{seen} = []", f"{kept} = []", lp.header, f"    if {lp.view.key} not in {seen}:",
             f"        {seen}.append({lp.view.key})", f"        {kept}.append({lp.item})")
    return Stage(lines, kept, tags=("list_membership",), ns_per_item=120 + 8 * min(stages.key_pool(elem), 300),
                 phrase="first of each key")


def _returning(stage: Stage) -> tuple[str, ...]:
    return stage.lines if stage.returns else stage.lines + (f"return {stage.result}",)


def _helper(ctx: Context, stage: Stage, items: str, family: str) -> tuple[str, str]:
    """(helper name, helper source) holding the stage."""
    name = function_name(ctx.rng, ctx.names, _VERBS.get(family, VERBS_BUILD), items)
    args = ", ".join([items] + [p.name for p in stage.params])
    body = "".join(f"    {line}\n" for line in _returning(stage))
    return name, f"def {name}({args}):\n{body}"


def list_target(family: str, ctx: Context, form: stages.LoopForm = stages.LoopForm(),
                builders: tuple[stages.StageBuilder, ...] | None = None) -> TargetFunction:
    """A target of a loop family (see the module docstring)."""
    rng = ctx.rng
    elem = pick_element(ctx)
    builder = rng.choice(builders or stages.STAGES[family])
    nesting = rng.choice(NESTINGS)
    if builder is stages.flatten_extend or (form.by_index and nesting == "helper"):
        nesting = "plain"
    factor = _ITEM_COST.get(type(elem).__name__, 1.0) * (1.3 if form.by_index else 1.0)
    noun = collection_name(elem)
    coll = ctx.names.fresh((noun, f"all_{noun}", "items", "records", "data"))
    verbs = _VERBS.get(family, VERBS_BUILD)
    if nesting == "plain":
        stage = builder(ctx, coll, elem, form)
        params = (Param(coll, stage.collection or ListKind(elem)),) + stage.params
        name = function_name(rng, ctx.names, verbs, noun)
        return _target(name, params, _returning(stage), stage, (stage,),
                       Cost(stage.ns_per_item * factor, stage.exponent, stage.multiplicity), f"Return {stage.phrase}.")
    if nesting == "chained":
        first = keep_filter(ctx, coll, elem)
        stage = builder(ctx, first.result, elem, form)
        params = (Param(coll, ListKind(elem)),) + first.params + stage.params
        name = function_name(rng, ctx.names, verbs, noun)
        body = first.lines + _returning(stage)
        if stage.exponent > 1:  # a quadratic stage over a filtered list: estimate the kept share as 0.5
            cost = Cost(stage.ns_per_item * factor * 0.25, stage.exponent)
        else:
            cost = Cost((first.ns_per_item + 0.6 * stage.ns_per_item) * factor, stage.exponent)
        phrase = stage.phrase.replace(f"the {first.result}", f"the {coll} {first.phrase}")
        return _target(name, params, body, stage, (first, stage), cost, f"Return {phrase}.")
    groups = rng.randint(2, 6)
    if nesting == "grouped":
        group_noun = rng.choice(GROUP_KEY)
        container = ctx.names.fresh((f"{noun}_by_{group_noun}", f"{group_noun}_{noun}", "grouped", "sections"))
        key = ctx.names.fresh((group_noun, "name", "label", "key"))
        items = ctx.names.fresh((noun, "members", "entries", "batch", "items"))
        stage = builder(ctx, items, elem, form)
        out = ctx.names.fresh(("summary", "report", "per_group", "result_by_group", "stats"))
        params = (Param(container, GroupsKind(elem, groups, group_noun[:3])),) + stage.params
        name = function_name(rng, ctx.names, verbs, noun, "per", group_noun)
        helpers: tuple[str, ...] = ()
        if stage.returns:
            helper_name, helper_source = _helper(ctx, stage, items, family)
            args = ", ".join([items] + [p.name for p in stage.params])
            inner: tuple[str, ...] = (f"{out}[{key}] = {helper_name}({args})",)
            helpers = (helper_source,)
        else:
            inner = stage.lines + (f"{out}[{key}] = {stage.result}",)
        body = (f"{out} = {{}}", f"for {key}, {items} in {container}.items():") + indent(inner) + (f"return {out}",)
        return _target(name, params, body, stage, (stage,),
                       Cost(stage.ns_per_item * 1.05 * factor, stage.exponent, groups),
                       f"Return, for each {group_noun}, {stage.phrase}.", helpers)
    # helper: the stage in a helper, called once per list of a list of lists
    items = ctx.names.fresh((noun, "batch", "chunk", "items"))
    stage = builder(ctx, items, elem, form)
    helper_name, helper_source = _helper(ctx, stage, items, family)
    batches = ctx.names.fresh((f"{noun}_batches", "batches", "chunks", "pages", "days"))
    batch = ctx.names.fresh(("batch", "chunk", "page", "day"))
    out = ctx.names.fresh(RESULT_LIST)
    args = ", ".join([batch] + [p.name for p in stage.params])
    if rng.random() < 0.5:
        body = (f"{out} = []", f"for {batch} in {batches}:", f"    {out}.append({helper_name}({args}))",
                f"return {out}")
    else:
        body = (f"return [{helper_name}({args}) for {batch} in {batches}]",)
    params = (Param(batches, BatchesKind(elem, groups)),) + stage.params
    name = function_name(rng, ctx.names, verbs, noun, "per", "batch")
    return _target(name, params, body, stage, (stage,), Cost(stage.ns_per_item * 1.1 * factor, stage.exponent, groups),
                   f"Return, for each batch, {stage.phrase}.", (helper_source,))


def _target(name: str, params: tuple[Param, ...], body: tuple[str, ...], main: Stage, used: tuple[Stage, ...],
            cost: Cost, summary: str, helpers: tuple[str, ...] = ()) -> TargetFunction:
    return TargetFunction(
        name=name, params=params, body=body, summary=summary,
        tags=unique([tag for stage in used for tag in stage.tags]), cost=cost,
        helpers=unique([h for stage in used for h in stage.helpers] + list(helpers)),
        imports=unique([i for stage in used for i in stage.imports]))
