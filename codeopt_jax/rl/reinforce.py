"""A jit-compiled REINFORCE update on whole-episode rollouts."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import optax

from codeopt_jax.rl import compact, gae, masked
from codeopt_jax.rl.losses import BASELINES, reinforce_loss
from codeopt_jax.rl.train_state import TrainState, apply_gradients
from codeopt_jax.rl.types import ApplyFn, ReinforceBatch, Rollout
from codeopt_jax.validation import check_fields


@dataclasses.dataclass(frozen=True)
class ReinforceConfig:
    """Hyperparameters of one REINFORCE update."""

    # "none", "mean" (batch mean return) or "value" (learned value head, trained by MSE).
    baseline: str = "value"
    # Discount for the Monte Carlo returns (no bootstrap at the end of the rollout).
    gamma: float = 1.0
    # Weight of the value loss (only used with baseline "value").
    vf_coef: float = 0.5
    # Weight of the entropy bonus.
    ent_coef: float = 0.01
    # Full-batch gradient steps per rollout; more than 1 reuses slightly off-policy data.
    num_gradient_steps: int = 1
    # Divide the baselined returns by their std before the policy term.
    normalize_advantages: bool = False
    # Global gradient-norm clip.
    max_grad_norm: float = 0.5
    # Adam learning rate.
    learning_rate: float = 3e-4

    def __post_init__(self) -> None:
        check_fields(self, positive=("max_grad_norm", "learning_rate"), non_negative=("vf_coef", "ent_coef"),
                     unit_interval=("gamma",))
        if self.baseline not in BASELINES:
            raise ValueError(f"baseline must be one of {BASELINES}, got {self.baseline!r}")
        if self.num_gradient_steps < 1:
            raise ValueError(f"num_gradient_steps must be positive, got {self.num_gradient_steps}")


def reinforce_batch_from_rollout(rollout: Rollout, gamma: float) -> ReinforceBatch:
    """Discounted returns for a [T, B] rollout, flattened to a ReinforceBatch of N = T * B.

    rollout.last_value is ignored: REINFORCE expects each environment's last step
    to end an episode; an unfinished episode's returns are cut at step T - 1.
    Padding steps (not active) get weight 0 and returns exactly 0.
    """
    transitions = rollout.transitions
    active = jnp.asarray(transitions.active, bool)
    discount = gae.padded_episode_discounts(jnp.asarray(transitions.done, bool), active, gamma)
    reward = jnp.where(active, transitions.reward, 0.0).astype(jnp.float32)
    returns = jnp.where(active, gae.batched_discounted_returns(reward, discount), 0.0)
    return ReinforceBatch(
        obs=jax.tree.map(lambda x: x.reshape((-1,) + x.shape[2:]), transitions.obs),
        action=transitions.action.reshape(-1),
        returns=returns.reshape(-1),
        weight=active.reshape(-1).astype(jnp.float32),
    )


def make_reinforce_update(
    apply_fn: ApplyFn, optimizer: optax.GradientTransformation, config: ReinforceConfig,
    constrain_batch: Callable[[ReinforceBatch], ReinforceBatch] | None = None, num_devices: int = 1,
) -> compact.CompactUpdate:
    """Returns `update(train_state, rollout) -> (train_state, metrics)`, jitted per compact size.

    Takes config.num_gradient_steps full-batch steps (lax.scan) on the rollout's
    Monte Carlo returns, every mean over the active transitions (a rollout with
    none takes no step). The returns are computed on the [T, B] layout; the steps
    run on the active transitions only, padded with weight-0 ones to a size from a
    ladder (compact.CompactUpdate: at most 3 sizes, one compile each). metrics (scalars):
    loss, policy_loss, value_loss, entropy, advantage_mean, advantage_std,
    grad_norm (means over the steps); num_updates, nonfinite_updates (counts);
    return_mean (over the active transitions); active_fraction (active / N).

    num_devices: every compact size is a multiple of it (rl.parallel splits the batch over the
    devices). constrain_batch, if given, is applied inside jit to the flat [N, ...] batch
    (rl.parallel splits it over the devices); it must not change values.
    """
    loss_hparams = dict(
        baseline=config.baseline,
        vf_coef=config.vf_coef,
        ent_coef=config.ent_coef,
        normalize_advantages=config.normalize_advantages,
    )
    grad_fn = jax.value_and_grad(reinforce_loss, has_aux=True)

    def update(state: TrainState, rollout: Rollout, size: int):
        full_batch = reinforce_batch_from_rollout(rollout, config.gamma)
        batch = compact.compact_batch(full_batch, full_batch.weight, size)
        if constrain_batch is not None:
            batch = constrain_batch(batch)
        has_data = batch.weight.sum() > 0  # an all-padding rollout takes no step (Adam would still move)

        def gradient_step(state: TrainState, _):
            (_, metrics), grads = grad_fn(state.params, apply_fn, batch, **loss_hparams)
            stepped, step_metrics = apply_gradients(state, grads, optimizer)
            state = jax.tree.map(lambda new, old: jnp.where(has_data, new, old), stepped, state)
            return state, {**metrics, **step_metrics}

        state, metrics = jax.lax.scan(gradient_step, state, None, length=config.num_gradient_steps)
        summary = {name: value.mean() for name, value in metrics.items() if name != "nonfinite"}
        summary.update(
            num_updates=jnp.where(has_data, config.num_gradient_steps, 0).astype(jnp.int32),
            nonfinite_updates=(metrics["nonfinite"].sum() * has_data).astype(jnp.int32),
            return_mean=masked.mean(full_batch.returns, full_batch.weight),
            active_fraction=full_batch.weight.mean(),
        )
        return state, summary

    return compact.CompactUpdate(jax.jit(update, static_argnames="size"), multiple=num_devices)
