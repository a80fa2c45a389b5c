"""Compact batches: the update computes the network only on the active transitions.

A fixed-horizon rollout [T, B] is mostly padding once episodes end (about 80% with the
default config). After the return estimates are computed on the [T, B] layout and
flattened to N = T * B rows, the update gathers its active rows, plus as few padding rows
(weight 0) as fill the batch up to a size from a short ladder (granule * 2^k, at most N),
so the jitted update compiles once per ladder size rather than once per active count.
Padding rows keep weight 0, so every loss, gradient and metric equals that of the padded
batch up to float reassociation.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, TypeVar

import jax
import jax.numpy as jnp
import numpy as np

from codeopt_jax.rl.types import Rollout

Batch = TypeVar("Batch")


def compact_size(num_active: int, num_rows: int, granule: int) -> int:
    """The smallest granule * 2^k >= num_active (k >= 0), capped at num_rows: the ladder of batch sizes."""
    if granule < 1 or num_rows < 1:
        raise ValueError(f"granule and num_rows must be positive, got {granule}, {num_rows}")
    size = granule
    while size < num_active:
        size *= 2
    return min(size, num_rows)


def ladder(num_rows: int, granule: int) -> tuple[int, ...]:
    """Every size compact_size can return for num_rows rows: granule, 2 * granule, ..., capped at num_rows."""
    sizes, size = [], granule
    while size < num_rows:
        sizes.append(size)
        size *= 2
    return tuple(sizes) + (num_rows,)


def ladder_granule(num_rows: int, multiple: int, max_rungs: int) -> int:
    """The smallest granule = multiple * 2^k whose ladder for num_rows has at most max_rungs sizes.

    Each rung costs one compile of the update (tens of seconds on 2 loaded cores), so a few
    coarse rungs beat many fine ones: with 192 rows, multiple 4 and 3 rungs, (64, 128, 192)."""
    if max_rungs < 1:
        raise ValueError(f"max_rungs must be positive, got {max_rungs}")
    granule = multiple
    while len(ladder(num_rows, granule)) > max_rungs:
        granule *= 2
    return granule


def active_first_order(weight: jax.Array, key_permute: jax.Array | None = None) -> jax.Array:
    """[N] row indices with every active row (weight > 0) before every padding row.

    With key_permute, the order within the active rows and within the padding rows is a
    uniform random permutation (the one `jax.random.permutation(key_permute, N)` gives);
    without, each part keeps its original order."""
    num_rows = weight.shape[0]
    base = jnp.arange(num_rows) if key_permute is None else jax.random.permutation(key_permute, num_rows)
    return base[jnp.argsort(weight[base] <= 0, stable=True)]


def gather_rows(batch: Batch, rows: jax.Array) -> Batch:
    """The batch's rows `rows` [S] (every leaf has leading dimension N) -> leaves with leading dimension S."""
    return jax.tree.map(lambda x: x[rows], batch)


def compact_batch(batch: Batch, weight: jax.Array, size: int) -> Batch:
    """The first `size` rows of the batch in active-first order: all active rows when size >= their count."""
    return gather_rows(batch, active_first_order(weight)[:size])


def compact_minibatches(batch: Batch, weight: jax.Array, key_permute: jax.Array, num_minibatches: int,
                        size: int) -> Batch:
    """[num_minibatches, size / num_minibatches] minibatches of `size` rows, active ones dealt round-robin.

    The rows are shuffled (key_permute) active-first and cut to `size`; position i goes to
    minibatch i % num_minibatches. With size >= the active count every minibatch holds
    exactly the active rows it would hold with size = N (the same key), in the same order:
    only the padding rows differ."""
    if size % num_minibatches:
        raise ValueError(f"{size} rows do not split into {num_minibatches} equal minibatches")
    order = active_first_order(weight, key_permute)[:size]
    order = order.reshape(-1, num_minibatches).T.reshape(-1)
    minibatch_size = size // num_minibatches
    return jax.tree.map(lambda x: x[order].reshape((num_minibatches, minibatch_size) + x.shape[1:]), batch)


@dataclasses.dataclass(frozen=True)
class CompactUpdate:
    """`update(state, rollout, *args)` that calls `jitted(state, rollout, *args, size=S)` with S from the ladder.

    jitted: a jax.jit function with static argument `size` (the compact batch's rows).
    multiple: every size is a multiple of this (the number of minibatches).
    max_rungs: the most sizes per rollout shape: S = compact_size(active count, T * B,
    ladder_granule(T * B, multiple, max_rungs)). The host reads the rollout's active mask
    [T, B] to pick S, so the update compiles at most max_rungs times per rollout shape."""

    jitted: Callable[..., Any]
    multiple: int
    max_rungs: int = 3

    def size_for(self, rollout: Rollout) -> int:
        """The compact batch size for this rollout."""
        active = np.asarray(rollout.transitions.active)
        granule = ladder_granule(active.size, self.multiple, self.max_rungs)
        return compact_size(int(active.sum()), active.size, granule)

    def __call__(self, state, rollout: Rollout, *args):
        return self.jitted(state, rollout, *args, size=self.size_for(rollout))

    def compile_count(self) -> int:
        """How many variants of the jitted update are compiled (one per size and input shape seen)."""
        return self.jitted._cache_size()
