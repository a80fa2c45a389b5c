"""Non-learning baselines over the agent's action space, with the same scoring and budget.

A *scoring* is one distinct program a method asks to have run (what one uncached run
costs in a fresh scoring cache, however warm the shared cache really is); every method
gets the same budget of scorings per problem (the original's own scoring included)
and the same Φ (`rewards.potential`). Methods:

  identity    the original program.
  random      random rollouts of 1..max_depth random legal rewrites; keep the best.
  apply_all   apply every safe or (statically checked) conditional rule, first legal
              site first, until none applies
              (one scoring: the final program; the original if that one is broken).
  greedy      hill climbing: score all neighbours, move to the best while Φ improves.
  beam        beam search of width `beam_width` to `max_depth`.
  exhaustive  breadth-first search to `max_depth`, identical programs deduplicated,
              until the budget runs out: with enough budget, the best program
              reachable in `max_depth` rewrites (the ceiling for the policy).

Only programs that pass every gate are ever returned; the original is the fallback.
"""

from __future__ import annotations

import dataclasses
import zlib
from typing import Callable

import numpy as np

from codeopt_jax import transitions
from codeopt_jax.corpus import Problem
from codeopt_jax.program import normalized_code, parse_program
from codeopt_jax.rewards import RewardConfig, is_broken, potential
from codeopt_jax.rewrites import ALL_RULES, legal_actions
from codeopt_jax.rewrites.base import Safety
from codeopt_jax.scoring import ScoreRecord, ScoringService

METHODS = ("identity", "random", "apply_all", "greedy", "beam", "exhaustive")
_MAX_STALE_ROLLOUTS = 64  # random search gives up after this many rollouts in a row find nothing new


@dataclasses.dataclass(frozen=True)
class SearchConfig:
    """Search settings shared by all methods."""

    budget: int = 64            # scorings per problem
    max_depth: int = 4          # rewrites per program (the policy's episode length)
    beam_width: int = 4         # beam search width
    apply_all_steps: int = 20   # cap on apply_all's rewrites
    allow_unsafe: bool = False  # include the deliberately unsafe mutations
    seed: int = 0               # random rollouts


@dataclasses.dataclass(frozen=True)
class Node:
    source: str
    rules: tuple[str, ...]
    record: ScoreRecord
    phi: float


@dataclasses.dataclass(frozen=True)
class SearchResult:
    """The best program a method found for one problem."""

    problem: str
    method: str
    best: Node
    original: ScoreRecord
    scorings: int
    explored: int       # distinct programs scored
    complete: bool      # the method finished within its budget (exhaustive: the whole space)


class _Scorer:
    """Scores programs for one problem against a budget of uncached scorings."""

    def __init__(self, problem: Problem, service: ScoringService, reward: RewardConfig, budget: int):
        self.problem, self.service, self.reward, self.budget = problem, service, reward, budget
        self.seen: set[str] = set()
        self.original_code = normalized_code(problem.program)
        self.original = service.score(problem, problem.program, reward.score_options)
        self.used = 1  # distinct programs scored for this search, the original included

    @property
    def left(self) -> int:
        return max(0, self.budget - self.used)

    def fresh(self, source: str) -> bool:
        """True the first time a program (up to layout) is offered; marks it seen."""
        code = normalized_code(source)
        if code in self.seen or code == self.original_code:
            return False
        self.seen.add(code)
        return True

    def score(self, candidates: list[tuple[str, tuple[str, ...]]]) -> list[Node]:
        """Scores as many candidates as the budget allows, in order."""
        candidates = candidates[:self.left]
        if not candidates:
            return []
        self.used += len(candidates)
        records = self.service.score_many([(self.problem, s) for s, _ in candidates], self.reward.score_options)
        return [Node(s, rules, r, potential(r, self.original, self.reward))
                for (s, rules), r in zip(candidates, records)]

    def valid(self, node: Node) -> bool:
        return not is_broken(node.record, self.reward)


def _best(nodes: list[Node], current: Node, scorer: _Scorer) -> Node:
    for node in nodes:
        if scorer.valid(node) and node.phi > current.phi:
            current = node
    return current


def _expand(node: Node, scorer: _Scorer, allowed: np.ndarray) -> list[tuple[str, tuple[str, ...]]]:
    return [(source, node.rules + (move,)) for move, source in transitions.neighbours(node.source, allowed)
            if scorer.fresh(source)]


