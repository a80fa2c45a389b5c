"""nested_lookup: nested-loop joins and `.index` / `.count` calls inside a loop over another list."""

from __future__ import annotations

import dataclasses

from codeopt_jax.generator.code import Context, Cost, Param, TargetFunction
from codeopt_jax.generator.kinds import DictElem, IntElem, IntScalar, KeyElem, ListKind, TupleElem
from codeopt_jax.generator.lexicon import DOMAINS, RESULT_LIST, TABLE, function_name, plural


def join(ctx: Context) -> TargetFunction:
    """Facts joined to a small table of the same keys by comparing keys in a nested loop."""
    rng, names, domain = ctx.rng, ctx.names, ctx.domain
    facts_elem = rng.choice((TupleElem(domain, rng.random() < 0.5), DictElem(domain, rng.random() < 0.5)))
    other = rng.choice([d for d in DOMAINS if d is not domain])
    table_domain = dataclasses.replace(domain, count_field=other.count_field, amount_field=other.amount_field,
                                       count_range=other.count_range, amount_range=other.amount_range)
    table_elem = rng.choice((TupleElem(table_domain, False), DictElem(table_domain, False)))
    facts = names.fresh((domain.collection, "facts", "events"))
    table = names.fresh((plural(domain.key_field), "profiles", "reference", "directory", "catalog"))
    fact, row = names.fresh((domain.item, "fact", "event")), names.fresh(("row", "info", "profile", "entry", "ref"))
    fv, tv = facts_elem.view(fact), table_elem.view(row)
    test = rng.choice((f"{fv.key} == {tv.key}", f"{tv.key} == {fv.key}"))
    if rng.random() < 0.3:
        test += rng.choice((f" and {fv.num} > 0", f" and {tv.num} != 0", f" and {fv.num} >= {tv.num}"))
    style = rng.randrange(4)
    if style == 0:
        out = names.fresh(RESULT_LIST)
        value = rng.choice((f"({fv.key}, {fv.num}, {tv.num})", f"{fv.num} * {tv.num}", f"({fv.key}, {tv.num})"))
        init, update = f"{out} = []", f"{out}.append({value})"
    elif style == 1:
        out = names.fresh(TABLE)
        init, update = f"{out} = {{}}", f"{out}[{fv.key}] = {tv.num}"
    elif style == 2:
        out = names.fresh(("total", "amount", "weighted"))
        init, update = f"{out} = 0", f"{out} += {fv.num} * {tv.num}"
    else:
        out = names.fresh(("matched", "hits", "joined"))
        init, update = f"{out} = 0", f"{out} += 1"
    lines = [init, f"for {fact} in {facts}:", f"    for {row} in {table}:", f"        if {test}:",
             f"            {update}"]
    if rng.random() < 0.4:
        lines.append("            break")
    size = rng.choice((40, 80, 150, 250))
    name = function_name(rng, names, ("join", "attach", "match", "enrich", "combine"), facts, "with", table)
    return TargetFunction(name, (Param(facts, ListKind(facts_elem)), Param(table, ListKind(table_elem, size))),
                          tuple(lines) + (f"return {out}",),
                          f"Pair each of {facts} with the {table} rows of the same {domain.key_field}.",
                          ("nested_lookup",), Cost(40 + 45 * size))


def index_in_loop(ctx: Context) -> TargetFunction:
    rng, names, domain = ctx.rng, ctx.names, ctx.domain
    keys = KeyElem(domain.key_prefix, domain.key_pool, domain.key_field)
    ranking = names.fresh(("ranking", "roster", "order", "catalog", "registry", "directory"))
    queries = names.fresh(("queries", "wanted", "lookups", "requests", "picks"))
    q = names.fresh(("query", "key", "name", "wanted_key"))
    out = names.fresh(("positions", "ranks", "slots", "places"))
    missing = rng.choice(("-1", "None", "len(" + ranking + ")"))
    if rng.random() < 0.5:
        lines = (f"{out} = []", f"for {q} in {queries}:", f"    if {q} in {ranking}:",
                 f"        {out}.append({ranking}.index({q}))", "    else:", f"        {out}.append({missing})")
    else:
        lines = (f"{out} = {{}}", f"for {q} in {queries}:", f"    if {q} in {ranking}:",
                 f"        {out}[{q}] = {ranking}.index({q})")
    size = rng.choice((60, 120, 250))
    name = function_name(rng, names, ("positions_of", "rank_of", "locate", "find"), queries)
    return TargetFunction(name, (Param(ranking, ListKind(keys, size)), Param(queries, ListKind(keys))),
                          lines + (f"return {out}",), f"The position of each of {queries} in {ranking}.",
                          ("nested_lookup", "list_membership"), Cost(60 + 24 * size))


def count_in_loop(ctx: Context) -> TargetFunction:
    rng, names, domain = ctx.rng, ctx.names, ctx.domain
    elem = rng.choice((KeyElem(domain.key_prefix, domain.key_pool, domain.key_field),
                       IntElem(domain.count_range[0], domain.count_range[1], domain.count_field)))
    history = names.fresh(("history", "log", "events", "observed", "stream"))
    queries = names.fresh(("queries", "watched", "candidates", "probes"))
    q = names.fresh(("query", "key", "probe", "item"))
    if rng.random() < 0.5:
        out = names.fresh(TABLE)
        lines = (f"{out} = {{}}", f"for {q} in {queries}:", f"    {out}[{q}] = {history}.count({q})")
    else:
        out = names.fresh(RESULT_LIST)
        threshold = rng.randint(0, 2)
        lines = (f"{out} = []", f"for {q} in {queries}:", f"    if {history}.count({q}) > {threshold}:",
                 f"        {out}.append({q})")
    size = rng.choice((300, 800, 1500))
    name = function_name(rng, names, ("count", "frequency_of", "occurrences_of", "tally"), queries)
    return TargetFunction(name, (Param(history, ListKind(elem, size)), Param(queries, ListKind(elem))),
                          lines + (f"return {out}",), f"How often each of {queries} occurs in {history}.",
                          ("nested_lookup",), Cost(80 + 9 * size))


def pair_sums(ctx: Context) -> TargetFunction:
    rng, names = ctx.rng, ctx.names
    left, right = names.fresh(("prices", "left", "offers", "weights")), names.fresh(("budgets", "right", "bids", "loads"))
    target = names.fresh(("target", "goal", "total", "wanted"))
    a, b = names.fresh(("a", "price", "offer", "x")), names.fresh(("b", "budget", "bid", "y"))
    out = names.fresh(("pairs", "matches", "found"))
    lines = (f"{out} = []", f"for {a} in {left}:", f"    for {b} in {right}:", f"        if {b} == {target} - {a}:",
             f"            {out}.append(({a}, {b}))", f"return {out}")
    size = rng.choice((50, 100, 200))
    elem = IntElem(0, 400, "amount")
    name = function_name(rng, names, ("pairs_summing_to", "matching_pairs", "find_pairs"), target)
    return TargetFunction(name, (Param(left, ListKind(elem)), Param(right, ListKind(elem, size)),
                                 Param(target, IntScalar((0, 3, 5, 10, -1, 400, 7), 400))), lines,
                          f"Every ({a}, {b}) pair from {left} and {right} that sums to {target}.",
                          ("nested_lookup",), Cost(30 + 45 * size))


def nested_lookup_target(ctx: Context) -> TargetFunction:
    return ctx.rng.choice((join, join, index_in_loop, count_in_loop, pair_sums))(ctx)

