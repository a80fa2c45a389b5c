"""Padding after an episode ends is masked: a padded rollout trains exactly like the same rollout trimmed.

A fixed-horizon rollout keeps stepping finished episodes (STOP only, reward 0). Those
steps have active False, and every loss, gradient, advantage, value target and metric
must equal the one computed from the active steps alone.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from codeopt_jax.corpus import parse_problem
from codeopt_jax.env import CodeOptEnv, EnvConfig
from codeopt_jax.models import PolicyOutput
from codeopt_jax.rewards import reward_preset
from codeopt_jax.rl import gae, masked
from codeopt_jax.rl.losses import BASELINES, ppo_loss, reinforce_loss
from codeopt_jax.rl.ppo import PPOConfig, balanced_minibatches, make_ppo_update, ppo_batch_from_rollout
from codeopt_jax.rl.reinforce import reinforce_batch_from_rollout
from codeopt_jax.rl.train_state import create_train_state, make_optimizer
from codeopt_jax.rl.types import PPOBatch, ReinforceBatch, Rollout, Transition
from codeopt_jax.rollouts import collect_rollout
from tests.conftest import TINY_SOURCE

FEATURES, NUM_ACTIONS = 4, 5  # the last action is STOP
HORIZON = 5
# Active steps per column: ends after 2, runs past the horizon (truncated: bootstraps from last_value),
# ends after 1, was over at reset (nothing to rewrite), ends after 3.
LENGTHS = (2, 5, 1, 0, 3)
TRUNCATED = 1


def linear_apply(variables, obs):
    """A policy whose logits and value depend on the observation: features [N, F] @ w [F, A], @ v [F]."""
    params = variables["params"]
    return PolicyOutput(logits=obs["features"] @ params["w"], value=obs["features"] @ params["v"])


def linear_params(seed: int):
    rng = np.random.default_rng(seed)
    return {"w": jnp.asarray(rng.normal(size=(FEATURES, NUM_ACTIONS)), jnp.float32),
            "v": jnp.asarray(rng.normal(size=FEATURES), jnp.float32)}


def numpy_log_prob(logits: np.ndarray, mask: np.ndarray, action: np.ndarray) -> np.ndarray:
    """log pi(action) [...] of the masked softmax over logits [..., A] (numpy, to keep test setup off the device)."""
    logits = np.where(mask, logits, -np.inf)
    log_z = np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1)) + logits.max(-1)
    return np.take_along_axis(logits, action[..., None], axis=-1)[..., 0] - log_z


def padded_rollout(seed: int = 0) -> Rollout:
    """A [HORIZON, len(LENGTHS)] rollout (numpy arrays) shaped like the environment's, with junk in
    every padding step.

    Active steps: legal actions, behaviour log-probs near the current policy's (some ratios
    clip), rewards, values; done where the episode ends. Padding steps: STOP-only masks and
    STOP actions (as the environment gives), but random log-probs, values, rewards and done.
    """
    rng = np.random.default_rng(seed)
    steps, batch = HORIZON, len(LENGTHS)
    active = np.arange(steps)[:, None] < np.asarray(LENGTHS)[None, :]
    features = rng.normal(size=(steps, batch, FEATURES)).astype(np.float32)
    mask = rng.random((steps, batch, NUM_ACTIONS)) < 0.6
    mask[..., -1] = True
    mask[~active] = np.eye(NUM_ACTIONS, dtype=bool)[-1]
    action = np.array([[rng.choice(np.flatnonzero(m)) for m in row] for row in mask], np.int32)
    current = numpy_log_prob(features @ np.asarray(linear_params(1)["w"]), mask, action)
    log_prob = np.where(active, current + rng.normal(scale=0.3, size=(steps, batch)),
                        rng.normal(-5.0, 3.0, size=(steps, batch)))
    done = np.where(active, False, rng.random((steps, batch)) < 0.5)
    for column, length in enumerate(LENGTHS):
        if 0 < length and column != TRUNCATED:
            done[length - 1, column] = True
    return Rollout(
        transitions=Transition(
            obs={"features": features, "action_mask": mask},
            action=action,
            log_prob=log_prob.astype(np.float32),
            value=rng.normal(size=(steps, batch)).astype(np.float32),
            reward=rng.normal(size=(steps, batch)).astype(np.float32),
            done=done,
            active=active,
        ),
        last_value=rng.normal(size=batch).astype(np.float32),
    )


def active_order() -> list[tuple[int, int]]:
    """(t, column) of every active step, column by column, the truncated episode last."""
    columns = [c for c in range(len(LENGTHS)) if c != TRUNCATED] + [TRUNCATED]
    return [(t, column) for column in columns for t in range(LENGTHS[column])]


def trimmed_rollout(rollout: Rollout) -> Rollout:
    """The active steps alone, as one [N_active, 1] column: the episodes one after another (each ends
    with done, so nothing crosses between them), the truncated one last so it bootstraps from its
    own last_value."""
    times, columns = (np.array(index) for index in zip(*active_order()))
    transitions = jax.tree.map(lambda x: x[times, columns][:, None], rollout.transitions)
    return Rollout(transitions=transitions, last_value=rollout.last_value[TRUNCATED][None])


def flat_active_index() -> np.ndarray:
    """Where each trimmed transition sits in the full rollout's flat (t * B + b) batch."""
    return np.array([t * len(LENGTHS) + column for t, column in active_order()])


