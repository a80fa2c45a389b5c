"""Tests for return estimators, losses, the PPO/REINFORCE updates and action sampling."""

from __future__ import annotations

import dataclasses

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from codeopt_jax.models import ModelConfig, PolicyOutput, PolicyValueNet, init_policy
from codeopt_jax.models import distributions
from codeopt_jax.models.synthetic import random_observation
from codeopt_jax.rl import gae
from codeopt_jax.rl.losses import ppo_loss, reinforce_loss
from codeopt_jax.rl.ppo import PPOConfig, make_ppo_update
from codeopt_jax.rl.reinforce import ReinforceConfig, make_reinforce_update
from codeopt_jax.rl.sampling import act, act_greedy
from codeopt_jax.rl.train_state import create_train_state, make_optimizer
from codeopt_jax.rl.types import PPOBatch, ReinforceBatch, Rollout, Transition

# ---------------------------------------------------------------------------
# Return estimators.


def gae_reference(r_t, discount_t, lambda_, values):
    """A_t as the explicit sum of TD errors: sum_k (prod_{j<k} discount_{t+j} lambda) delta_{t+k}."""
    steps = len(r_t)
    deltas = [r_t[t] + discount_t[t] * values[t + 1] - values[t] for t in range(steps)]
    advantages = []
    for t in range(steps):
        total, weight = 0.0, 1.0
        for k in range(t, steps):
            total += weight * deltas[k]
            weight *= discount_t[k] * lambda_
        advantages.append(total)
    return np.array(advantages)


def returns_reference(r_t, discount_t):
    """G_t as the explicit sum: sum_k (prod_{j<k} discount_{t+j}) r_{t+k}."""
    returns = []
    for t in range(len(r_t)):
        total, weight = 0.0, 1.0
        for k in range(t, len(r_t)):
            total += weight * r_t[k]
            weight *= discount_t[k]
        returns.append(total)
    return np.array(returns)


def test_gae_hand_worked_example():
    # T = 3, lambda = 0.5, the episode ends after the last step (discount 0 there).
    # delta_0 = 1 + 0.9 * 1.0 - 0.5 = 1.4
    # delta_1 = 2 + 0.9 * 1.5 - 1.0 = 2.35
    # delta_2 = 3 + 0.0 * 2.0 - 1.5 = 1.5
    # A_2 = 1.5
    # A_1 = 2.35 + 0.9 * 0.5 * 1.5   = 3.025
    # A_0 = 1.4  + 0.9 * 0.5 * 3.025 = 2.76125
    advantages = gae.generalized_advantage_estimation(
        jnp.array([1.0, 2.0, 3.0]), jnp.array([0.9, 0.9, 0.0]), 0.5, jnp.array([0.5, 1.0, 1.5, 2.0])
    )
    np.testing.assert_allclose(advantages, [2.76125, 3.025, 1.5], rtol=1e-6)


def test_discounted_returns_hand_worked_example():
    # Continuing: G_2 = 3, G_1 = 2 + 0.9 * 3 = 4.7, G_0 = 1 + 0.9 * 4.7 = 5.23.
    np.testing.assert_allclose(
        gae.discounted_returns(jnp.array([1.0, 2.0, 3.0]), jnp.array([0.9, 0.9, 0.9])), [5.23, 4.7, 3.0], rtol=1e-6
    )
    # Episode ends after step 1: G_2 = 3, G_1 = 2, G_0 = 1 + 0.9 * 2 = 2.8.
    np.testing.assert_allclose(
        gae.discounted_returns(jnp.array([1.0, 2.0, 3.0]), jnp.array([0.9, 0.0, 0.9])), [2.8, 2.0, 3.0], rtol=1e-6
    )


@pytest.mark.slow
@pytest.mark.parametrize("steps,batch", [(1, 1), (5, 3), (17, 4)])
def test_batched_estimators_match_python_loops(steps, batch):
    rng = np.random.default_rng(steps * 10 + batch)
    rewards = rng.normal(size=(steps, batch)).astype(np.float32)
    values = rng.normal(size=(steps + 1, batch)).astype(np.float32)
    done = rng.random((steps, batch)) < 0.3
    discount = np.asarray(gae.episode_discounts(jnp.asarray(done), 0.97))
    np.testing.assert_array_equal(discount, np.where(done, 0.0, 0.97).astype(np.float32))

    advantages = np.asarray(gae.batched_generalized_advantage_estimation(rewards, discount, 0.8, values))
    returns = np.asarray(gae.batched_discounted_returns(rewards, discount))
    assert advantages.shape == returns.shape == (steps, batch)
    for column in range(batch):
        expected = gae_reference(rewards[:, column], discount[:, column], 0.8, values[:, column])
        np.testing.assert_allclose(advantages[:, column], expected, rtol=1e-5, atol=1e-5)
        expected = returns_reference(rewards[:, column], discount[:, column])
        np.testing.assert_allclose(returns[:, column], expected, rtol=1e-5, atol=1e-5)


