"""Categorical distributions over a flat action space with a legality mask.

All functions take logits [..., A] and a bool mask [..., A] (True = legal) and
never produce NaN: illegal logits are replaced by a large negative finite
number instead of -inf. Every row must have at least one legal action (STOP
always is in this project).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

# exp(MASKED_LOGIT - any realistic logit) underflows to exactly 0 in float32.
MASKED_LOGIT = -1e9


def masked_logits(logits: jax.Array, mask: jax.Array) -> jax.Array:
    """logits [..., A] with illegal entries replaced by MASKED_LOGIT."""
    return jnp.where(mask, logits, jnp.asarray(MASKED_LOGIT, logits.dtype))


def log_probs(logits: jax.Array, mask: jax.Array) -> jax.Array:
    """Log-probabilities [..., A] of the masked distribution (about MASKED_LOGIT where illegal)."""
    return jax.nn.log_softmax(masked_logits(logits, mask), axis=-1)


def sample(key_sample: jax.Array, logits: jax.Array, mask: jax.Array) -> jax.Array:
    """One legal action per row: int32 [...]."""
    return jax.random.categorical(key_sample, masked_logits(logits, mask), axis=-1).astype(jnp.int32)


def log_prob(logits: jax.Array, mask: jax.Array, action: jax.Array) -> jax.Array:
    """Log-probability [...] of action [...] (int) under the masked distribution."""
    action = jnp.asarray(action, jnp.int32)
    return jnp.take_along_axis(log_probs(logits, mask), action[..., None], axis=-1)[..., 0]


def entropy(logits: jax.Array, mask: jax.Array) -> jax.Array:
    """Entropy [...] of the masked distribution; illegal actions contribute exactly 0."""
    logp = log_probs(logits, mask)
    return -jnp.sum(jnp.where(mask, jnp.exp(logp) * logp, 0.0), axis=-1)


def greedy(logits: jax.Array, mask: jax.Array) -> jax.Array:
    """The most likely legal action per row: int32 [...]."""
    return jnp.argmax(masked_logits(logits, mask), axis=-1).astype(jnp.int32)
