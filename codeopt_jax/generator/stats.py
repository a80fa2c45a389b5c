"""How distinct the generator's programs are across seeds (nothing runs: drafts are text).

  rows = distinctness(FAMILIES, range(1000))

Per family, the share of seeds whose program text is new, and whose structure is new: the
token sequence the policy sees (`codeopt_jax.tokens`: identifiers anonymized, literals
bucketed), so renaming a variable or changing a constant gives the same structure.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Sequence

from codeopt_jax import tokens
from codeopt_jax.generator.address import GenAddress
from codeopt_jax.generator.draft import draft_problem, harness_source
from codeopt_jax.program import parse_program

_MAX_TOKENS = 8192  # every generated program fits: structures are compared whole


@dataclasses.dataclass(frozen=True)
class DistinctRow:
    """One family's distinctness over `seeds` seeds (shares in [0, 1])."""

    family: str
    seeds: int
    files: float        # whole harness text (program, check inputs, workload)
    programs: float     # the program the agent rewrites, as text
    structures: float   # the program's token sequence (names anonymized, literals bucketed)


def structure(program: str) -> bytes:
    """The program as the policy sees it, as bytes (equal for renamed or re-numbered programs)."""
    tokenized = tokens.tokenize(parse_program(program), _MAX_TOKENS)
    return tokenized.tokens[tokenized.valid].tobytes()


def distinctness(families: Sequence[str], seeds: Iterable[int]) -> list[DistinctRow]:
    """One row per family, then an "all" row over every family's programs together."""
    seeds = list(seeds)
    rows, every = [], ([], set(), set(), set())
    for family in families:
        drafts = [draft_problem(GenAddress(family, seed)) for seed in seeds]
        files = {harness_source(d) for d in drafts}
        programs = {d.program for d in drafts}
        structures = {structure(p) for p in programs}
        rows.append(DistinctRow(family, len(seeds), len(files) / len(seeds), len(programs) / len(seeds),
                                len(structures) / len(seeds)))
        every[0].append(len(seeds))
        every[1].update(files)
        every[2].update(programs)
        every[3].update(structures)
    total = sum(every[0])
    rows.append(DistinctRow("all", total, len(every[1]) / total, len(every[2]) / total, len(every[3]) / total))
    return rows