def test_lambda_one_and_zero_values_gives_discounted_returns():
    rng = np.random.default_rng(0)
    rewards = jnp.asarray(rng.normal(size=9), jnp.float32)
    discount = jnp.asarray(np.where(rng.random(9) < 0.3, 0.0, 0.9), jnp.float32)
    np.testing.assert_allclose(
        gae.generalized_advantage_estimation(rewards, discount, 1.0, jnp.zeros(10)),
        gae.discounted_returns(rewards, discount),
        rtol=1e-6,
    )


def test_estimators_check_shapes_and_dtypes():
    with pytest.raises(AssertionError):  # values must be [T + 1]
        gae.generalized_advantage_estimation(jnp.ones(3), jnp.ones(3), 0.9, jnp.ones(3))
    with pytest.raises(AssertionError):  # integer rewards
        gae.generalized_advantage_estimation(jnp.ones(3, jnp.int32), jnp.ones(3), 0.9, jnp.ones(4))
    with pytest.raises(AssertionError):  # rank 2 is for the batched version
        gae.discounted_returns(jnp.ones((3, 2)), jnp.ones((3, 2)))


# ---------------------------------------------------------------------------
# A tabular toy policy: the same logits and value for every observation.

NUM_ACTIONS = 3


def tabular_apply(variables, obs):
    params = variables["params"]
    rows = obs["action_mask"].shape[0]
    return PolicyOutput(
        logits=jnp.broadcast_to(params["logits"], (rows, NUM_ACTIONS)),
        value=jnp.broadcast_to(params["value"], (rows,)),
    )


def tabular_params(logits=(0.0, 0.0, 0.0), value=0.0):
    return {"logits": jnp.asarray(logits, jnp.float32), "value": jnp.asarray(value, jnp.float32)}


def all_legal(rows):
    return {"action_mask": jnp.ones((rows, NUM_ACTIONS), bool)}


PPO_HPARAMS = dict(clip_eps=0.2, vf_coef=0.5, ent_coef=0.01, clip_value=False, normalize_advantages=False)


@pytest.mark.slow
def test_ppo_loss_at_ratio_one():
    # Uniform logits, behaviour log-prob log(1/3): ratio = 1, nothing clipped.
    # policy_loss = -mean(A) = -(1 + 3) / 2 = -2
    # value_loss  = 0.5 * mean((0.5 - 1)^2, (0.5 - 2)^2) = 0.5 * (0.25 + 2.25) / 2 = 0.625
    # entropy     = log 3;  loss = -2 + 0.5 * 0.625 - 0.01 * log 3
    batch = PPOBatch(
        obs=all_legal(2),
        action=jnp.array([0, 2]),
        log_prob=jnp.full(2, -np.log(3.0), jnp.float32),
        value=jnp.zeros(2),
        advantage=jnp.array([1.0, 3.0]),
        returns=jnp.array([1.0, 2.0]),
        weight=jnp.ones(2),
    )
    loss, metrics = ppo_loss(tabular_params(value=0.5), tabular_apply, batch, **PPO_HPARAMS)
    assert float(metrics["policy_loss"]) == pytest.approx(-2.0, abs=1e-6)
    assert float(metrics["value_loss"]) == pytest.approx(0.625, abs=1e-6)
    assert float(metrics["entropy"]) == pytest.approx(np.log(3.0), abs=1e-6)
    assert float(metrics["approx_kl"]) == pytest.approx(0.0, abs=1e-7)
    assert float(metrics["clip_fraction"]) == 0.0
    assert float(loss) == pytest.approx(-2.0 + 0.5 * 0.625 - 0.01 * np.log(3.0), abs=1e-6)


