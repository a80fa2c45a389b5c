"""Synthetic rollouts with a training run's shapes, for learner benchmarks and placement tests.

The observations are random but well formed (a valid prefix of tokens with parents
before them, a few legal (position, rule) actions at valid positions, STOP always
legal); actions, log-probabilities and values come from the given policy, so an update
starts on-policy as in training. Episode lengths are drawn so that about
`active_share` of the T * B steps are active; the steps after an episode ends are
padding (STOP only, reward 0), as `collect_rollout` makes them.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from codeopt_jax.models.config import ModelConfig
from codeopt_jax.rl.sampling import act
from codeopt_jax.rl.types import ApplyFn, Rollout, Transition

POLICY_CHUNK = 256  # rows per policy call while filling in actions (bounds the attention memory)


@dataclasses.dataclass(frozen=True)
class RolloutShape:
    """The sizes of a synthetic rollout."""

    steps: int                  # T: steps per episode slot (env.max_steps)
    batch: int                  # B: episodes (problems) per rollout
    active_share: float = 0.2   # expected share of the T * B steps that are active (>= 1 / T)
    legal_share: float = 0.02   # share of the (valid position, rule) pairs that are legal actions

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch < 1:
            raise ValueError(f"steps and batch must be positive, got {self.steps}, {self.batch}")
        if not 1.0 / self.steps <= self.active_share <= 1.0:
            raise ValueError(f"active_share must be in [1 / steps, 1] = [{1.0 / self.steps:.3f}, 1] "
                             f"(every episode takes at least one step), got {self.active_share}")
        if not 0.0 <= self.legal_share <= 1.0:
            raise ValueError(f"legal_share must be in [0, 1], got {self.legal_share}")


def _observations(rng: np.random.Generator, model: ModelConfig, rows: int, legal_share: float) -> dict[str, np.ndarray]:
    """A dict of [rows, ...] observation arrays (tokens, depth, parent, valid [rows, L]; action_mask [rows, A])."""
    length = model.max_len
    positions = np.arange(length)
    num_valid = rng.integers(max(1, length // 4), length + 1, size=rows)
    valid = positions[None, :] < num_valid[:, None]
    tokens = np.where(valid, rng.integers(1, model.vocab_size, size=(rows, length)), 0).astype(np.int32)
    parent = np.floor(rng.random((rows, length)) * positions[None, :]).astype(np.int32)
    parent[:, 0] = -1
    parent = np.where(valid, parent, -1).astype(np.int32)
    depth = np.where(valid, np.minimum(positions[None, :] // 4, model.max_depth), 0).astype(np.int32)
    action_mask = np.zeros((rows, model.num_actions), bool)
    action_mask[:, -1] = True  # STOP
    for row in range(rows):  # row by row: a [rows, L, R] draw would take gigabytes at large batches
        sites = (rng.random((length, model.num_rules), dtype=np.float32) < legal_share) & valid[row, :, None]
        action_mask[row, :-1] = sites.reshape(-1)
    return {"tokens": tokens, "depth": depth, "parent": parent, "valid": valid, "action_mask": action_mask}


def synthetic_rollout(params, apply_fn: ApplyFn, model: ModelConfig, shape: RolloutShape, seed: int = 0) -> Rollout:
    """A time-major Rollout [T, B] of the given shape; see the module docstring."""
    rng = np.random.default_rng(seed)
    steps, batch = shape.steps, shape.batch
    # Episode lengths 1 + Binomial(T - 1, p): mean 1 + (T - 1) p = active_share * T.
    extra = 0.0 if steps == 1 else (shape.active_share * steps - 1.0) / (steps - 1)
    lengths = 1 + rng.binomial(steps - 1, extra, size=batch)
    step_index = np.arange(steps)[:, None]
    active = step_index < lengths[None, :]
    done = step_index >= lengths[None, :] - 1
    obs = _observations(rng, model, steps * batch, shape.legal_share)
    stop_only = np.zeros_like(obs["action_mask"])
    stop_only[:, -1] = True
    obs["action_mask"] = np.where(active.reshape(-1, 1), obs["action_mask"], stop_only)
    chunks = [act(params, apply_fn, {name: x[first:first + POLICY_CHUNK] for name, x in obs.items()},
                  jax.random.fold_in(jax.random.PRNGKey(seed), first))
              for first in range(0, steps * batch, POLICY_CHUNK)]
    action, log_prob, value = (np.concatenate([np.asarray(chunk[i]) for chunk in chunks]) for i in range(3))
    reward = np.where(active, rng.normal(0.0, 0.1, size=(steps, batch)), 0.0).astype(np.float32)

    def time_major(x) -> jax.Array:
        x = np.asarray(x)
        return jnp.asarray(x.reshape((steps, batch) + x.shape[1:]))

    transitions = Transition(obs={name: time_major(x) for name, x in obs.items()}, action=time_major(action),
                             log_prob=time_major(log_prob), value=time_major(value), reward=jnp.asarray(reward),
                             done=jnp.asarray(done), active=jnp.asarray(active))
    return Rollout(transitions=transitions, last_value=jnp.zeros(batch, jnp.float32))
