"""Tests for the tree encoder, the policy/value net and the masked distributions."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from codeopt_jax import actions, vocabulary
from codeopt_jax.models import ModelConfig, PolicyValueNet, TreeEncoder, dummy_observation, init_policy, param_count
from codeopt_jax.models import distributions
from codeopt_jax.models.policy import param_shapes
from codeopt_jax.models.synthetic import random_observation

SMALL = ModelConfig(num_rules=3, max_len=12, d_model=16, num_heads=2, num_layers=2, mlp_dim=32)


@pytest.fixture(scope="module")
def small_policy():
    model, params = init_policy(SMALL, jax.random.key(0))
    return model, params, jax.jit(model.apply)


# ---------------------------------------------------------------------------
# Config.


def test_config_rejects_bad_sizes():
    with pytest.raises(ValueError, match="divisible"):
        ModelConfig(num_rules=3, max_len=8, d_model=10, num_heads=4)
    with pytest.raises(ValueError, match="num_rules"):
        ModelConfig(num_rules=0, max_len=8)
    with pytest.raises(ValueError, match="dropout"):
        ModelConfig(num_rules=3, max_len=8, dropout=1.0)


def test_defaults_follow_the_tokenizer():
    config = ModelConfig(num_rules=30, max_len=256)
    assert config.vocab_size == vocabulary.VOCAB_SIZE
    assert config.max_depth == vocabulary.MAX_DEPTH
    assert config.num_actions == 256 * 30 + 1 == actions.stop_index(256, 30) + 1


def test_default_model_is_small():
    config = ModelConfig(num_rules=30, max_len=256)
    count = param_count(param_shapes(config))
    print(f"default PolicyValueNet (L=256, R=30): {count} parameters")
    assert 50_000 < count < 500_000, f"default model has {count} parameters"


# ---------------------------------------------------------------------------
# Shapes and structure.


@pytest.mark.slow
def test_output_shapes_and_dtypes(small_policy):
    model, params, apply = small_policy
    obs = random_observation(np.random.default_rng(1), SMALL, batch_size=5)
    output = apply({"params": params}, obs)
    assert output.logits.shape == (5, SMALL.max_len * SMALL.num_rules + 1)
    assert output.value.shape == (5,)
    assert output.logits.dtype == jnp.float32 and output.value.dtype == jnp.float32
    assert np.all(np.isfinite(output.logits)) and np.all(np.isfinite(output.value))


@pytest.mark.slow
def test_encoder_is_standalone(small_policy):
    """The policy's encoder subtree runs as a TreeEncoder on structure alone (reward model reuse)."""
    model, params, _ = small_policy
    obs = random_observation(np.random.default_rng(2), SMALL, batch_size=4)
    structure_only = {key: obs[key] for key in ("tokens", "depth", "parent", "valid")}
    hidden = np.asarray(jax.jit(TreeEncoder(SMALL).apply)({"params": params["encoder"]}, structure_only))
    assert hidden.shape == (4, SMALL.max_len, SMALL.d_model)
    assert np.all(hidden[~obs["valid"]] == 0.0)
    assert np.all(np.abs(hidden[obs["valid"]]).sum(-1) > 0)

    def policy_hidden(variables, obs):
        _, state = model.apply(variables, obs, capture_intermediates=True, mutable=["intermediates"])
        return state["intermediates"]["encoder"]["__call__"][0]

    np.testing.assert_allclose(hidden, jax.jit(policy_hidden)({"params": params}, obs), rtol=1e-6, atol=1e-6)


