"""Builds the pairwise reward-model data set: scored programs and labelled pairs.

  python -m launch.build_reward_data --out data/pairs --budget 24
  python -m launch.build_reward_data --out data/pairs_margin --programs_from data/pairs --min_margin 0.1

Train pairs come from corpus/train, held-out pairs from corpus/heldout only. With
--programs_from, the scored programs of an earlier build are relabelled (different
reward weights or noise rules) without scoring anything again. Labelling rules:
`codeopt_jax/reward_model/dataset.py`.
"""

from __future__ import annotations

import dataclasses
import sys
import time

from absl import app, flags

from codeopt_jax import corpus
from codeopt_jax.rewards import RewardConfig
from codeopt_jax.reward_model import dataset
from codeopt_jax.scoring import BackendError, ScoringService
from launch import scoring_flags

_OUT = flags.DEFINE_string("out", "data/pairs", "Output folder (programs.jsonl, pairs.jsonl, manifest.json).")
_BUDGET = flags.DEFINE_integer("budget", 24, "Programs scored per problem, the original included.")
_ROOT = flags.DEFINE_string("corpus_root", "corpus", "Corpus folder with train/ and heldout/.")
_SPLITS = flags.DEFINE_list("splits", list(corpus.SPLITS), "Corpus splits to build.")
_PROBLEMS = flags.DEFINE_list("problems", None, "Only these problem names.")
_BFS_DEPTH = flags.DEFINE_integer("bfs_depth", 2, "Breadth-first rewrite levels.")
_ROLLOUT_DEPTH = flags.DEFINE_integer("rollout_depth", 4, "Longest random rollout.")
_UNSAFE = flags.DEFINE_float("unsafe_fraction", 0.35, "Share of programs that are unsafe mutants (mostly broken).")
_REFERENCE = flags.DEFINE_bool("include_reference", True, "Add each problem's hand-optimized reference.")
_ROUNDS = flags.DEFINE_integer("timing_rounds", 7, "Paired timing rounds per program.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed for candidate sampling and pair order.")
_WORKERS = flags.DEFINE_integer("workers", 2, "Scoring workers.")
_SPEED = flags.DEFINE_float("speed_weight", 1.0, "Φ weight of log speedup.")
_OPCOUNT = flags.DEFINE_float("opcount_weight", 0.0, "Φ weight of −log op-count ratio.")
_BREVITY = flags.DEFINE_float("brevity_weight", 0.1, "Φ weight of −log token ratio.")
_COMPLEXITY = flags.DEFINE_float("complexity_weight", 0.0, "Φ weight of relative complexity reduction.")
_MARGIN = flags.DEFINE_float("min_margin", 0.05, "Valid pairs with |ΔΦ| below this are ties (dropped).")
_CV_Z = flags.DEFINE_float("cv_z", 0.0, "> 0: also drop valid pairs with |ΔΦ| <= cv_z * hypot(cv_a, cv_b).")
_FROM = flags.DEFINE_string("programs_from", None, "Relabel the programs of an earlier build (no scoring).")


def main(argv: list[str]) -> int:
    del argv
    start = time.time()
    reward = RewardConfig(speed_weight=_SPEED.value, opcount_weight=_OPCOUNT.value,
                          brevity_weight=_BREVITY.value, complexity_weight=_COMPLEXITY.value)
    label_config = dataset.LabelConfig(reward=reward, min_margin=_MARGIN.value, cv_z=_CV_Z.value, seed=_SEED.value)
    build_config = dataset.BuildConfig(
        programs_per_problem=_BUDGET.value, bfs_depth=_BFS_DEPTH.value, rollout_depth=_ROLLOUT_DEPTH.value,
        unsafe_fraction=_UNSAFE.value, include_reference=_REFERENCE.value, timing_rounds=_ROUNDS.value,
        seed=_SEED.value)
    try:
        if _FROM.value:
            programs = dataset.load_programs(_FROM.value)
            build_info = dataset.load_dataset(_FROM.value).manifest.get("build", {})
        else:
            problems = corpus.load_corpus(_ROOT.value, _SPLITS.value)
            if _PROBLEMS.value:
                problems = [p for p in problems if p.name in set(_PROBLEMS.value)]
            if not problems:
                raise ValueError("no problems selected")
            backend = scoring_flags.backend(_WORKERS.value)
            with ScoringService(num_workers=_WORKERS.value, backend=backend) as service:
                programs = dataset.build_programs(problems, service, build_config,
                                                  log=lambda line: print(line, file=sys.stderr, flush=True))
            build_info = dataclasses.asdict(build_config)
    except (corpus.CorpusError, ValueError, OSError, BackendError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    pairs, stats = dataset.label_dataset(programs, label_config)
    manifest = {
        "command": "python -m launch.build_reward_data " + " ".join(sys.argv[1:]),
        "build": build_info,
        "programs_from": _FROM.value,
        "label": label_config.to_json(),
        "ties": "dropped",
        "counts": dataset.summary_counts(programs, pairs, stats, reward),
        "seconds": round(time.time() - start, 1),
    }
    out = dataset.write_dataset(_OUT.value, programs, pairs, manifest)
    for split, counts in manifest["counts"].items():
        label_stats = counts["label_stats"]
        print(f"{split:8} problems {counts['problems']:3d}  programs {counts['programs']:5d} "
              f"(broken {counts['broken_programs']:4d})  pairs {counts['pairs']:6d} "
              f"[valid/broken {label_stats['valid_vs_broken']}, valid/valid {label_stats['valid_vs_valid']}; "
              f"dropped ties {label_stats['dropped_tie']}, unmeasured {label_stats['dropped_unmeasured']}]")
    print(f"wrote {out} in {manifest['seconds']:.0f}s")
    return 0


if __name__ == "__main__":
    app.run(main)
