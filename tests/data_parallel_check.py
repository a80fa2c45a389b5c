"""Runs the PPO and REINFORCE updates on one device and data-parallel on all local devices; prints a JSON report.

Run by tests/test_data_parallel.py in a fresh interpreter with
XLA_FLAGS=--xla_force_host_platform_device_count=2 (JAX reads it at import, so it cannot be set
inside the test process). The policy is linear in a per-transition feature vector, so every
transition's gradient differs and only a correct cross-device sum reproduces the one-device
update; it compiles in seconds. Inside the jitted updates `jax.debug.inspect_array_sharding`
reports how XLA placed the batch that reaches the policy.
"""

from __future__ import annotations

import json
import sys

import jax
import jax.numpy as jnp
import numpy as np

from codeopt_jax import config as config_lib
from codeopt_jax.models.policy import PolicyOutput
from codeopt_jax.rl.parallel import DataParallel
from codeopt_jax.rl.ppo import PPOConfig, balanced_minibatches, make_ppo_update, ppo_batch_from_rollout
from codeopt_jax.rl.reinforce import ReinforceConfig, make_reinforce_update
from codeopt_jax.rl.train_state import create_train_state, make_optimizer
from codeopt_jax.rl.types import Rollout, Transition
from codeopt_jax.train import learner_devices

STEPS, BATCH, FEATURES, ACTIONS = 4, 4, 5, 3
PPO = PPOConfig(epochs=2, num_minibatches=2, target_kl=None)
REINFORCE = ReinforceConfig(num_gradient_steps=2)

policy_input_shardings: dict[str, str] = {}  # label -> spec of the obs the policy saw inside jit
policy_label = ["none"]


def linear_apply(variables, obs):
    """logits [N, A] = features [N, F] @ w [F, A]; value [N] = features @ v [F]."""
    params, features = variables["params"], obs["features"]
    label = policy_label[0]
    jax.debug.inspect_array_sharding(
        features, callback=lambda sharding: policy_input_shardings.setdefault(label, _describe(sharding)))
    return PolicyOutput(logits=features @ params["w"], value=features @ params["v"])


def _describe(sharding) -> str:
    spec = getattr(sharding, "spec", None)
    spec_text = tuple(spec) if spec is not None else None
    return f"{type(sharding).__name__} spec={spec_text} devices={len(sharding.device_set)}"


def rollout_with_padding(seed: int) -> Rollout:
    """[T, B] rollout; episode b lasts b + 1 steps (padding after), illegal actions masked per row."""
    rng = np.random.default_rng(seed)
    lengths = np.arange(1, BATCH + 1)
    step = np.arange(STEPS)[:, None]
    active = step < lengths[None, :]
    mask = rng.random((STEPS, BATCH, ACTIONS)) < 0.7
    mask[..., -1] = True
    action = np.array([[rng.choice(np.flatnonzero(mask[t, b])) for b in range(BATCH)] for t in range(STEPS)])
    return Rollout(
        transitions=Transition(
            obs={"features": jnp.asarray(rng.normal(size=(STEPS, BATCH, FEATURES)), jnp.float32),
                 "action_mask": jnp.asarray(mask)},
            action=jnp.asarray(action, jnp.int32),
            log_prob=jnp.asarray(-rng.uniform(0.5, 1.5, size=(STEPS, BATCH)), jnp.float32),
            value=jnp.asarray(rng.normal(size=(STEPS, BATCH)), jnp.float32),
            reward=jnp.asarray(np.where(active, rng.normal(size=(STEPS, BATCH)), 0.0), jnp.float32),
            done=jnp.asarray(step >= lengths[None, :] - 1),
            active=jnp.asarray(active),
        ),
        last_value=jnp.zeros(BATCH, jnp.float32),
    )


def _max_difference(a, b) -> float:
    return max(float(np.max(np.abs(np.asarray(x, np.float64) - np.asarray(y, np.float64)))) for x, y in
               zip(jax.tree.leaves(a), jax.tree.leaves(b)))


