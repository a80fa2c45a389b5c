"""Optimizing a user's own function: the agent proposes, a greedy search improves, validation decides.

  problem = build_user_problem("shop.py", "order_total", "test_shop.py", "workload.py").problem
  with ScoringService(2) as service:
      result = optimize(problem, load_agent(workdir), service, OptimizeConfig(budget=64))
  print(result.diff())

Within a budget of scorings (uncached candidate runs): the
agent's greedy episode and up to k sampled ones, then hill climbing over the same
rewrites from the best program found so far, with Φ always measured against the
user's original. The returned program is, among the best-Φ candidates whose final
measurement passes the tests and matches the original on every workload call and edge
case, the one the final paired timing finds fastest, and only when it is faster beyond
the timing noise; otherwise the original itself, with the reason. With
`verify="crosshair"` it must also survive CrossHair's `diffbehavior` against the original
for `verify_seconds`: a counterexample rejects it and the next fastest is tried. In a program longer
than the agent's token window the agent sees a window around the target function; the
search sees the whole file.
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import Any, Callable

import numpy as np

from codeopt_jax import moves, search
from codeopt_jax.agent import Agent
from codeopt_jax.corpus import Problem
from codeopt_jax.env import CodeOptEnv
from codeopt_jax.proposals import greedy_candidate, problem_key, sampled_candidates
from codeopt_jax.rewards import RewardConfig, reward_preset
from codeopt_jax.scoring import ScoreRecord, ScoringService, symbolic
from codeopt_jax.scoring.records import EXCEPTION, MATCH, OK, TEST_FAILURE, TIMEOUT
from codeopt_jax.selection import (Candidate, FinalMeasurer, Selection, final_options, passes_validation, rule_name,
                                   select_valid)
from codeopt_jax.user_problem import UserInputError


VERIFY_MODES = ("tests", "crosshair")


@dataclasses.dataclass(frozen=True)
class OptimizeConfig:
    """Settings of one optimization."""

    budget: int = 64            # uncached scorings for the agent and the search together
    reward: str = "opcount"     # Φ preset: "opcount" or "cost" (deterministic) or "timing"
    k: int = 4                  # sampled agent episodes besides the greedy one
    max_depth: int = 4          # rewrites the search may add to the best program so far
    timing_rounds: int = 7      # paired rounds of the final timing
    seed: int = 0
    verify: str = "tests"       # "tests", or "crosshair": also a symbolic search for a differing input
    verify_seconds: float = 20.0  # CrossHair's CPU seconds per checked candidate

    def __post_init__(self) -> None:
        reward_preset(self.reward)  # raises for an unknown preset
        if self.budget < 1 or self.k < 0 or self.max_depth < 0 or self.timing_rounds < 1:
            raise ValueError("budget and timing_rounds must be >= 1; k and max_depth >= 0")
        if self.verify not in VERIFY_MODES:
            raise ValueError(f"verify must be one of {', '.join(VERIFY_MODES)}, not {self.verify!r}")
        if not self.verify_seconds > 0:
            raise ValueError(f"verify_seconds must be > 0, not {self.verify_seconds}")


@dataclasses.dataclass(frozen=True)
class SymbolicVerdict:
    """CrossHair's check of one candidate (named by its origin) against the original."""

    origin: str
    check: symbolic.SymbolicCheck