@pytest.mark.slow
def test_ppo_loss_clips_the_ratio():
    # New log-prob log(1/3) for every action; choose behaviour log-probs so the ratios are 1.5 and 0.5.
    # Sample 0: ratio 1.5, A = +2 -> min(3.0, 1.2 * 2) = 2.4
    # Sample 1: ratio 0.5, A = -1 -> min(-0.5, 0.8 * -1) = -0.8
    # policy_loss = -(2.4 - 0.8) / 2 = -0.8; both ratios are outside [0.8, 1.2].
    new_log_prob = -np.log(3.0)
    batch = PPOBatch(
        obs=all_legal(2),
        action=jnp.array([1, 1]),
        log_prob=jnp.array([new_log_prob - np.log(1.5), new_log_prob - np.log(0.5)], jnp.float32),
        value=jnp.zeros(2),
        advantage=jnp.array([2.0, -1.0]),
        returns=jnp.zeros(2),
        weight=jnp.ones(2),
    )
    _, metrics = ppo_loss(tabular_params(), tabular_apply, batch, **PPO_HPARAMS)
    assert float(metrics["policy_loss"]) == pytest.approx(-0.8, abs=1e-5)
    assert float(metrics["clip_fraction"]) == 1.0
    # k3 estimator: mean(r - 1 - log r) over r = 1.5, 0.5.
    expected_kl = np.mean([0.5 - np.log(1.5), -0.5 - np.log(0.5)])
    assert float(metrics["approx_kl"]) == pytest.approx(expected_kl, abs=1e-5)


@pytest.mark.slow
def test_ppo_value_clipping():
    # Old value 0, new value 0.5, clip 0.2 -> clipped prediction 0.2.
    # Target 1:   unclipped (0.5 - 1)^2 = 0.25, clipped (0.2 - 1)^2 = 0.64 -> max 0.64
    # Target 0.5: unclipped 0,               clipped (0.2 - 0.5)^2 = 0.09 -> max 0.09
    # value_loss = 0.5 * mean(0.64, 0.09) = 0.1825 with clipping, 0.5 * mean(0.25, 0) = 0.0625 without.
    batch = PPOBatch(
        obs=all_legal(2),
        action=jnp.array([0, 0]),
        log_prob=jnp.full(2, -np.log(3.0), jnp.float32),
        value=jnp.zeros(2),
        advantage=jnp.zeros(2),
        returns=jnp.array([1.0, 0.5]),
        weight=jnp.ones(2),
    )
    params = tabular_params(value=0.5)
    _, clipped = ppo_loss(params, tabular_apply, batch, **{**PPO_HPARAMS, "clip_value": True})
    _, unclipped = ppo_loss(params, tabular_apply, batch, **PPO_HPARAMS)
    assert float(clipped["value_loss"]) == pytest.approx(0.1825, abs=1e-6)
    assert float(unclipped["value_loss"]) == pytest.approx(0.0625, abs=1e-6)
    # Within the clip range the two agree.
    near = batch.replace(value=jnp.full(2, 0.45))
    _, a = ppo_loss(params, tabular_apply, near, **{**PPO_HPARAMS, "clip_value": True})
    _, b = ppo_loss(params, tabular_apply, near, **PPO_HPARAMS)
    assert float(a["value_loss"]) == pytest.approx(float(b["value_loss"]), abs=1e-7)


def test_ppo_advantage_normalization():
    # Advantages [1, 3] normalize to [-1, 1]: at ratio 1 the policy loss is -mean = 0.
    batch = PPOBatch(
        obs=all_legal(2),
        action=jnp.array([0, 2]),
        log_prob=jnp.full(2, -np.log(3.0), jnp.float32),
        value=jnp.zeros(2),
        advantage=jnp.array([1.0, 3.0]),
        returns=jnp.zeros(2),
        weight=jnp.ones(2),
    )
    _, metrics = ppo_loss(tabular_params(), tabular_apply, batch, **{**PPO_HPARAMS, "normalize_advantages": True})
    assert float(metrics["policy_loss"]) == pytest.approx(0.0, abs=1e-6)


REINFORCE_LOGITS = (0.0, 1.0, 2.0)
REINFORCE_BATCH = ReinforceBatch(obs=all_legal(3), action=jnp.array([0, 2, 1]), returns=jnp.array([1.0, 2.0, 6.0]),
                                 weight=jnp.ones(3))


def expected_reinforce_policy_loss(advantage):
    log_softmax = np.array(REINFORCE_LOGITS) - np.log(np.exp(REINFORCE_LOGITS).sum())
    return -np.mean(log_softmax[[0, 2, 1]] * np.asarray(advantage))


