"""Times every single rewrite of every original program: when each rule helps and when it hurts.

  python -m launch.rule_effects --split train --out results/rule_effects.md
  python -m launch.rule_effects --benchmark mbpp --split train --out results/rule_effects_mbpp.md
  python -m launch.rule_effects --split train --problems active_user_names --rules sum_loop_to_sum

For every rule that is not UNSAFE and every site where it applies to a problem's original
program, the program after that one rewrite is scored with the paired timing against the
original (`codeopt_jax/rule_effects.py`). Per rule: sites, median speedup, the share of sites
where it helps (interquartile range above 1.05x) and hurts (below 0.95x), broken and unmeasured
sites, the worst and best site with its problem; then every site. Writes the markdown to --out
and the same data as JSON beside it (.json). With --benchmark mbpp, the tasks whose synthesized
workload pass takes at least 1 ms (workloads kept in --workload_cache).
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import sys
import time

from absl import app, flags

from codeopt_jax import corpus, moves, rule_effects
from codeopt_jax.rewrites import ALL_RULES
from codeopt_jax.scoring import BackendError, ScoringService
from launch import problem_flags, scoring_flags

_SPLIT = flags.DEFINE_string("split", "train", "Corpus split (train, heldout, all) or MBPP split (train, ...).")
_ROOT = flags.DEFINE_string("root", "corpus", "Corpus folder.")
_PROBLEMS = flags.DEFINE_list("problems", None, "Only these problem names (MBPP: task ids).")
_RULES = flags.DEFINE_list("rules", None, "Only these rules (default: every rule that is not UNSAFE).")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the workload synthesis (MBPP).")
_WORKERS = flags.DEFINE_integer("workers", 2, "Scoring workers.")
_OUT = flags.DEFINE_string("out", "results/rule_effects.md", "Markdown file to write ('' : print only).")


def _problems(service: ScoringService, progress) -> tuple[list[corpus.Problem], str]:
    if problem_flags.BENCHMARK.value == "corpus":
        return problem_flags.corpus_problems(_ROOT.value, _SPLIT.value, _PROBLEMS.value), ""
    from codeopt_jax import benchmarks

    loaded = problem_flags.load_mbpp_problems(_SPLIT.value, _PROBLEMS.value, service, _SEED.value, progress)
    return list(loaded.measurable_problems), benchmarks.load_table(loaded)


def main(argv: list[str]) -> int:
    del argv
    progress = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    try:
        allowed = moves.allowed_rules(False, _RULES.value)
        service = ScoringService(num_workers=_WORKERS.value, backend=scoring_flags.backend(_WORKERS.value))
    except (ValueError, BackendError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rules = [rule.name for rule, ok in zip(ALL_RULES, allowed) if ok]
    start = time.time()
    with service:
        try:
            problems, load_text = _problems(service, progress)
        except ValueError as exc:  # CorpusError, BenchmarkError, bad --split or --problems
            print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
            return 2
        sites = rule_effects.rule_sites(problems, allowed)
        progress(f"{len(sites)} single rewrites of {len(problems)} original programs to time")
        effects = []
        for index, problem in enumerate(problems, 1):  # one problem at a time, for progress
            mine = [site for site in sites if site.problem.name == problem.name]
            effects += rule_effects.measure(mine, service)
            progress(f"[{index}/{len(problems)}] {problem.name:30} {len(mine)} sites")
    summaries = rule_effects.summarize(effects, rules)
    label = f"mbpp {_SPLIT.value}" if problem_flags.BENCHMARK.value == "mbpp" else _SPLIT.value
    command = " ".join(["python -m launch.rule_effects", *sys.argv[1:]])
    parts = [f"# Rule effects ({label})", f"`{command}`",
             f"Each row: one rule over every site where it applies to an original program of the {len(problems)} "
             f"problems ({label}); the program after that single rewrite timed against the original with the "
             f"scorer's paired timing. Helps: the interquartile range of the paired ratios above "
             f"{rule_effects.HELPS}x; hurts: below {rule_effects.HURTS}x (shares of the measured sites). "
             f"{time.time() - start:.0f} s."]
    if load_text:
        parts += [load_text]
    parts += ["## Per rule", rule_effects.rules_table(summaries), "## Per site", rule_effects.sites_table(effects)]
    text = "\n\n".join(parts) + "\n"
    print(text)
    if _OUT.value:
        out = pathlib.Path(_OUT.value)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        out.with_suffix(".json").write_text(json.dumps({
            "command": command, "problems": [p.name for p in problems],
            "rules": [dataclasses.asdict(s) for s in summaries],
            "sites": [dataclasses.asdict(e) for e in effects]}, indent=2), encoding="utf-8")
        print(f"wrote {out} and {out.with_suffix('.json')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    app.run(main)