def test_padded_discounts_never_reach_past_the_last_active_step():
    done = jnp.array([[False, False], [True, False], [True, False]])
    active = jnp.array([[True, True], [True, True], [False, True]])
    # Column 0 ends after step 1: 0 from there on. Column 1 runs to the horizon: gamma throughout
    # (its last step bootstraps from last_value).
    np.testing.assert_array_equal(gae.padded_episode_discounts(done, active, 0.9),
                                  np.float32([[0.9, 0.9], [0.0, 0.9], [0.0, 0.9]]))
    # A step followed by padding ends its episode even if done was not set.
    np.testing.assert_array_equal(gae.padded_episode_discounts(jnp.zeros((2, 1), bool), jnp.array([[True], [False]]),
                                                               1.0), [[0.0], [1.0]])


def test_masked_statistics_equal_those_of_the_active_values():
    values = jnp.array([1.0, 5.0, jnp.nan, 3.0, -2.0])
    weights = jnp.array([1.0, 1.0, 0.0, 1.0, 0.0])
    active = jnp.array([1.0, 5.0, 3.0])
    assert float(masked.mean(values, weights)) == pytest.approx(float(active.mean()))
    assert float(masked.std(values, weights)) == pytest.approx(float(active.std()))
    np.testing.assert_allclose(masked.normalize(values, weights)[jnp.array([0, 1, 3])],
                               (active - active.mean()) / (active.std() + 1e-8), rtol=1e-6)
    assert float(masked.mean(values, jnp.zeros(5))) == 0.0  # all padding: 0, not NaN


GAMMA, LAMBDA = 0.97, 0.9
PPO_LOSSES = {"ppo": dict(clip_eps=0.2, vf_coef=0.5, ent_coef=0.01, clip_value=True, normalize_advantages=True)}
REINFORCE_LOSSES = {
    **{f"reinforce {baseline}": dict(baseline=baseline, vf_coef=0.5, ent_coef=0.01, normalize_advantages=False)
       for baseline in BASELINES},
    "reinforce value normalized": dict(baseline="value", vf_coef=0.5, ent_coef=0.01, normalize_advantages=True),
}


@dataclasses.dataclass(frozen=True)
class LearningSignal:
    """What the updates take from one rollout: the flat batches, then per loss variant
    (name -> value) the loss, its metrics and its gradients with respect to the policy parameters."""

    ppo: PPOBatch
    reinforce: ReinforceBatch
    loss: dict
    metrics: dict
    grads: dict


@jax.jit
def _learning_signal(params, rollout: Rollout):
    ppo = ppo_batch_from_rollout(rollout, GAMMA, LAMBDA)
    reinforce = reinforce_batch_from_rollout(rollout, GAMMA)
    results = {}
    for name, hparams in PPO_LOSSES.items():
        results[name] = jax.value_and_grad(ppo_loss, has_aux=True)(params, linear_apply, ppo, **hparams)
    for name, hparams in REINFORCE_LOSSES.items():
        results[name] = jax.value_and_grad(reinforce_loss, has_aux=True)(params, linear_apply, reinforce, **hparams)
    return ppo, reinforce, results


