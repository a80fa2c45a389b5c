"""Search baselines: budgets, validity of results, and the exhaustive ceiling."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from codeopt_jax import search
from codeopt_jax.rewards import is_broken, reward_preset
from tests.conftest import ROOT

REWARD = reward_preset("opcount")


def test_identity_returns_the_original(service, tiny_problem):
    result = search.run_search(tiny_problem, "identity", service, REWARD)
    assert result.best.source == tiny_problem.program and result.best.phi == 0.0 and result.best.rules == ()


@pytest.mark.slow
@pytest.mark.parametrize("method", ["random", "apply_all", "greedy", "beam", "exhaustive"])
def test_methods_respect_budget_and_improve(method, service, tiny_problem):
    config = search.SearchConfig(budget=12, max_depth=2, seed=1)
    result = search.run_search(tiny_problem, method, service, REWARD, config)
    assert result.scorings <= config.budget
    assert not is_broken(result.best.record, REWARD)
    assert result.best.phi > 0  # every method finds the sum() rewrite of the tiny loop


@pytest.mark.slow
def test_exhaustive_is_the_ceiling(service, tiny_problem):
    config = search.SearchConfig(budget=500, max_depth=2, beam_width=2, seed=3)
    results = {m: search.run_search(tiny_problem, m, service, REWARD, config)
               for m in ("random", "greedy", "beam", "exhaustive")}
    assert results["exhaustive"].complete
    best = results["exhaustive"].best.phi
    assert all(r.best.phi <= best + 1e-9 for r in results.values())


@pytest.fixture
def broken_scores_highest(monkeypatch):
    """Φ that ranks every broken program far above any valid one; counts the broken programs scored.

    Only the searches' validity check stands between such a program and the result."""
    real_potential = search.potential
    broken_seen = []

    def potential(record, original, reward):
        if is_broken(record, reward):
            broken_seen.append(record)
            return 100.0
        return real_potential(record, original, reward)

    monkeypatch.setattr(search, "potential", potential)
    return broken_seen


@pytest.mark.slow
@pytest.mark.parametrize("method", ["random", "greedy", "beam", "exhaustive"])
def test_unsafe_rules_never_yield_a_broken_result(method, service, tiny_problem, broken_scores_highest):
    config = search.SearchConfig(budget=40, max_depth=2, allow_unsafe=True, seed=1)
    result = search.run_search(tiny_problem, method, service, REWARD, config)
    assert broken_scores_highest, "no broken program was scored, so the check below tests nothing"
    assert not is_broken(result.best.record, REWARD)
    assert result.best.phi < 100.0


def test_unknown_method_is_a_clear_error(service, tiny_problem):
    with pytest.raises(ValueError, match="unknown search method"):
        search.run_search(tiny_problem, "psychic", service, REWARD)


@pytest.mark.slow
def test_search_launcher_writes_results(tmp_path):
    out = tmp_path / "greedy.json"
    command = [sys.executable, "-m", "launch.search", "--method", "greedy", "--split", "heldout",
               "--problems", "tally_ballots,failed_job_count", "--budget", "16", "--max_depth", "2",
               "--reward", "opcount", "--workers", "1", "--out", str(out)]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert "geomean speedup" in completed.stdout
    data = json.loads(out.read_text())
    rows = data["methods"]["greedy"]["results"]
    assert {r["problem"] for r in rows} == {"tally_ballots", "failed_job_count"}
    assert all(r["scorings"] <= 16 and r["status"] == "ok" for r in rows)
    assert data["methods"]["greedy"]["summary"]["geomean_op_speedup"] > 1.0
