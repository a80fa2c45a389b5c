"""A jit-compiled PPO update: GAE, then epochs x minibatches of PPO-Clip under lax.scan."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import optax

from codeopt_jax.rl import compact, gae, masked
from codeopt_jax.rl.losses import ppo_loss
from codeopt_jax.rl.train_state import TrainState, apply_gradients
from codeopt_jax.rl.types import ApplyFn, PPOBatch, Rollout
from codeopt_jax.validation import check_fields


@dataclasses.dataclass(frozen=True)
class PPOConfig:
    """Hyperparameters of one PPO update (defaults sized for small CPU runs)."""

    # Passes over the rollout per update (2: episodes of up to 12 rewrites give 3x the transitions of the
    # 4-rewrite episodes the shipped runs used with 4 passes, and the default run stays about 15 minutes).
    epochs: int = 2
    # Minibatches per epoch; T * B must be divisible by it.
    num_minibatches: int = 4
    # PPO ratio clip epsilon (also the value clip range when clip_value).
    clip_eps: float = 0.2
    # Weight of the value loss.
    vf_coef: float = 0.5
    # Weight of the entropy bonus.
    ent_coef: float = 0.01
    # Clip value predictions to within clip_eps of the collection-time values.
    clip_value: bool = True
    # Skip the remaining epochs once an epoch's mean approx_kl exceeds this; None disables.
    target_kl: float | None = 0.05
    # Discount; episodes are short, so 1.0 keeps the return equal to final minus initial score.
    gamma: float = 1.0
    # GAE lambda.
    gae_lambda: float = 0.95
    # Global gradient-norm clip.
    max_grad_norm: float = 0.5
    # Adam learning rate.
    learning_rate: float = 3e-4
    # Normalize advantages per minibatch to zero mean, unit std.
    normalize_advantages: bool = True

    def __post_init__(self) -> None:
        check_fields(self, positive=("clip_eps", "target_kl", "max_grad_norm", "learning_rate"),
                     non_negative=("vf_coef", "ent_coef"), unit_interval=("gamma", "gae_lambda"))
        if self.epochs < 1 or self.num_minibatches < 1:
            raise ValueError(f"epochs and num_minibatches must be positive, got {self.epochs}, {self.num_minibatches}")
        if self.target_kl is not None and self.target_kl <= 0:
            raise ValueError(f"target_kl must be positive or None, got {self.target_kl}")


def _flatten_time_batch(tree):
    """[T, B, ...] leaves -> [T * B, ...]."""
    return jax.tree.map(lambda x: x.reshape((-1,) + x.shape[2:]), tree)


def ppo_batch_from_rollout(rollout: Rollout, gamma: float, gae_lambda: float) -> PPOBatch:
    """GAE advantages and value targets for a [T, B] rollout, flattened to a PPOBatch of N = T * B.

    Padding steps (not active) get weight 0 and advantage and returns exactly 0; no
    active step's estimate bootstraps from a padding step (see padded_episode_discounts).
    """
    transitions = rollout.transitions
    active = jnp.asarray(transitions.active, bool)
    discount = gae.padded_episode_discounts(jnp.asarray(transitions.done, bool), active, gamma)
    values = jnp.concatenate([transitions.value, rollout.last_value[None, :]], axis=0).astype(jnp.float32)
    reward = jnp.where(active, transitions.reward, 0.0).astype(jnp.float32)
    advantage = gae.batched_generalized_advantage_estimation(reward, discount, gae_lambda, values)
    advantage = jnp.where(active, advantage, 0.0)
    returns = jnp.where(active, advantage + values[:-1], 0.0)
    return PPOBatch(
        obs=_flatten_time_batch(transitions.obs),
        action=transitions.action.reshape(-1),
        log_prob=transitions.log_prob.reshape(-1),
        value=values[:-1].reshape(-1),
        advantage=advantage.reshape(-1),
        returns=returns.reshape(-1),
        weight=active.reshape(-1).astype(jnp.float32),
    )


def balanced_minibatches(batch: PPOBatch, key_permute: jax.Array, num_minibatches: int) -> PPOBatch:
    """Shuffles the N transitions into [num_minibatches, N / num_minibatches] with the active ones dealt
    round-robin, so every minibatch holds an equal share of them (within one) and its padding elsewhere.

    Shapes stay fixed whatever the share of padding; within the active and the padding
    transitions the order is a uniform random permutation. (compact.compact_minibatches
    with size N.)
    """
    return compact.compact_minibatches(batch, batch.weight, key_permute, num_minibatches, batch.action.shape[0])


def make_ppo_update(
    apply_fn: ApplyFn, optimizer: optax.GradientTransformation, config: PPOConfig,
    constrain_minibatches: Callable[[PPOBatch], PPOBatch] | None = None, num_devices: int = 1,
) -> compact.CompactUpdate:
    """Returns `update(train_state, rollout, key_minibatch) -> (train_state, metrics)`, jitted per compact size.

    rollout: time-major [T, B] with an `active` mask. GAE runs on the [T, B] layout; then
    each epoch shuffles the N = T * B transitions (key_minibatch, split per epoch), keeps
    the active ones and as few padding ones as fill a size S from a ladder
    (compact.CompactUpdate: at most 3 sizes num_minibatches * 2^k, the last N; the update
    compiles once per S), and splits them into num_minibatches equal minibatches with the active
    transitions spread evenly (compact.compact_minibatches: the same active transitions
    in each minibatch as balanced_minibatches gives over all N), taking one optimizer
    step per minibatch; a minibatch with no active transition is skipped
    (the state is left as it was). Once an epoch's mean approx_kl exceeds target_kl,
    later epochs are skipped (lax.cond). Non-finite gradients are skipped by the
    optimizer (see make_optimizer) and counted.

    metrics (scalars): loss, policy_loss, value_loss, entropy, approx_kl,
    clip_fraction, grad_norm (means over the active transitions of the updates that
    ran); num_updates, epochs_run, nonfinite_updates (counts); early_stopped (1.0 if
    any epoch was skipped); advantage_mean, advantage_std, return_mean,
    explained_variance (of the collection-time values), all over the active
    transitions; active_fraction (active transitions / N; the rest is padding).

    num_devices: every compact size is a multiple of num_minibatches * num_devices (rl.parallel
    splits each minibatch over the devices). constrain_minibatches, if given, is applied inside jit to each epoch's
    [num_minibatches, N / num_minibatches, ...] stack (rl.parallel splits its
    transitions over the devices); it must not change values.
    """
    loss_hparams = dict(
        clip_eps=config.clip_eps,
        vf_coef=config.vf_coef,
        ent_coef=config.ent_coef,
        clip_value=config.clip_value,
        normalize_advantages=config.normalize_advantages,
    )
    grad_fn = jax.value_and_grad(ppo_loss, has_aux=True)

    def minibatch_step(state: TrainState, minibatch: PPOBatch):
        (_, metrics), grads = grad_fn(state.params, apply_fn, minibatch, **loss_hparams)
        stepped, step_metrics = apply_gradients(state, grads, optimizer)
        transitions = minibatch.weight.sum()
        state = jax.tree.map(lambda new, old: jnp.where(transitions > 0, new, old), stepped, state)
        return state, {**metrics, **step_metrics, "transitions": transitions}

    def run_epoch(state: TrainState, minibatches: PPOBatch):
        return jax.lax.scan(minibatch_step, state, minibatches)

    def update(state: TrainState, rollout: Rollout, key_minibatch: jax.Array, size: int):
        batch = ppo_batch_from_rollout(rollout, config.gamma, config.gae_lambda)
        num_transitions = batch.action.shape[0]
        if num_transitions % config.num_minibatches:
            raise ValueError(
                f"T * B = {num_transitions} transitions do not split into {config.num_minibatches} equal minibatches"
            )

        def skip_epoch(state: TrainState, minibatches: PPOBatch):
            shapes = jax.eval_shape(run_epoch, state, minibatches)[1]
            return state, jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)

        def epoch(carry, key_permute):
            state, stopped = carry
            minibatches = compact.compact_minibatches(batch, batch.weight, key_permute, config.num_minibatches, size)
            if constrain_minibatches is not None:
                minibatches = constrain_minibatches(minibatches)
            state, metrics = jax.lax.cond(stopped, skip_epoch, run_epoch, state, minibatches)
            ran = jnp.logical_not(stopped)
            if config.target_kl is not None:
                epoch_kl = masked.mean(metrics["approx_kl"], metrics["transitions"])
                stopped = stopped | (ran & (epoch_kl > config.target_kl))
            return (state, stopped), (metrics, ran)

        keys_permute = jax.random.split(key_minibatch, config.epochs)
        (state, _), (metrics, ran) = jax.lax.scan(epoch, (state, jnp.asarray(False)), keys_permute)

        # [epochs, num_minibatches]: skipped epochs report zeros, so their transitions count 0.
        transitions = metrics["transitions"]
        took_step = (transitions > 0).astype(jnp.float32)
        summary = {name: masked.mean(value, transitions) for name, value in metrics.items()
                   if name not in ("nonfinite", "transitions")}
        epochs_run = ran.sum()
        summary.update(
            num_updates=took_step.sum().astype(jnp.int32),
            epochs_run=epochs_run,
            early_stopped=(epochs_run < config.epochs).astype(jnp.float32),
            nonfinite_updates=(metrics["nonfinite"] * took_step).sum().astype(jnp.int32),
            advantage_mean=masked.mean(batch.advantage, batch.weight),
            advantage_std=masked.std(batch.advantage, batch.weight),
            return_mean=masked.mean(batch.returns, batch.weight),
            explained_variance=masked.explained_variance(batch.value, batch.returns, batch.weight),
            active_fraction=batch.weight.mean(),
        )
        return state, summary

    return compact.CompactUpdate(jax.jit(update, static_argnames="size"), multiple=config.num_minibatches * num_devices)
