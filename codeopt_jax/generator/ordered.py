"""Order-based patterns: list queues (queue_front), `sorted(...)[:k]` (sorted_prefix), sorted scans (sorted_search).

Lists used as queues pop from and insert at the front; top-k takes a prefix of a full sort;
a sorted list is scanned or counted linearly where bisect would do.
"""

from __future__ import annotations

from codeopt_jax.generator.assemble import collection_name
from codeopt_jax.generator.code import Context, Cost, Param, TargetFunction
from codeopt_jax.generator.kinds import (DictElem, FixedValues, FloatElem, GraphKind, GroupsKind, IntElem, IntScalar,
                                         ListKind, MappingKind, KeyElem, TupleElem)
from codeopt_jax.generator.lexicon import RESULT_LIST, function_name

# ----------------------------------------------------------------------------- queue_front


def breadth_first(ctx: Context) -> TargetFunction:
    """Breadth-first search over a dict graph with a list as the queue; the visited bookkeeping,
    the neighbour lookup, what is returned and an optional goal or hop limit are drawn."""
    rng, names = ctx.rng, ctx.names
    graph = names.fresh(("graph", "links", "adjacency", "network", "routes"))
    start = names.fresh(("start", "source", "origin", "root"))
    queue, node, nxt = names.fresh(("queue", "frontier", "pending", "todo")), \
        names.fresh(("node", "current", "here")), names.fresh(("nxt", "neighbour", "child", "target"))
    dist = names.fresh(("distance", "hops", "depth", "level"))
    seen = names.fresh(("seen", "visited", "marked"))
    marking = rng.choice(("set", "dict", "dict"))  # how visited nodes are remembered
    result = rng.choice(("order", "count", "distances", "farthest")) if marking == "dict" else \
        rng.choice(("order", "count"))
    lookup = rng.randrange(3)
    goal = names.fresh(("goal", "destination", "exit_node")) if rng.random() < 0.3 else ""
    limit = names.fresh(("max_hops", "radius", "horizon")) if marking == "dict" and rng.random() < 0.3 else ""
    lines = [f"{queue} = [{start}]"]
    lines.append(f"{seen} = {{{start}}}" if marking == "set" else f"{dist} = {{{start}: 0}}")
    out = names.fresh(("order", "visited_order", "reached", "count", "far"))
    if result == "order":
        lines.append(f"{out} = []")
    elif result in ("count", "farthest"):
        lines.append(f"{out} = 0")
    lines += [f"while {queue}:", f"    {node} = {queue}.pop(0)"]
    if result == "order":
        lines.append(f"    {out}.append({node})")
    elif result == "count":
        lines.append(f"    {out} += 1")
    elif result == "farthest":
        lines.append(f"    {out} = max({out}, {dist}[{node}])")
    if goal:
        found = f"{dist}[{node}]" if marking == "dict" else "True"
        lines += [f"    if {node} == {goal}:", f"        return {found}"]
    if limit:
        lines += [f"    if {dist}[{node}] >= {limit}:", "        continue"]
    inner = ["    " * 0 + f"if {nxt} not in {seen if marking == 'set' else dist}:"]
    inner += [f"    {seen}.add({nxt})" if marking == "set" else f"    {dist}[{nxt}] = {dist}[{node}] + 1",
              f"    {queue}.append({nxt})"]
    if lookup == 0:
        lines.append(f"    for {nxt} in {graph}.get({node}, []):")
        lines += [f"        {x}" for x in inner]
    elif lookup == 1:
        lines.append(f"    for {nxt} in {graph}.get({node}, ()):")
        lines += [f"        {x}" for x in inner]
    else:
        lines += [f"    if {node} in {graph}:", f"        for {nxt} in {graph}[{node}]:"]
        lines += [f"            {x}" for x in inner]
    if goal:
        lines.append("return None" if marking == "dict" else "return False")
        summary = f"Whether (and how far) {goal} is reachable from {start} in {graph}."
    elif result == "distances":
        lines.append(f"return {dist}")
        summary = f"The hop count from {start} to every node of {graph} it reaches."
    else:
        lines.append(f"return {out}")
        summary = {"order": f"The nodes of {graph} in breadth-first order from {start}.",
                   "count": f"How many nodes of {graph} are reachable from {start}.",
                   "farthest": f"The largest hop count from {start} to a node of {graph}."}[result]
    degree = rng.choice((2, 3))  # one edge per node would reach only a short path from the start
    params = [Param(graph, GraphKind(degree)), Param(start, IntScalar((0,), 0))]
    if goal:
        params.append(Param(goal, FixedValues((1, 2, 0, 5, 3), "-1")))  # the workload's goal is never reached
    if limit:
        params.append(Param(limit, FixedValues((0, 1, 2, 3), "1_000_000")))
    name = function_name(rng, names, ("walk", "explore", "reach", "traverse", "visit"), graph)
    return TargetFunction(name, tuple(params), tuple(lines), summary, ("queue_front",),
                          Cost(140 + 70 * degree, quadratic_ns=0.08, max_size=60_000))