@pytest.mark.slow
@pytest.mark.parametrize(
    "baseline,advantage",
    [("none", [1.0, 2.0, 6.0]), ("mean", [-2.0, -1.0, 3.0]), ("value", [0.5, 1.5, 5.5])],
)
def test_reinforce_baselines(baseline, advantage):
    params = tabular_params(REINFORCE_LOGITS, value=0.5)
    _, metrics = reinforce_loss(
        params, tabular_apply, REINFORCE_BATCH, baseline=baseline, vf_coef=0.5, ent_coef=0.0, normalize_advantages=False
    )
    assert float(metrics["policy_loss"]) == pytest.approx(expected_reinforce_policy_loss(advantage), abs=1e-5)
    assert float(metrics["advantage_mean"]) == pytest.approx(np.mean(advantage), abs=1e-5)
    # Value loss only with the learned baseline: 0.5 * mean((0.5 - G)^2).
    expected_value_loss = 0.5 * np.mean((0.5 - np.array([1.0, 2.0, 6.0])) ** 2) if baseline == "value" else 0.0
    assert float(metrics["value_loss"]) == pytest.approx(expected_value_loss, abs=1e-5)


@pytest.mark.slow
def test_value_baseline_gradient_stays_out_of_the_policy_term():
    params = tabular_params(REINFORCE_LOGITS, value=0.5)

    @jax.jit
    def grads(vf_coef):
        def loss(p):
            hparams = dict(baseline="value", vf_coef=vf_coef, ent_coef=0.0, normalize_advantages=False)
            return reinforce_loss(p, tabular_apply, REINFORCE_BATCH, **hparams)[0]

        return jax.grad(loss)(params)

    # With vf_coef = 0 only the policy term is left: no gradient reaches the value.
    assert float(grads(0.0)["value"]) == 0.0
    # With vf_coef = 1 the value gradient is exactly that of the MSE: mean(v - G) = 0.5 - 3 = -2.5.
    assert float(grads(1.0)["value"]) == pytest.approx(-2.5, abs=1e-5)
    # The policy gradient equals that of -mean(log_prob * (G - 0.5)) with a constant baseline.
    def constant_baseline_loss(logits):
        mask, action = REINFORCE_BATCH.obs["action_mask"], REINFORCE_BATCH.action
        log_prob = distributions.log_prob(jnp.broadcast_to(logits, (3, 3)), mask, action)
        return -jnp.mean(log_prob * (REINFORCE_BATCH.returns - 0.5))

    constant_baseline = jax.grad(constant_baseline_loss)(params["logits"])
    np.testing.assert_allclose(grads(1.0)["logits"], constant_baseline, rtol=1e-6)


def test_reinforce_rejects_unknown_baseline():
    with pytest.raises(ValueError, match="baseline"):
        ReinforceConfig(baseline="median")


# ---------------------------------------------------------------------------
# The jitted updates (tabular policy: cheap to compile).


def tabular_rollout(seed, steps, batch, reward_scale=1.0):
    rng = np.random.default_rng(seed)
    return Rollout(
        transitions=Transition(
            obs={"action_mask": jnp.ones((steps, batch, NUM_ACTIONS), bool)},
            action=jnp.asarray(rng.integers(0, NUM_ACTIONS, (steps, batch)), jnp.int32),
            log_prob=jnp.full((steps, batch), -np.log(3.0), jnp.float32),
            value=jnp.asarray(rng.normal(size=(steps, batch)), jnp.float32),
            reward=jnp.asarray(rng.normal(size=(steps, batch)) * reward_scale, jnp.float32),
            done=jnp.asarray(rng.random((steps, batch)) < 0.3),
            active=jnp.ones((steps, batch), bool),
        ),
        last_value=jnp.asarray(rng.normal(size=batch), jnp.float32),
    )


class TraceCounter:
    """Wraps an apply_fn and counts how often it is traced (it only runs while jit traces)."""

    def __init__(self, apply_fn):
        self.apply_fn, self.count = apply_fn, 0

    def __call__(self, variables, obs):
        self.count += 1
        return self.apply_fn(variables, obs)


# One compiled tabular PPO update shared by the tests below (compiling dominates their cost).
TABULAR_PPO = PPOConfig(
    epochs=3, num_minibatches=2, target_kl=None, learning_rate=0.5, max_grad_norm=100.0, ent_coef=0.0
)


