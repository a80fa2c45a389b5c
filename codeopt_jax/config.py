"""The one training configuration, its named presets, and the sizes derived from it.

`TrainConfig` is frozen; presets are built with `preset(name, **overrides)`. Sizes that
follow from the config and the code (number of rules R, vocabulary size) are derived
in `model_config`, never written back into the config.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from codeopt_jax.env import EnvConfig
from codeopt_jax.models.config import ModelConfig, size_default
from codeopt_jax.rewards import RewardConfig, reward_preset
from codeopt_jax.rewrites import ALL_RULES
from codeopt_jax.rl.ppo import PPOConfig
from codeopt_jax.rl.reinforce import ReinforceConfig
from codeopt_jax.validation import check_fields

ALGORITHMS = ("ppo", "reinforce")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on."""

    algo: str = "ppo"                  # "ppo" or "reinforce"
    iterations: int = 100              # training iterations: one rollout + one update each
    batch_size: int = 16               # episodes (problems) per rollout: B
    seed: int = 0                      # seeds params, sampling and problem order
    corpus_root: str = "corpus"        # folder with train/ and heldout/
    train_split: str = "train"         # problems to train on
    eval_split: str = "heldout"        # problems for periodic greedy evaluation
    eval_every: int = 10               # iterations between evaluations (0: only at the end)
    checkpoint_every: int = 4          # iterations between checkpoints
    scoring_workers: int = 2           # sandboxed scoring processes
    reward_model_dir: str = ""         # a trained reward model's workdir (for reward.model_weight / env.screen_top_k)
    generated_problems: int = 0        # gen://<family>/<seed> problems added to the train split (seeds spread over
                                       # the generator's families; made and validated before training starts)
    generated_cache: str = "runs/generated_cache"  # made generated problems, reused across runs ("": none)
    d_model: int = size_default("d_model")        # transformer width
    num_heads: int = size_default("num_heads")    # attention heads
    num_layers: int = size_default("num_layers")  # transformer blocks
    mlp_dim: int = size_default("mlp_dim")        # MLP width in blocks and heads
    env: EnvConfig = EnvConfig(rewrite_workers=2)
    reward: RewardConfig = RewardConfig()
    ppo: PPOConfig = PPOConfig()
    reinforce: ReinforceConfig = ReinforceConfig()

    def __post_init__(self) -> None:
        if self.algo not in ALGORITHMS:
            raise ValueError(f"algo must be one of {ALGORITHMS}, got {self.algo!r}")
        check_fields(self, positive=("iterations", "batch_size", "checkpoint_every", "scoring_workers"),
                     non_negative=("eval_every", "generated_problems"))
        model_config(self)  # validates the model sizes (e.g. num_heads divides d_model)
        if self.algo == "ppo" and (self.batch_size * self.env.max_steps) % self.ppo.num_minibatches:
            raise ValueError(f"batch_size * env.max_steps ({self.batch_size * self.env.max_steps}) must be "
                             f"divisible by ppo.num_minibatches ({self.ppo.num_minibatches})")

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def model_config(config: TrainConfig) -> ModelConfig:
    """The policy's ModelConfig: sizes from the config, R and L from the code and env."""
    return ModelConfig(num_rules=len(ALL_RULES), max_len=config.env.max_len, d_model=config.d_model,
                       num_heads=config.num_heads, num_layers=config.num_layers, mlp_dim=config.mlp_dim)


def fingerprint(config: TrainConfig) -> dict[str, Any]:
    """What a checkpoint must share with the config that restores it."""
    return {"algo": config.algo, "model": dataclasses.asdict(model_config(config)),
            "rules": [rule.name for rule in ALL_RULES]}


def preset(name: str, **overrides: Any) -> TrainConfig:
    """Named presets: `default` (about 5 minutes on 2 idle CPU cores) and `quick` (a minute, for tests)."""
    presets = {
        "default": TrainConfig(),
        "quick": TrainConfig(iterations=6, batch_size=8, eval_every=0, checkpoint_every=2,
                             d_model=32, num_heads=2, num_layers=1, mlp_dim=64,
                             env=EnvConfig(max_len=160, max_steps=3, rewrite_workers=0),
                             ppo=PPOConfig(epochs=2, num_minibatches=2)),
    }
    if name not in presets:
        raise ValueError(f"unknown config preset {name!r}; expected one of {sorted(presets)}")
    return dataclasses.replace(presets[name], **overrides)


def with_reward(config: TrainConfig, name: str, **weights: float) -> TrainConfig:
    """The config with a reward preset ("opcount" / "cost" / "timing") and optional weight overrides."""
    return dataclasses.replace(config, reward=reward_preset(name, **weights))


def from_json(data: dict[str, Any]) -> TrainConfig:
    """Inverse of `TrainConfig.to_json` (for configs stored next to checkpoints)."""
    nested = {"env": EnvConfig, "reward": RewardConfig, "ppo": PPOConfig, "reinforce": ReinforceConfig}
    values = dict(data)
    for key, cls in nested.items():
        if key in values:
            values[key] = cls(**values[key])
    return TrainConfig(**values)