def round_robin(ctx: Context) -> TargetFunction:
    rng, names, domain = ctx.rng, ctx.names, ctx.domain
    jobs = names.fresh(("jobs", "tasks", "requests", "work_items"))
    quantum = names.fresh(("quantum", "slice_size", "budget", "chunk"))
    queue, name_var, left = names.fresh(("queue", "pending", "ready")), names.fresh(("job", "task", "label")), \
        names.fresh(("left", "remaining", "work"))
    done = names.fresh(("finished", "completed", "done_order"))
    lines = (f"{queue} = []", f"for {name_var}, {left} in {jobs}:", f"    {queue}.append(({name_var}, {left}))",
             f"{done} = []", f"while {queue}:", f"    {name_var}, {left} = {queue}.pop(0)", f"    if {left} > {quantum}:",
             f"        {queue}.append(({name_var}, {left} - {quantum}))", "    else:", f"        {done}.append({name_var})",
             f"return {done}")
    elem = TupleElem(domain, False)
    rounds = rng.choice((2, 3, 4))
    hi = max(domain.count_range[1], 1)
    name = function_name(rng, names, ("schedule", "run_round_robin", "completion_order"), jobs)
    quantum_value = max(1, hi // rounds)
    return TargetFunction(name, (Param(jobs, ListKind(elem)), Param(quantum, IntScalar((1, 2, 3, 5, 1, 10, 4),
                                                                                        quantum_value))),
                          lines, f"The order in which {jobs} finish under round-robin with slices of {quantum}.",
                          ("queue_front", "append_loop"),
                          Cost(300 * (rounds + 1) / 2, quadratic_ns=0.12 * (rounds + 1) / 2, max_size=30_000))


def recent_first(ctx: Context) -> TargetFunction:
    rng, names = ctx.rng, ctx.names
    elem = rng.choice((IntElem(-100, 100, "event"), TupleElem(ctx.domain, False)))
    events = names.fresh(("events", "visits", "actions", collection_name(elem)))
    item, out = names.fresh(("event", "visit", "action", "item")), names.fresh(("recent", "latest_first", "history"))
    view = elem.view(item)
    value = rng.choice((item, item, view.num, f"{view.num} * 2", f"abs({view.num})"))
    if rng.random() < 0.4:
        lines = (f"{out} = []", f"for {item} in {events}:", f"    {out}.insert(0, {value})", f"return {out}")
    else:
        cond = rng.choice((f"{view.num} >= 0", f"{view.num} != 0", f"{view.num} % 2 == 0", f"{view.num} < 50"))
        lines = (f"{out} = []", f"for {item} in {events}:", f"    if {cond}:", f"        {out}.insert(0, {value})",
                 f"return {out}")
    name = function_name(rng, names, ("newest_first", "reverse_history", "latest"), events)
    return TargetFunction(name, (Param(events, ListKind(elem)),), lines, f"The {events}, newest first.",
                          ("queue_front",), Cost(80, quadratic_ns=0.3, max_size=40_000))


def queue_front_target(ctx: Context) -> TargetFunction:
    return ctx.rng.choice((breadth_first, breadth_first, round_robin, recent_first))(ctx)


# ----------------------------------------------------------------------------- sorted_prefix

def top_k(ctx: Context) -> TargetFunction:
    rng, names, domain = ctx.rng, ctx.names, ctx.domain
    elem = rng.choice((IntElem(domain.count_range[0], domain.count_range[1], domain.count_field),
                       FloatElem(domain.amount_range[0], domain.amount_range[1], domain.amount_field),
                       TupleElem(domain, True), DictElem(domain, True)))
    noun = collection_name(elem)
    coll = names.fresh((noun, "items", "records"))
    reverse = rng.random() < 0.5
    key = ""
    if isinstance(elem, (TupleElem, DictElem)):
        r = names.fresh(("r", "rec", "e"))
        view = elem.view(r)
        key = f", key=lambda {r}: {rng.choice((view.num, view.amt))}"
    order = ", reverse=True" if reverse else ""
    literal_k = rng.random() < 0.5
    k = str(rng.choice((3, 5, 10))) if literal_k else names.fresh(("k", "count", "limit", "top_n"))
    ranked = f"sorted({coll}{key}{order})[:{k}]"
    style = rng.randrange(3)
    if style == 0 or not isinstance(elem, (TupleElem, DictElem)):
        body = (f"return {ranked}",)
    elif style == 1:
        v = names.fresh(("best", "winner", "top"))
        body = (f"return [{elem.view(v).label} for {v} in {ranked}]",)
    else:
        out, v = names.fresh(RESULT_LIST), names.fresh(("best", "winner", "top"))
        body = (f"{out} = []", f"for {v} in {ranked}:", f"    {out}.append({elem.view(v).label})", f"return {out}")
    params = (Param(coll, ListKind(elem)),)
    if not literal_k:
        params += (Param(k, IntScalar((0, 1, 2, 3, 5, 1, 10), rng.choice((3, 5, 10)))),)
    word = "largest" if reverse else "smallest"
    name = function_name(rng, names, ("top", "best", "leading", "cheapest" if not reverse else "biggest"), noun)
    per_item = 340 if key else 190
    return TargetFunction(name, params, body, f"The {k} {word} of {coll}.", ("sorted_prefix",),
                          Cost(per_item, max_size=80_000))


def top_k_entries(ctx: Context) -> TargetFunction:
    """The k entries of a dict with the largest (or smallest) values, sorted by value."""
    rng, names, domain = ctx.rng, ctx.names, ctx.domain
    table = names.fresh((f"{domain.count_field}_by_{domain.key_field}", "totals", "scores", "tally"))
    kv, k = names.fresh(("kv", "entry", "pair", "item")), str(rng.choice((3, 5, 10)))
    reverse = ", reverse=True" if rng.random() < 0.6 else ""
    ranked = f"sorted({table}.items(), key=lambda {kv}: {kv}[1]{reverse})[:{k}]"
    if rng.random() < 0.5:
        body = (f"return {ranked}",)
    else:
        key, value = names.fresh(("key", "name", "label")), names.fresh(("value", "amount", "total"))
        body = (f"return [{key} for {key}, {value} in {ranked}]",)
    keys = KeyElem(domain.key_prefix, 10 ** 6, domain.key_field)
    name = function_name(rng, names, ("top", "leading", "best"), domain.key_field)
    return TargetFunction(name, (Param(table, MappingKind(keys, domain.count_range[0], domain.count_range[1])),),
                          body, f"The {k} {'largest' if reverse else 'smallest'} entries of {table} by value.",
                          ("sorted_prefix",), Cost(420, max_size=60_000))


def top_k_per_group(ctx: Context) -> TargetFunction:
    rng, names = ctx.rng, ctx.names
    elem = IntElem(ctx.domain.count_range[0], ctx.domain.count_range[1], ctx.domain.count_field)
    groups = rng.randint(2, 6)
    container = names.fresh((f"{collection_name(elem)}_by_group", "groups", "sections"))
    key, items = names.fresh(("group", "name", "team")), names.fresh(("values", "members", "items"))
    out = names.fresh(("leaders", "best", "podium", "top_values"))
    reverse = ", reverse=True" if rng.random() < 0.6 else ""
    k = rng.choice((2, 3, 5))
    lines = (f"{out} = {{}}", f"for {key}, {items} in {container}.items():",
             f"    {out}[{key}] = sorted({items}{reverse})[:{k}]", f"return {out}")
    name = function_name(rng, names, ("top", "leaders", "podium"), "per", key)
    return TargetFunction(name, (Param(container, GroupsKind(elem, groups, key[:3])),), lines,
                          f"The {k} {'largest' if reverse else 'smallest'} values of each group.",
                          ("sorted_prefix",), Cost(190, multiplicity=groups, max_size=80_000))


def sorted_prefix_target(ctx: Context) -> TargetFunction:
    return ctx.rng.choice((top_k, top_k, top_k_entries, top_k_per_group))(ctx)


# ----------------------------------------------------------------------------- sorted_search

def _sorted_values(ctx: Context) -> IntElem:
    lo, hi = ctx.domain.count_range
    return IntElem(lo, max(hi, lo + 50), ctx.domain.count_field)


def rank_queries(ctx: Context) -> TargetFunction:
    rng, names = ctx.rng, ctx.names
    elem = _sorted_values(ctx)
    values, queries = names.fresh(("values", "scores", "history", "samples")), names.fresh(("queries", "probes", "asks"))
    ordered, q, v = names.fresh(("ordered", "ranked", "sorted_values")), names.fresh(("q", "query", "probe")), \
        names.fresh(("v", "value", "x"))
    out = names.fresh(("ranks", "counts", "below"))
    op = rng.choice(("<", "<=", ">", ">="))
    count = f"sum(1 for {v} in {ordered} if {v} {op} {q})"
    style = rng.randrange(3)
    if style == 0:
        lines = (f"{ordered} = sorted({values})", f"{out} = []", f"for {q} in {queries}:",
                 f"    {out}.append({count})", f"return {out}")
    elif style == 1:
        lines = (f"{ordered} = sorted({values})", f"{out} = {{}}", f"for {q} in {queries}:",
                 f"    {out}[{q}] = {count}", f"return {out}")
    else:
        share = rng.choice((f"round(100 * {count} / len({ordered}), 2)", f"{count} * 100 // len({ordered})"))
        lines = (f"{ordered} = sorted({values})", f"if not {ordered}:", "    return []", f"{out} = []",
                 f"for {q} in {queries}:", f"    {out}.append({share})", f"return {out}")
    size = rng.choice((100, 250, 500))
    name = function_name(rng, names, ("rank", "count_below", "percentile_counts"), queries)
    return TargetFunction(name, (Param(values, ListKind(elem, size)), Param(queries, ListKind(elem))), lines,
                          f"For each of {queries}, how many of {values} are {op} it.", ("sorted_search",),
                          Cost(200 + 40 * size))


def membership_queries(ctx: Context) -> TargetFunction:
    rng, names = ctx.rng, ctx.names
    elem = _sorted_values(ctx)
    values, queries = names.fresh(("values", "known", "registered")), names.fresh(("queries", "lookups", "checks"))
    ordered, q = names.fresh(("ordered", "sorted_known", "index")), names.fresh(("q", "query", "probe"))
    hits = names.fresh(("hits", "found", "present"))
    negate = rng.random() < 0.3
    test = f"{q} {'not in' if negate else 'in'} {ordered}"
    style = rng.randrange(3)
    if style == 0:
        lines = (f"{ordered} = sorted({values})", f"{hits} = 0", f"for {q} in {queries}:", f"    if {test}:",
                 f"        {hits} += 1", f"return {hits}")
    elif style == 1:
        lines = (f"{ordered} = sorted({values})", f"{hits} = []", f"for {q} in {queries}:", f"    if {test}:",
                 f"        {hits}.append({q})", f"return {hits}")
    else:
        lines = (f"{ordered} = sorted({values})", f"{hits} = {{}}", f"for {q} in {queries}:",
                 f"    {hits}[{q}] = {test}", f"return {hits}")
    size = rng.choice((200, 500, 1000))
    name = function_name(rng, names, ("count_known", "count_present", "hits_in"), values)
    return TargetFunction(name, (Param(values, ListKind(elem, size)), Param(queries, ListKind(elem))), lines,
                          f"How many of {queries} occur in {values}.", ("sorted_search",), Cost(120 + 9 * size))


def first_at_least(ctx: Context) -> TargetFunction:
    rng, names = ctx.rng, ctx.names
    elem = _sorted_values(ctx)
    values, x = names.fresh(("slots", "values", "thresholds", "sizes")), names.fresh(("x", "needed", "request"))
    ordered, v = names.fresh(("ordered", "available", "ascending")), names.fresh(("v", "slot", "size"))
    default = rng.choice(("None", "-1", f"{x}"))
    op = rng.choice((">=", ">"))
    hit = v
    lines = (f"{ordered} = sorted({values})", f"for {v} in {ordered}:", f"    if {v} {op} {x}:", f"        return {hit}",
             f"return {default}")
    name = function_name(rng, names, ("smallest_fit", "first_at_least", "next_available"), values)
    lo, hi = elem.lo, elem.hi
    return TargetFunction(name, (Param(values, ListKind(elem)), Param(x, IntScalar((0, 3, -1, 5, 9, 100, 2),
                                                                                    (lo + hi) // 2 + (hi - lo) // 3))),
                          lines, f"The smallest of {values} that is at least {x} ({default} if none).",
                          ("sorted_search",), Cost(150, max_size=100_000))


def sorted_search_target(ctx: Context) -> TargetFunction:
    return ctx.rng.choice((rank_queries, membership_queries, first_at_least))(ctx)
