"""Batched host environment over programs, in the Jumanji / gymnax shape.

  env = CodeOptEnv(EnvConfig(), reward_preset("opcount"), scoring_service)
  timestep = env.reset(problems)            # B problems, one episode each
  timestep = env.step(actions)              # actions [B] int, flat (see moves.ProgramView)

Observation: dict of `tokens`, `depth`, `parent`, `valid` [B, L] and `action_mask`
[B, L*R+1] (STOP last, always legal). Reward r_t = Φ(s_{t+1}) − Φ(s_t) with Φ from
`rewards.potential`, so an episode's return is Φ(final) (Φ(original) = 0). An episode
ends at STOP, after `max_steps` rewrites, when no rewrite is legal, or (with
`end_on_broken`) when a rewrite breaks the program. With a learned reward model, Φ can
add `model_weight * (s(program) − s(original))`, and `screen_top_k` measures only the
model's top-k new programs per step: a screened-out program keeps its parent's Φ
(reward 0) until it is measured, and every final program is measured, so the return
is still the measured Φ(final). A finished slot stays finished:
its later steps give reward 0, done True, and a mask that allows only STOP, so a
fixed-horizon rollout of `max_steps` steps covers every episode (the rollout marks
those padding steps inactive: `TimeStep.done` before a step says whether its action
is a real choice, and the learning rules leave them out).

A program longer than L tokens is seen through a window of L tokens centred on the
problem's entry point (`moves.view_program`).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import signal
import time
from typing import Any, Sequence

import numpy as np

from codeopt_jax import actions, moves
from codeopt_jax.corpus import Problem
from codeopt_jax.program import normalized_code
from codeopt_jax.rewards import RewardConfig, is_broken, potential
from codeopt_jax.rewrites import ALL_RULES
from codeopt_jax.scoring import ScoreRecord, ScoringService, records
from codeopt_jax.validation import check_fields

# An original's record with one of these statuses says the machine was busy, not that the program is broken.
TRANSIENT_STATUSES = (records.TIMEOUT, records.CRASH, records.VOIDED)
ORIGINAL_RETRIES = 2  # fresh re-measurements of such an original before reset gives up

OBSERVATION_KEYS = ("tokens", "depth", "parent", "valid")


def _ignore_interrupts() -> None:
    """Rewrite workers leave Ctrl-C to the trainer, which shuts them down."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclasses.dataclass(frozen=True)
class EnvConfig:
    """Environment settings."""

    max_len: int = 192           # L: tokens per program seen by the policy
    max_steps: int = 12          # T: rewrites per episode
    allow_unsafe: bool = False   # let the agent use the deliberately unsafe mutations
    end_on_broken: bool = True   # end the episode when a rewrite breaks the program
    rewrite_workers: int = 0     # processes for parsing/rewriting (0 = in this process)
    screen_top_k: int = 0        # with a reward model: measure only the model's top-k candidates per step (0: all)
    move_cache: int = 4096       # views and rewrite results remembered per (program, site) (0: none; ~20 KB each)

    def __post_init__(self) -> None:
        check_fields(self, positive=("max_len", "max_steps"),
                     non_negative=("rewrite_workers", "screen_top_k", "move_cache"))


