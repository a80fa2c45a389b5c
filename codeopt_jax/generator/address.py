"""Generator addresses `gen://<family>/<seed>`: parsing, the families, and the errors they raise.

  address = parse_address("gen://manual_reduce/17")   # GenAddress(family="manual_reduce", seed=17)
  str(address)                                        # "gen://manual_reduce/17"

A family is a pattern (or the absence of one: `already_good`); a seed is a non-negative
integer. The held-out-only families of `corpus/README.md` are refused: they must stay unseen.
"""

from __future__ import annotations

import dataclasses
import re

SCHEME = "gen://"

# Family -> what its programs hold (the rules that target it are listed by `launch.list_rewrites`).
FAMILY_PATTERNS: dict[str, str] = {
    "append_loop": "a list built by `append` in a loop (a set by `add`)",
    "filter_map_loop": "filtered / mapped loops into a list or dict, take-until loops",
    "manual_reduce": "hand-written sum / count / min / max / any / all / first match / two sums in one loop",
    "range_len": "`for i in range(len(xs))` index loops, over one list or two",
    "string_concat": "string `+=` in a loop, with or without a separator",
    "char_mapping": "per-character mapping loops and `replace` chains on strings",
    "list_membership": "`in` tests against a list inside a loop; dedupe through a `seen` list",
    "dict_counting": "manual counting, summing and grouping into dicts",
    "loop_invariant": "work that does not change inside a loop: sum / max / len / module attributes",
    "repeated_calls": "the same call (a pure helper) made twice with the same arguments",
    "naive_recursion": "recursion that memoization or a table fixes",
    "nested_lookup": "nested-loop joins, `.index` / `.count` inside a loop",
    "needless_copies": "needless `list(...)` / slice / `dict(...)` copies and conversions",
    "queue_front": "lists used as queues: `pop(0)` / `insert(0, x)`",
    "sorted_prefix": "`sorted(...)[:k]` to take the k smallest / largest",
    "sorted_search": "linear scans and counts over a sorted list (bisect fixes them)",
    "closed_form": "counting / summing loops with a closed form; trial division up to n",
    "early_exit": "flag loops without `break`, last-match scans from the front, flags that `for`-`else` replaces",
    "already_good": "idiomatic code (comprehensions, builtins, dict lookups) that no rule improves: STOP",
}
FAMILIES: tuple[str, ...] = tuple(FAMILY_PATTERNS)
# Family -> the rewrite rules (by name, `launch.list_rewrites`) aimed at its pattern; at least one of
# them applies to every program of the family. `already_good` has none: no rule should apply.
TARGET_RULES: dict[str, tuple[str, ...]] = {
    "append_loop": ("append_loop_to_listcomp", "filtered_append_loop_to_listcomp", "set_add_loop_to_setcomp",
                    "append_loop_to_extend"),
    "filter_map_loop": ("filtered_append_loop_to_listcomp", "append_loop_to_listcomp", "dict_loop_to_dictcomp",
                        "set_add_loop_to_setcomp", "take_until_loop_to_index_guarded"),
    "manual_reduce": ("sum_loop_to_sum", "min_max_loop_to_builtin", "return_loop_to_any_all", "flag_loop_to_any_all",
                      "search_loop_to_next", "search_loop_to_any", "split_accumulation_loop",
                      "count_loop_to_count_method", "count_loop_to_count_method_guarded"),
    "range_len": ("range_len_to_direct_iteration", "range_len_to_enumerate", "range_min_len_to_zip",
                  "last_match_scan_from_end"),
    "string_concat": ("string_concat_loop_to_join", "separator_concat_loop_to_join"),
    "char_mapping": ("char_loop_to_translate", "char_loop_to_translate_guarded", "char_join_to_translate",
                     "char_join_to_translate_guarded", "replace_chain_to_translate",
                     "replace_chain_to_translate_guarded", "string_concat_loop_to_join"),
    "list_membership": ("list_membership_to_set", "list_membership_to_set_guarded", "membership_list_to_set",
                        "literal_list_membership_to_set", "dedupe_list_companion_set", "dedupe_loop_to_dict_fromkeys",
                        "membership_test_to_set_once"),
    "dict_counting": ("manual_count_to_get", "grouping_to_setdefault", "counting_loop_to_counter",
                      "in_test_to_try_except", "dict_loop_to_dictcomp", "alias_bound_method"),
    "loop_invariant": ("hoist_loop_invariant", "alias_module_attribute", "hoist_reduction_of_walked_collection",
                       "alias_bound_method"),
    "repeated_calls": ("reuse_repeated_call", "hoist_loop_invariant"),
    "naive_recursion": ("memoize_recursive_function", "memoize_per_call", "memoize_per_call_guarded",
                        "recursion_to_table"),
    "nested_lookup": ("nested_loop_join_to_index", "nested_loop_join_to_index_guarded", "index_in_loop_to_positions",
                      "index_in_loop_to_positions_guarded", "count_in_loop_to_counter",
                      "count_in_loop_to_counter_guarded"),
    "needless_copies": ("drop_copy_in_loop", "drop_copy_of_fresh_list", "drop_copy_of_read_only_local",
                        "drop_redundant_conversion"),
    "queue_front": ("list_queue_to_deque",),
    "sorted_prefix": ("sorted_prefix_to_heap", "sorted_prefix_to_heap_guarded"),
    "sorted_search": ("sorted_count_to_bisect", "sorted_membership_to_bisect", "sorted_scan_to_bisect"),
    "closed_form": ("range_accumulation_closed_form", "divisor_loop_to_isqrt_bound"),
    "early_exit": ("flag_loop_add_break", "last_match_scan_from_end", "flag_to_for_else"),
    "already_good": (),
}
# corpus/README.md: families kept for held-out evaluation only. Never generated.
HELDOUT_ONLY_FAMILIES: tuple[str, ...] = ("sort_extremum", "while_index", "combined")


