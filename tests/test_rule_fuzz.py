"""Fuzzing the rules (`rewrites.fuzz`): on random programs, from the own generator and from
hypothesmith, every rule's `sites()` never raises and `apply` at every listed site succeeds,
changes the program and gives code that compiles (and parses again). Programs never run."""

from __future__ import annotations

import random

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from codeopt_jax.program import parse_program
from codeopt_jax.rewrites import ALL_RULES, fuzz
from codeopt_jax.rewrites.base import Edit, Rule, Safety

SEEDS = range(70)
MAX_SITES = 3  # per rule and program (the mutation rules list hundreds)
# Rules the own generator reaches within SEEDS, all but a few at least (rules added later are fuzzed
# but need not fire).
GENERATOR_REACHES = frozenset({
    "append_loop_to_listcomp", "filtered_append_loop_to_listcomp", "set_add_loop_to_setcomp",
    "dict_loop_to_dictcomp", "range_len_to_enumerate", "while_index_to_for", "sum_loop_to_sum",
    "min_max_loop_to_builtin", "return_loop_to_any_all", "flag_loop_to_any_all", "search_loop_to_any",
    "search_loop_to_next", "list_comp_to_generator_in_reducer", "generator_to_list_comp_in_reducer",
    "short_circuit_any_all", "string_concat_loop_to_join", "list_membership_to_set", "membership_list_to_set",
    "literal_list_membership_to_set", "manual_count_to_get", "grouping_to_setdefault", "counting_loop_to_counter",
    "drop_dict_keys", "hoist_loop_invariant", "alias_bound_method", "reuse_repeated_call",
    "memoize_recursive_function", "sorted_first_to_min", "sorted_last_to_max", "sorted_local_to_min_max",
    "square_to_multiply", "dead_code_after_exit", "inline_return_temp", "inline_single_use_temp",
    "drop_redundant_conversion", "drop_copy_in_loop", "drop_copy_of_fresh_list", "drop_copy_of_read_only_local",
    "mutation_drop_statement", "mutation_flip_comparison", "mutation_range_off_by_one",
    "mutation_swap_add_subtract", "split_accumulation_loop", "startswith_to_slice", "flag_to_for_else",
})
QUICK = settings(derandomize=True, database=None, deadline=None, phases=(Phase.generate,),
                 suppress_health_check=list(HealthCheck))


def _described(failures: list[tuple[int, fuzz.FuzzFailure]], sources: list[str]) -> str:
    return "\n\n".join(f"{f.rule}@{f.site} [{f.stage}] {f.error}\n--- program {i}:\n{sources[i]}" for i, f in failures[:5])


def test_generated_programs_are_deterministic_and_parse() -> None:
    first = [fuzz.generate_program(random.Random(seed)) for seed in range(20)]
    assert first == [fuzz.generate_program(random.Random(seed)) for seed in range(20)]
    assert len(set(first)) == 20
    for source in first:
        compile(source, "<generated>", "exec")
        assert parse_program(source).code == source


@pytest.mark.slow
def test_rules_keep_an_exact_mask_on_generated_programs() -> None:
    sources = [fuzz.generate_program(random.Random(seed)) for seed in SEEDS]
    sites, failures = fuzz.fuzz_sources(sources, ALL_RULES, max_sites=MAX_SITES)
    assert not failures, _described(failures, sources)
    assert set(sites) == {rule.name for rule in ALL_RULES}  # every registered rule was tried
    never = {name for name, count in sites.items() if count == 0} & GENERATOR_REACHES
    assert len(never) <= 3, f"the generator no longer reaches {sorted(never)}"  # a few may miss these seeds


@pytest.mark.slow
def test_rules_survive_hypothesmith_programs() -> None:
    @settings(QUICK, max_examples=25)
    @given(hypothesmith.from_grammar(), st.integers(0, 10_000))
    def survives(source: str, seed: int) -> None:
        hybrid = source.rstrip("\n") + "\n\n\n" + fuzz.generate_program(random.Random(seed))
        for program in (source, hybrid):
            _, failures = fuzz.fuzz_sources([program], ALL_RULES, reparse=False, max_sites=2)
            assert not failures, _described(failures, [program])

    survives()


class _BrokenRule(Rule):
    """Test double: lists every return statement, then builds code that does not compile (`nonlocal q`),
    and raises KeyError on a function named `boom`."""

    name = "broken_for_tests"
    description = "return x  ->  nonlocal q"
    safety = Safety.UNSAFE
    anchor_types = (cst.Return, cst.FunctionDef)

    def match(self, node, ctx):
        if isinstance(node, cst.FunctionDef):
            if node.name.value == "boom":
                raise KeyError("boom")
            return None
        return node

    def build(self, node, found, ctx):
        return Edit([(node, cst.Nonlocal([cst.NameItem(cst.Name("q"))]))])


def test_the_fuzz_property_catches_broken_rules() -> None:
    sources = ["def f(x):\n    return x\n", "def boom():\n    pass\n"]
    _, failures = fuzz.fuzz_sources(sources, [_BrokenRule()])
    stages = {(index, failure.stage) for index, failure in failures}
    assert stages == {(0, "compile"), (1, "sites")}