@dataclasses.dataclass(frozen=True)
class StepInfo:
    """Where one episode stands after a step: its current program, Φ and record."""

    problem: str                # problem name
    source: str                 # the current program
    phi: float                  # Φ of the current program (the return so far)
    record: ScoreRecord         # the last measured program's record
    rules: tuple[str, ...]      # rewrites applied so far
    steps: int                  # rewrite actions taken (failed ones included)
    error: str                  # why the last rewrite failed ("" when it did not)
    verified: bool              # the current program was measured (False: screened out by the reward model)

    def as_dict(self) -> dict[str, Any]:
        """A shallow dict, for gym-style callers that expect `info` to be one."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}


@dataclasses.dataclass(frozen=True)
class TimeStep:
    """observation: dict of [B, ...] arrays (action_mask included); reward [B] f32; done [B] bool; info [B]."""

    observation: dict[str, np.ndarray]
    reward: np.ndarray
    done: np.ndarray
    info: tuple[StepInfo, ...]


@dataclasses.dataclass
class _Slot:
    problem: Problem
    original: ScoreRecord
    original_code: str
    view: moves.ProgramView
    record: ScoreRecord
    phi: float = 0.0
    steps: int = 0
    done: bool = False
    rules: tuple[str, ...] = ()
    error: str = ""
    base_phi: float = 0.0        # Φ without the reward-model term
    model_score: float = 0.0     # reward model's score of the current program
    measured_model_score: float = 0.0  # reward model's score of the last measured program (the one base_phi is of)
    original_model_score: float = 0.0
    verified: bool = True        # the current program was measured (False: screened out)


class CodeOptEnv:
    """B parallel episodes, one per problem given to `reset`."""

    def __init__(self, config: EnvConfig, reward: RewardConfig, scoring: ScoringService, reward_model=None):
        """reward_model: an object with `scores(sources) -> [N]` (see reward_model.scorer), needed when
        `reward.model_weight` is non-zero or `config.screen_top_k` is set."""
        if (reward.model_weight or config.screen_top_k) and reward_model is None:
            raise ValueError("model_weight / screen_top_k need a reward model")
        self.config = config
        self.reward = reward
        self.scoring = scoring
        self.reward_model = reward_model
        self.model_stats = {"candidates": 0, "measured": 0, "preferred": 0, "preferred_but_worse": 0}
        self.allowed = moves.allowed_rules(config.allow_unsafe)
        self.num_rules = len(ALL_RULES)
        self.num_actions = actions.num_actions(config.max_len, self.num_rules)
        self.stop_action = actions.stop_index(config.max_len, self.num_rules)
        self.perf = {"rewrite_seconds": 0.0, "scoring_seconds": 0.0}
        self.moves = moves.MoveCache(config.move_cache)  # pure results: a seen program or step is not recomputed
        self.failed_rewrites = 0
        self._slots: list[_Slot] = []
        self._executor: concurrent.futures.Executor | None = None
        if config.rewrite_workers > 0:
            self._executor = concurrent.futures.ProcessPoolExecutor(
                config.rewrite_workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_ignore_interrupts)

    # -- helpers -------------------------------------------------------------

    def _map(self, function, *argument_lists):
        if self._executor is None:
            return list(map(function, *argument_lists))
        return list(self._executor.map(function, *argument_lists))

    def _cached_map(self, keys: list, function, *argument_lists) -> list:
        """function over the argument lists, computing (in the worker pool) only the keys the move cache lacks."""
        found = {key: self.moves.get(key) for key in dict.fromkeys(keys)}  # each distinct key once
        missing = [key for key, result in found.items() if result is None]
        if missing:
            first = {key: keys.index(key) for key in missing}
            computed = self._map(function, *([arguments[first[key]] for key in missing] for arguments in argument_lists))
            for key, result in zip(missing, computed):
                found[key] = result
                self.moves.put(key, result)
        return [found[key] for key in keys]

    def _score(self, problems: Sequence[Problem], sources: Sequence[str], fresh: bool = False) -> list[ScoreRecord]:
        start = time.perf_counter()
        scored = self.scoring.score_many(list(zip(problems, sources)), self.reward.score_options, fresh=fresh)
        self.perf["scoring_seconds"] += time.perf_counter() - start
        return scored

    def _score_originals(self, problems: Sequence[Problem]) -> list[ScoreRecord]:
        """The originals' records; one that timed out, crashed or was voided (a busy machine, not the
        program) is measured again, past the cache, up to ORIGINAL_RETRIES times."""
        originals = self._score(problems, [p.program for p in problems])
        for _ in range(ORIGINAL_RETRIES):
            again = [i for i, record in enumerate(originals) if record.status in TRANSIENT_STATUSES]
            if not again:
                break
            remeasured = self._score([problems[i] for i in again], [problems[i].program for i in again], fresh=True)
            for index, record in zip(again, remeasured):
                originals[index] = record
        return originals

    def _base_phi(self, slot: _Slot, record: ScoreRecord, source: str) -> float:
        """Φ from measurements only."""
        if normalized_code(source) == slot.original_code:
            return 0.0  # Φ(original) = 0 exactly, not a noisy self-timing
        return potential(record, slot.original, self.reward)

    def _total_phi(self, slot: _Slot, record: ScoreRecord, base: float, model_score: float) -> float:
        """Φ plus the reward-model term w * (s(program) − s(original)) for programs that pass the gates."""
        if not self.reward.model_weight or is_broken(record, self.reward):
            return base
        return base + self.reward.model_weight * (model_score - slot.original_model_score)

    def _model_scores(self, sources: list[str]) -> np.ndarray:
        if self.reward_model is None or not sources:
            return np.zeros(len(sources))
        return np.asarray(self.reward_model.scores(sources, self.config.max_len), dtype=float)

    def _measure(self, measured: list[tuple[int, "moves.ProgramView", float]]) -> list[float]:
        """Scores (slot index, view, model score) triples; updates the slots; returns the Φ changes."""
        scored = self._score([self._slots[i].problem for i, _, _ in measured], [v.source for _, v, _ in measured])
        deltas = []
        for (index, view, model_score), record in zip(measured, scored):
            slot = self._slots[index]
            base = self._base_phi(slot, record, view.source)
            if self.reward_model is not None and model_score > slot.measured_model_score:
                self.model_stats["preferred"] += 1  # the model ranks it above the last measured program
                self.model_stats["preferred_but_worse"] += int(base < slot.base_phi)
            phi = self._total_phi(slot, record, base, model_score)
            deltas.append(phi - slot.phi)
            slot.phi, slot.base_phi, slot.record, slot.verified = phi, base, record, True
            slot.measured_model_score = model_score
        return deltas

    def _timestep(self, rewards: np.ndarray) -> TimeStep:
        views = [slot.view for slot in self._slots]
        observation = {key: np.stack([getattr(v, key) for v in views]) for key in OBSERVATION_KEYS}
        mask = np.stack([v.action_mask for v in views])
        done = np.array([slot.done for slot in self._slots], dtype=bool)
        mask[done] = False
        mask[:, self.stop_action] = True
        observation["action_mask"] = mask
        info = tuple(StepInfo(problem=s.problem.name, source=s.view.source, phi=s.phi, record=s.record,
                              rules=s.rules, steps=s.steps, error=s.error, verified=s.verified)
                     for s in self._slots)
        return TimeStep(observation=observation, reward=rewards.astype(np.float32), done=done, info=info)

    # -- API -----------------------------------------------------------------

    @property
    def original_records(self) -> list[ScoreRecord]:
        """Score records of the current episodes' original programs."""
        return [slot.original for slot in self._slots]

    def reset(self, problems: Sequence[Problem]) -> TimeStep:
        """Starts one episode per problem from its original program."""
        if not problems:
            raise ValueError("reset needs at least one problem")
        start = time.perf_counter()
        views = self._cached_map([("view", p.program, p.entry_point) for p in problems], moves.view_program,
                                 [p.program for p in problems], [self.config.max_len] * len(problems),
                                 [self.allowed] * len(problems), [p.entry_point for p in problems])
        self.perf["rewrite_seconds"] += time.perf_counter() - start
        originals = self._score_originals(problems)
        model_scores = self._model_scores([p.program for p in problems])
        self._slots = []
        for problem, view, original, model_score in zip(problems, views, originals, model_scores):
            if not original.valid:
                raise ValueError(f"{problem.path}: the original program fails its own checks "
                                 f"({original.status}: {original.detail})")
            self._slots.append(_Slot(problem=problem, original=original, view=view, record=original,
                                     original_code=normalized_code(problem.program),
                                     done=view.num_rewrites == 0, model_score=float(model_score),
                                     measured_model_score=float(model_score),
                                     original_model_score=float(model_score)))
        return self._timestep(np.zeros(len(problems)))

    def step(self, actions: np.ndarray) -> TimeStep:
        """Applies one action per slot; returns rewards Φ(s') − Φ(s) and done flags."""
        actions = np.asarray(actions).reshape(-1)
        if actions.shape[0] != len(self._slots):
            raise ValueError(f"expected {len(self._slots)} actions, got {actions.shape[0]}")
        rewards = np.zeros(len(self._slots))
        moving: list[tuple[int, moves.Site]] = []  # (slot index, where its rewrite applies)
        for index, (slot, action) in enumerate(zip(self._slots, actions)):
            if slot.done:
                continue
            site = moves.decode(slot.view, int(action))
            if site is None:
                slot.done = True
                continue
            moving.append((index, site))
        if not moving:
            return self._timestep(rewards)
        start = time.perf_counter()
        keys = [("step", self._slots[i].view.source, site.node_id, site.rule_index, self._slots[i].problem.entry_point)
                for i, site in moving]
        results = self._cached_map(keys, moves.step_program,
                                   [self._slots[i].view.source for i, _ in moving],
                                   [site.node_id for _, site in moving], [site.rule_index for _, site in moving],
                                   [self.config.max_len] * len(moving), [self.allowed] * len(moving),
                                   [self._slots[i].problem.entry_point for i, _ in moving])
        self.perf["rewrite_seconds"] += time.perf_counter() - start
        changed = [(i, result) for (i, _), result in zip(moving, results) if result.view is not None]
        for (index, _), result in zip(moving, results):
            slot = self._slots[index]
            slot.steps += 1
            slot.error = result.error
            if result.view is None:
                self.failed_rewrites += 1
        model_scores = self._model_scores([result.view.source for _, result in changed])
        measure = self._screen(changed, model_scores)
        measured = []
        for (index, result), model_score, selected in zip(changed, model_scores, measure):
            slot = self._slots[index]
            slot.view, slot.rules = result.view, slot.rules + (result.rule,)
            if selected:
                measured.append((index, result.view, float(model_score)))
            else:  # screened out: assumed no better than its parent until measured
                slot.verified = False
            slot.model_score = float(model_score)
        for (index, _, _), delta in zip(measured, self._measure(measured)):
            rewards[index] += delta
            if self.config.end_on_broken and is_broken(self._slots[index].record, self.reward):
                self._slots[index].done = True
        for slot in self._slots:
            if slot.steps >= self.config.max_steps or slot.view.num_rewrites == 0:
                slot.done = True
        unverified = [(i, s.view, s.model_score) for i, s in enumerate(self._slots) if s.done and not s.verified]
        for (index, _, _), delta in zip(unverified, self._measure(unverified)):
            rewards[index] += delta  # the final program is always measured: the return stays Φ(final)
        return self._timestep(rewards)

    def _screen(self, changed: list, model_scores: np.ndarray) -> list[bool]:
        """Which new programs to measure now: all, or the reward model's top-k by predicted gain."""
        self.model_stats["candidates"] += len(changed)
        k = self.config.screen_top_k
        if not k or len(changed) <= k:
            self.model_stats["measured"] += len(changed)
            return [True] * len(changed)
        gains = [score - self._slots[index].model_score for (index, _), score in zip(changed, model_scores)]
        chosen = set(np.argsort(gains)[::-1][:k].tolist())
        self.model_stats["measured"] += k
        return [position in chosen for position in range(len(changed))]

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None

    def __enter__(self) -> "CodeOptEnv":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class SingleEnv:
    """Gym-style wrapper around one problem: reset() -> (obs, info); step(a) -> (obs, r, terminated, truncated, info)."""

    def __init__(self, problem: Problem, env: CodeOptEnv):
        self.problem = problem
        self.env = env

    @staticmethod
    def _unbatch(timestep: TimeStep) -> dict[str, np.ndarray]:
        return {key: value[0] for key, value in timestep.observation.items()}

    def reset(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        timestep = self.env.reset([self.problem])
        return self._unbatch(timestep), timestep.info[0].as_dict()

    def step(self, action: int) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        timestep = self.env.step(np.array([action]))
        info = timestep.info[0]
        truncated = bool(timestep.done[0]) and info.steps >= self.env.config.max_steps \
            and action != self.env.stop_action
        terminated = bool(timestep.done[0]) and not truncated
        return self._unbatch(timestep), float(timestep.reward[0]), terminated, truncated, info.as_dict()
