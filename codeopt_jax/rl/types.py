"""Named containers for rollouts and loss batches (never tuples read by index)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import flax.struct
import jax

from codeopt_jax.models.policy import PolicyOutput

Observation = Mapping[str, jax.Array]
# apply_fn({"params": params}, obs) -> PolicyOutput; a Linen model.apply fits.
ApplyFn = Callable[[Mapping[str, Any], Observation], PolicyOutput]


@flax.struct.dataclass
class Transition:
    """One step of a batch of environments; in a rollout every field is time-major [T, B, ...].

    obs: dict of [T, B, ...] arrays (tokens, depth, parent, valid, action_mask) seen before acting.
    action: [T, B] int32 flat action index.
    log_prob: [T, B] float32 log-probability of action under the behaviour policy.
    value: [T, B] float32 value estimate of obs.
    reward: [T, B] float32 reward received after acting.
    done: [T, B] bool, the episode ended after this step (the next obs starts a new episode).
    active: [T, B] bool, the episode was still running when the step was taken, so its action was a
        real choice (the step that chose STOP or made the last rewrite is active). A fixed-horizon
        rollout keeps stepping finished episodes with STOP-only masks; those padding steps are
        inactive and every loss, mean and metric ignores them.
    """

    obs: dict[str, jax.Array]
    action: jax.Array
    log_prob: jax.Array
    value: jax.Array
    reward: jax.Array
    done: jax.Array
    active: jax.Array


@flax.struct.dataclass
class Rollout:
    """A time-major trajectory segment plus the value of the observation that follows it.

    transitions: Transition with [T, B, ...] fields.
    last_value: [B] value estimate of the observation after step T - 1 (ignored where done[T - 1]).
    """

    transitions: Transition
    last_value: jax.Array


@flax.struct.dataclass
class PPOBatch:
    """A flat batch for `ppo_loss`; every field has leading dimension N.

    obs: dict of [N, ...] arrays including action_mask [N, A].
    action: [N] int32. log_prob: [N] behaviour log-probabilities. value: [N] values at collection time.
    advantage: [N] GAE advantages. returns: [N] value targets (advantage + value).
    weight: [N] float32, 1 for an active transition and 0 for padding (advantage and returns are 0 there);
        losses and metrics are weighted means sum(weight * x) / max(sum(weight), 1).
    """

    obs: dict[str, jax.Array]
    action: jax.Array
    log_prob: jax.Array
    value: jax.Array
    advantage: jax.Array
    returns: jax.Array
    weight: jax.Array


@flax.struct.dataclass
class ReinforceBatch:
    """A flat batch for `reinforce_loss`: obs dict of [N, ...], action [N], returns [N] (Monte Carlo),
    weight [N] float32 (1 active, 0 padding, as in PPOBatch)."""

    obs: dict[str, jax.Array]
    action: jax.Array
    returns: jax.Array
    weight: jax.Array
