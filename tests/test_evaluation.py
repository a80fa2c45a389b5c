"""Evaluation: a broken program is never returned, summaries and groups, and the launcher end to end."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import pytest

from codeopt_jax import evaluation, proposals
from codeopt_jax.agent import Agent
from codeopt_jax.corpus import load_problem
from codeopt_jax.rollouts import Episode
from codeopt_jax.scoring.records import MATCH, OK
from codeopt_jax.selection import Candidate, FinalMeasurer, final_options, passes_validation, select_valid
from tests.conftest import ROOT
from tests.tiny_agent import shared_agent, subprocess_env, tiny_config

BROKEN = {
    "fails its tests": "def total(xs):\n    return 0\n",
    "differs on the workload only": "def total(xs):\n    return sum(xs) if len(xs) < 100 else 0\n",
    "raises": "def total(xs):\n    raise RuntimeError('boom')\n",
    "does not parse": "def total(xs):\n    return (\n",
}
GOOD = "def total(xs):\n    return sum(xs)\n"


@pytest.fixture(scope="module")
def measurer(service):
    return FinalMeasurer(service, final_options(timing_rounds=3))


def _candidates(phi_start: float = 5.0) -> list[Candidate]:
    return [Candidate(source, ("fake",), phi_start - i, name)
            for i, (name, source) in enumerate(BROKEN.items())]


@pytest.mark.slow
def test_select_valid_skips_every_broken_candidate(tiny_problem, measurer):
    candidates = _candidates() + [Candidate(GOOD, ("sum",), 0.5, "good")]
    selection = select_valid(tiny_problem, candidates, measurer, max_tries=len(candidates))
    assert selection.changed and selection.candidate.origin == "good"
    assert passes_validation(selection.record)
    assert [rejection.origin for rejection in selection.rejected] == list(BROKEN)
    reasons = {rejection.origin: rejection.reason for rejection in selection.rejected}
    assert reasons["fails its tests"].startswith("test_failure")
    assert "mismatch" in reasons["differs on the workload only"]
    assert reasons["does not parse"].startswith("syntax_error")


@pytest.mark.slow
def test_select_valid_returns_the_original_when_every_candidate_is_broken(tiny_problem, measurer):
    selection = select_valid(tiny_problem, _candidates(), measurer, max_tries=len(BROKEN))
    assert not selection.changed and selection.fell_back
    assert selection.candidate.source == tiny_problem.program and selection.candidate.rules == ()
    assert passes_validation(selection.record)


@pytest.mark.slow
def test_select_valid_keeps_the_original_unless_phi_improved(tiny_problem, measurer):
    worse = Candidate(GOOD, ("sum",), -0.2, "worse")
    selection = select_valid(tiny_problem, [worse], measurer)
    assert not selection.changed and not selection.fell_back


def _fake_agent(corpus_root) -> Agent:
    """An agent whose policy is never called: the tests replace its greedy episodes."""
    return Agent(config=tiny_config(corpus_root), model=types.SimpleNamespace(apply=None), params=None,
                 iteration=0, workdir="fake")


@pytest.mark.slow
def test_evaluate_returns_the_original_when_the_agent_ends_broken(tiny_problem, service, monkeypatch, tmp_path):
    unseen = load_problem(ROOT / "corpus" / "heldout" / "cheapest_direct_flight.py", "heldout")
    episodes = {
        tiny_problem.name: Episode(tiny_problem.name, BROKEN["differs on the workload only"], 3.0, ("fake",),
                                   None, None),
        unseen.name: Episode(unseen.name, unseen.reference_program, 1.0, ("fake",), None, None),
    }
    monkeypatch.setattr(proposals, "run_greedy", lambda params, apply, env, problems: [episodes[problems[0].name]])
    config = evaluation.EvalConfig(k=0, budget=6, ceiling_budget=8, baselines=("identity", "greedy"),
                                   timing_rounds=3)
    report = evaluation.evaluate(_fake_agent(tmp_path), [tiny_problem, unseen], service, config,
                                 seen_families={"manual_reduce"})
    json.dumps(report.to_json())  # JSON-safe

    broken_row, good_row = report.problems
    greedy = broken_row.methods[evaluation.AGENT_GREEDY]
    assert not greedy.changed and greedy.fell_back and greedy.valid
    assert greedy.program == tiny_problem.program and greedy.speedup == 1.0
    improved = good_row.methods[evaluation.AGENT_GREEDY]
    assert improved.changed and improved.valid and improved.rewrites == ("fake",)
    assert improved.speedup_low <= improved.speedup <= improved.speedup_high

    summary = report.summary
    assert set(summary) == {"all", "split heldout", "split train", "seen families", "unseen families"}
    assert summary["seen families"][evaluation.AGENT_GREEDY].problems == 1
    for method in report.methods:
        assert summary["all"][method].broken == 0, method
    assert summary["all"][evaluation.AGENT_GREEDY].fell_back == 1
    assert report.methods == (evaluation.AGENT_GREEDY, evaluation.AGENT_BEST, "identity", "greedy",
                              evaluation.CEILING, evaluation.REFERENCE)
    for row in report.problems:
        assert row.methods["greedy"].scorings <= 6
        assert row.methods[evaluation.CEILING].scorings <= 8
        assert row.methods["identity"].scorings == 1  # counted from an empty cache
    assert "reference" not in broken_row.methods or broken_row.methods["reference"].valid

    text = evaluation.markdown(report)
    assert "## Summary" in text and "## Generalization" in text and "## Per problem" in text
    assert f"| {unseen.name} | heldout | sort_extremum | no |" in text
    assert text.count("(fell back to the original)") == 1  # best-of-k includes the broken greedy episode


def _result(speedup: float) -> evaluation.MethodResult:
    return evaluation.MethodResult(
        changed=True, speedup=speedup, speedup_low=None, speedup_high=None, speedup_cv=None, time_original=None,
        time=None, op_ratio=1.0, tests="1/1", status=OK, differential=MATCH, valid=True, phi=0.0, rewrites=(),
        origin="m", scorings=1, fell_back=False, rejected=(), program="")


def test_ceiling_share_is_the_ratio_of_summed_log_speedups():
    rows = [evaluation.ProblemResult(problem="p", split="train", family="f", seen_family=True, original_time=None,
                                     original_op_count=None,
                                     methods={"m": _result(s), evaluation.CEILING: _result(c)})
            for s, c in ((2.0, 4.0), (1.0, 2.0))]
    summary = evaluation.summarize(rows, "m")
    assert summary.ceiling_share == pytest.approx(1 / 3)
    assert summary.ceiling_share_ops is None  # the ceiling gained nothing in op counts
    assert summary.geomean_speedup == pytest.approx(2 ** 0.5)


@pytest.mark.slow
def test_launcher_writes_json_and_markdown(tmp_path_factory, tmp_path):
    workdir, corpus_root = shared_agent(tmp_path_factory.getbasetemp())
    command = [sys.executable, "-m", "launch.evaluate", "--workdir", str(workdir), "--root", str(corpus_root),
               "--split", "heldout", "--k", "1", "--baselines", "identity,greedy", "--ceiling_budget", "6",
               "--timing_rounds", "3", "--out_dir", str(tmp_path)]
    result = subprocess.run(command, cwd=ROOT, env=subprocess_env(tmp_path_factory.getbasetemp()),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "evaluation_heldout.json").read_text())
    markdown = (tmp_path / "evaluation_heldout.md").read_text()

    assert [row["problem"] for row in report["problems"]] == ["cheapest_direct_flight", "failed_job_count"]
    assert {row["problem"]: row["seen_family"] for row in report["problems"]} == {
        "cheapest_direct_flight": False, "failed_job_count": True}
    assert report["agent"]["iteration"] == 1 and report["config"]["split"] == "heldout"
    for row in report["problems"]:
        assert set(row["methods"]) == {evaluation.AGENT_GREEDY, evaluation.AGENT_BEST, "identity", "greedy",
                                       evaluation.CEILING, evaluation.REFERENCE}
        for method, outcome in row["methods"].items():
            assert outcome["valid"], (row["problem"], method)
            assert outcome["changed"] or outcome["program"] == load_problem(
                corpus_root / "heldout" / f"{row['problem']}.py").program
        assert row["methods"][evaluation.CEILING]["scorings"] <= 6
    assert all(s["broken"] == 0 for s in report["summary"]["all"].values())
    assert set(report["summary"]) == {"all", "seen families", "unseen families"}

    assert markdown.startswith("# Evaluation (heldout)") and "| agent_best_of_k |" in markdown
    assert "| agent_best_of_k |" in result.stdout
    progress = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert len(progress) == 2 and progress[0].startswith("[1/2]") and all("ETA" in line for line in progress)


@pytest.mark.slow
def test_launcher_bad_input_is_one_error_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "launch.evaluate", "--workdir", str(tmp_path / "missing"),
                             "--out_dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "missing" in lines[0], result.stderr