@pytest.fixture(scope="module")
def tabular_ppo():
    """(trace counter, update, optimizer) for TABULAR_PPO."""
    optimizer = make_optimizer(TABULAR_PPO)
    counter = TraceCounter(tabular_apply)
    return counter, make_ppo_update(counter, optimizer, TABULAR_PPO), optimizer


@pytest.mark.slow
def test_ppo_update_compiles_once(tabular_ppo):
    counter, update, optimizer = tabular_ppo
    state = create_train_state(tabular_params(), optimizer)
    key = jax.random.key(0)
    state, _ = update(state, tabular_rollout(0, 4, 2), key)
    traces = counter.count
    assert traces > 0
    for seed in range(1, 4):
        key_minibatch, key = jax.random.split(key)
        state, metrics = update(state, tabular_rollout(seed, 4, 2), key_minibatch)
    assert counter.count == traces
    assert int(metrics["num_updates"]) == 6 and int(state.step) == 4 * 6
    # A new rollout shape does retrace, so the counter would notice recompilation.
    update(state, tabular_rollout(9, 6, 2), key)
    assert counter.count > traces


@pytest.mark.slow
def test_reinforce_update_compiles_once():
    config = ReinforceConfig()
    optimizer = make_optimizer(config)
    update = make_reinforce_update(chex.assert_max_traces(tabular_apply, n=1), optimizer, config)
    state = create_train_state(tabular_params(), optimizer)
    for seed in range(4):
        state, metrics = update(state, tabular_rollout(seed, 4, 2))
    assert int(state.step) == 4 and int(metrics["num_updates"]) == 1


@pytest.mark.slow
def test_ppo_early_stops_on_kl(tabular_ppo):
    _, update, optimizer = tabular_ppo
    rollout = tabular_rollout(0, 4, 2, reward_scale=10.0)
    state, metrics = update(create_train_state(tabular_params(), optimizer), rollout, jax.random.key(1))
    assert int(metrics["num_updates"]) == 6 and int(metrics["epochs_run"]) == 3
    assert float(metrics["early_stopped"]) == 0.0 and int(state.step) == 6

    stopping = dataclasses.replace(TABULAR_PPO, target_kl=1e-6)
    update = make_ppo_update(tabular_apply, optimizer, stopping)
    state, metrics = update(create_train_state(tabular_params(), optimizer), rollout, jax.random.key(1))
    assert int(metrics["num_updates"]) == 2 and int(metrics["epochs_run"]) == 1
    assert float(metrics["early_stopped"]) == 1.0 and int(state.step) == 2
    assert float(metrics["approx_kl"]) > 1e-6


def poison_rewards(rollout, where):
    transitions = rollout.transitions
    return rollout.replace(transitions=transitions.replace(reward=jnp.where(where, jnp.nan, transitions.reward)))


@pytest.mark.slow
def test_nonfinite_updates_are_skipped_and_counted(tabular_ppo):
    _, update, optimizer = tabular_ppo
    params = tabular_params()
    state = create_train_state(params, optimizer)
    # Every reward NaN: every minibatch's gradient is NaN, nothing is applied.
    state, metrics = update(state, poison_rewards(tabular_rollout(0, 4, 2), True), jax.random.key(0))
    assert int(metrics["nonfinite_updates"]) == int(metrics["num_updates"]) == 6
    chex.assert_trees_all_equal(state.params, params)
    # One NaN reward at t = 0 reaches one transition only: exactly one minibatch per epoch is skipped.
    first_step = jnp.zeros((4, 2), bool).at[0, 0].set(True)
    state, metrics = update(state, poison_rewards(tabular_rollout(1, 4, 2), first_step), jax.random.key(1))
    assert int(metrics["nonfinite_updates"]) == TABULAR_PPO.epochs
    assert np.all(np.isfinite(state.params["logits"])) and not np.allclose(state.params["logits"], params["logits"])
    # A clean rollout afterwards trains normally.
    state, metrics = update(state, tabular_rollout(2, 4, 2), jax.random.key(2))
    assert int(metrics["nonfinite_updates"]) == 0
    assert np.all(np.isfinite(state.params["logits"])) and np.isfinite(float(state.params["value"]))


