"""Rewrite rules: the registry API, every rule covered by the per-family snippet tests, and the analyses."""

from __future__ import annotations

import inspect
import re

import libcst as cst
import pytest

from codeopt_jax.program import parse_program, preorder
from codeopt_jax.rewrites import (ALL_RULES, RewriteError, Safety, apply_rewrite, legal_actions, rule_by_name,
                                  rule_index)
from codeopt_jax.rewrites import liveness, purity
from codeopt_jax.rewrites.context import ProgramContext
from tests import test_rewrites_loops
from tests import test_rewrites_reductions
from tests import test_rewrites_strings
from tests import test_rewrites_lookups
from tests import test_rewrites_counting
from tests import test_rewrites_hoisting
from tests import test_rewrites_memo
from tests import test_rewrites_cleanup
from tests import test_rewrites_copies
from tests import test_rewrites_mutations
from tests import test_rewrites_recursion
from tests import test_rewrites_repeated
from tests import test_rewrites_arithmetic
from tests import test_rewrites_charmaps
from tests import test_rewrites_sequences
from tests import test_rewrites_ordered
from tests import test_rewrites_indexing
from tests import test_rewrites_choices

# The snippets and near misses live with their rule family (tests/test_rewrites_<family>.py).
FAMILY_TESTS = (test_rewrites_loops, test_rewrites_reductions, test_rewrites_strings, test_rewrites_lookups,
                test_rewrites_counting, test_rewrites_hoisting, test_rewrites_memo, test_rewrites_cleanup,
                test_rewrites_copies, test_rewrites_mutations, test_rewrites_recursion, test_rewrites_repeated,
                test_rewrites_arithmetic, test_rewrites_charmaps, test_rewrites_sequences, test_rewrites_ordered,
                test_rewrites_indexing, test_rewrites_choices)
POSITIVE_CASES = [case for module in FAMILY_TESTS for case in module.POSITIVE_CASES]
NEAR_MISSES = [case for module in FAMILY_TESTS for case in module.NEAR_MISSES]

FAMILIES = {"append_loop", "filter_map_loop", "manual_reduce", "range_len", "string_concat", "list_membership",
            "dict_counting", "loop_invariant", "repeated_calls", "naive_recursion", "nested_lookup",
            "needless_copies", "sort_extremum", "while_index", "combined"}

# The action space: rule ids are these positions. Append new rules; never reorder.
RULE_ORDER = [
    "append_loop_to_listcomp", "filtered_append_loop_to_listcomp", "set_add_loop_to_setcomp",
    "dict_loop_to_dictcomp", "range_len_to_direct_iteration", "range_len_to_enumerate", "range_min_len_to_zip",
    "range_len_to_zip_assume_equal_length", "while_index_to_for", "sum_loop_to_sum", "min_max_loop_to_builtin",
    "return_loop_to_any_all", "flag_loop_to_any_all", "search_loop_to_any", "search_loop_to_next",
    "list_comp_to_generator_in_reducer", "generator_to_list_comp_in_reducer", "short_circuit_any_all",
    "string_concat_loop_to_join", "list_membership_to_set", "membership_list_to_set",
    "literal_list_membership_to_set", "manual_count_to_get", "grouping_to_setdefault", "counting_loop_to_counter",
    "drop_dict_keys", "hoist_loop_invariant", "alias_bound_method", "alias_module_attribute",
    "reuse_repeated_call", "memoize_recursive_function", "sorted_first_to_min", "sorted_last_to_max",
    "sorted_local_to_min_max", "square_to_multiply", "dead_code_after_exit", "inline_return_temp",
    "inline_single_use_temp", "drop_redundant_conversion", "drop_copy_in_loop", "drop_copy_of_fresh_list",
    "drop_copy_of_read_only_local", "mutation_drop_statement", "mutation_flip_comparison",
    "mutation_range_off_by_one", "mutation_swap_add_subtract", "separator_concat_loop_to_join",
    "split_accumulation_loop", "startswith_to_slice", "flag_to_for_else",
    # issue 12: recursion, repeated work and arithmetic, strings and sequences, indexes, data-dependent choices
    "memoize_per_call", "memoize_per_call_guarded", "recursion_to_table", "hoist_reduction_of_walked_collection",
    "flag_loop_add_break", "last_match_scan_from_end", "range_accumulation_closed_form",
    "divisor_loop_to_isqrt_bound", "char_loop_to_translate", "char_loop_to_translate_guarded",
    "char_join_to_translate", "char_join_to_translate_guarded", "replace_chain_to_translate",
    "replace_chain_to_translate_guarded", "list_queue_to_deque", "sorted_prefix_to_heap",
    "sorted_prefix_to_heap_guarded", "sorted_count_to_bisect", "sorted_membership_to_bisect",
    "sorted_scan_to_bisect", "slice_iteration_to_islice", "sliced_startswith_to_offset", "append_loop_to_extend",
    "clamp_to_conditional", "take_until_loop_to_index_guarded", "nested_loop_join_to_index",
    "nested_loop_join_to_index_guarded", "index_in_loop_to_positions", "count_in_loop_to_counter",
    "dedupe_list_companion_set", "dedupe_loop_to_dict_fromkeys", "list_membership_to_set_guarded",
    "index_in_loop_to_positions_guarded", "count_in_loop_to_counter_guarded", "listcomp_to_map", "map_to_listcomp",
    "count_loop_to_count_method", "count_loop_to_count_method_guarded", "membership_test_to_set_once",
    "in_test_to_try_except", "hoist_loop_invariant_guarded",
]


