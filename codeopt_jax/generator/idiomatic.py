"""already_good: idiomatic functions (comprehensions, builtins, dict and set lookups) that no rule improves.

The agent must learn to STOP on these. Each builder avoids the shapes the rules match
(generator arguments to reducers, `x ** 2`, single-use temporaries, calls mapped over items).
"""

from __future__ import annotations

from codeopt_jax.generator import exprs
from codeopt_jax.generator.assemble import collection_name, pick_element
from codeopt_jax.generator.code import Context, Cost, Param, TargetFunction
from codeopt_jax.generator.kinds import (DictElem, FloatElem, GroupsKind, IntElem, IntScalar, KeyElem, ListKind,
                                         MappingKind, TextKind, TupleElem)
from codeopt_jax.generator.lexicon import VERBS_BUILD, VERBS_SELECT, function_name


def _safe_value(view, rng) -> exprs.Expr:
    for _ in range(10):
        value = exprs.value(view, rng)
        if "**" not in value.text and not value.text.startswith(("abs(", "max(")):
            return value
    return exprs.Expr(view.num + " * 2", "doubled")


def comprehension(ctx: Context) -> TargetFunction:
    rng, names = ctx.rng, ctx.names
    elem = pick_element(ctx)
    noun = collection_name(elem)
    coll = names.fresh((noun, "items", "records"))
    var = names.fresh((elem.noun, "item", "entry"))
    view = elem.view(var)
    cond = exprs.condition(view, rng, methods=False)
    value = _safe_value(view, rng)
    style = rng.randrange(3)
    if style == 0:
        body = (f"return [{value.text} for {var} in {coll} if {cond.text}]",)
        summary = f"The {value.phrase} of the {coll} {cond.phrase}."
    elif style == 1:
        body = (f"return {{{view.key}: {view.num} for {var} in {coll}}}",)
        summary = f"Key -> value for each of {coll} (later ones win)."
    else:
        body = (f"return {{{view.key} for {var} in {coll} if {cond.text}}}",)
        summary = f"The distinct keys of the {coll} {cond.phrase}."
    name = function_name(rng, names, VERBS_SELECT + VERBS_BUILD, noun)
    return TargetFunction(name, (Param(coll, ListKind(elem)),), body, summary, ("already_good",), Cost(90))


def builtin_reduce(ctx: Context) -> TargetFunction:
    rng, names = ctx.rng, ctx.names
    elem = rng.choice((IntElem(ctx.domain.count_range[0], ctx.domain.count_range[1], ctx.domain.count_field),
                       FloatElem(ctx.domain.amount_range[0], ctx.domain.amount_range[1], ctx.domain.amount_field)))
    coll = names.fresh((collection_name(elem), "values", "samples"))
    style = rng.randrange(3)
    if style == 0:
        body = (f"if not {coll}:", "    return None", f"return min({coll}), max({coll}), sum({coll})")
        summary = f"The minimum, maximum and total of {coll}."
    elif style == 1:
        body = (f"return sorted({coll}, reverse=True)",)
        summary = f"The {coll}, largest first."
    else:
        limit = names.fresh(("limit", "threshold", "cutoff"))
        body = (f"return sum({coll}) > {limit} * len({coll})",)
        summary = f"Whether the mean of {coll} is above {limit}."
        return TargetFunction(function_name(rng, names, ("above", "exceeds", "over"), limit),
                              (Param(coll, ListKind(elem)), Param(limit, IntScalar((0, 1, -1, 5, 10, 3, 2), 0))),
                              body, summary, ("already_good",), Cost(12, max_size=200_000))
    name = function_name(rng, names, ("summarize", "describe", "stats_of", "order"), coll)
    return TargetFunction(name, (Param(coll, ListKind(elem)),), body, summary, ("already_good",),
                          Cost(60 if style == 0 else 180, max_size=200_000))