def _compare(label: str, one_device, args, data_parallel, placed_args) -> dict:
    """Runs both updates; the data-parallel one is compiled once and its HLO kept for inspection."""
    policy_label[0] = f"{label}_one"
    state_one, metrics_one = one_device(*args)
    policy_label[0] = f"{label}_parallel"
    compiled = data_parallel.jitted.lower(*placed_args, size=data_parallel.size_for(placed_args[1])).compile()
    state_two, metrics_two = compiled(*placed_args)
    params_leaf = jax.tree.leaves(state_two.params)[0]
    return {
        "params_max_difference": _max_difference(state_one.params, state_two.params),
        "opt_state_max_difference": _max_difference(state_one.opt_state, state_two.opt_state),
        "params_scale": max(float(jnp.max(jnp.abs(x))) for x in jax.tree.leaves(state_one.params)),
        "metrics_one": {name: float(value) for name, value in metrics_one.items()},
        "metrics_parallel": {name: float(value) for name, value in metrics_two.items()},
        "all_reduce_ops": compiled.as_text().count("all-reduce("),
        "params_replicated": bool(params_leaf.sharding.is_fully_replicated),
        "params_devices": len(params_leaf.sharding.device_set),
    }


def main() -> None:
    parallel = DataParallel.over_local_devices()
    report: dict = {"devices": parallel.num_devices}
    params = {"w": jnp.asarray(np.random.default_rng(1).normal(size=(FEATURES, ACTIONS)) * 0.3, jnp.float32),
              "v": jnp.zeros(FEATURES, jnp.float32)}
    rollout = rollout_with_padding(seed=0)
    key_minibatch = jax.random.PRNGKey(7)
    ppo_optimizer, reinforce_optimizer = make_optimizer(PPO), make_optimizer(REINFORCE)
    ppo_state = create_train_state(params, ppo_optimizer)
    reinforce_state = create_train_state(params, reinforce_optimizer)

    placed_state, placed_rollout = parallel.place(ppo_state, rollout)
    action = placed_rollout.transitions.action
    report["rollout_action_sharding"] = _describe(action.sharding)
    report["rollout_action_shard_shapes"] = [list(shard.data.shape) for shard in action.addressable_shards]
    report["rollout_mask_shard_shapes"] = [
        list(shard.data.shape) for shard in placed_rollout.transitions.obs["action_mask"].addressable_shards]
    report["state_replicated"] = all(leaf.sharding.is_fully_replicated for leaf in jax.tree.leaves(placed_state))

    # The minibatch permutation is drawn from the global batch: the same minibatches wherever the batch lives.
    def minibatches(r):
        return balanced_minibatches(ppo_batch_from_rollout(r, PPO.gamma, PPO.gae_lambda), key_minibatch,
                                    PPO.num_minibatches)
    stacked = jax.jit(minibatches)
    report["minibatches_identical"] = all(
        bool(np.array_equal(np.asarray(x), np.asarray(y)))
        for x, y in zip(jax.tree.leaves(stacked(rollout)), jax.tree.leaves(stacked(placed_rollout))))

    report["ppo"] = _compare(
        "ppo", make_ppo_update(linear_apply, ppo_optimizer, PPO), (ppo_state, rollout, key_minibatch),
        make_ppo_update(linear_apply, ppo_optimizer, PPO, parallel.shard_batch_axis(1), parallel.num_devices),
        (placed_state, placed_rollout, key_minibatch))
    report["reinforce"] = _compare(
        "reinforce", make_reinforce_update(linear_apply, reinforce_optimizer, REINFORCE), (reinforce_state, rollout),
        make_reinforce_update(linear_apply, reinforce_optimizer, REINFORCE, parallel.shard_batch_axis(0),
                              parallel.num_devices),
        parallel.place(reinforce_state, rollout))
    report["policy_input_shardings"] = policy_input_shardings

    odd = jax.tree.map(lambda x: x[:, :BATCH - 1] if x.ndim >= 2 else x[:BATCH - 1], rollout)
    try:
        parallel.place(ppo_state, odd)
        report["odd_batch_error"] = None
    except ValueError as error:
        report["odd_batch_error"] = str(error)
    report["config_errors"] = {}
    for algo, batch_size in (("ppo", 6), ("reinforce", 5)):
        try:
            learner_devices(config_lib.preset("quick", algo=algo, batch_size=batch_size), log=lambda line: None)
            report["config_errors"][algo] = None
        except ValueError as error:
            report["config_errors"][algo] = str(error)
    json.dump(report, sys.stdout)

if __name__ == "__main__":
    main()