def _positive_case(entry: str):
    """The snippet whose entry function has this name."""
    (case,) = [case for case in POSITIVE_CASES if case.entry == entry]
    return case


def test_every_rule_has_snippets_and_near_misses() -> None:
    with_snippet = {case.rule for case in POSITIVE_CASES}
    with_near_miss = {case.rule for case in NEAR_MISSES}
    names = {rule.name for rule in ALL_RULES}
    assert names - with_snippet == set()
    assert names - with_near_miss == set()
    assert (with_snippet | with_near_miss) <= names
    for module in FAMILY_TESTS:  # each family file holds its own rules' cases only
        family = module.__name__.rsplit("_", 1)[1]
        owners = {type(rule_by_name(case.rule)).__module__.rsplit(".", 1)[1]
                  for case in module.POSITIVE_CASES + module.NEAR_MISSES}
        assert owners == {family}, module.__name__


# --- the registry -------------------------------------------------------------------------------

def test_rule_list_is_fixed_and_well_formed() -> None:
    names = [rule.name for rule in ALL_RULES]
    assert len(ALL_RULES) >= 24
    assert names[:len(RULE_ORDER)] == RULE_ORDER
    assert len(set(names)) == len(names)
    for index, rule in enumerate(ALL_RULES):
        assert re.fullmatch(r"[a-z][a-z0-9_]*", rule.name)
        assert rule.description and "\n" not in rule.description
        assert isinstance(rule.safety, Safety)
        assert set(rule.families) <= FAMILIES
        assert rule.anchor_types
        assert rule_index(rule.name) == index
        assert rule_by_name(rule.name) is rule
        doc = inspect.getdoc(type(rule)) or ""
        if rule.safety is Safety.CONDITIONAL:
            assert "Precondition" in doc, f"{rule.name} must document its precondition"
        if rule.safety is Safety.UNSAFE:
            assert "unsafe" in rule.description
    assert {rule.safety for rule in ALL_RULES} == set(Safety)
    assert sum(rule.name.startswith("mutation_") for rule in ALL_RULES) >= 3


def test_unknown_rule_name_gives_short_key_error() -> None:
    with pytest.raises(KeyError) as raised:
        rule_by_name("no_such_rule")
    message = str(raised.value)
    assert "no_such_rule" in message
    assert len(message) < 200


_PROGRAM = '''\
def squares(xs):
    result = []
    for x in xs:
        result.append(x * x)
    return result
'''


def test_apply_rewrite_refuses_sites_where_the_rule_does_not_apply() -> None:
    module = parse_program(_PROGRAM)
    rule = rule_by_name("append_loop_to_listcomp")
    (site,) = rule.sites(module)
    size = len(preorder(module))
    for bad in (site + 1, 0, -1, size, size + 10, True):
        with pytest.raises(RewriteError):
            apply_rewrite(_PROGRAM, rule.name, bad)
        with pytest.raises(RewriteError):
            rule.apply(module, bad)
    with pytest.raises(RewriteError):
        apply_rewrite("def broken(:\n", rule.name, site)
    with pytest.raises(KeyError):
        apply_rewrite(_PROGRAM, "no_such_rule", site)


