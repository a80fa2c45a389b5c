"""The Bradley–Terry pairwise loss: P(A better than B) = sigmoid(s_A − s_B)."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def bradley_terry_loss(score_a: jax.Array, score_b: jax.Array, label: jax.Array,
                       weight: jax.Array | None = None) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Weighted mean negative log-likelihood of the labels (1: A is better, 0: B is better).

    nll = label * softplus(−d) + (1 − label) * softplus(d), with d = s_A − s_B.
    Returns (loss, {"loss", "accuracy", "margin"}): accuracy counts d == 0 as half right;
    margin is the mean |d|. Weights default to 1 and are normalized to mean 1.
    """
    diff = score_a - score_b
    label = label.astype(diff.dtype)
    weight = jnp.ones_like(diff) if weight is None else weight.astype(diff.dtype)
    weight = weight / jnp.maximum(weight.sum(), 1e-12)
    nll = label * jax.nn.softplus(-diff) + (1.0 - label) * jax.nn.softplus(diff)
    loss = jnp.sum(weight * nll)
    correct = jnp.where(diff == 0, 0.5, (diff > 0).astype(diff.dtype) == label)
    metrics = {"loss": loss, "accuracy": jnp.sum(weight * correct), "margin": jnp.sum(weight * jnp.abs(diff))}
    return loss, metrics
