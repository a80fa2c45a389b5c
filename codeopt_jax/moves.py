"""Moves on programs, host-side: view a program (tokens + mask), apply one action, list neighbours, roll out.

Plain functions over source strings and numpy arrays, picklable, with no JAX: the
environment runs them in a `spawn` process pool (or in-process), and the search
baselines and the reward-model data builder call them directly. Rewrites never execute candidate code, so they are
safe outside the scoring sandbox.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Hashable, Sequence

import numpy as np

from codeopt_jax import actions, tokens
from codeopt_jax.program import ProgramError, parse_program
from codeopt_jax.rewrites import ALL_RULES, RewriteError, apply_rewrite, legal_actions
from codeopt_jax.rewrites.base import Safety


@dataclasses.dataclass(frozen=True, eq=False)
class ProgramView:
    """What the policy sees of one program.

    Attributes:
      source: the program text.
      tokens, depth, parent, valid, node_id: [L] arrays (see `codeopt_jax.tokens`).
      action_mask: [L * R + 1] bool, flat (position p, rule r) -> p * R + r; STOP last.
      num_rewrites: legal rewrite actions (STOP excluded).
      truncated: the program had more than L tokens.
      window_offset: position p >= 1 shows token p + window_offset of the whole program (0: its first L tokens;
        see `codeopt_jax.tokens` for the window around the focus function).
    """

    source: str
    tokens: np.ndarray
    depth: np.ndarray
    parent: np.ndarray
    valid: np.ndarray
    node_id: np.ndarray
    action_mask: np.ndarray
    num_rewrites: int
    truncated: bool
    window_offset: int = 0


def allowed_rules(allow_unsafe: bool, rule_names: Sequence[str] | None = None) -> np.ndarray:
    """[R] bool: which registry rules the agent may use (the action space stays all R)."""
    allowed = np.array([allow_unsafe or rule.safety != Safety.UNSAFE for rule in ALL_RULES], dtype=bool)
    if rule_names is not None:
        unknown = set(rule_names) - {rule.name for rule in ALL_RULES}
        if unknown:
            raise ValueError(f"unknown rewrite rules: {sorted(unknown)}")
        allowed &= np.array([rule.name in rule_names for rule in ALL_RULES], dtype=bool)
    return allowed


def view_program(source: str, max_len: int, allowed: np.ndarray, focus: str | None = None) -> ProgramView:
    """Tokenizes a program and computes its action mask restricted to `allowed` rules.

    focus: the top-level function (the problem's entry point) a program longer than max_len is windowed on;
    only rewrite sites inside the window are offered."""
    module = parse_program(source)
    tokenized = tokens.tokenize(module, max_len, focus=focus)
    mask = actions.action_mask(module, tokenized, ALL_RULES) & allowed[None, :]
    flat = actions.flat_action_mask(mask)
    return ProgramView(source=source, tokens=tokenized.tokens, depth=tokenized.depth,
                       parent=tokenized.parent, valid=tokenized.valid, node_id=tokenized.node_id,
                       action_mask=flat, num_rewrites=int(mask.sum()), truncated=tokenized.truncated,
                       window_offset=tokenized.window_offset)


@dataclasses.dataclass(frozen=True)
class Site:
    """Where a rewrite action applies: rule `rule_index` at node `node_id` of the program."""

    node_id: int
    rule_index: int


def decode(view: ProgramView, action: int) -> Site | None:
    """The site of an action on this view; None for STOP.

    Raises ValueError for an action the view's mask forbids."""
    if not 0 <= action < view.action_mask.shape[0] or not view.action_mask[action]:
        raise ValueError(f"illegal action {action} (the action mask forbids it)")
    max_len = view.tokens.shape[0]
    decoded = actions.decode_action(action, max_len, len(ALL_RULES))
    if decoded.stop:
        return None
    return Site(node_id=int(view.node_id[decoded.position]), rule_index=decoded.rule_index)


@dataclasses.dataclass(frozen=True, eq=False)
class StepResult:
    """The outcome of applying one action: a new view, or an error and no change."""

    view: ProgramView | None
    rule: str
    error: str = ""


def rewrite(source: str, node_id: int, rule_index: int) -> str:
    """The program after rule `rule_index` at node `node_id`; raises RewriteError."""
    return apply_rewrite(source, ALL_RULES[rule_index].name, node_id)


def step_program(source: str, node_id: int, rule_index: int, max_len: int,
                 allowed: np.ndarray, focus: str | None = None) -> StepResult:
    """Applies one rewrite and views the result (windowed on `focus`); never raises for a failed rewrite."""
    rule = ALL_RULES[rule_index].name
    try:
        new_source = rewrite(source, node_id, rule_index)
        return StepResult(view=view_program(new_source, max_len, allowed, focus), rule=rule)
    except (RewriteError, ProgramError) as exc:
        return StepResult(view=None, rule=rule, error=f"{type(exc).__name__}: {exc}")


class MoveCache:
    """A bounded LRU memo of pure move results (views of programs, step results), keyed by their inputs.

    view_program and step_program are pure functions of (source, site, max_len, allowed,
    focus), so an environment that keeps one cache per (max_len, allowed) can reuse a
    result for a program (and site) it has seen before instead of re-parsing, rewriting
    and re-viewing it: the result is the same object, never recomputed differently.
    Results are shared, not copied: callers must not modify them (ProgramView arrays are
    read-only by convention)."""

    def __init__(self, max_entries: int):
        if max_entries < 0:
            raise ValueError(f"max_entries must be non-negative, got {max_entries}")
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._entries: collections.OrderedDict[Hashable, object] = collections.OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable):
        """The cached result for key (counted as a hit), or None (a miss)."""
        if key in self._entries:
            self._entries.move_to_end(key)
            self.hits += 1
            return self._entries[key]
        self.misses += 1
        return None

    def put(self, key: Hashable, value: object) -> None:
        """Stores value, dropping the least recently used entry beyond max_entries."""
        if not self.max_entries:
            return
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


def neighbours(source: str, allowed: np.ndarray) -> list[tuple[str, str]]:
    """Every program one legal rewrite away: [(rule@node, new source)], in action order.

    Unlike the policy, search is not limited to a window of L tokens."""
    module = parse_program(source)
    result = []
    for node_id, rule_index in legal_actions(module):
        if not allowed[rule_index]:
            continue
        try:
            result.append((f"{ALL_RULES[rule_index].name}@{node_id}", rewrite(source, node_id, rule_index)))
        except (RewriteError, ProgramError):
            continue
    return result


def random_rollout(source: str, depth: int, allowed: np.ndarray,
                   rng: np.random.Generator) -> tuple[str, tuple[str, ...]]:
    """Up to `depth` random legal rewrites of source: (new source, ("rule@node", ...)).

    Each step picks uniformly among the allowed legal actions; the rollout stops early
    when none applies or a rewrite fails."""
    moves_made: tuple[str, ...] = ()
    for _ in range(depth):
        moves = [(node_id, rule_index) for node_id, rule_index in legal_actions(parse_program(source))
                 if allowed[rule_index]]
        if not moves:
            break
        node_id, rule_index = moves[int(rng.integers(len(moves)))]
        try:
            source = rewrite(source, node_id, rule_index)
        except (RewriteError, ProgramError):
            break
        moves_made += (f"{ALL_RULES[rule_index].name}@{node_id}",)
    return source, moves_made