def test_ppo_rejects_uneven_minibatches():
    config = PPOConfig(num_minibatches=3)
    optimizer = make_optimizer(config)
    update = make_ppo_update(tabular_apply, optimizer, config)
    with pytest.raises(ValueError, match="equal minibatches"):
        update(create_train_state(tabular_params(), optimizer), tabular_rollout(0, 4, 2), jax.random.key(0))


# ---------------------------------------------------------------------------
# The real network: sampling and a bandit-like learning check.

TINY = ModelConfig(num_rules=3, max_len=8, d_model=16, num_heads=2, num_layers=1, mlp_dim=32)
TARGET_ACTION = 1 * TINY.num_rules + 0  # rule 0 at position 1


@pytest.fixture(scope="module")
def bandit():
    """Fixed random observations; the target action is legal everywhere, among a few others."""
    obs = random_observation(np.random.default_rng(0), TINY, batch_size=16, min_len=2, legal_prob=0.3)
    obs["action_mask"][:, TARGET_ACTION] = True
    model, params = init_policy(TINY, jax.random.key(0))
    return model, params, {key: jnp.asarray(value) for key, value in obs.items()}


@jax.jit
def _network_output(params, obs):
    return PolicyValueNet(TINY).apply({"params": params}, obs)


def target_probability(model, params, obs):
    output = _network_output(params, obs)
    return float(jnp.exp(distributions.log_prob(output.logits, obs["action_mask"], jnp.full(16, TARGET_ACTION))).mean())


def bandit_rollout(model, params, obs, key_sample):
    """T = 2 one-step episodes per environment: reward 1 for the target action, else 0."""
    keys = jax.random.split(key_sample, 2)
    steps = [act(params, model.apply, obs, key) for key in keys]
    action = jnp.stack([step[0] for step in steps])
    return Rollout(
        transitions=Transition(
            obs=jax.tree.map(lambda x: jnp.stack([x, x]), obs),
            action=action,
            log_prob=jnp.stack([step[1] for step in steps]),
            value=jnp.stack([step[2] for step in steps]),
            reward=(action == TARGET_ACTION).astype(jnp.float32),
            done=jnp.ones(action.shape, bool),
            active=jnp.ones(action.shape, bool),
        ),
        last_value=jnp.zeros(16),
    )


@pytest.mark.slow
def test_act_samples_legal_actions_with_consistent_log_probs(bandit):
    model, params, obs = bandit
    action, log_prob, value = act(params, model.apply, obs, jax.random.key(3))
    assert action.shape == log_prob.shape == value.shape == (16,)
    assert np.all(np.asarray(obs["action_mask"])[np.arange(16), np.asarray(action)])
    output = _network_output(params, obs)
    expected_log_prob = distributions.log_prob(output.logits, obs["action_mask"], action)
    np.testing.assert_allclose(log_prob, expected_log_prob, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(value, output.value, rtol=1e-5, atol=1e-6)
    greedy_action, _, _ = act_greedy(params, model.apply, obs)
    np.testing.assert_array_equal(greedy_action, distributions.greedy(output.logits, obs["action_mask"]))


@pytest.mark.slow
def test_ppo_learns_a_bandit(bandit):
    model, params, obs = bandit
    config = PPOConfig(epochs=4, num_minibatches=2, learning_rate=3e-3, ent_coef=0.0)
    optimizer = make_optimizer(config)
    update = make_ppo_update(model.apply, optimizer, config)
    state = create_train_state(params, optimizer)
    before = target_probability(model, params, obs)
    key = jax.random.key(42)
    for _ in range(30):
        key, key_sample, key_minibatch = jax.random.split(key, 3)
        state, metrics = update(state, bandit_rollout(model, state.params, obs, key_sample), key_minibatch)
    after = target_probability(model, state.params, obs)
    assert before < 0.25, before
    assert after > 0.9, (before, after)
    assert int(metrics["nonfinite_updates"]) == 0


@pytest.mark.slow
def test_reinforce_learns_a_bandit(bandit):
    model, params, obs = bandit
    config = ReinforceConfig(baseline="mean", learning_rate=1e-2, ent_coef=0.0)
    optimizer = make_optimizer(config)
    update = make_reinforce_update(model.apply, optimizer, config)
    state = create_train_state(params, optimizer)
    before = target_probability(model, params, obs)
    key = jax.random.key(7)
    for _ in range(40):
        key, key_sample = jax.random.split(key)
        state, _ = update(state, bandit_rollout(model, state.params, obs, key_sample))
    after = target_probability(model, state.params, obs)
    assert after > 0.9, (before, after)
