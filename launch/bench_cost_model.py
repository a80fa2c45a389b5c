"""Does the cost model rank rewrites the way time does? Spearman of predicted vs timed speedup, beside the op count.

  python -m launch.bench_cost_model --split train --out results/bench_cost_model_train.md
  python -m launch.bench_cost_model --split train --problems unknown_skus,mention_list --per_problem 6

For each problem of the split, programs one and two rewrites from its original (`moves` neighbours,
sampled up to --per_problem) are scored with the scorer's paired timing against the original and with
both deterministic measures (the cost model and today's executed-instruction count) on the same workload
(`codeopt_jax/cost_agreement.py`). Prints, and writes as markdown to --out (the data as JSON beside it),
Spearman's rank correlation of each measure's predicted log speedup with the timed log speedup: over all
pairs, the median over problems, and per problem and pair. Timing is only as quiet as the machine: the
load average is printed with the figures.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import sys
import time

from absl import app, flags

from codeopt_jax import cost_agreement, moves
from codeopt_jax.scoring import ScoringService
from launch import problem_flags

_SPLIT = flags.DEFINE_string("split", "train", "Corpus split (train, heldout, all).")
_ROOT = flags.DEFINE_string("root", "corpus", "Corpus folder.")
_PROBLEMS = flags.DEFINE_list("problems", None, "Only these problem names.")
_PER_PROBLEM = flags.DEFINE_integer("per_problem", 10, "Candidate programs per problem (one and two rewrites).")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the candidate sampling.")
_WORKERS = flags.DEFINE_integer("workers", 2, "Scoring workers (and timing pairs, one per core).")
_OUT = flags.DEFINE_string("out", "results/bench_cost_model_train.md", "Markdown file to write ('' : print only).")


def main(argv: list[str]) -> int:
    del argv
    progress = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    if _PER_PROBLEM.value < 1:
        print("error: --per_problem must be at least 1", file=sys.stderr)
        return 2
    try:
        problems = problem_flags.corpus_problems(_ROOT.value, _SPLIT.value, _PROBLEMS.value)
    except ValueError as exc:  # CorpusError, bad --split or --problems
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    start = time.time()
    loads = [os.getloadavg()[0]]
    pairs = cost_agreement.candidate_pairs(problems, moves.allowed_rules(False), _PER_PROBLEM.value, _SEED.value)
    progress(f"{len(pairs)} candidate programs of {len(problems)} problems to time and measure")
    scored: list[cost_agreement.ScoredPair] = []
    with ScoringService(num_workers=_WORKERS.value) as service:
        for index, problem in enumerate(problems, 1):  # one problem at a time, for progress
            mine = [pair for pair in pairs if pair.problem.name == problem.name]
            scored += cost_agreement.measure_pairs(mine, service)
            loads.append(os.getloadavg()[0])
            measured = sum(p.outcome == "measured" for p in scored[-len(mine):]) if mine else 0
            progress(f"[{index}/{len(problems)}] {problem.name:32} {measured}/{len(mine)} measured "
                     f"(load average {loads[-1]:.1f})")
    agreements, per_problem = cost_agreement.summarize(scored)
    command = " ".join(["python -m launch.bench_cost_model", *sys.argv[1:]])
    load_text = (f"load average {min(loads):.1f}–{max(loads):.1f} on {os.cpu_count()} cores while timing; "
                 f"{time.time() - start:.0f} s")
    text = "\n\n".join([
        f"# Cost model against timing ({_SPLIT.value})", f"`{command}`",
        f"Candidates: up to {_PER_PROBLEM.value} programs per problem, one or two rewrites from the original "
        f"({len(pairs)} of {len(problems)} problems). Each timed with the scorer's paired timing against the "
        f"original; predicted speedup = original / candidate cost (cost model) or executed instructions (op "
        f"count), on the same workload calls. Spearman of predicted vs timed log speedup. {load_text}.",
        cost_agreement.markdown(scored, agreements, per_problem)]) + "\n"
    print(text)
    if _OUT.value:
        out = pathlib.Path(_OUT.value)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        out.with_suffix(".json").write_text(json.dumps({
            "command": command, "load_average": [min(loads), max(loads)],
            "agreement": [dataclasses.asdict(a) for a in agreements],
            "problems": [dataclasses.asdict(p) for p in per_problem],
            "pairs": [dataclasses.asdict(p) for p in scored]}, indent=2), encoding="utf-8")
        progress(f"wrote {out} and {out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    app.run(main)