@pytest.mark.slow
def test_padding_does_not_leak(small_policy):
    """Changing tokens, depth or parent at padding positions changes no logit at a valid position, STOP or value."""
    _, params, apply = small_policy
    rng = np.random.default_rng(4)
    obs = random_observation(rng, SMALL, batch_size=6)
    obs["valid"][:, SMALL.max_len // 2 :] = False  # guarantee padding in every row
    for key, fill in (("tokens", vocabulary.PAD), ("depth", 0), ("parent", -1)):
        obs[key][~obs["valid"]] = fill
    obs["action_mask"][:, :-1] &= np.repeat(obs["valid"], SMALL.num_rules, axis=1)
    noisy = {key: value.copy() for key, value in obs.items()}
    padding = ~obs["valid"]
    noisy["tokens"][padding] = rng.integers(1, SMALL.vocab_size, padding.sum())
    noisy["depth"][padding] = rng.integers(0, 20, padding.sum())
    noisy["parent"][padding] = rng.integers(0, SMALL.max_len // 2, padding.sum())

    clean_out, noisy_out = apply({"params": params}, obs), apply({"params": params}, noisy)
    valid_logits = np.concatenate([np.repeat(obs["valid"], SMALL.num_rules, axis=1), np.ones((6, 1), bool)], axis=1)
    np.testing.assert_allclose(
        np.asarray(clean_out.logits)[valid_logits], np.asarray(noisy_out.logits)[valid_logits], rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(clean_out.value, noisy_out.value, rtol=1e-5, atol=1e-6)
    # The same noise at positions marked valid does change the output, so the comparison is not vacuous.
    noisy["valid"] = noisy["valid"] | (noisy["tokens"] != vocabulary.PAD)
    assert not np.allclose(apply({"params": params}, noisy).value, clean_out.value)


@pytest.mark.slow
def test_tree_structure_changes_the_output(small_policy):
    """Same tokens, different parent links: the logits differ (the encoder sees the tree)."""
    _, params, apply = small_policy
    obs = random_observation(np.random.default_rng(5), SMALL, batch_size=1, min_len=SMALL.max_len)
    rewired = {key: value.copy() for key, value in obs.items()}
    rewired["parent"][0, 1:] = 0
    rewired["depth"][0, 1:] = 1
    assert not np.allclose(apply({"params": params}, obs).logits, apply({"params": params}, rewired).logits)


@pytest.mark.slow
def test_initial_policy_is_near_uniform_over_legal_actions(small_policy):
    _, params, apply = small_policy
    obs = random_observation(np.random.default_rng(6), SMALL, batch_size=8, legal_prob=0.3)
    output = apply({"params": params}, obs)
    entropy = np.asarray(distributions.entropy(output.logits, obs["action_mask"]))
    np.testing.assert_allclose(entropy, np.log(obs["action_mask"].sum(-1)), atol=0.02)


@pytest.mark.slow
def test_dropout_is_off_by_default_and_active_when_asked(small_policy):
    """Dropout adds no parameters: the SMALL params run a dropout model, identical unless asked for noise."""
    _, params, apply = small_policy
    model = PolicyValueNet(dataclasses.replace(SMALL, dropout=0.5))
    noisy_apply = jax.jit(model.apply, static_argnames="deterministic")
    obs = random_observation(np.random.default_rng(7), SMALL, batch_size=2)
    np.testing.assert_allclose(noisy_apply({"params": params}, obs).value, apply({"params": params}, obs).value, rtol=1e-6)
    dropped = noisy_apply({"params": params}, obs, deterministic=False, rngs={"dropout": jax.random.key(1)})
    assert not np.allclose(dropped.value, apply({"params": params}, obs).value)


def test_wrong_length_is_rejected(small_policy):
    _, params, _ = small_policy
    other = ModelConfig(num_rules=3, max_len=10, d_model=16, num_heads=2, num_layers=2, mlp_dim=32)
    with pytest.raises(ValueError, match="tokens must be"):
        jax.eval_shape(PolicyValueNet(SMALL).apply, {"params": params}, dummy_observation(other))


# ---------------------------------------------------------------------------
# Masked distributions.

LOGITS = jnp.array([[2.0, 5.0, -1.0, 0.5, 3.0], [0.0, 0.0, 0.0, 0.0, 0.0]])
MASK = jnp.array([[True, False, True, False, True], [False, True, True, True, False]])


def test_masked_actions_have_zero_probability():
    probs = np.exp(np.asarray(distributions.log_probs(LOGITS, MASK)))
    assert np.all(probs[~np.asarray(MASK)] < 1e-30)
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-6)
    expected_row0 = np.exp([2.0, -1.0, 3.0]) / np.exp([2.0, -1.0, 3.0]).sum()
    np.testing.assert_allclose(probs[0, [0, 2, 4]], expected_row0, rtol=1e-6)


@pytest.mark.slow
def test_sampling_never_picks_a_masked_action():
    keys = jax.random.split(jax.random.key(0), 20_000)
    actions = np.asarray(jax.vmap(lambda key: distributions.sample(key, LOGITS, MASK))(keys))  # [S, 2]
    assert np.all(np.asarray(MASK)[0, actions[:, 0]]) and np.all(np.asarray(MASK)[1, actions[:, 1]])
    frequencies = np.bincount(actions[:, 0], minlength=5) / len(actions)
    expected = np.exp(np.asarray(distributions.log_probs(LOGITS, MASK)))[0]
    np.testing.assert_allclose(frequencies, expected, atol=0.02)


@pytest.mark.slow
def test_entropy_of_uniform_mask_is_log_k():
    for k in (1, 2, 7, 100):
        mask = jnp.arange(200) < k
        assert float(distributions.entropy(jnp.zeros(200), mask)) == pytest.approx(np.log(k), abs=1e-5)


def test_log_prob_and_greedy_ignore_masked_actions():
    np.testing.assert_array_equal(distributions.greedy(LOGITS, MASK), [4, 1])
    log_prob = distributions.log_prob(LOGITS, MASK, jnp.array([4, 3]))
    np.testing.assert_allclose(log_prob, [3.0 - np.log(np.exp([2.0, -1.0, 3.0]).sum()), -np.log(3.0)], rtol=1e-6)


@pytest.mark.slow
def test_extreme_logits_stay_finite_with_gradients():
    logits = jnp.array([[1e30, -1e30, 0.0, 5.0]])
    mask = jnp.array([[False, True, True, True]])
    assert np.all(np.isfinite(distributions.entropy(logits, mask)))
    def objective(x):
        return distributions.entropy(x, mask).sum() + distributions.log_prob(x, mask, jnp.array([2])).sum()

    grads = jax.grad(objective)(logits)
    assert np.all(np.isfinite(grads))
    assert np.all(np.asarray(grads)[~np.asarray(mask)] == 0.0)
