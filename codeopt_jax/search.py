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

`reachable` counts, without scoring anything, the distinct programs within a number of
rewrites (breadth-first, up to a cap): how large the space each method searches is.
"""

from __future__ import annotations

import dataclasses
import zlib
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from codeopt_jax import moves
from codeopt_jax.corpus import Problem
from codeopt_jax.program import normalized_code
from codeopt_jax.rewards import RewardConfig, is_broken, potential
from codeopt_jax.rewrites import ALL_RULES
from codeopt_jax.rewrites.base import Safety
from codeopt_jax.scoring import ScoreRecord, ScoringService
from codeopt_jax.validation import check_fields

METHODS = ("identity", "random", "apply_all", "greedy", "beam", "exhaustive")
_MAX_STALE_ROLLOUTS = 64  # random search gives up after this many rollouts in a row find nothing new


@dataclasses.dataclass(frozen=True)
class SearchConfig:
    """Search settings shared by all methods."""

    budget: int = 64            # scorings per problem
    max_depth: int = 12         # rewrites per program (the policy's episode length, EnvConfig.max_steps)
    beam_width: int = 4         # beam search width
    apply_all_steps: int = 20   # cap on apply_all's rewrites
    allow_unsafe: bool = False  # include the deliberately unsafe mutations
    seed: int = 0               # random rollouts

    def __post_init__(self) -> None:
        check_fields(self, positive=("budget", "beam_width"), non_negative=("max_depth", "apply_all_steps"))


@dataclasses.dataclass(frozen=True)
class Node:
    """A program reached by `rules` ("rule@node" moves) from the search's start, with its Φ.

    `record` is None only for a start program this search did not score itself."""

    source: str
    rules: tuple[str, ...]
    record: ScoreRecord | None
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


class Scorer:
    """Scores programs for one problem against a budget, and remembers which programs were offered.

    Two budget rules: by default every distinct program offered counts, the original's
    own scoring included (what it would cost in a fresh cache; the baselines' rule).
    With `uncached_only`, only the service's uncached runs count, so programs someone
    already scored are free (the rule of a search that follows the agent on a user's
    function); pass the original's `original` record then."""

    def __init__(self, problem: Problem, service: ScoringService, reward: RewardConfig, budget: int,
                 original: ScoreRecord | None = None, uncached_only: bool = False):
        self.problem, self.service, self.reward, self.budget = problem, service, reward, budget
        self.seen: set[str] = set()
        self.original_code = normalized_code(problem.program)
        self.original = original if original is not None else service.score(problem, problem.program,
                                                                            reward.score_options)
        self.uncached_only = uncached_only
        self._first_scoring = service.scorings
        self.used = 0 if uncached_only else 1  # the original's scoring counts under the distinct rule

    @property
    def left(self) -> int:
        used = self.service.scorings - self._first_scoring if self.uncached_only else self.used
        return max(0, self.budget - used)

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
        return node.record is not None and not is_broken(node.record, self.reward)


def _best(nodes: list[Node], current: Node, scorer: Scorer) -> Node:
    for node in nodes:
        if scorer.valid(node) and node.phi > current.phi:
            current = node
    return current


def _expand(node: Node, scorer: Scorer, allowed: np.ndarray) -> list[tuple[str, tuple[str, ...]]]:
    return [(source, node.rules + (move,)) for move, source in moves.neighbours(node.source, allowed)
            if scorer.fresh(source)]


def _random(scorer: Scorer, root: Node, config: SearchConfig, allowed: np.ndarray) -> tuple[Node, bool]:
    rng = np.random.default_rng([config.seed, zlib.crc32(scorer.problem.name.encode())])
    best, stale = root, 0
    while scorer.left and stale < _MAX_STALE_ROLLOUTS:  # a small space runs out of new programs
        stale += 1
        source, rules = moves.random_rollout(root.source, int(rng.integers(1, config.max_depth + 1)),
                                                   allowed, rng)
        if rules and scorer.fresh(source):
            stale = 0
            best = _best(scorer.score([(source, rules)]), best, scorer)
    return best, not scorer.left


def _apply_all(scorer: Scorer, root: Node, config: SearchConfig, allowed: np.ndarray) -> tuple[Node, bool]:
    safe = allowed & np.array([rule.safety != Safety.UNSAFE for rule in ALL_RULES])
    source, rules, seen = root.source, (), {scorer.original_code}
    for _ in range(config.apply_all_steps):
        for move, new_source in moves.neighbours(source, safe):
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


def climb(scorer: Scorer, start: Node, max_depth: int, allowed: np.ndarray) -> Node:
    """Hill climbing from `start`: score every fresh neighbour, move to the best valid one while Φ
    improves, at most `max_depth` moves and within the scorer's budget; `start` when nothing improves."""
    current = start
    for _ in range(max_depth):
        best = _best(scorer.score(_expand(current, scorer, allowed)), current, scorer)
        if best is current:
            return current
        current = best
    return current


def _beam(scorer: Scorer, root: Node, config: SearchConfig, allowed: np.ndarray,
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
    scorer = Scorer(problem, service, reward, config.budget)
    if is_broken(scorer.original, reward):
        raise ValueError(f"{problem.path}: the original program fails its own checks "
                         f"({scorer.original.status}: {scorer.original.detail})")
    root = Node(problem.program, (), scorer.original, 0.0)
    allowed = moves.allowed_rules(config.allow_unsafe)
    searches: dict[str, Callable[[], tuple[Node, bool]]] = {
        "identity": lambda: (root, True),
        "random": lambda: _random(scorer, root, config, allowed),
        "apply_all": lambda: _apply_all(scorer, root, config, allowed),
        "greedy": lambda: (climb(scorer, root, config.max_depth, allowed), True),
        "beam": lambda: _beam(scorer, root, config, allowed, config.beam_width),
        "exhaustive": lambda: _beam(scorer, root, config, allowed, None),
    }
    best, complete = searches[method]()
    return SearchResult(problem=problem.name, method=method, best=best, original=scorer.original,
                        scorings=scorer.used, explored=len(scorer.seen), complete=complete)


# -- the reachable space (no scoring) -------------------------------------------


@dataclasses.dataclass(frozen=True)
class Reachable:
    """Distinct programs (up to layout, the original included) within each of `depths` rewrites.

    `exact[i]` is False when the cap was hit before depth `depths[i]` was finished: then
    `counts[i]` is the cap, a lower bound."""

    depths: tuple[int, ...]
    counts: tuple[int, ...]
    exact: tuple[bool, ...]
    expanded: int               # programs whose neighbours were listed

    def shown(self, index: int) -> str:
        """"37", or ">= 20000" for a count the cap cut short."""
        return str(self.counts[index]) if self.exact[index] else f">= {self.counts[index]}"


NeighbourMap = Callable[[Callable[[str], list[str]], Iterable[str]], Iterable[list[str]]]


@dataclasses.dataclass(frozen=True, eq=False)
class NeighbourSources:
    """Picklable `source -> [sources one allowed rewrite away]` (for a process pool's map)."""

    allowed: np.ndarray

    def __call__(self, source: str) -> list[str]:
        return [new_source for _, new_source in moves.neighbours(source, self.allowed)]


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def reachable(source: str, depths: Sequence[int], allowed: np.ndarray, cap: int = 20_000,
              map_fn: NeighbourMap = map, chunk: int = 64) -> Reachable:
    """Breadth-first over `moves.neighbours` (every legal rewrite of the allowed rules, no token
    window), identical programs merged by `normalized_code`, until the deepest depth or `cap`
    distinct programs. `map_fn` maps the neighbour listing over a chunk of programs (e.g. a
    process pool's `map`); the cap is checked after each chunk."""
    if not depths or min(depths) < 0 or cap < 1:
        raise ValueError(f"depths must be non-negative and cap positive, got {list(depths)} and {cap}")
    seen = {normalized_code(source)}
    within = [1]            # within[d]: distinct programs within d rewrites, for every finished level d
    frontier = [source]
    expanded = 0
    capped = len(seen) >= cap
    for _ in range(max(depths)):
        if capped or not frontier:
            break
        level: list[str] = []
        for part in _chunks(frontier, chunk):
            expanded += len(part)
            for found in map_fn(NeighbourSources(allowed), part):
                for new_source in found:
                    code = normalized_code(new_source)
                    if code not in seen:
                        seen.add(code)
                        level.append(new_source)
            if len(seen) >= cap:
                capped = True
                break
        if capped:
            break
        within.append(len(seen))
        frontier = level
    finished = len(within) - 1 if capped else max(depths)  # not capped: every level done, or nothing deeper
    counts = tuple(within[min(d, len(within) - 1)] if d <= finished else cap for d in depths)
    exact = tuple(d <= finished for d in depths)
    return Reachable(tuple(depths), counts, exact, expanded)

