"""Return estimators, the rlax way: unbatched and time-major, batched with vmap.

Notation: `r_t [T]` is the reward after step t, `discount_t [T]` the discount
applied to what follows step t (gamma, or 0 where the episode ended after step
t), `values [T + 1]` the value estimates v(s_0) .. v(s_T) (the last one
bootstraps the segment).
"""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp


def generalized_advantage_estimation(
    r_t: chex.Array, discount_t: chex.Array, lambda_: chex.Numeric, values: chex.Array
) -> chex.Array:
    """GAE(lambda) advantages [T] (Schulman et al. 2016, "High-Dimensional Continuous
    Control Using Generalized Advantage Estimation", eq. 16), computed by a reverse scan:

        delta_t = r_t + discount_t * values[t + 1] - values[t]
        A_t     = delta_t + discount_t * lambda_t * A_{t+1},   A_T = 0

    r_t, discount_t: [T] float; lambda_: scalar or [T]; values: [T + 1] float.
    Returns advantages [T]; value targets are `advantages + values[:-1]`.
    lambda_ = 1 gives discounted returns bootstrapped from values[T], minus values[t].
    """
    chex.assert_rank([r_t, discount_t, values], 1)
    chex.assert_type([r_t, discount_t, values], float)
    chex.assert_equal_shape([r_t, discount_t])
    chex.assert_shape(values, (r_t.shape[0] + 1,))
    lambda_ = jnp.ones_like(discount_t) * lambda_
    chex.assert_equal_shape([lambda_, discount_t])

    deltas = r_t + discount_t * values[1:] - values[:-1]

    def backward(advantage_next, step):
        delta, discount, lam = step
        advantage = delta + discount * lam * advantage_next
        return advantage, advantage

    _, advantages = jax.lax.scan(
        backward, jnp.zeros((), deltas.dtype), (deltas, discount_t, lambda_), reverse=True
    )
    return advantages


def discounted_returns(r_t: chex.Array, discount_t: chex.Array) -> chex.Array:
    """Monte Carlo returns [T] with no bootstrap: G_t = r_t + discount_t * G_{t+1}, G_T = 0.

    The lambda = 1, zero-value special case of GAE, used by REINFORCE; a segment
    whose last step is not terminal is treated as if the episode ended there.
    r_t, discount_t: [T] float.
    """
    chex.assert_rank([r_t, discount_t], 1)
    chex.assert_type([r_t, discount_t], float)
    chex.assert_equal_shape([r_t, discount_t])

    def backward(return_next, step):
        reward, discount = step
        value = reward + discount * return_next
        return value, value

    _, returns = jax.lax.scan(backward, jnp.zeros((), r_t.dtype), (r_t, discount_t), reverse=True)
    return returns


# Time-major batched versions: r_t, discount_t [T, B], values [T + 1, B] -> [T, B].
batched_generalized_advantage_estimation = jax.vmap(
    generalized_advantage_estimation, in_axes=(1, 1, None, 1), out_axes=1
)
batched_discounted_returns = jax.vmap(discounted_returns, in_axes=(1, 1), out_axes=1)


def episode_discounts(done: chex.Array, gamma: float) -> chex.Array:
    """discount_t = gamma where the episode continues after step t, 0 where it ended. done: bool [T, ...]."""
    return jnp.where(done, 0.0, gamma).astype(jnp.float32)


def padded_episode_discounts(done: chex.Array, active: chex.Array, gamma: float) -> chex.Array:
    """discount_t [T, B] for a fixed-horizon rollout whose finished episodes are padded.

    gamma where the episode goes on into step t + 1, 0 where it ended after step t
    (done) or where step t + 1 is padding (not active), so no estimate ever bootstraps
    from a padding step's value. The last step keeps `episode_discounts`' rule (it
    bootstraps from the rollout's last_value unless done). done, active: bool [T, B].
    """
    chex.assert_equal_shape([done, active])
    next_active = jnp.concatenate([active[1:], jnp.ones_like(active[:1])], axis=0)
    return episode_discounts(done | ~next_active, gamma)
