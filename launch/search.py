"""Runs a search baseline over a corpus split or MBPP tasks and reports per-problem results.

  python -m launch.search --method greedy --split heldout --budget 64 --reward opcount --out greedy.json
  python -m launch.search --method all --split heldout --reward timing --out all.json --table table.md
  python -m launch.search --method identity,apply_all --split heldout
  python -m launch.search --method all --benchmark mbpp --split validation --budget 32 --reward timing \
      --table results/search_mbpp_validation_timing.md

Every method gets the same budget of scorings per problem. Each problem's best program is
measured once more at the end (paired timing and op count; not charged to the budget) for
the table. Prints progress and a summary with the geometric-mean speedup.

With --benchmark mbpp, the problems are MBPP's tasks of the split with workloads synthesized
from their tests (kept in --workload_cache for later runs); tasks that do not load, and those
whose workload pass takes under 1 ms, are skipped and counted above the table. Problems whose
original fails its own checks under the chosen reward are skipped and counted as well.
"""

from __future__ import annotations

import json
import sys
import time

from absl import app, flags

from codeopt_jax import corpus, search
from codeopt_jax.rewards import RewardConfig, geomean, is_broken, reward_preset
from codeopt_jax.scoring import BackendError, ScoreOptions, ScoringService
from codeopt_jax.scoring.records import MISMATCH, OK
from launch import problem_flags, scoring_flags

_METHOD = flags.DEFINE_list("method", ["greedy"], f"Search methods (comma-separated: {', '.join(search.METHODS)}) "
                            "or all.")
flags.register_validator("method", lambda names: set(names) <= {*search.METHODS, "all"},
                         f"--method takes some of {', '.join(search.METHODS)}, or all")
_SPLIT = flags.DEFINE_string("split", "heldout", "Corpus split (train, heldout) or MBPP split "
                             "(validation, train, test, prompt).")
_ROOT = flags.DEFINE_string("root", "corpus", "Corpus folder.")
_BUDGET = flags.DEFINE_integer("budget", 64, "Scorings (uncached candidate runs) per problem.")
_REWARD = flags.DEFINE_enum("reward", "opcount", ["opcount", "cost", "timing"], "Composite score preset.")
_DEPTH = flags.DEFINE_integer("max_depth", 12, "Rewrites per program (the default episode length).")
_BEAM = flags.DEFINE_integer("beam_width", 4, "Beam width.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed for random rollouts and workload synthesis.")
_UNSAFE = flags.DEFINE_bool("allow_unsafe", False, "Include the deliberately unsafe mutations.")
_WORKERS = flags.DEFINE_integer("workers", 2, "Scoring workers.")
_PROBLEMS = flags.DEFINE_list("problems", None, "Only these problem names (MBPP: task ids).")
_OUT = flags.DEFINE_string("out", None, "Write per-problem results as JSON here.")
_TABLE = flags.DEFINE_string("table", None, "Write the summary table as markdown here.")

FINAL = ScoreOptions(timing=True, opcount=True, timing_rounds=7)


def run_method(method: str, problems: list[corpus.Problem], service: ScoringService, reward: RewardConfig,
               config: search.SearchConfig) -> dict:
    """One method on every problem: per-problem rows (with the final measurement) and a summary."""
    rows, start = [], time.time()
    for index, problem in enumerate(problems, 1):
        result = search.run_search(problem, method, service, reward, config)
        changed = bool(result.best.rules)
        final = service.score(problem, result.best.source, FINAL) if changed else None
        rows.append({
            "problem": problem.name, "family": problem.family, "phi": result.best.phi,
            "speedup": final.speedup if final else 1.0,
            "speedup_low": final.speedup_low if final else 1.0,
            "speedup_high": final.speedup_high if final else 1.0,
            "op_speedup": (1.0 / final.op_ratio) if final and final.op_ratio else 1.0,
            "status": (final or result.original).status,
            "differential": (final or result.original).differential,
            "rewrites": list(result.best.rules), "scorings": result.scorings,
            "explored": result.explored, "complete": result.complete, "best_program": result.best.source})
        row = rows[-1]
        eta = (time.time() - start) / index * (len(problems) - index)
        print(f"[{method} {index}/{len(problems)}] {problem.name:30} Φ={row['phi']:+.3f} "
              f"speedup {row['speedup']:.2f}x ops {row['op_speedup']:.2f}x scorings {row['scorings']:3d} "
              f"ETA {eta:4.0f}s", file=sys.stderr, flush=True)
    return {"summary": summarize(method, rows, time.time() - start), "results": rows}


def summarize(method: str, rows: list[dict], seconds: float) -> dict:
    """Geomean speedups, mean Φ, improved (≥ 1.1x timed) and broken counts, mean scorings."""
    count = len(rows) or 1
    improved = sum((r["speedup"] or 0.0) >= 1.1 for r in rows)
    return {
        "method": method, "problems": len(rows),
        "geomean_speedup": geomean([r["speedup"] for r in rows]),
        "geomean_op_speedup": geomean([r["op_speedup"] for r in rows]),
        "mean_phi": sum(r["phi"] for r in rows) / count,
        "improved_10pct": improved / count, "improved_10pct_count": improved,
        "broken": sum(r["status"] != OK or r["differential"] == MISMATCH for r in rows),
        "mean_scorings": sum(r["scorings"] for r in rows) / count,
        "seconds": seconds}


