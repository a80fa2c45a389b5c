"""Shared by the per-family rewrite tests: the Case / NearMiss records and the checks each one runs."""

from __future__ import annotations

import copy
import dataclasses
import re

from codeopt_jax.program import parse_program, preorder
from codeopt_jax.rewrites import Safety, apply_rewrite, rule_by_name


@dataclasses.dataclass(frozen=True)
class Case:
    """Rule applied at the first of its num_sites sites turns before into after; the
    entry function gives equal results on every probe (different ones somewhere for
    the deliberately unsafe rules)."""

    rule: str
    entry: str
    num_sites: int
    before: str
    after: str
    probes: list


@dataclasses.dataclass(frozen=True)
class NearMiss:
    """Source where the rule must find no site, and why."""

    rule: str
    why: str
    source: str


def _outcome(source: str, entry: str, args: tuple) -> tuple:
    namespace: dict = {}
    exec(compile(source, "<snippet>", "exec"), namespace)
    try:
        return "returned", namespace[entry](*copy.deepcopy(args))
    except Exception as exc:  # noqa: BLE001 - the exception type is the outcome
        return "raised", type(exc).__name__


def case_id(case) -> str:
    return f"{case.rule}-{getattr(case, 'entry', None) or re.sub(r'[^a-z]+', '_', case.why)}"


def check_rewrites_snippet_exactly(case: Case) -> None:
    rule = rule_by_name(case.rule)
    module = parse_program(case.before)
    sites = rule.sites(module)
    assert len(sites) == case.num_sites
    assert sites == sorted(set(sites))
    order = preorder(module)
    assert all(isinstance(order[site], rule.anchor_types) for site in sites)
    after = apply_rewrite(case.before, case.rule, sites[0])
    assert after == case.after
    compile(after, "<after>", "exec")
    outcomes = [(_outcome(case.before, case.entry, args), _outcome(after, case.entry, args)) for args in case.probes]
    if rule.safety is Safety.UNSAFE:
        assert any(old != new for old, new in outcomes), "a mutation should change some result"
    else:
        for (old, new), args in zip(outcomes, case.probes):
            assert old == new, f"behaviour changed for {args}"


def check_skips_near_miss(case: NearMiss) -> None:
    assert rule_by_name(case.rule).sites(parse_program(case.source)) == []
