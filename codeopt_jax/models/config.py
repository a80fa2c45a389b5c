"""The model configuration and the observation shapes it implies."""

from __future__ import annotations

import dataclasses

import numpy as np

from codeopt_jax import actions, vocabulary


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Sizes of the tree encoder and the policy/value heads (defaults fit 2 CPU cores)."""

    # Number of rewrite rules R; the policy scores every (position, rule) pair.
    num_rules: int
    # Token positions per program L (the tokenizer's max_len); sizes the pre-order position table.
    max_len: int
    # Token vocabulary size; fixed by codeopt_jax.vocabulary.
    vocab_size: int = vocabulary.VOCAB_SIZE
    # Largest depth with its own embedding; deeper tokens share the last one.
    max_depth: int = vocabulary.MAX_DEPTH
    # Largest parent offset (position - parent position) with its own embedding; larger ones share the last.
    max_parent_offset: int = 64
    # Width of the residual stream (hidden state per token).
    d_model: int = 64
    # Attention heads per block; must divide d_model.
    num_heads: int = 4
    # Number of pre-LN transformer blocks.
    num_layers: int = 2
    # Hidden width of each block's MLP and of the output heads.
    mlp_dim: int = 128
    # Dropout rate; only active when a caller passes deterministic=False (RL keeps it 0).
    dropout: float = 0.0

    def __post_init__(self) -> None:
        positive = ("num_rules", "max_len", "vocab_size", "max_parent_offset")
        for name in positive + ("d_model", "num_heads", "num_layers", "mlp_dim"):
            if getattr(self, name) < 1:
                raise ValueError(f"ModelConfig.{name} must be positive, got {getattr(self, name)}")
        if self.max_depth < 0:
            raise ValueError(f"ModelConfig.max_depth must be non-negative, got {self.max_depth}")
        if self.d_model % self.num_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by num_heads ({self.num_heads})")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    @property
    def num_actions(self) -> int:
        """Size of the flat action space: L * R site actions plus STOP."""
        return actions.num_actions(self.max_len, self.num_rules)


def size_default(name: str) -> int | float:
    """ModelConfig's default for one size field: the single place model sizes are defined."""
    return {field.name: field.default for field in dataclasses.fields(ModelConfig)}[name]


def dummy_observation(config: ModelConfig, batch_size: int = 1) -> dict[str, np.ndarray]:
    """A batch of minimal programs (only the module token) with the contract's shapes and dtypes.

    Used to initialise parameters and to trace shapes; only STOP is legal.
    """
    length = config.max_len
    tokens_array = np.zeros((batch_size, length), np.int32)
    tokens_array[:, 0] = vocabulary.token_id("Module")
    valid = np.zeros((batch_size, length), bool)
    valid[:, 0] = True
    action_mask = np.zeros((batch_size, config.num_actions), bool)
    action_mask[:, -1] = True
    return {
        "tokens": tokens_array,
        "depth": np.zeros((batch_size, length), np.int32),
        "parent": np.full((batch_size, length), -1, np.int32),
        "valid": valid,
        "action_mask": action_mask,
    }