def test_legal_actions_are_every_rule_site() -> None:
    source = _positive_case("squares").before + "\n\n" + '''\
def first(xs):
    ordered = sorted(xs)
    return ordered[0]
'''
    module = parse_program(source)
    expected = sorted((site, index) for index, rule in enumerate(ALL_RULES) for site in rule.sites(module))
    actions = legal_actions(module)
    assert actions == expected
    assert len(set(actions)) == len(actions)
    assert {ALL_RULES[index].name for _, index in actions} >= {"append_loop_to_listcomp", "sorted_local_to_min_max",
                                                               "inline_single_use_temp"}


def test_context_numbers_nodes_like_preorder() -> None:
    module = parse_program(_positive_case("missing_count").before + _positive_case("flatten").before)
    context = ProgramContext(module)
    assert [id(node) for node in context.order] == [id(node) for node in preorder(module)]
    for node in context.order[1:]:
        assert any(child is node for child in context.parent(node).children)


def test_rewritten_module_has_no_shared_nodes_and_matches_apply_rewrite() -> None:
    case = next(c for c in POSITIVE_CASES if c.rule == "manual_count_to_get")
    module = parse_program(case.before)
    rule = rule_by_name(case.rule)
    new_module = rule.apply(module, rule.sites(module)[0])
    nodes = preorder(new_module)
    assert len({id(node) for node in nodes}) == len(nodes)
    assert new_module.code == case.after
    assert module.code == case.before  # the input is left alone


def test_import_is_added_once() -> None:
    source = '''\
def histogram(words):
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return counts


def letters(text):
    counts = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    return counts
'''
    rule = rule_by_name("counting_loop_to_counter")
    once = apply_rewrite(source, rule.name, rule.sites(parse_program(source))[0])
    twice = apply_rewrite(once, rule.name, rule.sites(parse_program(once))[0])
    assert twice.count("from collections import Counter") == 1
    assert twice.startswith("from collections import Counter\n\n\ndef histogram(words):\n")
    assert "counts = dict(Counter(words))" in twice and "counts = dict(Counter(text))" in twice


# --- analysis facts the rules lean on -----------------------------------------------------------

def _context(source: str) -> ProgramContext:
    return ProgramContext(parse_program(source))


def test_aliases_count_as_mutation() -> None:
    ctx = _context('''\
def f(xs, ys):
    add = ys.append
    other = ys
    for x in xs:
        add(x)
    for x in xs:
        other.sort()
    for x in xs:
        print(len(ys))
''')
    loops = ctx.nodes_of_type((cst.For,))
    assert purity.alias_names("ys", ctx.nodes_of_type((cst.FunctionDef,))[0], ctx) == {"add", "other"}
    assert not purity.not_mutated("ys", loops[0], ctx)
    assert not purity.not_mutated("ys", loops[1], ctx)
    assert purity.not_mutated("xs", loops[0], ctx)


def test_dead_after_follows_control_flow() -> None:
    ctx = _context('''\
def f(xs, ys):
    for x in xs:
        pass
    for x in ys:
        pass
    return 0


def g(xs):
    for x in xs:
        pass
    return x


def h(rows):
    for row in rows:
        print(x)
        for x in row:
            pass
    return 0
''')
    first, second, in_g, outer, inner = ctx.nodes_of_type((cst.For,))
    assert liveness.dead_after(first, ["x"], ctx)  # the next loop rebinds x or leaves it as it was
    assert liveness.dead_after(second, ["x"], ctx)
    assert not liveness.dead_after(in_g, ["x"], ctx)
    assert not liveness.dead_after(inner, ["x"], ctx)  # read again on the next pass of the outer loop


def test_purity_of_calls() -> None:
    ctx = _context('''\
import math


def norm(v):
    return math.sqrt(sum(x * x for x in v))


def noisy(v):
    print(v)
    return v


def f(v, g):
    return norm(v), noisy(v), g(v), sorted(v, key=len), sorted(v, key=g), v.lower(), v.append(1)
''')
    values = ctx.nodes_of_type((cst.Tuple,))[-1].elements
    verdicts = [purity.is_pure(element.value, ctx) for element in values]
    assert verdicts == [True, False, False, True, False, True, False]
