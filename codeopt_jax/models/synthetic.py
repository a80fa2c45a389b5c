"""Random but well-formed observations, for tests, smoke runs and benchmarks without an environment."""

from __future__ import annotations

import numpy as np

from codeopt_jax import actions, vocabulary
from codeopt_jax.models.config import ModelConfig


def random_observation(
    rng: np.random.Generator,
    config: ModelConfig,
    batch_size: int,
    *,
    min_len: int = 1,
    legal_prob: float = 0.05,
) -> dict[str, np.ndarray]:
    """A batch of random trees that satisfy the observation contract.

    Each row has a random length n in [min_len, max_len]: position 0 is the
    module token, every later valid position p has a parent drawn from [0, p)
    (so the positions are a pre-order of some tree) and depth = parent depth + 1.
    Padding has token <pad>, depth 0, parent -1. Each (valid position, rule) is
    legal with probability legal_prob; STOP is always legal.
    """
    length, num_rules = config.max_len, config.num_rules
    if not 1 <= min_len <= length:
        raise ValueError(f"min_len must be in [1, {length}], got {min_len}")
    token_ids = np.full((batch_size, length), vocabulary.PAD, np.int32)
    depth = np.zeros((batch_size, length), np.int32)
    parent = np.full((batch_size, length), -1, np.int32)
    valid = np.zeros((batch_size, length), bool)
    site_mask = np.zeros((batch_size, length, num_rules), bool)
    for row in range(batch_size):
        count = int(rng.integers(min_len, length + 1))
        valid[row, :count] = True
        token_ids[row, 0] = vocabulary.token_id("Module")
        token_ids[row, 1:count] = rng.integers(1, config.vocab_size, count - 1)
        for position in range(1, count):
            parent[row, position] = rng.integers(0, position)
            depth[row, position] = min(depth[row, parent[row, position]] + 1, config.max_depth)
        site_mask[row, :count] = rng.random((count, num_rules)) < legal_prob
    return {
        "tokens": token_ids,
        "depth": depth,
        "parent": parent,
        "valid": valid,
        "action_mask": actions.flat_action_mask(site_mask),
    }