@dataclasses.dataclass(frozen=True)
class OptimizeResult:
    """The returned program (the original when nothing valid improved it) and how it was found."""

    problem: Problem
    selection: Selection
    original_record: ScoreRecord       # the original under the reward's gates
    candidates: tuple[Candidate, ...]  # everything proposed, in the order found
    scorings: int                      # budgeted scorings used
    config: OptimizeConfig
    agent: dict[str, Any] | None
    notes: tuple[str, ...] = ()
    symbolic: tuple[SymbolicVerdict, ...] = ()  # CrossHair's checks, in order (verify="crosshair")

    @property
    def source(self) -> str:
        return self.selection.candidate.source

    @property
    def changed(self) -> bool:
        return self.selection.changed

    @property
    def speedup(self) -> float:
        record = self.selection.record
        return record.speedup if self.changed and record.speedup is not None else 1.0

    @property
    def op_ratio(self) -> float:
        record = self.selection.record
        return record.op_ratio if self.changed and record.op_ratio is not None else 1.0

    def diff(self) -> str:
        """Unified diff from the original file to the returned program (empty when unchanged)."""
        path = self.problem.path
        return "".join(difflib.unified_diff(self.problem.program.splitlines(keepends=True),
                                            self.source.splitlines(keepends=True), fromfile=path, tofile=path,
                                            fromfiledate="original", tofiledate="optimized"))

    def report_lines(self) -> list[str]:
        """A human-readable summary: speedup with its spread, rewrites, validation."""
        record, name = self.selection.record, f"{self.problem.entry_point}()"
        lines = []
        if self.changed:
            spread = ""
            if record.speedup_low is not None:
                spread = (f", middle half of the paired ratios {record.speedup_low:.2f}x–"
                          f"{record.speedup_high:.2f}x over {self.config.timing_rounds} rounds")
            lines.append(f"{name}: {self.speedup:.2f}x faster (paired timing{spread}); "
                         f"executed bytecode instructions {self.op_ratio:.3f}x of the original")
            lines.append(f"rewrites: {', '.join(self.selection.candidate.rules)} "
                         f"(found by {self.selection.candidate.origin})")
        else:
            if self.selection.reason:
                lines += [f"{name}: the original is returned unchanged", f"why: {self.selection.reason}"]
            else:
                lines.append(f"{name}: no valid improvement found; the original is returned unchanged")
        lines.append(f"validation: tests {record.tests_passed}/{record.tests_total} passed, "
                     f"outputs {'match' if record.differential == MATCH else record.differential} "
                     f"the original on the workload and the tests' inputs")
        for rejection in self.selection.rejected:
            lines.append(f"rejected {rejection.origin}: {rejection.reason}")
        lines.extend(f"note: {note}" for note in self.notes)
        lines.append(f"scorings used: {self.scorings} of {self.config.budget}")
        return lines

    def to_json(self) -> dict[str, Any]:
        record = self.selection.record
        return {
            "source_file": self.problem.path,
            "function": self.problem.entry_point,
            "changed": self.changed,
            "found_by": self.selection.candidate.origin,
            "rewrites": list(self.selection.candidate.rules),
            "phi": self.selection.candidate.phi,
            "speedup": self.speedup,
            "speedup_low": record.speedup_low if self.changed else 1.0,
            "speedup_high": record.speedup_high if self.changed else 1.0,
            "speedup_cv": record.speedup_cv if self.changed else 0.0,
            "time_original": record.time_original,
            "time_optimized": record.time_candidate if self.changed else record.time_original,
            "op_ratio": self.op_ratio,
            "status": record.status,
            "tests_passed": record.tests_passed,
            "tests_total": record.tests_total,
            "differential": record.differential,
            "valid": passes_validation(record),
            "scorings": self.scorings,
            "config": dataclasses.asdict(self.config),
            "agent": self.agent,
            "candidates": [{"origin": c.origin, "phi": c.phi, "rewrites": list(c.rules)} for c in self.candidates],
            "rejected": [{"origin": r.origin, "reason": r.reason} for r in self.selection.rejected],
            "unchanged_reason": self.selection.reason,
            "symbolic": [{"origin": v.origin, **dataclasses.asdict(v.check)} for v in self.symbolic],
            "notes": list(self.notes),
            "original_source": self.problem.program,
            "optimized_source": self.source,
            "diff": self.diff(),
        }


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else ""


# What the scoring service was doing with the original in each phase (see ScoreRecord.phase).
_PHASE_ACTIVITY = {
    "load": "loading the problem and running the original {name} on its workload",
    "tests": "running the tests of the original {name}",
    "differential": "running the original {name} on its workload",
    "opcount": "counting the executed instructions of the original {name}",
    "cost": "measuring the modelled cost of the original {name}",
    "timing": "timing the original {name}",
}


def score_original(problem: Problem, service: ScoringService, reward: RewardConfig) -> ScoreRecord:
    """The original's record under the reward's gates; raises UserInputError (one line, naming the
    phase that failed) unless it passes its tests, gives the same results when run again on the
    workload, and is measured as the reward needs."""
    record = service.score(problem, problem.program, reward.score_options)
    name = f"{problem.entry_point}()"
    if record.problem_error:
        raise UserInputError(f"{problem.path}: {_first_line(record.problem_error)}")
    if record.status != OK:
        detail = _first_line(record.detail) or record.status
        if record.phase == "tests" and record.status in (TEST_FAILURE, EXCEPTION):
            raise UserInputError(f"{problem.path}: the original {name} does not pass its tests ({detail})")
        activity = _PHASE_ACTIVITY.get(record.phase, "scoring the original {name}")
        outcome = "took too long" if record.status == TIMEOUT else "failed"
        raise UserInputError(f"{problem.path}: {activity.format(name=name)} {outcome} ({detail})")
    if record.differential != MATCH:
        raise UserInputError(f"{problem.path}: the original {name} gives different results when run again on "
                             f"the workload ({_first_line(record.detail) or record.differential}); only "
                             f"deterministic functions with comparable results can be optimized")
    if reward.opcount_weight and record.op_count is None:
        raise UserInputError(f"{problem.path}: the executed instructions of the original {name} cannot be "
                             f"counted ({_first_line(record.detail) or 'no count'}); use --reward timing or a "
                             f"lighter workload")
    if reward.cost_weight and record.cost is None:
        raise UserInputError(f"{problem.path}: the modelled cost of the original {name} cannot be measured "
                             f"({_first_line(record.detail) or 'no cost'}); use --reward timing or a lighter workload")
    return record


