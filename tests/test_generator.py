"""The generator of training problems: deterministic, distinct, valid in the sandbox, aimed at its rules, cached."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
import sys

import pytest

from codeopt_jax import config as config_lib, corpus, generated
from codeopt_jax.generator import (FAMILIES, HELDOUT_ONLY_FAMILIES, TARGET_RULES, GenAddress, GeneratorError,
                                   draft_problem, harness_source, parse_address)
from codeopt_jax.generator import draft as draft_lib
from codeopt_jax.generator.literals import literal
from codeopt_jax.overrides import apply_overrides
from codeopt_jax.program import parse_program
from codeopt_jax.rewrites import ALL_RULES, legal_actions
from codeopt_jax.rewrites.base import Safety
from codeopt_jax.scoring import expectations
from codeopt_jax.train import generated_train_problems
from tests.conftest import ROOT

UNBOUNDED_MS = (0.0, float("inf"))  # timing on a busy test machine is no part of these checks
# The rules of the held-out-only families: no generated program may offer them.
HELDOUT_RULES = {"while_index_to_for", "sorted_first_to_min", "sorted_last_to_max", "sorted_local_to_min_max"}


def _texts_digest(addresses: list[str]) -> str:
    return hashlib.sha256("\0".join(harness_source(draft_problem(parse_address(a))) for a in addresses)
                          .encode()).hexdigest()


def test_the_same_address_gives_the_same_text_in_any_process():
    addresses = [f"gen://{family}/{seed}" for family in FAMILIES for seed in (0, 7)]
    here = _texts_digest(addresses)
    assert here == _texts_digest(addresses)
    code = ("import hashlib, sys\n"  # the generator alone: a light import
            "from codeopt_jax.generator import draft_problem, harness_source, parse_address\n"
            "texts = [harness_source(draft_problem(parse_address(a))) for a in sys.argv[1:]]\n"
            "print(hashlib.sha256('\\0'.join(texts).encode()).hexdigest())\n")
    for hash_seed in ("1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        other = subprocess.run([sys.executable, "-c", code, *addresses], cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=120, check=True).stdout.strip()
        assert other == here, f"PYTHONHASHSEED={hash_seed} changed the generated text"


def test_different_seeds_give_different_programs():
    seeds = range(30)
    every_program = set()
    for family in FAMILIES:
        drafts = [draft_problem(GenAddress(family, seed)) for seed in seeds]
        programs = {d.program for d in drafts}
        every_program |= programs
        assert len(programs) >= 0.85 * len(seeds), (family, len(programs))
        assert len({harness_source(d) for d in drafts}) == len(seeds), family  # whole files never repeat
    assert len(every_program) >= 0.97 * len(seeds) * len(FAMILIES)


def test_sets_are_written_in_one_order():
    assert literal({"b", "a", "c"}) == "{'a', 'b', 'c'}"
    assert literal((frozenset({3, 1}), [1.5, None], {"k": (1,)})) == "(frozenset({1, 3}), [1.5, None], {'k': (1,)})"
    with pytest.raises(ValueError):
        literal(float("nan"))


def _offered_rules(program: str) -> set[str]:
    return {ALL_RULES[r].name for _, r in legal_actions(parse_program(program)) if ALL_RULES[r].safety != Safety.UNSAFE}


@pytest.mark.parametrize("family", [f for f in FAMILIES if f != "already_good"])
def test_a_rule_aimed_at_the_family_applies_to_each_of_its_programs(family):
    assert set(TARGET_RULES[family]) <= {rule.name for rule in ALL_RULES}
    for seed in range(4):
        program = draft_problem(GenAddress(family, seed)).program
        offered = _offered_rules(program)
        assert offered & set(TARGET_RULES[family]), f"gen://{family}/{seed} offers only {sorted(offered)}:\n{program}"
        assert not offered & HELDOUT_RULES, f"gen://{family}/{seed} holds a held-out-only pattern:\n{program}"


def test_no_rule_applies_to_most_already_good_programs():
    offered = [_offered_rules(draft_problem(GenAddress("already_good", seed)).program) for seed in range(12)]
    assert sum(not rules for rules in offered) >= 10, offered


@pytest.mark.parametrize("family", HELDOUT_ONLY_FAMILIES)
def test_heldout_only_families_are_refused(family):
    with pytest.raises(GeneratorError, match="held-out only"):
        parse_address(f"gen://{family}/3")
    with pytest.raises(GeneratorError, match="held-out only"):
        generated.spread_addresses(4, ["manual_reduce", family])


@pytest.mark.parametrize("text, message", [
    ("gen://manual_reduce", "not a generator address"),
    ("corpus/train/inventory_value.py", "not a generator address"),
    ("gen:/manual_reduce/3", "not a generator address"),
    ("gen://manual_reduce/-1", "non-negative integer"),
    ("gen://manual_reduce/x7", "non-negative integer"),
    ("gen://manual_reduce/3/4", "not a generator address"),
    ("gen://no_such_family/3", "unknown generator family 'no_such_family'"),
])
def test_a_bad_address_is_one_clear_error(text, message):
    with pytest.raises(GeneratorError, match=message):
        parse_address(text)
    with pytest.raises(GeneratorError, match=message):
        generated.problem_at(text)


def test_an_address_round_trips():
    address = parse_address(" gen://queue_front/12 ")
    assert address == GenAddress("queue_front", 12) and str(address) == "gen://queue_front/12"
    assert address.name == "gen_queue_front_12"


@pytest.fixture(scope="module")
def made(service, tmp_path_factory):
    """Seed 0 of every family, made in the sandbox into a fresh cache: (outcomes, cache folder)."""
    cache = tmp_path_factory.mktemp("generated_cache")
    addresses = [GenAddress(family, 0) for family in FAMILIES]
    return generated.make_problems(addresses, service, cache, workload_ms=UNBOUNDED_MS), cache


def test_every_family_makes_problems_whose_originals_pass_their_own_checks(made, service):
    outcomes, cache = made
    failed = [f"{o.address}: {o.reason}: {o.detail}" for o in outcomes if o.problem is None]
    assert not failed, "\n".join(failed)
    for outcome in outcomes:
        problem = outcome.problem
        reparsed = corpus.parse_problem(problem.source, f"{problem.name}.py", "train")
        assert (reparsed.name, reparsed.family, reparsed.program) == (problem.name, outcome.address.family,
                                                                      problem.program)
        assert not outcome.cached and outcome.workload_ms is not None and outcome.workload_ms > 0
        assert generated.load_cached(outcome.address, cache).source == problem.source
    # The files run as corpus problems: the original passes its check and matches itself on the full workload.
    sample = [o.problem for o in outcomes[:4]]
    for record in service.score_many([(p, p.program) for p in sample]):
        assert record.valid and record.tests_total >= 3, record


def test_a_made_problem_loads_from_the_cache_without_running_anything(made, service):
    outcomes, cache = made
    jobs = service.pool.stats.jobs
    again = generated.make_problems([o.address for o in outcomes], service, cache)
    assert all(o.cached and o.problem.source == first.problem.source for o, first in zip(again, outcomes))
    assert generated.problem_at(str(outcomes[0].address), cache_dir=cache).source == outcomes[0].problem.source
    assert service.pool.stats.jobs == jobs


def test_a_problem_outside_the_time_range_is_dropped_with_its_reason_and_not_replaced(service, tmp_path):
    addresses = [GenAddress("manual_reduce", 5), GenAddress("closed_form", 5)]
    outcomes = generated.make_problems(addresses, service, tmp_path, workload_ms=(1e5, 2e5))
    assert [o.address for o in outcomes] == addresses
    assert all(o.problem is None and o.reason == generated.TOO_FAST and "ms" in o.detail for o in outcomes)
    assert not list(tmp_path.rglob("*.py"))
    with pytest.raises(GeneratorError, match="not in the cache"):
        generated.problem_at("gen://manual_reduce/5", cache_dir=tmp_path)


def _harness(body: str, inputs: str = "([1, 2],)") -> corpus.Problem:
    source = (f'"""A hand-made harness."""\n\nFAMILY = "manual_reduce"\nENTRY_POINT = "target"\n\n\n{body}\n\n'
              "def check(candidate):\n    pass\n\n\n"
              "def workload():\n    return [([1, 2, 3],), ([4, 5],)]\n\n\n"
              f"def {expectations.CHECK_INPUTS_FUNCTION}():\n    return [{inputs}, ([],)]\n")
    return corpus.parse_problem(source, "harness.py")


@pytest.mark.parametrize("body, reason", [
    ("def target(xs):\n    return xs[0]\n", expectations.RAISES),
    ("def target(xs):\n    xs.append(1)\n    return len(xs)\n", expectations.MUTATES_ARGUMENTS),
    ("SEEN = []\n\n\ndef target(xs):\n    SEEN.append(1)\n    return len(SEEN)\n", expectations.NONDETERMINISTIC),
    ("def target(xs):\n    print(xs)\n    return len(xs)\n", expectations.PRINTS),
    ("def target(xs):\n    return target\n", expectations.UNWRITABLE_OUTPUT),
    ("def target(xs):\n    return sum(xs)\n", ""),
])
def test_the_sandbox_says_why_an_original_cannot_give_expected_values(service, body, reason):
    result = service.expectations_many([_harness(body)])[0]
    assert result.reason == reason, result
    if not reason:
        assert result.outputs == ("3", "0") and result.workload_calls == 2 and result.pass_cpu_seconds >= 0


@pytest.mark.parametrize("value, plain", [
    ("{'a': [1, -2.5, None], 'b': (True, 'x')}", True), ("frozenset({1, 2})", True), ("set()", True),
    ("float('-inf')", True), ("__import__('os').getcwd()", False), ("[x for x in 'ab']", False), ("1 +", False),
])
def test_expected_values_from_a_worker_must_be_plain_data(value, plain):
    assert (generated._literals_problem([value]) == "") is plain


def test_the_harness_and_the_job_agree_on_the_check_inputs_function():
    assert draft_lib.CHECK_INPUTS_FUNCTION == expectations.CHECK_INPUTS_FUNCTION


def test_generated_problems_join_the_train_split_from_the_cache(made, service):
    _, cache = made
    config = config_lib.preset("quick", generated_problems=len(FAMILIES), generated_cache=str(cache))
    lines: list[str] = []
    problems = generated_train_problems(config, service, lines.append)
    assert [p.name for p in problems] == [f"gen_{family}_0" for family in FAMILIES]
    assert all(p.split == "train" for p in problems)
    assert any(f"{len(FAMILIES)} from the cache" in line for line in lines), lines
    assert generated_train_problems(config_lib.preset("quick"), service, lines.append) == []
    # The option is set like any field and leaves what a checkpoint must match alone.
    override = apply_overrides(config_lib.preset("quick"), ["generated_problems=200"])
    assert override.generated_problems == 200
    assert config_lib.fingerprint(override) == config_lib.fingerprint(config_lib.preset("quick"))
    with pytest.raises(ValueError, match="generated_problems"):
        dataclasses.replace(config, generated_problems=-1)


def test_the_launcher_writes_corpus_files_and_a_table(made, tmp_path):
    _, cache = made
    command = [sys.executable, "-m", "launch.generate_corpus", "--families", "manual_reduce,queue_front",
               "--count", "1", "--out_dir", str(tmp_path), "--cache_dir", str(cache), "--workers", "1"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "2 of 2 problems made (0 new, 2 from the cache)" in result.stdout
    assert "manual_reduce" in result.stdout and "drop reasons" in result.stdout
    problems = corpus.load_corpus(tmp_path, ["train"])
    assert sorted(p.name for p in problems) == ["gen_manual_reduce_0", "gen_queue_front_0"]
    bad = subprocess.run(command[:4] + ["sort_extremum", "--out_dir", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "held-out only" in bad.stderr
