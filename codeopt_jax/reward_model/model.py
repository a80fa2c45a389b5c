"""The reward model: the policy's tree encoder, pooled, and a scalar score head.

`RewardModel(config)(obs) -> s [B]`; a pair's preference is
P(A better than B) = sigmoid(s(A) − s(B)) (Bradley–Terry). Only score differences
between programs of the same problem mean anything.

`featurize(sources, max_len)` turns program sources into the observation dict the
encoder reads (tokens, depth, parent, valid).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from codeopt_jax import tokens, vocabulary
from codeopt_jax.models.config import ModelConfig, dummy_observation, size_default
from codeopt_jax.models.encoder import TreeEncoder
from codeopt_jax.models.policy import masked_mean_pool
from codeopt_jax.program import parse_program
from codeopt_jax.validation import check_fields

OBS_KEYS = ("tokens", "depth", "parent", "valid")


@dataclasses.dataclass(frozen=True)
class RewardModelConfig:
    """Sizes of the encoder and head, plus the optimizer settings of training."""

    max_len: int = 192          # token positions per program (longer programs are truncated)
    d_model: int = size_default("d_model")
    num_heads: int = size_default("num_heads")
    num_layers: int = size_default("num_layers")
    mlp_dim: int = size_default("mlp_dim")
    dropout: float = 0.2        # in the encoder and head, during training only
    learning_rate: float = 1e-4
    max_grad_norm: float = 1.0

    def __post_init__(self) -> None:
        self.encoder_config()  # validates the sizes
        check_fields(self, positive=("learning_rate", "max_grad_norm"))

    def encoder_config(self) -> ModelConfig:
        """The TreeEncoder's config (num_rules is unused by the encoder)."""
        return ModelConfig(num_rules=1, max_len=self.max_len, d_model=self.d_model, num_heads=self.num_heads,
                           num_layers=self.num_layers, mlp_dim=self.mlp_dim, dropout=self.dropout)

    def fingerprint(self) -> dict[str, Any]:
        """What a checkpoint must share with the config that restores it (array shapes, vocabulary)."""
        return {"max_len": self.max_len, "d_model": self.d_model, "num_heads": self.num_heads,
                "num_layers": self.num_layers, "mlp_dim": self.mlp_dim, "vocab_size": vocabulary.VOCAB_SIZE,
                "max_depth": vocabulary.MAX_DEPTH}

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class RewardModel(nn.Module):
    """obs -> score [B]: TreeEncoder, then [masked mean | module token | log length] -> MLP -> scalar."""

    config: RewardModelConfig

    @nn.compact
    def __call__(self, obs: Mapping[str, jax.Array], deterministic: bool = True) -> jax.Array:
        hidden = TreeEncoder(self.config.encoder_config(), name="encoder")(obs, deterministic=deterministic)
        valid = jnp.asarray(obs["valid"], bool)
        log_length = jnp.log1p(valid.sum(axis=1, dtype=jnp.float32))[:, None]
        pooled = jnp.concatenate([masked_mean_pool(hidden, valid), hidden[:, 0, :], log_length], axis=-1)
        h = nn.gelu(nn.Dense(self.config.mlp_dim, name="head_hidden")(pooled))
        h = nn.Dropout(self.config.dropout, deterministic=deterministic)(h)
        return nn.Dense(1, name="score")(h)[:, 0]


def _dummy_obs(config: RewardModelConfig) -> dict[str, np.ndarray]:
    return {k: v for k, v in dummy_observation(config.encoder_config()).items() if k in OBS_KEYS}


def init_params(config: RewardModelConfig, key: jax.Array) -> dict:
    """Fresh parameters for RewardModel(config)."""
    return jax.jit(RewardModel(config).init)(key, _dummy_obs(config))["params"]


def param_shapes(config: RewardModelConfig) -> dict:
    """The parameter pytree as jax.ShapeDtypeStruct leaves, computing nothing (a restore target)."""
    return jax.eval_shape(RewardModel(config).init, jax.random.key(0), _dummy_obs(config))["params"]


def featurize(sources: Sequence[str], max_len: int) -> dict[str, np.ndarray]:
    """Program sources -> {tokens, depth, parent, valid} arrays [N, max_len] (ProgramError if one does not parse)."""
    rows = [tokens.tokenize(parse_program(source), max_len) for source in sources]
    return {
        "tokens": np.stack([r.tokens for r in rows]) if rows else np.zeros((0, max_len), np.int32),
        "depth": np.stack([r.depth for r in rows]) if rows else np.zeros((0, max_len), np.int32),
        "parent": np.stack([r.parent for r in rows]) if rows else np.full((0, max_len), -1, np.int32),
        "valid": np.stack([r.valid for r in rows]) if rows else np.zeros((0, max_len), bool),
    }


def pad_length(obs: Mapping[str, np.ndarray], max_len: int) -> dict[str, np.ndarray]:
    """Pads (never truncates) observations [N, L] to [N, max_len] with padding tokens."""
    length = obs["tokens"].shape[1]
    if length > max_len:
        raise ValueError(f"observations have {length} positions, more than the model's {max_len}")
    extra = max_len - length
    fill = {"tokens": vocabulary.PAD, "depth": 0, "parent": -1, "valid": False}
    return {k: np.pad(np.asarray(obs[k]), ((0, 0), (0, extra)), constant_values=fill[k]) for k in OBS_KEYS}


def make_forward(config: RewardModelConfig):
    """A jitted deterministic forward: (params, obs [B, L]) -> scores [B]."""
    model = RewardModel(config)
    return jax.jit(lambda params, obs: model.apply({"params": params}, obs, deterministic=True))


def _bucket(size: int, cap: int) -> int:
    """The padded batch size for `size` rows: the next power of two (at least 16), at most cap."""
    return min(cap, max(16, 1 << (size - 1).bit_length()))


def score_in_batches(forward, params, obs: Mapping[str, np.ndarray], batch_size: int = 256) -> np.ndarray:
    """Scores [N] of all observation rows, in chunks padded to a few fixed batch sizes (few compilations)."""
    total = len(obs["tokens"])
    scores = np.zeros(total, np.float32)
    for start in range(0, total, batch_size):
        stop = min(total, start + batch_size)
        size = stop - start
        padded = _bucket(size, batch_size)
        chunk = {k: np.asarray(obs[k][start:stop]) for k in OBS_KEYS}
        if padded > size:  # repeat the first row; its scores are discarded
            chunk = {k: np.concatenate([v, np.repeat(v[:1], padded - size, axis=0)]) for k, v in chunk.items()}
        scores[start:stop] = np.asarray(forward(params, chunk))[:size]
    return scores