def hill_climb(problem: Problem, start: Candidate, original: ScoreRecord, service: ScoringService,
               reward: RewardConfig, budget: int, max_depth: int, allowed: np.ndarray) -> Candidate:
    """`search.climb` from `start`, Φ against the original, spending at most `budget` uncached scorings;
    returns `start` when nothing improves."""
    scorer = search.Scorer(problem, service, reward, budget, original=original, uncached_only=True)
    scorer.fresh(start.source)
    best = search.climb(scorer, search.Node(start.source, (), None, start.phi), max_depth, allowed)
    if not best.rules:
        return start
    return Candidate(best.source, start.rules + tuple(map(rule_name, best.rules)), best.phi, "greedy search")


def crosshair_verifier(problem: Problem, seconds: float, verdicts: list[SymbolicVerdict], notes: list[str],
                       log: Callable[[str], None]) -> Callable[[Candidate], str | None]:
    """A `select_valid` hook: a rejection reason when CrossHair finds an input on which the candidate
    differs from the original; otherwise None, with a note on what CrossHair did or could not do."""

    def verify(candidate: Candidate) -> str | None:
        log(f"CrossHair: looking for an input where the {candidate.origin} result differs ({seconds:g} s)")
        check = symbolic.diff_behavior(problem.program, candidate.source, problem.entry_point, seconds)
        verdicts.append(SymbolicVerdict(candidate.origin, check))
        if check.status == symbolic.COUNTEREXAMPLE:
            return f"CrossHair counterexample: {check.first_difference}"
        if check.status == symbolic.NO_DIFFERENCE:
            notes.append(f"CrossHair found no difference within {seconds:g} s ({check.detail}); "
                         f"not a proof of equivalence")
        else:
            notes.append(f"CrossHair could not check the {candidate.origin} result ({check.status}: "
                         f"{check.detail}); it is kept on the strength of its tests")
        return None

    return verify


def optimize(problem: Problem, agent: Agent | None, service: ScoringService,
             config: OptimizeConfig = OptimizeConfig(),
             log: Callable[[str], None] = lambda line: None) -> OptimizeResult:
    """Optimizes `problem.entry_point` inside `problem.program`; see the module docstring.

    Raises UserInputError when the original fails its own tests or is not deterministic, or when
    `config.verify` is "crosshair" and CrossHair is not installed."""
    reward = reward_preset(config.reward)
    if config.verify == "crosshair":
        symbolic.require_crosshair()
    first = service.scorings
    original = score_original(problem, service, reward)
    allowed = moves.allowed_rules(False)
    candidates: list[Candidate] = []
    notes: list[str] = []
    if original.op_count_calls is not None and original.op_count_calls < (original.workload_calls or 0):
        notes.append(f"executed instructions are counted on the first {original.op_count_calls} of the "
                     f"{original.workload_calls} workload calls (the original's count stops at a cap)")

    def left() -> int:
        return config.budget - (service.scorings - first)

    if agent is not None:
        env_config = dataclasses.replace(agent.config.env, rewrite_workers=0, allow_unsafe=False)
        view = moves.view_program(problem.program, env_config.max_len, allowed, focus=problem.entry_point)
        if view.truncated:
            notes.append(f"the program is longer than the agent's {env_config.max_len}-token window; "
                         f"the agent saw a window around {problem.entry_point}(), the search saw all of it")
        steps = env_config.max_steps
        if view.num_rewrites == 0:
            notes.append("no rewrite applies in the part of the program the agent sees")
        elif left() >= steps:
            with CodeOptEnv(env_config, reward, service) as env:
                log("agent: greedy episode")
                candidates.append(greedy_candidate(agent, env, problem))
                k = min(config.k, max(left(), 0) // steps)
                if k:
                    log(f"agent: {k} sampled episodes")
                    candidates.extend(sampled_candidates(agent, env, problem, k, problem_key(config.seed, problem)))
        else:
            notes.append(f"budget too small for an agent episode ({steps} scorings)")

    original_candidate = Candidate(problem.program, (), 0.0, "original")
    start = max([original_candidate, *candidates], key=lambda c: c.phi)
    if left() > 0 and config.max_depth:
        log(f"greedy search from the {'original' if start is original_candidate else start.origin} "
            f"({left()} scorings left)")
        improved = hill_climb(problem, start, original, service, reward, left(), config.max_depth, allowed)
        if improved is not start:
            candidates.append(improved)
    scorings = service.scorings - first
    log("final validation and paired timing")
    verdicts: list[SymbolicVerdict] = []
    verify = (crosshair_verifier(problem, config.verify_seconds, verdicts, notes, log)
              if config.verify == "crosshair" else None)
    selection = select_valid(problem, candidates, FinalMeasurer(service, final_options(config.timing_rounds)),
                             require_faster=True, verify=verify)
    agent_info = {"workdir": agent.workdir, "iteration": agent.iteration} if agent is not None else None
    return OptimizeResult(problem=problem, selection=selection, original_record=original,
                          candidates=tuple(candidates), scorings=scorings, config=config, agent=agent_info,
                          notes=tuple(notes), symbolic=tuple(verdicts))