def set_filter(ctx: Context) -> TargetFunction:
    rng, names = ctx.rng, ctx.names
    elem = pick_element(ctx)
    coll = names.fresh((collection_name(elem), "items", "records"))
    var = names.fresh((elem.noun, "item", "entry"))
    view = elem.view(var)
    keys = names.fresh(("allowed", "blocked", "wanted", "known"))
    keys_kind = ListKind(KeyElem(view.key_prefix, 300, "key")) if view.key_is_str else \
        ListKind(IntElem(0, getattr(elem, "modulus", 10) - 1, "key"))
    lookup = names.fresh(("allowed_set", "lookup", "members", "key_set"))
    op = rng.choice(("in", "not in"))
    body = (f"{lookup} = set({keys})", f"return [{var} for {var} in {coll} if {view.key} {op} {lookup}]")
    name = function_name(rng, names, VERBS_SELECT, collection_name(elem))
    return TargetFunction(name, (Param(coll, ListKind(elem)), Param(keys, keys_kind)), body,
                          f"The {coll} whose key is {op} {keys}.", ("already_good",), Cost(110))


def dict_lookups(ctx: Context) -> TargetFunction:
    rng, names, domain = ctx.rng, ctx.names, ctx.domain
    keys = KeyElem(domain.key_prefix, domain.key_pool, domain.key_field)
    table = names.fresh(("prices", "stock", "balances", "limits", "quotas"))
    wanted = names.fresh(("wanted", "skus", "accounts", "queries"))
    k = names.fresh(("key", "sku", "account", "name"))
    default = rng.choice(("0", "-1", "None"))
    style = rng.randrange(2)
    if style == 0:
        body = (f"return [{table}.get({k}, {default}) for {k} in {wanted}]",)
    else:
        body = (f"return {{{k}: {table}[{k}] for {k} in {wanted} if {k} in {table}}}",)
    name = function_name(rng, names, ("lookup", "resolve", "fetch"), table)
    return TargetFunction(name, (Param(table, MappingKind(keys, 0, 500, fixed_size=300)), Param(wanted, ListKind(keys))),
                          body, f"The {table} entries of {wanted}.", ("already_good",), Cost(90))


def counting(ctx: Context) -> TargetFunction:
    rng, names = ctx.rng, ctx.names
    elem = pick_element(ctx)
    coll = names.fresh((collection_name(elem), "items", "records"))
    var = names.fresh((elem.noun, "item"))
    view = elem.view(var)
    body = (f"return dict(Counter({view.key} for {var} in {coll}))",) if view.key != var else \
        (f"return dict(Counter({coll}))",)
    name = function_name(rng, names, ("count", "tally", "frequencies_of"), collection_name(elem))
    return TargetFunction(name, (Param(coll, ListKind(elem)),), body, f"How often each key occurs in {coll}.",
                          ("already_good",), Cost(110), imports=("from collections import Counter",))


def joined(ctx: Context) -> TargetFunction:
    rng, names = ctx.rng, ctx.names
    words = names.fresh(("words", "names", "labels", "tags"))
    sep = rng.choice((", ", " | ", "\\n", "; "))
    elem = KeyElem(ctx.domain.key_prefix, ctx.domain.key_pool, ctx.domain.key_field)
    ordered = rng.random() < 0.5
    body = (f'return "{sep}".join(sorted({words}))',) if ordered else (f'return "{sep}".join({words})',)
    name = function_name(rng, names, ("format", "render", "join"), words)
    return TargetFunction(name, (Param(words, ListKind(elem)),), body, f"The {words} joined with {sep!r}.",
                          ("already_good",), Cost(500 if ordered else 25, max_size=200_000))


