"""Trains the pairwise reward model and reports on held-out pairs.

  python -m launch.build_reward_data --out data/pairs
  python -m launch.train_reward_model --data data/pairs --workdir runs/reward_model --steps 300

Re-running with the same --workdir resumes from its latest checkpoint. The workdir
gets summary.json, summary.md (the model against the heuristics), reliability.png,
metrics.jsonl and tensorboard logs, and the model `RewardModelScorer.load` reads.
"""

from __future__ import annotations

import sys

from absl import app, flags, logging

from codeopt_jax.checkpoints import CheckpointMismatchError

_DATA = flags.DEFINE_string("data", "data/pairs", "Folder written by launch.build_reward_data.")
_WORKDIR = flags.DEFINE_string("workdir", "runs/reward_model", "Run folder: checkpoints, logs, report.")
_STEPS = flags.DEFINE_integer("steps", 300, "Gradient steps.")
_SEED = flags.DEFINE_integer("seed", 0, "Seeds parameters, batches and the validation split.")
_BATCH = flags.DEFINE_integer("batch_programs", 48, "Programs per step (whole problems, all their pairs).")
_LR = flags.DEFINE_float("learning_rate", 1e-4, "Adam learning rate.")
_DROPOUT = flags.DEFINE_float("dropout", 0.2, "Dropout in encoder and head during training.")
_MAX_LEN = flags.DEFINE_integer("max_len", 192, "Token positions per program.")
_D_MODEL = flags.DEFINE_integer("d_model", 64, "Transformer width.")
_LAYERS = flags.DEFINE_integer("num_layers", 2, "Transformer blocks.")
_HEADS = flags.DEFINE_integer("num_heads", 4, "Attention heads.")
_MLP = flags.DEFINE_integer("mlp_dim", 128, "MLP width.")
_VAL = flags.DEFINE_float("val_fraction", 0.2, "Train problems kept for model selection and the temperature.")
_EVAL_EVERY = flags.DEFINE_integer("eval_every", 25, "Steps between validation passes.")
_CHECKPOINT_EVERY = flags.DEFINE_integer("checkpoint_every", 100, "Steps between checkpoints.")
_BALANCE = flags.DEFINE_bool("balance_problems", True, "Every problem in a batch weighs the same (else every pair).")


def main(argv: list[str]) -> int:
    del argv
    logging.set_verbosity(logging.WARNING)  # orbax logs every checkpoint step at INFO
    from codeopt_jax.reward_model import dataset, model, training  # after flag parsing: keeps --help fast

    try:
        config = training.RewardModelTrainConfig(
            model=model.RewardModelConfig(max_len=_MAX_LEN.value, d_model=_D_MODEL.value, num_heads=_HEADS.value,
                                          num_layers=_LAYERS.value, mlp_dim=_MLP.value, dropout=_DROPOUT.value,
                                          learning_rate=_LR.value),
            steps=_STEPS.value, batch_programs=_BATCH.value, seed=_SEED.value, val_fraction=_VAL.value,
            eval_every=_EVAL_EVERY.value, checkpoint_every=_CHECKPOINT_EVERY.value,
            balance_problems=_BALANCE.value)
        data = dataset.load_dataset(_DATA.value)
        result = training.train_reward_model(data, config, _WORKDIR.value, data_path=_DATA.value,
                                             log=lambda line: print(line, file=sys.stderr, flush=True))
    except (CheckpointMismatchError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from codeopt_jax.reward_model.evaluation import markdown_table
    print(markdown_table(result.summary))
    print(f"report: {_WORKDIR.value}/summary.md, summary.json, reliability.png")
    return 0


if __name__ == "__main__":
    app.run(main)
