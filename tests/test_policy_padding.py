"""Policy batches are padded to a ladder of sizes: one compile per size, real rows' greedy choices unchanged."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from codeopt_jax.env import CodeOptEnv, EnvConfig
from codeopt_jax.models import ModelConfig
from codeopt_jax.models.policy import PolicyValueNet, param_shapes
from codeopt_jax.models.synthetic import random_observation
from codeopt_jax.rewards import reward_preset
from codeopt_jax.rl.padding import pad_observation, padded_batch_size
from codeopt_jax.rl.sampling import act, act_greedy, greedy_actions, sample_actions
from codeopt_jax.rollouts import collect_rollout, run_greedy
from tests.test_active_mask import (FEATURES, NUM_ACTIONS, StopBiasedPolicy, linear_apply, linear_params,
                                    numpy_log_prob)


def test_batch_sizes_round_up_to_powers_of_two():
    assert [padded_batch_size(rows) for rows in (1, 2, 3, 4, 5, 8, 9, 19, 33)] == [1, 2, 4, 4, 8, 8, 16, 32, 64]
    with pytest.raises(ValueError, match="at least one row"):
        padded_batch_size(0)


def test_padded_rows_copy_a_real_program_and_allow_only_stop():
    rng = np.random.default_rng(0)
    obs = {"tokens": rng.integers(0, 50, (3, 6)).astype(np.int32), "action_mask": rng.random((3, 7)) < 0.5}
    before = {key: value.copy() for key, value in obs.items()}
    padded = pad_observation(obs, 4)
    assert padded["tokens"].shape == (4, 6) and padded["action_mask"].shape == (4, 7)
    np.testing.assert_array_equal(padded["tokens"][:3], obs["tokens"])
    np.testing.assert_array_equal(padded["action_mask"][:3], obs["action_mask"])
    np.testing.assert_array_equal(padded["tokens"][3], obs["tokens"][0])
    np.testing.assert_array_equal(padded["action_mask"][3], [False] * 6 + [True])
    for key, value in before.items():  # the caller's arrays are left as they were
        np.testing.assert_array_equal(obs[key], value)
    np.testing.assert_array_equal(pad_observation(obs, 3)["action_mask"], obs["action_mask"])


TINY = ModelConfig(num_rules=3, max_len=8, d_model=16, num_heads=2, num_layers=1, mlp_dim=32)


@pytest.mark.slow
def test_padding_leaves_the_real_rows_greedy_choice_unchanged():
    obs = random_observation(np.random.default_rng(1), TINY, batch_size=3, min_len=2, legal_prob=0.4)
    model = PolicyValueNet(TINY)
    # Random parameters of the right shapes (initialising through the network compiles for seconds).
    rng = np.random.default_rng(0)
    params = jax.tree.map(lambda leaf: (0.3 * rng.normal(size=leaf.shape)).astype(leaf.dtype), param_shapes(TINY))
    greedy = greedy_actions(params, model.apply, obs)  # padded to 4 rows inside
    action, log_prob, value = act_greedy(params, model.apply, obs)  # the jitted function on the 3 rows
    assert greedy.action.shape == (3,)
    np.testing.assert_array_equal(greedy.action, action)
    np.testing.assert_allclose(greedy.log_prob, log_prob, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(greedy.value, value, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_padded_sampling_draws_legal_actions_with_the_real_rows_log_probs():
    rng = np.random.default_rng(2)
    obs = {"features": rng.normal(size=(5, FEATURES)).astype(np.float32),
           "action_mask": rng.random((5, NUM_ACTIONS)) < 0.5}
    obs["action_mask"][:, -1] = True
    obs["action_mask"][0, :-1] = True
    params = linear_params(3)
    logits = obs["features"] @ np.asarray(params["w"])
    drawn = []
    for seed in range(6):
        sampled = sample_actions(params, linear_apply, obs, jax.random.key(seed))  # padded to 8 rows inside
        assert sampled.action.shape == sampled.log_prob.shape == sampled.value.shape == (5,)
        assert obs["action_mask"][np.arange(5), sampled.action].all()
        np.testing.assert_allclose(sampled.log_prob, numpy_log_prob(logits, obs["action_mask"], sampled.action),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(sampled.value, obs["features"] @ np.asarray(params["v"]), rtol=1e-5, atol=1e-6)
        drawn.append(int(sampled.action[0]))
    assert len(set(drawn)) > 1  # it samples (row 0 has every action legal), not the argmax
    # A batch already on the ladder is not padded: exactly the jitted function's draw.
    four = {name: value[:4] for name, value in obs.items()}
    np.testing.assert_array_equal(sample_actions(params, linear_apply, four, jax.random.key(0)).action,
                                  act(params, linear_apply, four, jax.random.key(0))[0])


@pytest.mark.slow
def test_rollouts_compile_the_policy_once_per_padded_size(service, tiny_problem):
    policy = StopBiasedPolicy(name="compile count")  # its own jit cache entries
    params = {"stop": jnp.float32(0.0)}
    key = jax.random.PRNGKey(0)
    with CodeOptEnv(EnvConfig(max_len=64, max_steps=2), reward_preset("opcount"), service) as env:
        sampled, greedy = act._cache_size(), act_greedy._cache_size()
        for batch in (3, 4):  # both pad to 4
            rollout, _, _ = collect_rollout(params, policy, env, [tiny_problem] * batch, key)
            assert rollout.transitions.action.shape == (2, batch)
        assert act._cache_size() == sampled + 1
        collect_rollout(params, policy, env, [tiny_problem] * 5, key)  # pads to 8: one more
        assert act._cache_size() == sampled + 2
        for batch in (3, 4, 3):
            assert len(run_greedy(params, policy, env, [tiny_problem] * batch)) == batch
        assert act_greedy._cache_size() == greedy + 1
