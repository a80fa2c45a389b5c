"""Action selection: jitted `act` (sample) and `act_greedy`, and their padded host-side entry points.

Every rollout calls `sample_actions` / `greedy_actions`, which pad the batch to a fixed
size (rl.padding), so the jitted functions compile once per padded size, whatever the
number of problems. Greedy choices of the real rows are those of an unpadded call; a
sampled row's draw depends on the padded size (one key draws the whole batch), so a
given B and key always give the same actions, and a power-of-two B is not padded at all.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping

import jax
import numpy as np

from codeopt_jax.models import distributions
from codeopt_jax.rl.padding import pad_observation, padded_batch_size
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


@dataclasses.dataclass(frozen=True)
class PolicyStep:
    """The policy's choice for B rows: action [B] int32, log_prob [B] float32, value [B] float32 (numpy)."""

    action: np.ndarray
    log_prob: np.ndarray
    value: np.ndarray


def _unpad(result: tuple[jax.Array, jax.Array, jax.Array], rows: int) -> PolicyStep:
    action, log_prob, value = (np.asarray(x)[:rows] for x in result)
    return PolicyStep(action=action, log_prob=log_prob, value=value)


def sample_actions(params, apply_fn: ApplyFn, obs: Mapping[str, np.ndarray], key_sample: jax.Array) -> PolicyStep:
    """`act` on obs (dict of [B, ...] numpy arrays) padded to padded_batch_size(B); the B real rows back."""
    rows = obs["action_mask"].shape[0]
    padded = pad_observation(obs, padded_batch_size(rows))
    return _unpad(act(params, apply_fn, padded, key_sample), rows)


def greedy_actions(params, apply_fn: ApplyFn, obs: Mapping[str, np.ndarray]) -> PolicyStep:
    """`act_greedy` on obs padded to padded_batch_size(B); the B real rows back."""
    rows = obs["action_mask"].shape[0]
    padded = pad_observation(obs, padded_batch_size(rows))
    return _unpad(act_greedy(params, apply_fn, padded), rows)
