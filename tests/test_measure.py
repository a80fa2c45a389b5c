"""Measurement tools: the reachable space, the MBPP search path with cached workloads, rule effects, the horizon."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from codeopt_jax import config as config_lib
from codeopt_jax import moves, rule_effects, search
from codeopt_jax.env import EnvConfig
from codeopt_jax.metrics_log import DISTINCT_PROGRAMS, VISITED_FILE, VisitedPrograms
from codeopt_jax.scoring.records import OK, TEST_FAILURE, VOIDED, ScoreRecord
from codeopt_jax.scoring.synthesis import SynthesisOptions, SynthesisResult
from codeopt_jax.workloads import synthesize_cached
from tests.conftest import ROOT

# Two independent sums. With only sum_loop_to_sum and inline_return_temp, each function is in
# one of three states: the loop, `acc = sum(...); return acc`, `return sum(...)`, one rewrite
# apart in that order. So the programs are the 3 x 3 pairs of states (a, b), reached in a + b
# rewrites: within 0, 1, 2, 3, 4 rewrites there are 1, 3, 6, 8, 9 of them, and nothing more.
TWO_SUMS = '''def total(xs):
    result = 0
    for x in xs:
        result += x
    return result


def total_squares(ys):
    acc = 0
    for y in ys:
        acc += y * y
    return acc
'''
TWO_RULES = ("sum_loop_to_sum", "inline_return_temp")


def test_reachable_counts_the_hand_counted_space():
    allowed = moves.allowed_rules(False, TWO_RULES)
    result = search.reachable(TWO_SUMS, (0, 1, 2, 3, 4, 12), allowed)
    assert result.counts == (1, 3, 6, 8, 9, 9) and all(result.exact)
    assert result.expanded == 9  # every program listed once; the 12-rewrite count needs no deeper level


def test_reachable_stops_at_the_cap_and_says_so():
    allowed = moves.allowed_rules(False, TWO_RULES)
    result = search.reachable(TWO_SUMS, (1, 2, 4), allowed, cap=5)
    assert result.counts == (3, 5, 5) and result.exact == (True, False, False)
    assert [result.shown(i) for i in range(3)] == ["3", ">= 5", ">= 5"]
    with pytest.raises(ValueError, match="cap"):
        search.reachable(TWO_SUMS, (1,), allowed, cap=0)


def test_episodes_default_to_twelve_rewrites_and_the_default_config_is_valid():
    assert EnvConfig().max_steps == 12 and search.SearchConfig().max_depth == 12
    config = config_lib.preset("default")
    assert config.env.max_steps == 12
    assert (config.batch_size * config.env.max_steps) % config.ppo.num_minibatches == 0


def test_visited_programs_count_distinct_programs_and_forget_steps_after_a_resume(tmp_path):
    visited = VisitedPrograms(tmp_path)
    assert visited.add(1, [("p", "x = 1\n"), ("p", "x  =  1  # same program\n"), ("q", "x = 1\n")]) == 2
    assert visited.add(2, [("p", "x = 2\n")]) == 3
    assert VisitedPrograms(tmp_path, resume_step=1).add(2, []) == 2  # step 2's program is forgotten
    assert len((tmp_path / VISITED_FILE).read_text().splitlines()) == 2


class _CountingSynthesis:
    """A stand-in for ScoringService.synthesize_many that counts what it is asked to synthesize."""

    def __init__(self, fail: set[str] = frozenset()):
        self.asked: list[str] = []
        self.fail = fail

    def synthesize_many(self, problems, options):
        self.asked += [p.name for p in problems]
        return [SynthesisResult(error="no calls") if p.name in self.fail else
                SynthesisResult(workload_source="def workload():\n    return [(1,)]\n", pass_seconds=0.002)
                for p in problems]


def test_synthesized_workloads_are_cached_by_task_and_options(tmp_path):
    from codeopt_jax.user_problem import harness_problem
    users = [harness_problem("def f(x):\n    return x\n", f"t{i}.py", "f", f"assert f({i}) == {i}\n", f"t{i}_tests.py",
                             name=f"task_{i}") for i in range(3)]
    options = SynthesisOptions(target_seconds=0.002)
    service = _CountingSynthesis(fail={"task_2"})
    first = synthesize_cached(users, service, options, tmp_path)
    assert service.asked == ["task_0", "task_1", "task_2"] and first[2].error
    second = synthesize_cached(users, service, options, tmp_path)
    assert service.asked[3:] == ["task_2"]  # only the failed one is tried again
    assert [r.workload_source for r in second] == [r.workload_source for r in first]
    synthesize_cached(users[:1], service, SynthesisOptions(target_seconds=0.004), tmp_path)
    assert service.asked[4:] == ["task_0"]  # other options: another workload


MBPP_TASKS = [  # hand-written stand-ins in the validation id range (511-600)
    {"task_id": 511, "text": "Sum of squares.",
     "code": "def sum_squares(nums):\n    total = 0\n    for n in nums:\n        total += n * n\n    return total\n",
     "test_list": ["assert sum_squares([1, 2, 3]) == 14", "assert sum_squares([]) == 0"], "test_setup_code": ""},
    {"task_id": 512, "text": "Even numbers.",
     "code": "def evens(nums):\n    result = []\n    for n in nums:\n        if n % 2 == 0:\n"
             "            result.append(n)\n    return result\n",
     "test_list": ["assert evens([1, 2, 3, 4]) == [2, 4]", "assert evens([5, 7]) == []"], "test_setup_code": ""},
    {"task_id": 513, "text": "Add (constant time: no workload of 1 ms).", "code": "def add(a, b):\n    return a + b\n",
     "test_list": ["assert add(1, 2) == 3", "assert add(0, 0) == 0"], "test_setup_code": ""},
]


@pytest.mark.slow
def test_search_launcher_on_mbpp_skips_short_workloads_and_caches_them(tmp_path):
    data = tmp_path / "mbpp.jsonl"
    data.write_text("".join(json.dumps(task) + "\n" for task in MBPP_TASKS))
    out, cache = tmp_path / "out.json", tmp_path / "workloads"
    command = [sys.executable, "-m", "launch.search", "--benchmark", "mbpp", "--benchmark_path", str(data),
               "--split", "validation", "--method", "identity,apply_all", "--reward", "opcount", "--budget", "8",
               "--workers", "1", "--workload_cache", str(cache), "--out", str(out)]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert "1 with a shorter workload" in completed.stdout and "improved ≥10%" in completed.stdout
    result = json.loads(out.read_text())
    assert result["loaded"]["searched"] == ["mbpp_511", "mbpp_512"] and result["loaded"]["short_workload"] == 1
    identity, apply_all = (result["methods"][m]["summary"] for m in ("identity", "apply_all"))
    assert identity["geomean_op_speedup"] == 1.0 and identity["mean_scorings"] == 1.0
    assert apply_all["geomean_op_speedup"] > 1.1 and apply_all["broken"] == 0  # sum() and a list comprehension
    assert apply_all["problems"] == 2 and apply_all["mean_scorings"] <= 8
    assert len(list(cache.glob("*.json"))) == 3  # every task's workload kept for the next run


@pytest.mark.slow
def test_reachable_launcher_writes_the_table_and_reads_a_runs_count(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_text(json.dumps({"step": 1, DISTINCT_PROGRAMS: 7.0}) + "\n" +
                                       json.dumps({"step": 2, DISTINCT_PROGRAMS: 11.0}) + "\n")
    command = [sys.executable, "-m", "launch.reachable", "--split", "train", "--problems", "coin_change_ways",
               "--depths", "1,2", "--runs", str(run), "--out_dir", str(tmp_path / "out")]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    data = json.loads((tmp_path / "out" / "reachable_train.json").read_text())
    assert [row["problem"] for row in data["problems"]] == ["coin_change_ways"]
    assert data["problems"][0]["counts"][0] >= 2  # memoization applies to the original
    assert data["runs"][0]["distinct_programs"] == 11 and data["runs"][0]["iteration"] == 2
    assert "| within | median | min | max |" in (tmp_path / "out" / "reachable_train.md").read_text()


@pytest.mark.slow
def test_rule_effects_time_each_single_rewrite(service, tiny_problem):
    allowed = moves.allowed_rules(False)
    sites = rule_effects.rule_sites([tiny_problem], allowed)
    assert "sum_loop_to_sum" in {site.rule for site in sites}
    effects = rule_effects.measure(sites, service)
    rules = [site.rule for site in sites]
    summaries = {s.rule: s for s in rule_effects.summarize(effects, rules + ["memoize_recursive_function"])}
    summed = summaries["sum_loop_to_sum"]
    assert summed.sites == 1 and summed.broken == 0
    assert summed.measured + summed.unmeasured == 1  # timed, unless the timing itself was voided
    if summed.measured:
        assert summed.median_speedup > 0 and summed.best.problem == tiny_problem.name
    assert summaries["memoize_recursive_function"].sites == 0 and summaries["memoize_recursive_function"].helps is None
    assert "sum_loop_to_sum" in rule_effects.rules_table(list(summaries.values()))


def test_rule_effects_classify_and_count_helps_and_hurts(tiny_problem):
    site = rule_effects.Site(tiny_problem, "r", 1, tiny_problem.program)
    assert rule_effects.effect_of(site, ScoreRecord(OK, speedup=1.2, speedup_low=1.1, speedup_high=1.3)).outcome \
        == "measured"
    assert rule_effects.effect_of(site, ScoreRecord(TEST_FAILURE, "assert")).outcome == "broken"
    assert rule_effects.effect_of(site, ScoreRecord(VOIDED, "noisy", phase="timing")).outcome == "unmeasured"
    effects = [rule_effects.SiteEffect("p", "r", i, "measured", s, lo, hi) for i, (s, lo, hi) in
               enumerate([(2.0, 1.8, 2.2), (1.0, 0.9, 1.1), (0.8, 0.7, 0.9), (1.06, 1.04, 1.08)])]
    effects.append(rule_effects.SiteEffect("q", "r", 9, "broken", None, None, None, "test_failure"))
    (summary,) = rule_effects.summarize(effects, ["r"])
    assert (summary.sites, summary.measured, summary.broken) == (5, 4, 1)
    assert summary.helps == 0.25 and summary.hurts == 0.25  # only the whole interval counts
    assert summary.median_speedup == pytest.approx(1.03)
    assert summary.worst.speedup == 0.8 and summary.best.speedup == 2.0
