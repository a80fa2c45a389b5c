"""Standalone policy-gradient losses: `loss(params, apply_fn, batch, **hparams) -> (loss, metrics)`.

`apply_fn({"params": params}, batch.obs)` must return a PolicyOutput with
logits [N, A] and value [N]; `batch.obs["action_mask"]` [N, A] masks the logits.
Every mean over transitions is weighted by `batch.weight` [N] (1 active, 0 padding):
sum(w * x) / max(sum(w), 1), so a batch gives the same loss, gradients and metrics
as the same batch with its padding rows removed.
"""

from __future__ import annotations

from typing import Literal

import jax
import jax.numpy as jnp

from codeopt_jax.models import distributions
from codeopt_jax.rl import masked
from codeopt_jax.rl.types import ApplyFn, PPOBatch, ReinforceBatch

Baseline = Literal["none", "mean", "value"]
BASELINES: tuple[str, ...] = ("none", "mean", "value")


def ppo_loss(
    params,
    apply_fn: ApplyFn,
    batch: PPOBatch,
    *,
    clip_eps: float,
    vf_coef: float,
    ent_coef: float,
    clip_value: bool,
    normalize_advantages: bool,
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """PPO-Clip (Schulman et al. 2017, "Proximal Policy Optimization Algorithms", eq. 7).

    loss = -mean(min(ratio * A, clip(ratio, 1 - eps, 1 + eps) * A))
           + vf_coef * value_loss - ent_coef * mean(entropy)
    with ratio = exp(log_prob_new - batch.log_prob). value_loss is
    0.5 * mean((v - returns)^2), or with clip_value the elementwise maximum of
    that and the error of batch.value + clip(v - batch.value, -eps, eps).
    Metrics: loss, policy_loss, value_loss, entropy, approx_kl (the k3 estimator
    mean(ratio - 1 - log ratio)), clip_fraction (share of |ratio - 1| > eps).
    Every mean is over the active transitions (weighted by batch.weight), advantage
    normalization included.
    """
    weight = batch.weight
    output = apply_fn({"params": params}, batch.obs)
    mask = batch.obs["action_mask"]
    new_log_prob = distributions.log_prob(output.logits, mask, batch.action)
    entropy = masked.mean(distributions.entropy(output.logits, mask), weight)

    advantage = masked.normalize(batch.advantage, weight) if normalize_advantages else batch.advantage
    # Padding rows get ratio 1 (not just weight 0), so an extreme stored log-prob there cannot overflow exp.
    log_ratio = jnp.where(weight > 0, new_log_prob - batch.log_prob, 0.0)
    ratio = jnp.exp(log_ratio)
    clipped_ratio = jnp.clip(ratio, 1.0 - clip_eps, 1.0 + clip_eps)
    policy_loss = -masked.mean(jnp.minimum(ratio * advantage, clipped_ratio * advantage), weight)

    value_error = jnp.square(output.value - batch.returns)
    if clip_value:
        clipped_value = batch.value + jnp.clip(output.value - batch.value, -clip_eps, clip_eps)
        value_error = jnp.maximum(value_error, jnp.square(clipped_value - batch.returns))
    value_loss = 0.5 * masked.mean(value_error, weight)

    loss = policy_loss + vf_coef * value_loss - ent_coef * entropy
    metrics = {
        "loss": loss,
        "policy_loss": policy_loss,
        "value_loss": value_loss,
        "entropy": entropy,
        "approx_kl": jax.lax.stop_gradient(masked.mean((ratio - 1.0) - log_ratio, weight)),
        "clip_fraction": jax.lax.stop_gradient(masked.mean(jnp.abs(ratio - 1.0) > clip_eps, weight)),
    }
    return loss, metrics


def reinforce_loss(
    params,
    apply_fn: ApplyFn,
    batch: ReinforceBatch,
    *,
    baseline: Baseline,
    vf_coef: float,
    ent_coef: float,
    normalize_advantages: bool,
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """REINFORCE (Williams 1992) with a baseline: -mean(log_prob * (G - b)) + ...

    baseline "none": b = 0; "mean": b = mean(G) over the batch; "value": b =
    stop_gradient(v(obs)) and the value head is trained with vf_coef * 0.5 *
    mean((v - G)^2) (the baseline's gradient never reaches the policy term).
    With normalize_advantages, G - b is further divided by its std (after
    centering). Metrics: loss, policy_loss, value_loss (0 unless "value"),
    entropy, advantage_mean, advantage_std. Every mean and std (the "mean"
    baseline's included) is over the active transitions, weighted by batch.weight.
    """
    if baseline not in BASELINES:
        raise ValueError(f"baseline must be one of {BASELINES}, got {baseline!r}")
    weight = batch.weight
    output = apply_fn({"params": params}, batch.obs)
    mask = batch.obs["action_mask"]
    log_prob = distributions.log_prob(output.logits, mask, batch.action)
    entropy = masked.mean(distributions.entropy(output.logits, mask), weight)

    returns = batch.returns
    if baseline == "none":
        advantage = returns
    elif baseline == "mean":
        advantage = returns - masked.mean(returns, weight)
    else:
        advantage = returns - jax.lax.stop_gradient(output.value)
    if normalize_advantages:
        advantage = masked.normalize(advantage, weight)
    advantage = jax.lax.stop_gradient(advantage)

    policy_loss = -masked.mean(log_prob * advantage, weight)
    if baseline == "value":
        value_loss = 0.5 * masked.mean(jnp.square(output.value - returns), weight)
    else:
        value_loss = jnp.zeros((), policy_loss.dtype)
    loss = policy_loss + vf_coef * value_loss - ent_coef * entropy
    metrics = {
        "loss": loss,
        "policy_loss": policy_loss,
        "value_loss": value_loss,
        "entropy": entropy,
        "advantage_mean": masked.mean(advantage, weight),
        "advantage_std": masked.std(advantage, weight),
    }
    return loss, metrics
