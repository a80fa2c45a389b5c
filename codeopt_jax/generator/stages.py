"""Loop patterns over one collection (`Stage`s), by family, and the loop headers they share.

Each builder takes (ctx, collection name, item kind, loop form) and returns a Stage whose
lines loop over the collection. The loop form lets any stage iterate by index
(`range_len`) or over a needless copy (`needless_copies`). `STAGES[family]` lists the
builders of a family.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from codeopt_jax.generator import exprs
from codeopt_jax.generator.code import Context, Param, Stage
from codeopt_jax.generator.kinds import (BatchesKind, DictElem, ElementKind, FixedValues, FloatElem, IntElem,
                                         IntScalar, KeyElem, KeyScalar, ListKind, TupleElem, View)
from codeopt_jax.generator.lexicon import ACCUMULATOR, COUNTER, LIMIT, RESULT_LIST, TABLE, TEXT


@dataclasses.dataclass(frozen=True)
class LoopForm:
    """How a stage's loop walks the collection: by index, and over which expression."""

    by_index: bool = False
    copy: str = ""  # "", "list", "slice": iterate over list(coll) / coll[:]
    unpack: bool = True  # a tuple item may be unpacked into its fields


@dataclasses.dataclass(frozen=True)
class Loop:
    header: str
    view: View
    item: str        # the item as one expression
    index: str = ""  # the index variable of an index loop


def loop(ctx: Context, coll: str, elem: ElementKind, form: LoopForm = LoopForm()) -> Loop:
    """The `for` header over `coll` and the view of its item."""
    names, rng = ctx.names, ctx.rng
    if form.by_index:
        i = names.fresh(("i", "idx", "pos", "j", "k", "n"))
        return Loop(f"for {i} in range(len({coll})):", elem.view(f"{coll}[{i}]"), f"{coll}[{i}]", i)
    iterable = {"": coll, "list": f"list({coll})", "slice": f"{coll}[:]"}[form.copy]
    if isinstance(elem, TupleElem) and form.unpack and rng.random() < 0.5:
        fields = [names.fresh((field, field[:3], f"{field}_value")) for field in elem.field_names()]
        view = elem.fields_view("(" + ", ".join(fields) + ")", fields[0], fields[1],
                                fields[2] if len(fields) > 2 else None)
        return Loop(f"for {', '.join(fields)} in {iterable}:", view, view.whole)
    var = names.fresh((elem.noun, "item", elem.noun[:1], "entry", "value", "x", "element", "record"))
    return Loop(f"for {var} in {iterable}:", elem.view(var), var)


def _result(ctx: Context, noun: str = "") -> str:
    extra = (f"{noun}_list", f"picked_{noun}", f"{noun}_out") if noun else ()
    return ctx.names.fresh(RESULT_LIST + extra)


def rare_condition(ctx: Context, view: View, elem: ElementKind) -> tuple[exprs.Expr, Param]:
    """A condition on an argument that the check inputs meet now and then and the workload never
    does (so a loop that stops at the first match still walks the whole workload list)."""
    if view.key_is_str and view.key_prefix and ctx.rng.random() < 0.5:
        name = ctx.names.fresh(("wanted", "target", "needle", "query"))
        pool = elem.domain.key_pool if isinstance(elem, (TupleElem, DictElem)) else getattr(elem, "pool", 100)
        checks = tuple(f"{view.key_prefix}{i}" for i in (0, 1, 2, 3, 5))
        kind = FixedValues(checks, repr(f"{view.key_prefix}{pool + 7}").replace("'", '"'))
        return exprs.Expr(f"{view.key} == {name}", f"with key {name}"), Param(name, kind)
    lo, hi = view.num_range
    name = ctx.names.fresh(LIMIT)
    small = tuple(sorted({0, 1, 3, -2, 5, int(lo + (hi - lo) * 0.5)}))
    if ctx.rng.random() < 0.5:
        kind = FixedValues(small, repr(hi))
        return exprs.Expr(f"{view.num} > {name}", f"above {name}"), Param(name, kind)
    kind = FixedValues(small, repr(lo))
    return exprs.Expr(f"{view.num} < {name}", f"below {name}"), Param(name, kind)