def group_totals(ctx: Context) -> TargetFunction:
    rng, names = ctx.rng, ctx.names
    elem = IntElem(ctx.domain.count_range[0], ctx.domain.count_range[1], ctx.domain.count_field)
    groups = rng.randint(2, 6)
    container = names.fresh(("groups", "by_team", "sections", "per_region"))
    key, values = names.fresh(("name", "team", "group")), names.fresh(("values", "members", "scores"))
    fn = rng.choice(("sum", "max", "sorted"))
    call = f"max({values}, default=0)" if fn == "max" else f"{fn}({values})"
    body = (f"return {{{key}: {call} for {key}, {values} in {container}.items()}}",)
    name = function_name(rng, names, ("totals", "sizes", "ordered"), "per", key)
    return TargetFunction(name, (Param(container, GroupsKind(elem, groups, key[:3])),), body,
                          f"The {fn} of each group's values.", ("already_good",),
                          Cost(20 if fn != "sorted" else 180, multiplicity=groups, max_size=200_000))


def word_split(ctx: Context) -> TargetFunction:
    rng, names = ctx.rng, ctx.names
    text = names.fresh(("text", "document", "body", "page", "note", "transcript"))
    needle = rng.choice(("a", "e", "i", "o", "u", "ab", "de", " ", "gh"))
    style = rng.randrange(3)
    if style == 0:
        body = (f"return len({text}.split()), {text}.count({needle!r})",)
    elif style == 1:
        body = (f"return {text}.count({needle!r})",)
    else:
        body = (f"return {text}.split()[-{rng.randint(1, 3)}:]",)
    name = function_name(rng, names, ("measure", "words_and_vowels"), text)
    return TargetFunction(name, (Param(text, TextKind("abc de fgh ijk lmno ")),), body,
                          f"The number of words in {text} and of one vowel.", ("already_good",),
                          Cost(20, max_size=300_000))


def keyed_sort(ctx: Context) -> TargetFunction:
    """A full sort or an extremum by a key function (never a prefix of a sort: that is a pattern)."""
    rng, names, domain = ctx.rng, ctx.names, ctx.domain
    elem = rng.choice((TupleElem(domain, True), DictElem(domain, True)))
    coll = names.fresh((domain.collection, "records", "rows"))
    r = names.fresh(("r", "row", "rec"))
    view = elem.view(r)
    field = rng.choice((view.num, view.amt))
    style = rng.randrange(3)
    if style == 0:
        body = (f"return sorted({coll}, key=lambda {r}: {field}{rng.choice(('', ', reverse=True'))})",)
        summary, cost = f"The {coll} ordered by one field.", 700
    elif style == 1:
        fn = rng.choice(("max", "min"))
        body = (f"return {fn}({coll}, key=lambda {r}: {field}, default=None)",)
        summary, cost = f"The {coll} entry with the {fn}imum of one field.", 160
    else:
        body = (f"return {{{view.key}: {field} for {r} in {coll} if {field} > 0}}",)
        summary, cost = f"Key -> value for the {coll} with a positive value.", 150
    name = function_name(rng, names, ("rank", "order", "pick", "index"), coll)
    return TargetFunction(name, (Param(coll, ListKind(elem)),), body, summary, ("already_good",),
                          Cost(cost, max_size=100_000))


def set_algebra(ctx: Context) -> TargetFunction:
    rng, names, domain = ctx.rng, ctx.names, ctx.domain
    keys = KeyElem(domain.key_prefix, domain.key_pool, domain.key_field)
    left, right = names.fresh(("before", "old", "first", "yesterday")), names.fresh(("after", "new", "second", "today"))
    op, phrase = rng.choice((("&", "in both"), ("-", "only in the first"), ("|", "in either"), ("^", "in exactly one")))
    body = (f"return sorted(set({left}) {op} set({right}))",)
    name = function_name(rng, names, ("compare", "diff", "overlap"), left, right)
    return TargetFunction(name, (Param(left, ListKind(keys)), Param(right, ListKind(keys))), body,
                          f"The keys {phrase} of {left} and {right}, sorted.", ("already_good",),
                          Cost(220, max_size=200_000))


VARIANTS = (comprehension, comprehension, builtin_reduce, set_filter, dict_lookups, counting, joined, group_totals,
            word_split, keyed_sort, set_algebra)


def already_good_target(ctx: Context) -> TargetFunction:
    return ctx.rng.choice(VARIANTS)(ctx)
