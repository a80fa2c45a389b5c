"""Evaluates a trained agent beside the search baselines, the exhaustive ceiling and the references.

  python -m launch.evaluate                                  # the shipped agent on the held-out split
  python -m launch.evaluate --workdir runs/default --split all --k 8 --ceiling_budget 256
  python -m launch.evaluate --problems tally_ballots,failed_job_count --k 2 --out_dir /tmp/eval

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

_WORKDIR = flags.DEFINE_string("workdir", None, "Training run folder of the agent (default: the shipped one, "
                                "results/default_run).")
_ITERATION = flags.DEFINE_integer("iteration", None, "Checkpoint iteration (default: the newest).")
_SPLIT = flags.DEFINE_enum("split", "heldout", [*corpus.SPLITS, "all"], "Corpus split, or all.")
_ROOT = flags.DEFINE_string("root", "corpus", "Corpus folder with train/ and heldout/.")
_PROBLEMS = flags.DEFINE_list("problems", None, "Only these problem names.")
_K = flags.DEFINE_integer("k", 8, "Sampled episodes for best-of-k (besides the greedy one).")
_BUDGET = flags.DEFINE_integer("budget", 0, "Scorings per problem for the baselines (0: the agent's own).")
_CEILING = flags.DEFINE_integer("ceiling_budget", 256, "Scorings for the exhaustive-search ceiling (0: skip).")
_BASELINES = flags.DEFINE_list("baselines", list(search.METHODS[:-1]), "Search baselines to run.")
_DEPTH = flags.DEFINE_integer("max_depth", 0, "Search depth (0: the agent's episode length).")
_BEAM = flags.DEFINE_integer("beam_width", 4, "Beam width.")
_REWARD = flags.DEFINE_enum("reward", None, ["opcount", "timing"], "Composite score (default: the agent's).")
_ROUNDS = flags.DEFINE_integer("timing_rounds", 7, "Paired timing rounds of the final measurement.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed for sampling and random search.")
_WORKERS = flags.DEFINE_integer("workers", 2, "Scoring workers.")
_NO_REFERENCE = flags.DEFINE_bool("no_reference", False, "Skip the hand-optimized references.")
_OUT_DIR = flags.DEFINE_string("out_dir", "results", "Folder for evaluation_<split>.json and .md.")


def _problems() -> list[corpus.Problem]:
    splits = list(corpus.SPLITS) if _SPLIT.value == "all" else [_SPLIT.value]
    problems = corpus.load_corpus(_ROOT.value, splits)
    if _PROBLEMS.value:
        unknown = set(_PROBLEMS.value) - {p.name for p in problems}
        if unknown:
            raise ValueError(f"no such problems in {_SPLIT.value}: {sorted(unknown)}")
        problems = [p for p in problems if p.name in _PROBLEMS.value]
    return problems


def main(argv: list[str]) -> int:
    del argv
    logging.set_verbosity(logging.ERROR)
    from codeopt_jax import evaluation  # after flag parsing: keeps --help fast
    from codeopt_jax.agent import DEFAULT_AGENT, AgentLoadError, load_agent
    from codeopt_jax.rewards import reward_preset
    from codeopt_jax.scoring import ScoringService

    try:
        config = evaluation.EvalConfig(
            k=_K.value, budget=_BUDGET.value or None, ceiling_budget=_CEILING.value,
            baselines=tuple(_BASELINES.value), max_depth=_DEPTH.value or None, beam_width=_BEAM.value,
            timing_rounds=_ROUNDS.value, seed=_SEED.value, references=not _NO_REFERENCE.value)
        problems = _problems()
        agent = load_agent(_WORKDIR.value or DEFAULT_AGENT, _ITERATION.value)
        reward = reward_preset(_REWARD.value) if _REWARD.value else None
        seen = evaluation.training_families(agent, _ROOT.value)
        out_dir = pathlib.Path(_OUT_DIR.value)
        out_dir.mkdir(parents=True, exist_ok=True)  # before the long run, not after it
    except (AgentLoadError, corpus.CorpusError, ValueError, OSError) as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    print(f"evaluating {agent.workdir} (iteration {agent.iteration}) on {len(problems)} problems ({_SPLIT.value})",
          file=sys.stderr, flush=True)
    with ScoringService(num_workers=_WORKERS.value) as service:
        report = evaluation.evaluate(agent, problems, service, config, seen, reward,
                                     progress=lambda line: print(line, file=sys.stderr, flush=True))
    report = dataclasses.replace(report, config={
        **report.config, "split": _SPLIT.value, "root": _ROOT.value,
        "command": " ".join(["python -m launch.evaluate", *sys.argv[1:]])})
    text = evaluation.markdown(report)
    json_path, md_path = out_dir / f"evaluation_{_SPLIT.value}.json", out_dir / f"evaluation_{_SPLIT.value}.md"
    json_path.write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
    md_path.write_text(f"# Evaluation ({_SPLIT.value})\n\n{text}", encoding="utf-8")
    print(text)
    print(f"wrote {json_path} and {md_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    app.run(main)