class GeneratorError(ValueError):
    """A bad generator address or family; the message names it and says what is allowed."""


@dataclasses.dataclass(frozen=True, order=True)
class GenAddress:
    """One generated problem: `gen://<family>/<seed>`."""

    family: str
    seed: int

    def __post_init__(self) -> None:
        check_family(self.family)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise GeneratorError(f"{SCHEME}{self.family}/{self.seed}: the seed must be a non-negative integer")

    def __str__(self) -> str:
        return f"{SCHEME}{self.family}/{self.seed}"

    @property
    def name(self) -> str:
        """The problem name (and file stem): `gen_<family>_<seed>`."""
        return f"gen_{self.family}_{self.seed}"


def check_family(family: str) -> str:
    """The family itself; raises GeneratorError for a held-out-only or unknown family."""
    if family in HELDOUT_ONLY_FAMILIES:
        raise GeneratorError(f"family {family!r} is held-out only (corpus/README.md): it is never generated, "
                             f"so it stays unseen in training")
    if family not in FAMILY_PATTERNS:
        raise GeneratorError(f"unknown generator family {family!r}; expected one of {', '.join(FAMILIES)}")
    return family


_ADDRESS = re.compile(r"gen://([^/]*)/([^/]*)")


def parse_address(text: str) -> GenAddress:
    """`gen://<family>/<seed>` as a GenAddress; raises GeneratorError saying what is wrong."""
    match = _ADDRESS.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise GeneratorError(f"{text!r} is not a generator address; expected {SCHEME}<family>/<seed>, "
                             f"e.g. {SCHEME}manual_reduce/17")
    family, seed = match.groups()
    if not seed.isdigit() or not seed.isascii():
        raise GeneratorError(f"{text!r}: the seed {seed!r} must be a non-negative integer")
    return GenAddress(check_family(family), int(seed))


def is_address(text: str) -> bool:
    """Whether `text` names a generated problem (starts with gen://), valid or not."""
    return isinstance(text, str) and text.strip().startswith(SCHEME)
