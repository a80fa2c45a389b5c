"""The update computes only on the active transitions: a compact batch trains exactly like the padded one.

The padded rollout of test_active_mask (25 transitions, 11 active, junk in the padding)
is updated once through the compact batch (a ladder size below 25) and once over all 25
rows; parameters, metrics and losses agree up to float reassociation, and the jitted
update compiles once per ladder size. The environment remembers views and rewrite
results of programs it has seen.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

from codeopt_jax import moves
from codeopt_jax.env import CodeOptEnv, EnvConfig
from codeopt_jax.rewards import reward_preset
from codeopt_jax.rl import compact
from codeopt_jax.rl.losses import ppo_loss, reinforce_loss
from codeopt_jax.rl.ppo import PPOConfig, balanced_minibatches, make_ppo_update, ppo_batch_from_rollout
from codeopt_jax.rl.reinforce import ReinforceConfig, make_reinforce_update, reinforce_batch_from_rollout
from codeopt_jax.rl.train_state import create_train_state, make_optimizer
from tests.test_active_mask import HORIZON, LENGTHS, linear_apply, linear_params, padded_rollout

NUM_ROWS, NUM_ACTIVE = HORIZON * len(LENGTHS), sum(LENGTHS)  # 25, 11
FIVE_MINIBATCH_PPO = PPOConfig(epochs=2, num_minibatches=5, target_kl=None, learning_rate=0.05)


def close(a, b) -> None:
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6)


def test_compact_size_climbs_a_ladder_of_doublings_capped_at_the_rollout():
    assert [compact.compact_size(n, 192, 4) for n in (0, 4, 5, 33, 64, 65, 129, 192)] == [4, 4, 8, 64, 64, 128, 192, 192]
    assert compact.ladder(192, 4) == (4, 8, 16, 32, 64, 128, 192)
    assert {compact.compact_size(n, 192, 4) for n in range(193)} == set(compact.ladder(192, 4))
    with pytest.raises(ValueError):
        compact.compact_size(3, 192, 0)
    # Three rungs at most: the default rollout (12 x 16 rows, 4 minibatches) and the test rollout.
    assert compact.ladder(192, compact.ladder_granule(192, 4, 3)) == (64, 128, 192)
    assert compact.ladder(25, compact.ladder_granule(25, 5, 3)) == (10, 20, 25)
    assert compact.ladder(25, compact.ladder_granule(25, 1, 3)) == (8, 16, 25)


@pytest.mark.slow
def test_compact_minibatches_hold_the_same_active_transitions_as_the_padded_ones():
    batch = jax.jit(ppo_batch_from_rollout, static_argnums=(1, 2))(padded_rollout(), 1.0, 0.95)
    batch = batch.replace(action=np.arange(NUM_ROWS))  # tag each transition by its index
    size = compact.compact_size(NUM_ACTIVE, NUM_ROWS, 5)
    assert size == 20
    padded_split = jax.jit(balanced_minibatches, static_argnums=2)
    compact_split = jax.jit(compact.compact_minibatches, static_argnums=(3, 4))
    for seed in range(3):
        key = jax.random.key(seed)
        padded = padded_split(batch, key, 5)
        small = compact_split(batch, batch.weight, key, 5, size)
        assert small.action.shape == (5, 4)
        for full_row, small_row, full_w, small_w in zip(padded.action, small.action, padded.weight, small.weight):
            assert np.asarray(full_row)[np.asarray(full_w) > 0].tolist() == np.asarray(small_row)[np.asarray(small_w) > 0].tolist()
        assert float(small.weight.sum()) == NUM_ACTIVE


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ppo", "reinforce"])
def test_loss_over_the_compact_batch_equals_the_masked_loss_over_the_padded_one(name):
    params = linear_params(1)
    if name == "ppo":
        batch = ppo_batch_from_rollout(padded_rollout(), 1.0, 0.95)
        loss = lambda p, b: ppo_loss(p, linear_apply, b, clip_eps=0.2, vf_coef=0.5, ent_coef=0.01,  # noqa: E731
                                     clip_value=True, normalize_advantages=True)
    else:
        batch = reinforce_batch_from_rollout(padded_rollout(), 1.0)
        loss = lambda p, b: reinforce_loss(p, linear_apply, b, baseline="value", vf_coef=0.5,  # noqa: E731
                                           ent_coef=0.01, normalize_advantages=True)
    small = compact.compact_batch(batch, batch.weight, 16)
    assert small.action.shape == (16,) and float(small.weight.sum()) == NUM_ACTIVE
    loss_and_grads = jax.jit(jax.value_and_grad(loss, has_aux=True))
    (full_loss, full_metrics), full_grads = loss_and_grads(params, batch)
    (small_loss, small_metrics), small_grads = loss_and_grads(params, small)
    close(small_loss, full_loss)
    for metric, value in full_metrics.items():
        close(small_metrics[metric], value)
    jax.tree.map(close, small_grads, full_grads)


def with_lengths(rollout, lengths):
    """The rollout with its active mask cut to the given episode lengths (padding keeps its junk)."""
    active = np.arange(HORIZON)[:, None] < np.asarray(lengths)[None, :]
    return rollout.replace(transitions=rollout.transitions.replace(active=active))


@pytest.mark.slow
def test_ppo_update_on_the_compact_batch_equals_the_padded_update_and_compiles_once_per_size():
    """Five minibatches (4 rows compact, 5 padded), two epochs: ten optimizer steps either way."""
    optimizer = make_optimizer(FIVE_MINIBATCH_PPO)
    update = make_ppo_update(linear_apply, optimizer, FIVE_MINIBATCH_PPO)
    state = create_train_state(linear_params(1), optimizer)
    rollout = padded_rollout()
    assert update.size_for(rollout) == 20 < NUM_ROWS
    small_state, small_metrics = update(state, rollout, jax.random.key(0))
    assert update.compile_count() == 1
    full_state, full_metrics = update.jitted(state, rollout, jax.random.key(0), size=NUM_ROWS)  # every row
    assert int(small_metrics["num_updates"]) == int(full_metrics["num_updates"]) == 10
    jax.tree.map(close, small_state.params, full_state.params)
    for name, value in full_metrics.items():
        close(small_metrics[name], value)
    # Another active count on the same rung (13 -> 20) reuses the compiled update; 10 is a rung below.
    update(state, with_lengths(rollout, (2, 5, 1, 2, 3)), jax.random.key(1))
    assert update.compile_count() == 2  # the sizes seen: 20 and (above) 25
    assert update.size_for(with_lengths(rollout, (2, 4, 1, 0, 3))) == 10


@pytest.mark.slow
def test_reinforce_update_on_the_compact_batch_equals_the_padded_update():
    config = ReinforceConfig(num_gradient_steps=2, normalize_advantages=True, learning_rate=0.05)
    optimizer = make_optimizer(config)
    update = make_reinforce_update(linear_apply, optimizer, config)
    state = create_train_state(linear_params(1), optimizer)
    rollout = padded_rollout()
    assert update.size_for(rollout) == 16
    small_state, small_metrics = update(state, rollout)
    full_state, full_metrics = update.jitted(state, rollout, size=NUM_ROWS)
    jax.tree.map(close, small_state.params, full_state.params)
    for name, value in full_metrics.items():
        close(small_metrics[name], value)


@pytest.mark.slow
def test_environment_reuses_views_and_rewrites_of_programs_it_has_seen(service, tiny_problem, monkeypatch):
    calls = {"view_program": 0, "step_program": 0}
    for name in calls:
        original = getattr(moves, name)

        def counted(*args, _original=original, _name=name):
            calls[_name] += 1
            return _original(*args)
        monkeypatch.setattr(moves, name, counted)
    with CodeOptEnv(EnvConfig(max_len=64, max_steps=3), reward_preset("opcount"), service) as env:
        first = env.reset([tiny_problem, tiny_problem])
        action = int(np.flatnonzero(first.observation["action_mask"][0][:-1])[0])
        stepped = env.step(np.array([action, action]))
        # One view at reset and one inside the rewrite; the second slot hit the cache both times.
        assert calls == {"view_program": 2, "step_program": 1}
        again = env.reset([tiny_problem])
        repeated = env.step(np.array([action]))
        assert calls == {"view_program": 2, "step_program": 1}
        assert env.moves.hits == 2 and env.moves.misses == 2  # per distinct key of a call
    for key, value in stepped.observation.items():
        np.testing.assert_array_equal(repeated.observation[key][0], value[0])
    np.testing.assert_array_equal(again.observation["action_mask"][0], first.observation["action_mask"][0])
    assert repeated.info[0].source == stepped.info[0].source != tiny_problem.program


def test_move_cache_drops_the_least_recently_used_entry():
    cache = moves.MoveCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3 and len(cache) == 2
    off = moves.MoveCache(0)
    off.put("a", 1)
    assert off.get("a") is None