def table(summaries: list[dict]) -> str:
    lines = ["| method | geomean speedup (timed) | geomean op-count speedup | mean Φ | improved ≥10% | broken | mean scorings |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for s in summaries:
        improved = f"{s['improved_10pct']:.0%}"
        if "improved_10pct_count" in s:
            improved += f" ({s['improved_10pct_count']}/{s['problems']})"
        lines.append(f"| {s['method']} | {s['geomean_speedup']:.3f}x | {s['geomean_op_speedup']:.3f}x | "
                     f"{s['mean_phi']:+.3f} | {improved} | {s['broken']} | {s['mean_scorings']:.1f} |")
    return "\n".join(lines)


def usable(problems: list[corpus.Problem], service: ScoringService,
           reward: RewardConfig) -> tuple[list[corpus.Problem], list[dict]]:
    """The problems whose original passes its own checks under `reward`, and the others with the reason."""
    records = service.score_many([(p, p.program) for p in problems], reward.score_options)
    kept = [p for p, r in zip(problems, records) if not is_broken(r, reward)]
    dropped = [{"problem": p.name, "reason": f"original fails its own checks ({r.status}: {r.detail[:120]})"}
               for p, r in zip(problems, records) if is_broken(r, reward)]
    return kept, dropped


def _load(service: ScoringService, progress) -> tuple[list[corpus.Problem], dict, str]:
    """The problems to search, what was loaded and skipped (JSON), and lines about it for the table."""
    if problem_flags.BENCHMARK.value == "corpus":
        problems = problem_flags.corpus_problems(_ROOT.value, _SPLIT.value, _PROBLEMS.value)
        return problems, {"benchmark": "corpus", "problems": len(problems)}, ""
    from codeopt_jax import benchmarks

    loaded = problem_flags.load_mbpp_problems(_SPLIT.value, _PROBLEMS.value, service, _SEED.value, progress)
    problems = list(loaded.measurable_problems)
    short = len(loaded.problems) - len(problems)
    text = (f"{benchmarks.load_table(loaded)}\n\nSearched: the {len(problems)} tasks whose workload pass takes "
            f"≥ 1 ms; skipped: {len(loaded.skipped)} that did not load and {short} with a shorter workload.")
    return problems, {**loaded.to_json(), "searched": [p.name for p in problems], "short_workload": short}, text


def main(argv: list[str]) -> int:
    del argv
    reward = reward_preset(_REWARD.value)
    progress = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    try:
        config = search.SearchConfig(budget=_BUDGET.value, max_depth=_DEPTH.value, beam_width=_BEAM.value,
                                     seed=_SEED.value, allow_unsafe=_UNSAFE.value)
        service = ScoringService(num_workers=_WORKERS.value, backend=scoring_flags.backend(_WORKERS.value))
    except (ValueError, BackendError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    methods = list(search.METHODS) if "all" in _METHOD.value else list(dict.fromkeys(_METHOD.value))
    outputs = {}
    with service:
        try:
            problems, loaded, load_text = _load(service, progress)
        except ValueError as exc:  # CorpusError, BenchmarkError, bad --split or --problems
            print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
            return 2
        problems, dropped = usable(problems, service, reward)
        for item in dropped:
            progress(f"skipped {item['problem']}: {item['reason']}")
        if dropped:
            load_text = (load_text + "\n\n" if load_text else "") + \
                f"Skipped {len(dropped)} whose original fails its own checks under the {_REWARD.value} reward."
        if not problems:
            print("error: no problems to search", file=sys.stderr)
            return 2
        for method in methods:
            outputs[method] = run_method(method, problems, service, reward, config)
    summaries = [outputs[m]["summary"] for m in methods]
    text = table(summaries)
    setting = (f"benchmark={problem_flags.BENCHMARK.value}, split={_SPLIT.value}, reward={_REWARD.value}, "
               f"budget={_BUDGET.value} scorings/problem, max_depth={_DEPTH.value}, problems={len(problems)}")
    print(f"\n{load_text}\n\n{setting}\n{text}" if load_text else f"\n{setting}\n{text}")
    config_json = {"benchmark": problem_flags.BENCHMARK.value, "split": _SPLIT.value, "reward": _REWARD.value,
                   "budget": _BUDGET.value, "max_depth": _DEPTH.value, "beam_width": _BEAM.value, "seed": _SEED.value,
                   "allow_unsafe": _UNSAFE.value, "command": " ".join(["python -m launch.search"] + sys.argv[1:])}
    if _OUT.value:
        with open(_OUT.value, "w", encoding="utf-8") as handle:
            json.dump({"config": config_json, "loaded": loaded, "skipped_broken_original": dropped,
                       "methods": outputs}, handle, indent=2)
    if _TABLE.value:
        with open(_TABLE.value, "w", encoding="utf-8") as handle:
            parts = [f"`{config_json['command']}`", *([load_text] if load_text else []), setting, text]
            handle.write("\n\n".join(parts) + "\n")
    return 0


if __name__ == "__main__":
    app.run(main)
