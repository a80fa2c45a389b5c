"""Jitted action selection: sample (for rollouts) or greedy (for evaluation)."""

from __future__ import annotations

import functools

import jax

from codeopt_jax.models import distributions
from codeopt_jax.rl.types import ApplyFn, Observation


@functools.partial(jax.jit, static_argnames=("apply_fn",))
def act(params, apply_fn: ApplyFn, obs: Observation, key_sample: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Samples legal actions. obs: dict of [B, ...] with action_mask [B, A].

    Returns (action [B] int32, log_prob [B], value [B]). apply_fn must be hashable
    (a Linen model's bound `apply` is); it is a static argument.
    """
    output = apply_fn({"params": params}, obs)
    mask = obs["action_mask"]
    action = distributions.sample(key_sample, output.logits, mask)
    return action, distributions.log_prob(output.logits, mask, action), output.value


@functools.partial(jax.jit, static_argnames=("apply_fn",))
def act_greedy(params, apply_fn: ApplyFn, obs: Observation) -> tuple[jax.Array, jax.Array, jax.Array]:
    """The most likely legal actions: (action [B] int32, log_prob [B], value [B])."""
    output = apply_fn({"params": params}, obs)
    mask = obs["action_mask"]
    action = distributions.greedy(output.logits, mask)
    return action, distributions.log_prob(output.logits, mask, action), output.value
