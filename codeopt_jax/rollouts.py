"""Running the policy in the environment: training rollouts and greedy episodes.

One jitted policy call per step for the whole batch, padded to a fixed size
(rl.sampling), so any number of problems reuses a compiled policy; the host applies
rewrites and scores in the worker pools. Only numpy arrays cross into jit.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from codeopt_jax.corpus import Problem
from codeopt_jax.env import CodeOptEnv, TimeStep
from codeopt_jax.rl.sampling import greedy_actions, sample_actions
from codeopt_jax.rl.types import Rollout, Transition


@dataclasses.dataclass(frozen=True)
class Episode:
    """The end of one episode: the final program, its Φ (the return) and record."""

    problem: str
    source: str
    phi: float
    rules: tuple[str, ...]
    record: Any  # ScoreRecord of the final program
    original: Any  # ScoreRecord of the original
    programs: tuple[str, ...] = ()  # every program the episode was at, in order: the original first, no repeats


def _follow(paths: list[list[str]], timestep: TimeStep) -> None:
    """Appends each slot's current program to its path when it changed."""
    for path, info in zip(paths, timestep.info):
        if not path or path[-1] != info.source:
            path.append(info.source)


def _episodes(env: CodeOptEnv, timestep: TimeStep, paths: list[list[str]]) -> list[Episode]:
    return [Episode(problem=info.problem, source=info.source, phi=info.phi, rules=info.rules,
                    record=info.record, original=original, programs=tuple(path))
            for info, original, path in zip(timestep.info, env.original_records, paths)]


def _padding_transition(timestep: TimeStep, stop_action: int) -> Transition:
    """A step of a batch whose episodes have all ended (every mask allows only STOP): inactive everywhere."""
    rows = timestep.done.shape[0]
    return Transition(obs=timestep.observation, action=np.full(rows, stop_action, np.int32),
                      log_prob=np.zeros(rows, np.float32), value=np.zeros(rows, np.float32),
                      reward=np.zeros(rows, np.float32), done=np.ones(rows, bool), active=np.zeros(rows, bool))


def collect_rollout(params, apply_fn, env: CodeOptEnv, problems: Sequence[Problem],
                    key_rollout: jax.Array) -> tuple[Rollout, list[Episode], dict[str, float]]:
    """Samples one episode per problem for `env.config.max_steps` steps.

    Returns the time-major rollout [T, B], the finished episodes, and seconds spent
    sampling (policy) vs in the environment. A slot whose episode has ended keeps
    stepping (STOP only, reward 0) until T; its transitions there have active False
    (active[t] = the episode had not ended before step t). Once every episode has ended,
    the remaining steps are padding built on the host: STOP, log-prob 0 (STOP is the
    only legal action), value 0, reward 0, done; neither the policy nor the environment
    is called for them."""
    timings = {"sample_seconds": 0.0, "env_seconds": 0.0}
    start = time.perf_counter()
    timestep = env.reset(problems)
    timings["env_seconds"] += time.perf_counter() - start
    paths: list[list[str]] = [[] for _ in problems]
    _follow(paths, timestep)
    steps = []
    for t in range(env.config.max_steps):
        if timestep.done.all():  # the rest is padding: no policy call, no environment step
            steps += [_padding_transition(timestep, env.stop_action)] * (env.config.max_steps - t)
            break
        start = time.perf_counter()
        choice = sample_actions(params, apply_fn, timestep.observation, jax.random.fold_in(key_rollout, t))
        timings["sample_seconds"] += time.perf_counter() - start
        start = time.perf_counter()
        next_timestep = env.step(choice.action)
        timings["env_seconds"] += time.perf_counter() - start
        steps.append(Transition(obs=timestep.observation, action=choice.action, log_prob=choice.log_prob,
                                value=choice.value, reward=next_timestep.reward, done=next_timestep.done,
                                active=~timestep.done))
        timestep = next_timestep
        _follow(paths, timestep)
    if not timestep.done.all():
        raise RuntimeError("the environment left episodes running past max_steps")
    transitions = jax.tree.map(lambda *xs: jnp.asarray(np.stack(xs)), *steps)
    rollout = Rollout(transitions=transitions, last_value=jnp.zeros(len(problems), jnp.float32))
    return rollout, _episodes(env, timestep, paths), timings


def run_greedy(params, apply_fn, env: CodeOptEnv, problems: Sequence[Problem]) -> list[Episode]:
    """One greedy (most likely action) episode per problem."""
    timestep = env.reset(problems)
    paths: list[list[str]] = [[] for _ in problems]
    _follow(paths, timestep)
    while not timestep.done.all():
        timestep = env.step(greedy_actions(params, apply_fn, timestep.observation).action)
        _follow(paths, timestep)
    return _episodes(env, timestep, paths)
