"""Candidate programs proposed by a trained agent: its greedy episode and k sampled ones.

  candidate = greedy_candidate(agent, env, problem)                          # one Candidate
  candidates = sampled_candidates(agent, env, problem, k, problem_key(seed, problem))
"""

from __future__ import annotations

import zlib

import jax

from codeopt_jax.agent import Agent
from codeopt_jax.corpus import Problem
from codeopt_jax.env import CodeOptEnv
from codeopt_jax.rollouts import Episode, collect_rollout, run_greedy
from codeopt_jax.selection import Candidate


def _episode_candidate(episode: Episode, origin: str) -> Candidate:
    return Candidate(episode.source, tuple(episode.rules), float(episode.phi), origin)


def greedy_candidate(agent: Agent, env: CodeOptEnv, problem: Problem) -> Candidate:
    """The final program of the agent's greedy (most likely action) episode."""
    return _episode_candidate(run_greedy(agent.params, agent.model.apply, env, [problem])[0], "agent greedy")


def sampled_candidates(agent: Agent, env: CodeOptEnv, problem: Problem, k: int,
                       key: jax.Array) -> list[Candidate]:
    """The final programs of k sampled episodes, run as one batch of k copies of the problem."""
    if k <= 0:
        return []
    _, episodes, _ = collect_rollout(agent.params, agent.model.apply, env, [problem] * k, key)
    return [_episode_candidate(e, f"agent sample {i}") for i, e in enumerate(episodes)]


def problem_key(seed: int, problem: Problem) -> jax.Array:
    """A sampling key that depends on the seed and the problem's name only (not on the order)."""
    return jax.random.fold_in(jax.random.PRNGKey(seed), zlib.crc32(problem.name.encode()) & 0x7FFFFFFF)