# ----------------------------------------------------------------------------- append_loop

def map_append(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    out = _result(ctx, elem.noun)
    value = exprs.value(lp.view, ctx.rng)
    return Stage((f"{out} = []", lp.header, f"    {out}.append({value.text})"), out,
                 tags=("append_loop",), ns_per_item=110, phrase=f"the {value.phrase} of the {coll}")


def set_add(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    out = ctx.names.fresh(("seen", "distinct", "unique", "keys", "found", "labels"))
    lines = [f"{out} = set()", lp.header]
    if ctx.rng.random() < 0.5:
        cond = exprs.condition(lp.view, ctx.rng)
        lines += [f"    if {cond.text}:", f"        {out}.add({lp.view.key})"]
    else:
        lines.append(f"    {out}.add({lp.view.key})")
    return Stage(tuple(lines), f"sorted({out})", tags=("append_loop",), ns_per_item=110,
                 phrase=f"the distinct keys of the {coll}, sorted")


def flatten_extend(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    """Every item of every list in a list of lists (the item kind is the inner lists' kind)."""
    out = _result(ctx)
    batch = ctx.names.fresh(("batch", "chunk", "group", "part", "block"))
    item = ctx.names.fresh((elem.noun, "item", "entry"))
    lines = (f"{out} = []", f"for {batch} in {coll}:", f"    for {item} in {batch}:", f"        {out}.append({item})")
    groups = ctx.rng.randint(2, 8)
    return Stage(lines, out, tags=("append_loop",), ns_per_item=70, phrase=f"every item of the {coll}, flattened",
                 collection=BatchesKind(elem, groups), multiplicity=groups)


# ----------------------------------------------------------------------------- filter_map_loop

def filtered_append(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    out = _result(ctx, elem.noun)
    cond = exprs.condition(lp.view, ctx.rng)
    value = exprs.value(lp.view, ctx.rng) if ctx.rng.random() < 0.6 else exprs.Expr(lp.item, "items")
    lines = (f"{out} = []", lp.header, f"    if {cond.text}:", f"        {out}.append({value.text})")
    return Stage(lines, out, tags=("filter_map_loop",), ns_per_item=110,
                 phrase=f"the {value.phrase} of the {coll} {cond.phrase}")


def dict_build(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    out = ctx.names.fresh(TABLE)
    value = exprs.number(lp.view, ctx.rng)
    lines = [f"{out} = {{}}", lp.header]
    if ctx.rng.random() < 0.5:
        cond = exprs.condition(lp.view, ctx.rng)
        lines += [f"    if {cond.text}:", f"        {out}[{lp.view.key}] = {value.text}"]
        phrase = f"key -> {value.phrase} for the {coll} {cond.phrase} (later ones win)"
    else:
        lines.append(f"    {out}[{lp.view.key}] = {value.text}")
        phrase = f"key -> {value.phrase} of the {coll} (later ones win)"
    return Stage(tuple(lines), out, tags=("filter_map_loop",), ns_per_item=120, phrase=phrase)


def take_until(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    """Items before the first stop marker (ints or keys only: the guarded rewrite needs str/int markers)."""
    if not isinstance(elem, (IntElem, KeyElem)):
        return filtered_append(ctx, coll, elem, form)
    var = ctx.names.fresh((elem.noun, "item", "entry", "value"))
    out = _result(ctx, elem.noun)
    stop = ctx.names.fresh(("stop", "marker", "sentinel", "end", "terminator"))
    if isinstance(elem, KeyElem):  # check inputs stop now and then; the workload never does
        kind: object = FixedValues(tuple(f"{elem.prefix}{i}" for i in range(4)), f'"{elem.prefix}{elem.pool + 3}"')
    else:
        kind = FixedValues(tuple(range(-2, 5)), str(elem.hi + 1))
    lines = (f"{out} = []", f"for {var} in {coll}:", f"    if {var} == {stop}:", "        break",
             f"    {out}.append({var})")
    return Stage(lines, out, params=(Param(stop, kind),), tags=("filter_map_loop",), ns_per_item=90,
                 phrase=f"the {coll} before the first {stop}")


# ----------------------------------------------------------------------------- manual_reduce

def sum_loop(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    total = ctx.names.fresh(ACCUMULATOR)
    value = exprs.number(lp.view, ctx.rng)
    lines = [f"{total} = 0", lp.header]
    if ctx.rng.random() < 0.5:
        cond = exprs.condition(lp.view, ctx.rng)
        lines += [f"    if {cond.text}:", f"        {total} += {value.text}"]
        phrase = f"the sum of the {value.phrase} of the {coll} {cond.phrase}"
    else:
        lines.append(f"    {total} += {value.text}")
        phrase = f"the sum of the {value.phrase} of the {coll}"
    return Stage(tuple(lines), total, tags=("manual_reduce",), ns_per_item=80 if len(lines) > 3 else 40, phrase=phrase)


def count_loop(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    count = ctx.names.fresh(COUNTER)
    cond = exprs.condition(lp.view, ctx.rng)
    lines = (f"{count} = 0", lp.header, f"    if {cond.text}:", f"        {count} += 1")
    return Stage(lines, count, tags=("manual_reduce",), ns_per_item=70,
                 phrase=f"how many of the {coll} are {cond.phrase}")


def count_equal(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    if not isinstance(elem, (IntElem, KeyElem)):
        return count_loop(ctx, coll, elem, form)
    var = ctx.names.fresh((elem.noun, "item", "value", "entry"))
    count = ctx.names.fresh(COUNTER)
    wanted = ctx.names.fresh(("wanted", "target", "needle", "query", "key"))
    kind = KeyScalar(elem) if isinstance(elem, KeyElem) else IntScalar(tuple(range(-3, 4)), (elem.lo + elem.hi) // 2)
    lines = (f"{count} = 0", f"for {var} in {coll}:", f"    if {var} == {wanted}:", f"        {count} += 1")
    return Stage(lines, count, params=(Param(wanted, kind),), tags=("manual_reduce",), ns_per_item=50,
                 phrase=f"how many of the {coll} equal {wanted}")


def min_max_loop(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    best = ctx.names.fresh(("best", "top", "peak", "lowest", "highest", "extreme", "record"))
    value = exprs.number(lp.view, ctx.rng)
    op = ctx.rng.choice((">", "<"))
    lines = (f"{best} = None", lp.header, f"    if {best} is None or {value.text} {op} {best}:",
             f"        {best} = {value.text}")
    word = "largest" if op == ">" else "smallest"
    return Stage(lines, best, tags=("manual_reduce",), ns_per_item=90,
                 phrase=f"the {word} of the {value.phrase} of the {coll} (None when empty)")


def any_return(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    cond, param = rare_condition(ctx, lp.view, elem)
    if ctx.rng.random() < 0.5:
        lines = (lp.header, f"    if {cond.text}:", "        return True", "return False")
        phrase = f"whether any of the {coll} is {cond.phrase}"
    else:
        lines = (lp.header, f"    if {cond.text}:", "        return False", "return True")
        phrase = f"whether none of the {coll} is {cond.phrase}"
    return Stage(lines, returns=True, params=(param,), tags=("manual_reduce",), ns_per_item=60, phrase=phrase)


def flag_any(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    flag = ctx.names.fresh(("found", "seen", "has_match", "flagged", "present", "hit"))
    cond, param = rare_condition(ctx, lp.view, elem)
    lines = (f"{flag} = False", lp.header, f"    if {cond.text}:", f"        {flag} = True", "        break")
    return Stage(lines, flag, params=(param,), tags=("manual_reduce",), ns_per_item=60,
                 phrase=f"whether any of the {coll} is {cond.phrase}")


def search_next(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    first = ctx.names.fresh(("first", "match", "found", "hit", "chosen", "winner"))
    cond, param = rare_condition(ctx, lp.view, elem)
    value = exprs.value(lp.view, ctx.rng)
    lines = (f"{first} = None", lp.header, f"    if {cond.text}:", f"        {first} = {value.text}", "        break")
    return Stage(lines, first, params=(param,), tags=("manual_reduce",), ns_per_item=60,
                 phrase=f"the {value.phrase} of the first of the {coll} {cond.phrase} (None if none)")


def two_sums(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    first, second = ctx.names.fresh(ACCUMULATOR), ctx.names.fresh(COUNTER + ("weight", "volume"))
    a = exprs.number(lp.view, ctx.rng)
    b = exprs.value(lp.view, ctx.rng)
    if b.text.startswith("(") or ".upper()" in b.text or b.text == a.text:
        b = exprs.Expr("1", "items")
    lines = (f"{first} = 0", f"{second} = 0", lp.header, f"    {first} += {a.text}", f"    {second} += {b.text}")
    return Stage(lines, f"({first}, {second})", tags=("manual_reduce",), ns_per_item=110,
                 phrase=f"the sums of the {a.phrase} and of the {b.phrase} of the {coll}")


def mean_loop(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    total, count = ctx.names.fresh(ACCUMULATOR), ctx.names.fresh(COUNTER)
    value = exprs.number(lp.view, ctx.rng)
    cond = exprs.condition(lp.view, ctx.rng)
    lines = (f"{total} = 0", f"{count} = 0", lp.header, f"    if {cond.text}:", f"        {total} += {value.text}",
             f"        {count} += 1")
    return Stage(lines, f"round({total} / {count}, 6) if {count} else 0.0", tags=("manual_reduce",),
                 ns_per_item=110, phrase=f"the mean of the {value.phrase} of the {coll} {cond.phrase}")


# ----------------------------------------------------------------------------- range_len

def index_positions(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, LoopForm(by_index=True))
    out = ctx.names.fresh(("positions", "indices", "where", "offsets", "slots"))
    cond = exprs.condition(lp.view, ctx.rng)
    lines = (f"{out} = []", lp.header, f"    if {cond.text}:", f"        {out}.append({lp.index})")
    return Stage(lines, out, tags=("range_len",), ns_per_item=120,
                 phrase=f"the positions of the {coll} {cond.phrase}")


def pairwise(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    """Items of two lists taken pairwise, by index up to the shorter length."""
    other = ctx.names.fresh((f"other_{coll}", f"{coll}_before", "baseline", "previous", "weights", "factors"))
    inner = elem if isinstance(elem, (IntElem, FloatElem)) else IntElem(-50, 50, "weight")
    i = ctx.names.fresh(("i", "idx", "pos", "k"))
    out = _result(ctx)
    a, b = elem.view(f"{coll}[{i}]"), inner.view(f"{other}[{i}]")
    combine = ctx.rng.choice((f"{a.num} - {b.num}", f"{a.num} * {b.num}", f"{a.num} + {b.num}",
                              f"max({a.num}, {b.num})"))
    header = f"for {i} in range(min(len({coll}), len({other}))):"
    lines = (f"{out} = []", header, f"    {out}.append({combine})")
    return Stage(lines, out, params=(Param(other, ListKind(inner)),), tags=("range_len",), ns_per_item=150,
                 phrase=f"the {coll} combined pairwise with {other}")


# ----------------------------------------------------------------------------- string_concat

def concat_loop(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    text = ctx.names.fresh(TEXT)
    sep = ctx.rng.choice((",", ";", " ", "|", "\\n", "/"))
    label = ctx.rng.choice((lp.view.label, f"{lp.view.label} + \"{sep}\"", f"\"[\" + {lp.view.label} + \"]\""))
    lines = [f'{text} = ""', lp.header]
    if ctx.rng.random() < 0.4:
        cond = exprs.condition(lp.view, ctx.rng)
        lines += [f"    if {cond.text}:", f"        {text} += {label}"]
    else:
        lines.append(f"    {text} += {label}")
    return Stage(tuple(lines), text, tags=("string_concat",), ns_per_item=210,
                 phrase=f"the {coll} written out as one string")


def separator_concat(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    text = ctx.names.fresh(TEXT)
    sep = ctx.rng.choice((", ", "; ", " | ", " -> ", "/"))
    label = ctx.rng.choice((f"\"#\" + {lp.view.label}", f"{lp.view.label} + \"!\"", f"\"<\" + {lp.view.label} + \">\"",
                            f"\"- \" + {lp.view.label}", f"{lp.view.label} + \":\""))
    lines = (f'{text} = ""', lp.header, f"    if {text}:", f'        {text} += "{sep}"', f"    {text} += {label}")
    return Stage(lines, text, tags=("string_concat",), ns_per_item=250,
                 phrase=f"the {coll} joined with {sep.strip() or 'spaces'!r}")


# ----------------------------------------------------------------------------- list_membership

def key_list_param(ctx: Context, view: View, elem: ElementKind, size: int) -> tuple[Param, str, str]:
    """A list argument of `size` keys to test items against: (param, its name, the tested expression).

    Text keys come from the items' own key pool; numbers are tested by value (rounded floats)
    against ints of the items' range, so most tests scan the whole list."""
    name = ctx.names.fresh(("allowed", "blocked", "wanted", "banned", "known", "watchlist", "excluded", "vip"))
    if view.key_is_str:
        keys = KeyElem(view.key_prefix, key_pool(elem) if view.key_prefix else 300, "key")
        return Param(name, ListKind(keys, fixed_size=size)), name, view.key
    lo, hi = view.num_range
    tested = f"round({view.num})" if view.num_is_float else view.num
    return Param(name, ListKind(IntElem(int(lo), int(hi), "key"), fixed_size=size)), name, tested


def membership_filter(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    size = ctx.rng.choice((40, 80, 150, 250))
    param, keys, tested = key_list_param(ctx, lp.view, elem, size)
    out = _result(ctx, elem.noun)
    negate = ctx.rng.random() < 0.4
    value = exprs.value(lp.view, ctx.rng) if ctx.rng.random() < 0.5 else exprs.Expr(lp.item, "items")
    lines = (f"{out} = []", lp.header, f"    if {tested} {'not in' if negate else 'in'} {keys}:",
             f"        {out}.append({value.text})")
    return Stage(lines, out, params=(param,), tags=("list_membership",), ns_per_item=110 + 7 * size,
                 phrase=f"the {coll} whose key is {'not ' if negate else ''}in {keys}")


def seen_dedupe(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    seen = ctx.names.fresh(("seen", "visited", "done", "known_keys", "used"))
    out = _result(ctx, elem.noun)
    value = exprs.Expr(lp.item, "items") if ctx.rng.random() < 0.5 else exprs.value(lp.view, ctx.rng)
    lines = (f"{seen} = []", f"{out} = []", lp.header, f"    if {lp.view.key} not in {seen}:",
             f"        {seen}.append({lp.view.key})", f"        {out}.append({value.text})")
    pool = key_pool(elem)
    return Stage(lines, out, tags=("list_membership",), ns_per_item=130 + 8 * min(pool, 300),
                 phrase=f"the {value.phrase} of the first of the {coll} with each key")


def key_pool(elem: ElementKind) -> int:
    """How many distinct keys the items of a workload have (what a `seen` list grows to)."""
    if isinstance(elem, (TupleElem, DictElem)):
        return elem.domain.key_pool
    if isinstance(elem, KeyElem):
        return elem.pool
    if isinstance(elem, IntElem):
        return elem.modulus
    if isinstance(elem, FloatElem):
        return int((elem.hi - elem.lo) / 10) + 1
    return 10_000


def dedupe_simple(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    if not isinstance(elem, (IntElem, KeyElem)):
        return seen_dedupe(ctx, coll, elem, form)
    var = ctx.names.fresh((elem.noun, "item", "value", "x"))
    out = ctx.names.fresh(("unique", "distinct", "deduped", "first_seen", "result"))
    lines = (f"{out} = []", f"for {var} in {coll}:", f"    if {var} not in {out}:", f"        {out}.append({var})")
    pool = elem.pool if isinstance(elem, KeyElem) else elem.hi - elem.lo + 1
    return Stage(lines, out, tags=("list_membership",), ns_per_item=60 + 8 * min(pool, 2000),
                 phrase=f"the distinct {coll} in first-seen order")


def literal_membership(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    out = _result(ctx, elem.noun)
    if lp.view.key_is_str:
        picks = sorted({f"{lp.view.key_prefix}{ctx.rng.randint(0, 9)}" for _ in range(ctx.rng.randint(3, 6))})
        test = f"{lp.view.key} in [{', '.join(repr(p).replace(chr(39), chr(34)) for p in picks)}]"
    else:
        modulus = getattr(elem, "modulus", 10)
        picks = sorted({ctx.rng.randrange(modulus) for _ in range(3)})
        test = f"{lp.view.key} in [{', '.join(map(str, picks))}]"
    value = exprs.value(lp.view, ctx.rng)
    lines = (f"{out} = []", lp.header, f"    if {test}:", f"        {out}.append({value.text})")
    return Stage(lines, out, tags=("list_membership",), ns_per_item=150,
                 phrase=f"the {value.phrase} of the {coll} with one of a few keys")


# ----------------------------------------------------------------------------- dict_counting

def count_ifelse(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    counts = ctx.names.fresh(TABLE)
    key = lp.view.key
    lines = (f"{counts} = {{}}", lp.header, f"    if {key} in {counts}:", f"        {counts}[{key}] += 1",
             "    else:", f"        {counts}[{key}] = 1")
    return Stage(lines, counts, tags=("dict_counting",), ns_per_item=170, phrase=f"how often each key occurs in {coll}")


def count_get(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    counts = ctx.names.fresh(TABLE)
    key = lp.view.key
    lines = (f"{counts} = {{}}", lp.header, f"    {counts}[{key}] = {counts}.get({key}, 0) + 1")
    return Stage(lines, counts, tags=("dict_counting",), ns_per_item=170, phrase=f"how often each key occurs in {coll}")


def sum_by_key(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    totals = ctx.names.fresh(TABLE)
    value = exprs.number(lp.view, ctx.rng)
    key = lp.view.key
    lines = (f"{totals} = {{}}", lp.header, f"    {totals}[{key}] = {totals}.get({key}, 0) + {value.text}")
    return Stage(lines, totals, tags=("dict_counting",), ns_per_item=210,
                 phrase=f"the total {value.phrase} per key of the {coll}")


def group_lists(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    groups = ctx.names.fresh(("groups", "by_key", "buckets", "grouped", "index"))
    value = exprs.value(lp.view, ctx.rng) if ctx.rng.random() < 0.5 else exprs.Expr(lp.item, "items")
    key = lp.view.key
    lines = (f"{groups} = {{}}", lp.header, f"    if {key} not in {groups}:", f"        {groups}[{key}] = []",
             f"    {groups}[{key}].append({value.text})")
    return Stage(lines, groups, tags=("dict_counting",), ns_per_item=230,
                 phrase=f"the {value.phrase} of the {coll} grouped by key")


# ----------------------------------------------------------------------------- loop_invariant

def above_mean(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    if not isinstance(elem, (IntElem, FloatElem)):
        return len_scaled(ctx, coll, elem, form)
    var = ctx.names.fresh((elem.noun, "value", "x", "item"))
    out = _result(ctx, elem.noun)
    op = ctx.rng.choice((">", "<", ">="))
    lines = (f"{out} = []", f"for {var} in {coll}:", f"    if {var} {op} sum({coll}) / len({coll}):",
             f"        {out}.append({var})")
    return Stage(lines, out, tags=("loop_invariant",), ns_per_item=9, exponent=2.0,
                 phrase=f"the {coll} {op} their mean")


def offset_from_extreme(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    if not isinstance(elem, (IntElem, FloatElem)):
        return len_scaled(ctx, coll, elem, form)
    out = _result(ctx, elem.noun)
    var = ctx.names.fresh((elem.noun, "value", "x", "item"))
    which = ctx.rng.choice(("min", "max"))
    body = f"{var} - {which}({coll})" if which == "min" else f"{which}({coll}) - {var}"
    lines = (f"{out} = []", f"for {var} in {coll}:", f"    {out}.append({body})")
    return Stage(lines, out, tags=("loop_invariant",), ns_per_item=14, exponent=2.0,
                 phrase=f"each of the {coll} as its distance from the {which}imum")


def len_scaled(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    out = _result(ctx)
    value = exprs.number(lp.view, ctx.rng)
    body = ctx.rng.choice((f"{value.text} * 100 // len({coll})", f"round({value.text} / len({coll}), 4)"))
    if "//" in body and (lp.view.num_is_float or "*" in value.text and lp.view.amt):
        body = f"round({value.text} / len({coll}), 4)"
    lines = (f"{out} = []", lp.header, f"    {out}.append({body})")
    return Stage(lines, out, tags=("loop_invariant",), ns_per_item=380 if "round(" in body else 170,
                 phrase=f"the {value.phrase} of the {coll} relative to their count")


def module_attribute(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    out = _result(ctx)
    num = lp.view.num
    call = ctx.rng.choice((f"math.sqrt(abs({num}))", f"math.floor({num} / 3)", f"math.log1p(abs({num}))",
                           f"math.ceil({num} * 1.5)", f"math.hypot({num}, 3)"))
    rounded = f"round({call}, 6)" if "sqrt" in call or "log" in call or "hypot" in call else call
    lines = (f"{out} = []", lp.header, f"    {out}.append({rounded})")
    return Stage(lines, out, imports=("import math",), tags=("loop_invariant",),
                 ns_per_item=420 if rounded != call else 220,
                 phrase=f"a math function of each of the {coll}")


# ----------------------------------------------------------------------------- early_exit

def flag_no_break(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    flag = ctx.names.fresh(("found", "any_match", "flagged", "present", "hit"))
    cond = exprs.condition(lp.view, ctx.rng)
    lines = (f"{flag} = False", lp.header, f"    if {cond.text}:", f"        {flag} = True")
    return Stage(lines, flag, tags=("early_exit",), ns_per_item=60,
                 phrase=f"whether any of the {coll} is {cond.phrase}")


def last_match(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, LoopForm(by_index=True))
    last = ctx.names.fresh(("last", "latest", "final", "most_recent"))
    cond = exprs.condition(lp.view, ctx.rng)
    value = exprs.value(lp.view, ctx.rng) if ctx.rng.random() < 0.5 else exprs.Expr(lp.item, "item")
    lines = (f"{last} = None", lp.header, f"    if {cond.text}:", f"        {last} = {value.text}")
    return Stage(lines, last, tags=("early_exit",), ns_per_item=95,
                 phrase=f"the {value.phrase} of the last of the {coll} {cond.phrase}")


def flag_else(ctx: Context, coll: str, elem: ElementKind, form: LoopForm) -> Stage:
    lp = loop(ctx, coll, elem, form)
    flag = ctx.names.fresh(("found", "matched", "present", "hit"))
    out = _result(ctx)
    cond, param = rare_condition(ctx, lp.view, elem)
    value = exprs.value(lp.view, ctx.rng)
    lines = (f"{out} = []", f"{flag} = False", lp.header, f"    if {cond.text}:", f"        {out}.append({value.text})",
             f"        {flag} = True", "        break", f"if not {flag}:", f"    {out}.append(None)")
    return Stage(lines, out, params=(param,), tags=("early_exit",), ns_per_item=60,
                 phrase=f"the first of the {coll} {cond.phrase}, or [None]")


StageBuilder = Callable[[Context, str, ElementKind, LoopForm], Stage]

STAGES: dict[str, tuple[StageBuilder, ...]] = {
    "append_loop": (map_append, map_append, set_add, flatten_extend),
    "filter_map_loop": (filtered_append, filtered_append, dict_build, take_until),
    "manual_reduce": (sum_loop, count_loop, count_equal, min_max_loop, any_return, flag_any, search_next,
                      two_sums, mean_loop),
    "range_len": (index_positions, pairwise),
    "string_concat": (concat_loop, separator_concat),
    "list_membership": (membership_filter, membership_filter, seen_dedupe, dedupe_simple, literal_membership),
    "dict_counting": (count_ifelse, count_get, sum_by_key, group_lists),
    "loop_invariant": (above_mean, offset_from_extreme, len_scaled, module_attribute),
    "early_exit": (flag_no_break, last_match, flag_else),
}
