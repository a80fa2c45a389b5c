"""Runs a search baseline over a corpus split and reports per-problem results.

  python -m launch.search --method greedy --split heldout --budget 64 --reward opcount --out greedy.json
  python -m launch.search --method all --split heldout --reward timing --out all.json --table table.md

Each problem's best program is measured once more at the end (paired timing and op
count; not charged to the budget) for the table. Prints progress and a summary with
the geometric-mean speedup.
"""

from __future__ import annotations

import json
import sys
import time

from absl import app, flags

from codeopt_jax import corpus, search
from codeopt_jax.rewards import geomean, reward_preset
from codeopt_jax.scoring import ScoreOptions, ScoringService
from codeopt_jax.scoring.records import MISMATCH, OK

_METHOD = flags.DEFINE_enum("method", "greedy", list(search.METHODS) + ["all"], "Search method, or all.")
_SPLIT = flags.DEFINE_enum("split", "heldout", list(corpus.SPLITS), "Corpus split.")
_ROOT = flags.DEFINE_string("root", "corpus", "Corpus folder.")
_BUDGET = flags.DEFINE_integer("budget", 64, "Scorings (uncached candidate runs) per problem.")
_REWARD = flags.DEFINE_enum("reward", "opcount", ["opcount", "timing"], "Composite score preset.")
_DEPTH = flags.DEFINE_integer("max_depth", 4, "Rewrites per program.")
_BEAM = flags.DEFINE_integer("beam_width", 4, "Beam width.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed for random rollouts.")
_UNSAFE = flags.DEFINE_bool("allow_unsafe", False, "Include the deliberately unsafe mutations.")
_WORKERS = flags.DEFINE_integer("workers", 2, "Scoring workers.")
_PROBLEMS = flags.DEFINE_list("problems", None, "Only these problem names.")
_OUT = flags.DEFINE_string("out", None, "Write per-problem results as JSON here.")
_TABLE = flags.DEFINE_string("table", None, "Write the summary table as markdown here.")

FINAL = ScoreOptions(timing=True, opcount=True, timing_rounds=7)


def run_method(method: str, problems: list[corpus.Problem], service: ScoringService) -> dict:
    reward = reward_preset(_REWARD.value)
    config = search.SearchConfig(budget=_BUDGET.value, max_depth=_DEPTH.value, beam_width=_BEAM.value,
                                 seed=_SEED.value, allow_unsafe=_UNSAFE.value)
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
    summary = {
        "method": method, "problems": len(rows),
        "geomean_speedup": geomean([r["speedup"] for r in rows]),
        "geomean_op_speedup": geomean([r["op_speedup"] for r in rows]),
        "mean_phi": sum(r["phi"] for r in rows) / len(rows),
        "improved_10pct": sum(r["speedup"] >= 1.1 for r in rows) / len(rows),
        "broken": sum(r["status"] != OK or r["differential"] == MISMATCH for r in rows),
        "mean_scorings": sum(r["scorings"] for r in rows) / len(rows),
        "seconds": time.time() - start}
    return {"summary": summary, "results": rows}


def table(summaries: list[dict]) -> str:
    lines = ["| method | geomean speedup (timed) | geomean op-count speedup | mean Φ | improved ≥10% | broken | mean scorings |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for s in summaries:
        lines.append(f"| {s['method']} | {s['geomean_speedup']:.3f}x | {s['geomean_op_speedup']:.3f}x | "
                     f"{s['mean_phi']:+.3f} | {s['improved_10pct']:.0%} | {s['broken']} | {s['mean_scorings']:.1f} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    del argv
    try:
        problems = corpus.load_corpus(_ROOT.value, [_SPLIT.value])
    except corpus.CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if _PROBLEMS.value:
        unknown = set(_PROBLEMS.value) - {p.name for p in problems}
        if unknown:
            print(f"error: no such problems in {_SPLIT.value}: {sorted(unknown)}", file=sys.stderr)
            return 2
        problems = [p for p in problems if p.name in _PROBLEMS.value]
    methods = list(search.METHODS) if _METHOD.value == "all" else [_METHOD.value]
    outputs = {}
    with ScoringService(num_workers=_WORKERS.value) as service:
        for method in methods:
            outputs[method] = run_method(method, problems, service)
    summaries = [outputs[m]["summary"] for m in methods]
    text = table(summaries)
    print(f"\nsplit={_SPLIT.value} reward={_REWARD.value} budget={_BUDGET.value} max_depth={_DEPTH.value}")
    print(text)
    config = {"split": _SPLIT.value, "reward": _REWARD.value, "budget": _BUDGET.value,
              "max_depth": _DEPTH.value, "beam_width": _BEAM.value, "seed": _SEED.value,
              "allow_unsafe": _UNSAFE.value, "command": " ".join(["python -m launch.search"] + sys.argv[1:])}
    if _OUT.value:
        with open(_OUT.value, "w", encoding="utf-8") as handle:
            json.dump({"config": config, "methods": outputs}, handle, indent=2)
    if _TABLE.value:
        with open(_TABLE.value, "w", encoding="utf-8") as handle:
            handle.write(f"`{config['command']}`\n\nsplit={_SPLIT.value}, reward={_REWARD.value}, "
                         f"budget={_BUDGET.value} scorings/problem, max_depth={_DEPTH.value}\n\n{text}\n")
    return 0


if __name__ == "__main__":
    app.run(main)
