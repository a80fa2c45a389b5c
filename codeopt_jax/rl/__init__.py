"""Pure-JAX reinforcement learning: return estimators, losses, jit-compiled PPO and REINFORCE updates.

Conventions shared by every module here:

* `apply_fn(variables, obs) -> PolicyOutput` where `variables = {"params": params}`
  (a Linen `model.apply`); losses and updates take the bare `params` pytree.
* Rollouts are time-major: `[T, B, ...]`; minibatches are flat: `[N, ...]`.
* `done[t]` means the episode ended after step t: no bootstrapping across it.
* `active[t]` means the episode was still running at step t; the steps after an episode
  ends are padding (weight 0 in every loss, mean and metric; advantage and return 0).
* Policy batches are padded to a power of two before the jitted policy (`rl.padding`).
"""
