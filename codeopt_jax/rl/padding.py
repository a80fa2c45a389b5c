"""Policy batches padded to a ladder of fixed sizes, so a jitted policy compiles once per size.

Any number of rows B (a training batch, the held-out split, k sampled episodes of one
problem) is padded up to the next power of two; the padded rows copy row 0's
observation with an action mask that allows only STOP (the last action), and the
caller slices the first B rows of the result back out.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def padded_batch_size(rows: int) -> int:
    """The smallest power of two >= rows (1, 2, 4, 8, ...)."""
    if rows < 1:
        raise ValueError(f"a policy batch needs at least one row, got {rows}")
    return 1 << (rows - 1).bit_length()


def pad_observation(obs: Mapping[str, np.ndarray], size: int) -> dict[str, np.ndarray]:
    """obs: dict of [B, ...] arrays with action_mask [B, A] -> dict of [size, ...] arrays.

    Rows B .. size - 1 repeat row 0 (a real, well-formed program) and allow only STOP.
    """
    rows = next(iter(obs.values())).shape[0]
    if size < rows:
        raise ValueError(f"cannot pad {rows} rows down to {size}")
    if size == rows:
        return {key: np.asarray(value) for key, value in obs.items()}
    padded = {}
    for key, value in obs.items():
        value = np.asarray(value)
        padded[key] = np.concatenate([value, np.repeat(value[:1], size - rows, axis=0)], axis=0)
    stop_only = np.zeros_like(padded["action_mask"][rows:])
    stop_only[:, -1] = True
    padded["action_mask"][rows:] = stop_only
    return padded
