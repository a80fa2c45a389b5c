"""One configuration: defaults defined once, every config validated at construction, any field settable by key."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from codeopt_jax import config as config_lib
from codeopt_jax.env import EnvConfig
from codeopt_jax.models.config import ModelConfig
from codeopt_jax.overrides import apply_overrides, field_paths
from codeopt_jax.reward_model.dataset import LabelConfig
from codeopt_jax.reward_model.model import RewardModelConfig
from codeopt_jax.rewards import RewardConfig
from codeopt_jax.rl.ppo import PPOConfig
from codeopt_jax.rl.reinforce import ReinforceConfig
from codeopt_jax.search import SearchConfig
from tests.conftest import ROOT


def test_defaults_are_defined_once():
    config = config_lib.TrainConfig()
    model = ModelConfig(num_rules=1, max_len=1)
    for name in ("d_model", "num_heads", "num_layers", "mlp_dim"):
        assert getattr(config, name) == getattr(model, name) == getattr(RewardModelConfig(), name)
    assert config.env.max_len == EnvConfig().max_len


@pytest.mark.parametrize("build, field", [
    (lambda: EnvConfig(max_steps=0), "EnvConfig.max_steps"),
    (lambda: EnvConfig(max_len=0), "EnvConfig.max_len"),
    (lambda: EnvConfig(rewrite_workers=-1), "EnvConfig.rewrite_workers"),
    (lambda: RewardConfig(timing_rounds=0), "RewardConfig.timing_rounds"),
    (lambda: RewardConfig(brevity_weight=float("nan")), "RewardConfig.brevity_weight"),
    (lambda: PPOConfig(gamma=1.5), "PPOConfig.gamma"),
    (lambda: PPOConfig(clip_eps=0.0), "PPOConfig.clip_eps"),
    (lambda: ReinforceConfig(learning_rate=0.0), "ReinforceConfig.learning_rate"),
    (lambda: SearchConfig(budget=0), "SearchConfig.budget"),
    (lambda: LabelConfig(min_margin=-1.0), "LabelConfig.min_margin"),
    (lambda: config_lib.TrainConfig(checkpoint_every=0), "TrainConfig.checkpoint_every"),
    (lambda: config_lib.TrainConfig(num_heads=3), "num_heads"),
    (lambda: RewardModelConfig(num_heads=3), "num_heads"),
])
def test_a_bad_value_fails_at_construction_naming_the_field(build, field):
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        build()


def test_overrides_set_nested_fields_by_type():
    config = apply_overrides(config_lib.TrainConfig(), [
        "ppo.clip_eps=0.1", "env.allow_unsafe=true", "ppo.target_kl=none", "iterations=7",
        "reward_model_dir=runs/rm", "reinforce.baseline=mean"])
    assert config.ppo.clip_eps == 0.1 and config.env.allow_unsafe is True and config.ppo.target_kl is None
    assert config.iterations == 7 and config.reward_model_dir == "runs/rm" and config.reinforce.baseline == "mean"
    assert config == dataclasses.replace(config)  # still a frozen, comparable tree


def test_every_leaf_field_has_a_key():
    keys = dict(field_paths(config_lib.TrainConfig()))
    assert keys["ppo.clip_eps"] == "float" and keys["env.max_steps"] == "int" and "env" not in keys
    assert keys["ppo.target_kl"] == "float | None"


@pytest.mark.parametrize("assignment, message", [
    ("ppo.clipeps=0.1", "unknown config key 'ppo.clipeps'"),
    ("nope=1", "unknown config key 'nope'"),
    ("ppo.clip_eps=abc", "not a valid float"),
    ("iterations=1.5", "not a valid int"),
    ("env.allow_unsafe=maybe", "not a valid bool"),
    ("ppo=1", "is a group"),
    ("ppo.clip_eps", "key=value"),
    ("env.max_steps=0", "EnvConfig.max_steps must be positive"),
    ("reinforce.baseline=median", "baseline must be one of"),
])
def test_a_bad_key_or_value_is_one_clear_error(assignment, message):
    with pytest.raises(ValueError, match=message):
        apply_overrides(config_lib.TrainConfig(), [assignment])


def _train_launcher(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "launch.train", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.slow
def test_launcher_lists_the_keys_and_rejects_a_bad_one_in_one_line(tmp_path):
    help_text = _train_launcher("--helpfull").stdout
    assert "--set" in help_text and "ppo.clip_eps (float)" in " ".join(help_text.split())
    result = _train_launcher("--set", "ppo.clipeps=0.1", "--workdir", str(tmp_path / "run"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: unknown config key 'ppo.clipeps'")
    assert not (tmp_path / "run").exists()
