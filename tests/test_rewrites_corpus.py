"""Every rule at every site of every corpus program: valid Python, and for safe and
conditional rules a program that still passes the problem's check and matches the
original on the workload (scored in the sandbox, in one batch)."""

from __future__ import annotations

import functools
import pathlib
import random

import pytest

from codeopt_jax.corpus import Problem, load_corpus
from codeopt_jax.program import parse_program, preorder
from codeopt_jax.rewrites import ALL_RULES, Safety, apply_rewrite, legal_actions
from codeopt_jax.scoring import ScoreOptions, ScoringService

CORPUS = pathlib.Path(__file__).resolve().parents[1] / "corpus"
WALK_STEPS = 10
MUTANTS_PER_RULE = 8


@functools.lru_cache(maxsize=None)
def _problems() -> tuple[Problem, ...]:
    return tuple(load_corpus(CORPUS))


@functools.lru_cache(maxsize=None)
def _single_rewrites() -> tuple[tuple[Problem, str, int, str], ...]:
    """(problem, rule name, site, rewritten source) for every legal action."""
    found = []
    for problem in _problems():
        module = parse_program(problem.program)
        for site, index in legal_actions(module):
            rule = ALL_RULES[index]
            found.append((problem, rule.name, site, apply_rewrite(problem.program, rule.name, site)))
    return tuple(found)


def _walk(problem: Problem, rng: random.Random) -> tuple[str, list[str]]:
    """A chain of behaviour-preserving rewrites: each step picks a rule uniformly among
    the applicable safe / conditional ones, then one of its sites."""
    source, path = problem.program, []
    for _ in range(WALK_STEPS):
        actions = [(site, index) for site, index in legal_actions(parse_program(source))
                   if ALL_RULES[index].safety is not Safety.UNSAFE]
        if not actions:
            break
        index = rng.choice(sorted({i for _, i in actions}))
        site = rng.choice([s for s, i in actions if i == index])
        source = apply_rewrite(source, ALL_RULES[index].name, site)
        path.append(f"{ALL_RULES[index].name}@{site}")
    return source, path


def test_corpus_is_there() -> None:
    assert len(_problems()) >= 20


@pytest.mark.slow
def test_every_site_rewrites_to_valid_python() -> None:
    rewrites = _single_rewrites()
    assert rewrites
    for problem, rule_name, site, code in rewrites:
        compile(code, f"<{problem.name}:{rule_name}@{site}>", "exec")
        assert code != problem.program, f"{rule_name}@{site} on {problem.name} changed nothing"
        module = parse_program(problem.program)
        rule = next(r for r in ALL_RULES if r.name == rule_name)
        rewritten = rule.apply(module, site)
        nodes = preorder(rewritten)
        assert len({id(node) for node in nodes}) == len(nodes), f"{rule_name} shares nodes"
        assert rewritten.code == code


@pytest.mark.slow
def test_each_family_pattern_is_matched() -> None:
    """For every family, some rule aimed at it fires on a problem of that family."""
    fired: dict[str, set[str]] = {}
    for problem, rule_name, _, _ in _single_rewrites():
        fired.setdefault(problem.family, set()).add(rule_name)
    targeted = {rule.name: set(rule.families) for rule in ALL_RULES}
    for family in {p.family for p in _problems()} - {"combined"}:
        hits = {name for name in fired.get(family, set()) if family in targeted[name]}
        assert hits, f"no rule aimed at {family} fires on its problems"


@pytest.mark.slow
def test_every_problem_has_a_behaviour_preserving_rewrite() -> None:
    safe_names = {rule.name for rule in ALL_RULES if rule.safety is not Safety.UNSAFE}
    with_one = {problem.name for problem, rule_name, _, _ in _single_rewrites() if rule_name in safe_names}
    assert {p.name for p in _problems()} - with_one == set()


@pytest.fixture(scope="module")
def scored():
    """Scores, in one batch: every safe / conditional single rewrite, one seeded walk per
    problem, and a few mutants per deliberate mutation rule. Returns [(label, kind, record, code)]."""
    items, labels = [], []
    per_unsafe: dict[str, int] = {}
    for problem, rule_name, site, code in _single_rewrites():
        rule = next(r for r in ALL_RULES if r.name == rule_name)
        if rule.safety is Safety.UNSAFE:
            if not rule_name.startswith("mutation_") or per_unsafe.get(rule_name, 0) >= MUTANTS_PER_RULE:
                continue
            per_unsafe[rule_name] = per_unsafe.get(rule_name, 0) + 1
            kind = "mutation:" + rule_name
        else:
            kind = "preserving"
        items.append((problem, code))
        labels.append((f"{problem.name}: {rule_name}@{site}", kind))
    rng = random.Random(20240611)
    for problem in _problems():
        code, path = _walk(problem, rng)
        items.append((problem, code))
        labels.append((f"{problem.name}: walk {' -> '.join(path)}", "preserving"))
    with ScoringService(num_workers=2) as service:
        records = service.score_many(items, ScoreOptions(tests=True, differential=True, timing=False, opcount=False))
    return [(label, kind, record, code) for (label, kind), record, (_, code) in zip(labels, records, items)]


@pytest.mark.slow
def test_preserving_rewrites_pass_checks(scored) -> None:
    failures = [f"{label}\n  {record.status} / differential {record.differential}: {record.detail[:300]}\n{code}"
                for label, kind, record, code in scored if kind == "preserving" and not record.valid]
    assert not failures, "\n\n".join(failures)


@pytest.mark.slow
def test_deliberate_mutations_get_caught(scored) -> None:
    caught: dict[str, bool] = {}
    for _, kind, record, _ in scored:
        if kind.startswith("mutation:"):
            caught[kind] = caught.get(kind, False) or not record.valid
    assert caught, "no mutation sites in the corpus"
    assert all(caught.values()), f"mutations never caught: {[k for k, v in caught.items() if not v]}"
