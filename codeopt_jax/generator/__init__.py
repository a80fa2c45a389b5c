"""A generator of training problems: `gen://<family>/<seed>` addresses, drafted as corpus-format text.

  address = parse_address("gen://manual_reduce/17")
  draft = draft_problem(address)   # program, check inputs, workload: text only, deterministic

Everything here is text: no generated code runs in this package. `codeopt_jax.generated`
runs the drafts in the sandbox for their expected values and validation, and caches them.

Families (`FAMILY_PATTERNS` says what each holds; `TARGET_RULES` the rules aimed at it):
append_loop, filter_map_loop, manual_reduce, range_len, string_concat, char_mapping,
list_membership, dict_counting, loop_invariant, repeated_calls, naive_recursion,
nested_lookup, needless_copies, queue_front, sorted_prefix, sorted_search, closed_form,
early_exit, and already_good (idiomatic code no rule improves: the agent must STOP).
The held-out-only families (`sort_extremum`, `while_index`, `combined`) are refused.
Programs vary in domain (orders, sensor readings, ...), argument types (ints, floats, text
keys, tuple and dict records, dicts, strings), names, constants, sizes and nesting (the
pattern alone, after a filter, inside a loop over groups, or in a helper function).
"""

from codeopt_jax.generator.address import (FAMILIES, FAMILY_PATTERNS, HELDOUT_ONLY_FAMILIES, SCHEME, TARGET_RULES,
                                           GenAddress, GeneratorError, check_family, is_address, parse_address)
from codeopt_jax.generator.draft import ProblemDraft, draft_problem, harness_source, render_problem

__all__ = ["FAMILIES", "FAMILY_PATTERNS", "HELDOUT_ONLY_FAMILIES", "SCHEME", "TARGET_RULES", "GenAddress",
           "GeneratorError", "ProblemDraft", "check_family", "draft_problem", "harness_source", "is_address",
           "parse_address", "render_problem"]
