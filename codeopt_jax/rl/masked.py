"""Statistics over the active transitions of a fixed-shape batch (padding has weight 0).

Every function takes values [N] (or any shape) and non-negative weights of the same
shape: 1 for an active transition and 0 for padding (or, for per-minibatch metrics,
each minibatch's count of active transitions). With 0/1 weights each equals the plain
statistic of the active values alone; the denominator is max(sum(weights), 1), so an
all-padding batch gives 0 rather than NaN.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def count(weights: jax.Array) -> jax.Array:
    """max(sum(weights), 1): the denominator of every weighted mean here."""
    return jnp.maximum(weights.sum(), 1.0)


def mean(values: jax.Array, weights: jax.Array) -> jax.Array:
    """sum(weights * values) / max(sum(weights), 1); a non-finite value at weight 0 does not leak in."""
    return jnp.where(weights > 0, weights * values, 0.0).sum() / count(weights)


def var(values: jax.Array, weights: jax.Array) -> jax.Array:
    """Weighted population variance (ddof 0, like jnp.var of the active values)."""
    centered = values - mean(values, weights)
    return mean(jnp.square(centered), weights)


def std(values: jax.Array, weights: jax.Array) -> jax.Array:
    """sqrt(var(values, weights))."""
    return jnp.sqrt(var(values, weights))


def normalize(values: jax.Array, weights: jax.Array, eps: float = 1e-8) -> jax.Array:
    """(values - mean) / (std + eps) with the active mean and std; padding entries become 0."""
    normalized = (values - mean(values, weights)) / (std(values, weights) + eps)
    return jnp.where(weights > 0, normalized, 0.0)


def explained_variance(prediction: jax.Array, target: jax.Array, weights: jax.Array) -> jax.Array:
    """1 - Var(target - prediction) / Var(target) over the active entries; 0 where the target is constant."""
    target_var = var(target, weights)
    safe_var = jnp.where(target_var > 0, target_var, 1.0)
    return jnp.where(target_var > 0, 1.0 - var(target - prediction, weights) / safe_var, 0.0)