def learning_signal(rollout: Rollout) -> LearningSignal:
    ppo, reinforce, results = jax.device_get(_learning_signal(linear_params(1), rollout))
    return LearningSignal(ppo=ppo, reinforce=reinforce, loss={name: r[0][0] for name, r in results.items()},
                          metrics={name: r[0][1] for name, r in results.items()},
                          grads={name: r[1] for name, r in results.items()})


@pytest.fixture(scope="module")
def signals() -> dict[str, LearningSignal]:
    """The padded rollout, the same rollout trimmed to its active steps, and the padded one with its
    padding counted as active (what the losses saw before masking)."""
    rollout = padded_rollout()
    unmasked = rollout.replace(transitions=rollout.transitions.replace(
        active=np.ones_like(rollout.transitions.active)))
    return {"padded": learning_signal(rollout), "trimmed": learning_signal(trimmed_rollout(rollout)),
            "unmasked": learning_signal(unmasked)}


def test_padding_gets_zero_advantage_and_the_active_estimates_of_the_trimmed_rollout(signals):
    padded, trimmed = signals["padded"], signals["trimmed"]
    inactive = ~padded_rollout().transitions.active.reshape(-1)
    assert inactive.sum() == HORIZON * len(LENGTHS) - sum(LENGTHS) > 0
    index = flat_active_index()
    for batch, trimmed_batch in ((padded.ppo, trimmed.ppo), (padded.reinforce, trimmed.reinforce)):
        np.testing.assert_array_equal(batch.weight, (~inactive).astype(np.float32))
        np.testing.assert_array_equal(batch.returns[inactive], 0.0)
        np.testing.assert_allclose(batch.returns[index], trimmed_batch.returns, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(padded.ppo.advantage[inactive], 0.0)
    np.testing.assert_allclose(padded.ppo.advantage[index], trimmed.ppo.advantage, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", [*PPO_LOSSES, *REINFORCE_LOSSES])
def test_loss_of_a_padded_rollout_equals_the_trimmed_one(signals, name):
    padded, trimmed, unmasked = signals["padded"], signals["trimmed"], signals["unmasked"]
    assert float(padded.loss[name]) == pytest.approx(float(trimmed.loss[name]), rel=1e-5, abs=1e-6)
    for metric, value in trimmed.metrics[name].items():
        assert float(padded.metrics[name][metric]) == pytest.approx(float(value), rel=1e-4, abs=1e-5), metric
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6),
                 padded.grads[name], trimmed.grads[name])
    # The padding holds junk: counted as active, it changes the loss.
    assert float(unmasked.loss[name]) != pytest.approx(float(trimmed.loss[name]), rel=1e-3)
    if name in PPO_LOSSES:
        assert 0.0 < float(trimmed.metrics[name]["clip_fraction"]) < 1.0  # some ratios clip, some do not


# One minibatch holds every transition, so the shuffle order cannot matter; two epochs.
ONE_MINIBATCH_PPO = PPOConfig(epochs=2, num_minibatches=1, target_kl=None, learning_rate=0.05)


@pytest.fixture(scope="module")
def one_minibatch_ppo():
    """(update, initial state) for ONE_MINIBATCH_PPO with the linear policy."""
    optimizer = make_optimizer(ONE_MINIBATCH_PPO)
    return make_ppo_update(linear_apply, optimizer, ONE_MINIBATCH_PPO), create_train_state(linear_params(1), optimizer)


@pytest.mark.slow
def test_ppo_update_of_a_padded_rollout_equals_the_trimmed_one(one_minibatch_ppo):
    update, state = one_minibatch_ppo
    rollout = padded_rollout()
    full_state, full_metrics = update(state, rollout, jax.random.key(0))
    trim_state, trim_metrics = update(state, trimmed_rollout(rollout), jax.random.key(0))
    assert int(full_metrics["num_updates"]) == int(full_state.step) == 2
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6),
                 full_state.params, trim_state.params)
    for name, value in trim_metrics.items():
        if name != "active_fraction":
            assert float(full_metrics[name]) == pytest.approx(float(value), rel=1e-4, abs=1e-5), name
    assert float(trim_metrics["active_fraction"]) == 1.0
    assert float(full_metrics["active_fraction"]) == pytest.approx(sum(LENGTHS) / (HORIZON * len(LENGTHS)))


