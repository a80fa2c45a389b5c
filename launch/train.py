"""Trains the rewriting agent.

  python -m launch.train                                   # default preset, PPO, op-count reward
  python -m launch.train --config quick --workdir /tmp/run --algo reinforce --baseline mean
  python -m launch.train --reward timing --brevity_weight 0.2 --iterations 100
  python -m launch.train --set ppo.clip_eps=0.1 --set env.max_len=256   # any config field
  python -m launch.train --set generated_problems=200   # add 200 generated problems (gen://) to the train split
  python -m launch.train --scoring ray --ray_address auto --scoring_workers 32  # score on a Ray cluster

Re-running with the same --workdir resumes from its latest checkpoint. SIGTERM or
Ctrl-C saves a checkpoint and exits. Logs: <workdir>/metrics.jsonl and tensorboard.
"""

from __future__ import annotations

import dataclasses
import sys

from absl import app, flags, logging

from codeopt_jax import config as config_lib
from codeopt_jax.checkpoints import CheckpointMismatchError
from codeopt_jax.corpus import CorpusError
from codeopt_jax.overrides import apply_overrides, field_paths
from codeopt_jax.scoring.backend import LOCAL, BackendError
from launch import scoring_flags

_CONFIG = flags.DEFINE_enum("config", "default", ["default", "quick"], "Named config preset.")
_WORKDIR = flags.DEFINE_string("workdir", "runs/default", "Run folder: checkpoints, logs, config.")
_ALGO = flags.DEFINE_enum("algo", None, list(config_lib.ALGORITHMS), "RL algorithm (default: the preset's).")
_BASELINE = flags.DEFINE_enum("baseline", None, ["none", "mean", "value"], "REINFORCE baseline.")
_REWARD = flags.DEFINE_enum("reward", "opcount", ["opcount", "cost", "timing"],
                            "Composite score: deterministic executed-op counts, the deterministic cost model "
                            "(instructions and C-level work), or paired wall-clock timing.")
_BREVITY = flags.DEFINE_float("brevity_weight", None, "Weight of the token-count term of the score.")
_COMPLEXITY = flags.DEFINE_float("complexity_weight", None, "Weight of the complexity term of the score.")
_UNSAFE = flags.DEFINE_bool("allow_unsafe", None, "Let the agent use the deliberately unsafe rewrites.")
_DIFF = flags.DEFINE_bool("differential_gate", True,
                          "Gate the score on the differential check; --nodifferential_gate keeps tests only.")
_SEED = flags.DEFINE_integer("seed", None, "Random seed.")
_ITERATIONS = flags.DEFINE_integer("iterations", None, "Training iterations.")
_BATCH = flags.DEFINE_integer("batch_size", None, "Episodes per iteration.")
_STEPS = flags.DEFINE_integer("max_steps", None, "Rewrites per episode.")
_LR = flags.DEFINE_float("learning_rate", None, "Adam learning rate.")
_ENTROPY = flags.DEFINE_float("ent_coef", None, "Entropy bonus weight.")
_EVAL_EVERY = flags.DEFINE_integer("eval_every", None, "Iterations between held-out evaluations.")
_WORKERS = flags.DEFINE_integer("scoring_workers", None, "Sandboxed scoring processes.")
_CORPUS = flags.DEFINE_string("corpus_root", None, "Corpus folder with train/ and heldout/.")
_CHECKPOINT_EVERY = flags.DEFINE_integer("checkpoint_every", None, "Iterations between checkpoints.")
_REWARD_MODEL = flags.DEFINE_string("reward_model", None, "Workdir of a trained reward model (launch.train_reward_model).")
_MODEL_WEIGHT = flags.DEFINE_float("reward_model_weight", None, "Weight of the learned reward-model term in the score.")
_SCREEN = flags.DEFINE_integer("screen_top_k", None, "Measure only the reward model's top-k candidates per step.")
_SET = flags.DEFINE_multi_string(
    "set", [], "Sets any config field, after the preset and the flags above (repeatable): --set KEY=VALUE, "
    "e.g. --set ppo.clip_eps=0.1. Keys: "
    + ", ".join(f"{path} ({kind})" for path, kind in field_paths(config_lib.TrainConfig())) + ".")


def build_config() -> config_lib.TrainConfig:
    """The preset named by --config with every given flag applied, then every --set; raises ValueError."""
    config = config_lib.preset(_CONFIG.value)
    weights = {name: flag.value for name, flag in (("brevity_weight", _BREVITY), ("complexity_weight", _COMPLEXITY),
                                                   ("model_weight", _MODEL_WEIGHT)) if flag.value is not None}
    if not _DIFF.value:
        weights["require_differential"] = False
    config = config_lib.with_reward(config, _REWARD.value, **weights)
    top = {name: flag.value for name, flag in (("algo", _ALGO), ("seed", _SEED), ("iterations", _ITERATIONS),
                                               ("batch_size", _BATCH), ("eval_every", _EVAL_EVERY),
                                               ("scoring_workers", _WORKERS), ("corpus_root", _CORPUS),
                                               ("checkpoint_every", _CHECKPOINT_EVERY),
                                               ("reward_model_dir", _REWARD_MODEL)) if flag.value is not None}
    env = {name: flag.value for name, flag in (("max_steps", _STEPS), ("allow_unsafe", _UNSAFE),
                                               ("screen_top_k", _SCREEN)) if flag.value is not None}
    algo = {name: flag.value for name, flag in (("learning_rate", _LR), ("ent_coef", _ENTROPY))
            if flag.value is not None}
    reinforce = dict(algo, **({"baseline": _BASELINE.value} if _BASELINE.value else {}))
    config = dataclasses.replace(
        config, **top, env=dataclasses.replace(config.env, **env),
        ppo=dataclasses.replace(config.ppo, **algo), reinforce=dataclasses.replace(config.reinforce, **reinforce))
    return apply_overrides(config, _SET.value)


def main(argv: list[str]) -> int:
    del argv
    logging.set_verbosity(logging.WARNING)  # orbax logs every checkpoint step at INFO
    from codeopt_jax.train import train  # after flag parsing: keeps --help fast
    try:
        config = build_config()
        backend = scoring_flags.backend(config.scoring_workers)
        if backend.kind != LOCAL:
            print(f"scoring on {backend.describe()}", file=sys.stderr, flush=True)
        result = train(config, _WORKDIR.value, scoring_backend=backend)
    except (CorpusError, CheckpointMismatchError, ValueError, BackendError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 130 if result.interrupted else 0


if __name__ == "__main__":
    app.run(main)