def _random(scorer: _Scorer, root: Node, config: SearchConfig, allowed: np.ndarray) -> tuple[Node, bool]:
    rng = np.random.default_rng([config.seed, zlib.crc32(scorer.problem.name.encode())])
    best, stale = root, 0
    while scorer.left and stale < _MAX_STALE_ROLLOUTS:  # a small space runs out of new programs
        stale += 1
        source, rules = root.source, ()
        for _ in range(int(rng.integers(1, config.max_depth + 1))):
            moves = [(n, r) for n, r in legal_actions(parse_program(source)) if allowed[r]]
            if not moves:
                break
            node_id, rule_index = moves[int(rng.integers(len(moves)))]
            try:
                source = transitions.rewrite(source, node_id, rule_index)
            except Exception:  # a failed rewrite ends this rollout
                break
            rules += (f"{ALL_RULES[rule_index].name}@{node_id}",)
        if rules and scorer.fresh(source):
            stale = 0
            best = _best(scorer.score([(source, rules)]), best, scorer)
    return best, not scorer.left


def _apply_all(scorer: _Scorer, root: Node, config: SearchConfig, allowed: np.ndarray) -> tuple[Node, bool]:
    safe = allowed & np.array([rule.safety != Safety.UNSAFE for rule in ALL_RULES])
    source, rules, seen = root.source, (), {scorer.original_code}
    for _ in range(config.apply_all_steps):
        for move, new_source in transitions.neighbours(source, safe):
            code = normalized_code(new_source)
            if code not in seen:
                seen.add(code)
                source, rules = new_source, rules + (move,)
                break
        else:
            break
    if not rules:
        return root, True
    return _best(scorer.score([(source, rules)]), root, scorer), True


def _greedy(scorer: _Scorer, root: Node, config: SearchConfig, allowed: np.ndarray) -> tuple[Node, bool]:
    current = root
    for _ in range(config.max_depth):
        scored = scorer.score(_expand(current, scorer, allowed))
        best = _best(scored, current, scorer)
        if best is current:
            return current, True
        current = best
    return current, True


def _beam(scorer: _Scorer, root: Node, config: SearchConfig, allowed: np.ndarray,
          width: int | None) -> tuple[Node, bool]:
    """Beam search; width None keeps every valid program (breadth-first exhaustive)."""
    frontier, best, complete = [root], root, True
    for _ in range(config.max_depth):
        candidates = [c for node in frontier for c in _expand(node, scorer, allowed)]
        scored = scorer.score(candidates)
        if len(scored) < len(candidates):
            complete = False
        best = _best(scored, best, scorer)
        frontier = sorted((n for n in scored if scorer.valid(n)), key=lambda n: -n.phi)
        if width is not None:
            frontier = frontier[:width]
        if not frontier or not scorer.left:
            break
    return best, complete


def run_search(problem: Problem, method: str, service: ScoringService, reward: RewardConfig,
               config: SearchConfig = SearchConfig()) -> SearchResult:
    """Runs one method on one problem."""
    if method not in METHODS:
        raise ValueError(f"unknown search method {method!r}; expected one of {METHODS}")
    scorer = _Scorer(problem, service, reward, config.budget)
    if is_broken(scorer.original, reward):
        raise ValueError(f"{problem.path}: the original program fails its own checks "
                         f"({scorer.original.status}: {scorer.original.detail})")
    root = Node(problem.program, (), scorer.original, 0.0)
    allowed = transitions.allowed_rules(config.allow_unsafe)
    searches: dict[str, Callable[[], tuple[Node, bool]]] = {
        "identity": lambda: (root, True),
        "random": lambda: _random(scorer, root, config, allowed),
        "apply_all": lambda: _apply_all(scorer, root, config, allowed),
        "greedy": lambda: _greedy(scorer, root, config, allowed),
        "beam": lambda: _beam(scorer, root, config, allowed, config.beam_width),
        "exhaustive": lambda: _beam(scorer, root, config, allowed, None),
    }
    best, complete = searches[method]()
    return SearchResult(problem=problem.name, method=method, best=best, original=scorer.original,
                        scorings=scorer.used, explored=len(scorer.seen), complete=complete)