def test_minibatches_share_the_active_transitions_evenly(signals):
    batch = signals["padded"].ppo
    batch = batch.replace(action=np.arange(batch.action.shape[0]))  # tag each transition by its index
    split = jax.jit(balanced_minibatches, static_argnames="num_minibatches")
    for seed in range(3):
        minibatches = split(batch, jax.random.key(seed), num_minibatches=5)
        assert minibatches.action.shape == (5, 5)
        assert sorted(np.asarray(minibatches.action).reshape(-1).tolist()) == list(range(25))
        counts = np.asarray(minibatches.weight.sum(axis=1))
        assert counts.sum() == sum(LENGTHS) and counts.max() - counts.min() <= 1, counts


@pytest.mark.slow
def test_a_minibatch_with_no_active_transition_takes_no_step(one_minibatch_ppo):
    update, state = one_minibatch_ppo
    rollout = padded_rollout()
    all_padding = rollout.replace(transitions=rollout.transitions.replace(
        active=np.zeros_like(rollout.transitions.active)))
    new_state, metrics = update(state, all_padding, jax.random.key(0))
    # A zero gradient would still move Adam's parameters; the empty minibatch is skipped instead.
    assert int(metrics["num_updates"]) == int(new_state.step) == 0
    jax.tree.map(np.testing.assert_array_equal, new_state.params, state.params)
    assert float(metrics["active_fraction"]) == 0.0 and float(metrics["loss"]) == 0.0


# ---------------------------------------------------------------------------
# The rollout marks the steps after an episode ends as inactive.

# The same function with its loop already a `sum`: no rewrite applies, the episode is over at reset.
NOTHING_TO_REWRITE = TINY_SOURCE.replace(
    "    result = 0\n    for x in xs:\n        result += x\n    return result", "    return sum(xs)")


@dataclasses.dataclass(frozen=True)
class StopBiasedPolicy:
    """Uniform over the legal rewrites, with STOP's logit params["stop"] (hashable: a static jit argument)."""

    name: str = "stop_biased"

    def __call__(self, variables, obs):
        mask = obs["action_mask"]
        logits = jnp.zeros(mask.shape, jnp.float32).at[:, -1].set(variables["params"]["stop"])
        return PolicyOutput(logits=logits, value=jnp.zeros(mask.shape[0], jnp.float32))


@pytest.mark.slow
def test_rollout_marks_the_steps_after_an_episode_ends_inactive(service, tiny_problem):
    done_at_reset = parse_problem(NOTHING_TO_REWRITE, "tiny_sum.py", "train")
    problems = [tiny_problem] * 5 + [done_at_reset]
    endings: set[str] = set()  # how the episodes that had a choice ended, over the rollouts below
    with CodeOptEnv(EnvConfig(max_len=64, max_steps=3), reward_preset("opcount"), service) as env:
        stop = env.stop_action
        for seed in range(8):
            rollout, episodes, _ = collect_rollout({"stop": jnp.float32(1.0)}, StopBiasedPolicy(), env, problems,
                                                   jax.random.PRNGKey(seed))
            transitions = jax.tree.map(np.asarray, rollout.transitions)
            active, done = transitions.active, transitions.done
            assert active.shape == done.shape == (3, 6) and active.dtype == bool
            lengths = active.sum(axis=0)
            for column, (length, episode) in enumerate(zip(lengths, episodes)):
                # Active up to and including the step that ended the episode, inactive from then on.
                np.testing.assert_array_equal(active[:, column], np.arange(3) < length)
                np.testing.assert_array_equal(done[:, column], np.arange(3) >= length - 1)
                chosen = transitions.action[:length, column]
                assert int((chosen != stop).sum()) == len(episode.rules)  # every active rewrite is in the episode
                padding = slice(length, None)
                assert (transitions.action[padding, column] == stop).all()
                assert (transitions.reward[padding, column] == 0).all()
                assert not transitions.obs["action_mask"][padding, column, :-1].any()
                if length:
                    last = transitions.action[length - 1, column]
                    endings.add("stop first" if length == 1 and last == stop else
                                "stop after a rewrite" if last == stop else "out of rewrites")
            assert lengths[-1] == 0  # nothing to rewrite: no step is a choice
            if len(endings) == 3:
                break
    # The rollouts covered STOP at the first step, STOP after a rewrite, and an episode that ran out of rewrites.
    assert endings == {"stop first", "stop after a rewrite", "out of rewrites"}
