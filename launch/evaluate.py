"""Evaluates a trained agent beside the search baselines, the exhaustive ceiling and the references.

  python -m launch.evaluate                                  # the shipped agent on the held-out split
  python -m launch.evaluate --workdir runs/default --split all --k 8 --ceiling_budget 256
  python -m launch.evaluate --problems tally_ballots,failed_job_count --k 2 --out_dir /tmp/eval
  python -m launch.evaluate --benchmark mbpp --split test   # MBPP tasks 11-510, workloads synthesized

With --benchmark mbpp, the problems are MBPP's tasks of the split (train, validation,
test or prompt; --benchmark_path points at mbpp.jsonl): each task's solution module is
the program and its assert lines the tests; its workload is synthesized from those tests.
Tasks that cannot be loaded are skipped with a counted reason, shown above the tables.
Outputs go to <out_dir>/evaluation_mbpp_<split>.json and .md. Synthesized workloads are kept in
--workload_cache and reused by later runs (see launch/problem_flags.py).

Writes <out_dir>/evaluation_<split>.json and .md, prints the tables, and shows one
progress line per problem (with an ETA) on stderr. A method never returns a program
that fails validation: the original is returned instead (see codeopt_jax/evaluation.py).
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import sys

from absl import app, flags, logging

from codeopt_jax import corpus, search
from launch import problem_flags, scoring_flags

_WORKDIR = flags.DEFINE_string("workdir", None, "Training run folder of the agent (default: the shipped one, "
                                "results/default_run).")
_ITERATION = flags.DEFINE_integer("iteration", None, "Checkpoint iteration (default: the newest).")
_SPLIT = flags.DEFINE_string("split", "heldout", "Corpus split (train, heldout, all) or MBPP split "
                             "(test, validation, train, prompt).")
_ROOT = flags.DEFINE_string("root", "corpus", "Corpus folder with train/ and heldout/.")
_PROBLEMS = flags.DEFINE_list("problems", None, "Only these problem names.")
_K = flags.DEFINE_integer("k", 8, "Sampled episodes for best-of-k (besides the greedy one).")
_BUDGET = flags.DEFINE_integer("budget", 0, "Scorings per problem for the baselines (0: the agent's own).")
_CEILING = flags.DEFINE_integer("ceiling_budget", 256, "Scorings for the exhaustive-search ceiling (0: skip).")
_BASELINES = flags.DEFINE_list("baselines", list(search.METHODS[:-1]), "Search baselines to run.")
_DEPTH = flags.DEFINE_integer("max_depth", 0, "Search depth (0: the agent's episode length).")
_BEAM = flags.DEFINE_integer("beam_width", 4, "Beam width.")
_REWARD = flags.DEFINE_enum("reward", None, ["opcount", "cost", "timing"],
                             "Composite score (default: the agent's).")
_ROUNDS = flags.DEFINE_integer("timing_rounds", 7, "Paired timing rounds of the final measurement.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed for sampling and random search.")
_WORKERS = flags.DEFINE_integer("workers", 2, "Scoring workers.")
_NO_REFERENCE = flags.DEFINE_bool("no_reference", False, "Skip the hand-optimized references.")
_OUT_DIR = flags.DEFINE_string("out_dir", "results", "Folder for evaluation_<split>.json and .md.")


def main(argv: list[str]) -> int:
    del argv
    logging.set_verbosity(logging.ERROR)
    from codeopt_jax import evaluation  # after flag parsing: keeps --help fast
    from codeopt_jax.agent import DEFAULT_AGENT, AgentLoadError, load_agent
    from codeopt_jax.rewards import reward_preset
    from codeopt_jax.scoring import BackendError, ScoringService

    try:
        backend = scoring_flags.backend(_WORKERS.value)  # before the agent loads (JAX)
        config = evaluation.EvalConfig(
            k=_K.value, budget=_BUDGET.value or None, ceiling_budget=_CEILING.value,
            baselines=tuple(_BASELINES.value), max_depth=_DEPTH.value or None, beam_width=_BEAM.value,
            timing_rounds=_ROUNDS.value, seed=_SEED.value, references=not _NO_REFERENCE.value)
        mbpp_run = problem_flags.BENCHMARK.value == "mbpp"
        problems = [] if mbpp_run else problem_flags.corpus_problems(_ROOT.value, _SPLIT.value, _PROBLEMS.value)
        agent = load_agent(_WORKDIR.value or DEFAULT_AGENT, _ITERATION.value)
        reward = reward_preset(_REWARD.value) if _REWARD.value else None
        seen = evaluation.training_families(agent, _ROOT.value)
        out_dir = pathlib.Path(_OUT_DIR.value)
        out_dir.mkdir(parents=True, exist_ok=True)  # before the long run, not after it
        service = ScoringService(num_workers=_WORKERS.value, backend=backend)
    except (AgentLoadError, corpus.CorpusError, ValueError, OSError, BackendError) as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    progress = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    loaded = None
    with service:
        if mbpp_run:
            from codeopt_jax import benchmarks

            try:
                loaded = problem_flags.load_mbpp_problems(_SPLIT.value, _PROBLEMS.value, service, _SEED.value,
                                                          progress)
            except ValueError as exc:  # mbpp.BenchmarkError, or --problems names that are no task ids
                print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
                return 2
            problems = list(loaded.problems)
            progress(benchmarks.load_table(loaded))
        print(f"evaluating {agent.workdir} (iteration {agent.iteration}) on {len(problems)} problems "
              f"({problem_flags.BENCHMARK.value} {_SPLIT.value})", file=sys.stderr, flush=True)
        report = evaluation.evaluate(agent, problems, service, config, seen, reward, progress=progress)
    report = dataclasses.replace(report, config={
        **report.config, "benchmark": problem_flags.BENCHMARK.value, "split": _SPLIT.value, "root": _ROOT.value,
        "command": " ".join(["python -m launch.evaluate", *sys.argv[1:]])})
    text = evaluation.markdown(report)
    stem = f"evaluation_{_SPLIT.value}" if loaded is None else f"evaluation_mbpp_{_SPLIT.value}"
    json_path, md_path = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
    record = report.to_json()
    title = f"# Evaluation ({_SPLIT.value})"
    if loaded is not None:
        record["benchmark"] = loaded.to_json()
        title = (f"# Evaluation on MBPP ({_SPLIT.value} split)\n\nMBPP: Austin et al. 2021, \"Program Synthesis "
                 f"with Large Language Models\" (CC BY 4.0). Tasks written by others; each solution is the program, "
                 f"its assert lines the tests, its workload synthesized from them.\n\n"
                 f"Command: `{report.config['command']}`\n\n## Tasks\n\n{benchmarks.load_table(loaded)}")
    json_path.write_text(json.dumps(record, indent=2), encoding="utf-8")
    md_path.write_text(f"{title}\n\n{text}", encoding="utf-8")
    print(text)
    print(f"wrote {json_path} and {md_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    app.run(main)
