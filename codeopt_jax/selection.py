"""Choosing a method's returned program: the highest-Φ candidate whose final measurement passes validation.

  measurer = FinalMeasurer(service, final_options(timing_rounds=7))
  selection = select_valid(problem, candidates, measurer)   # -> Selection

A method never returns a broken program: `select_valid` re-measures the best candidates
(paired timing and op count, tests, differential check) and falls back to the
original (Φ 0) when none passes. Used by evaluation and by optimizing a user's function.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Iterable

from codeopt_jax.corpus import Problem
from codeopt_jax.program import normalized_code
from codeopt_jax.scoring import ScoreOptions, ScoreRecord, ScoringService
from codeopt_jax.scoring.records import MATCH, OK

FINAL_TIMING_SECONDS = 0.02  # per timed measurement: longer than training's, for a steadier final speedup
# A timed speedup's interval comes from one pair of processes; re-measured on a fresh pair, the median of an
# unchanged-cost rewrite moved by up to ~5-10% on MBPP's allocation-heavy workloads (per-process heap state).
# So "faster beyond the noise" means the interval's lower end clears this margin, not just 1.
NOISE_MARGIN = 1.05


def final_options(timing_rounds: int) -> ScoreOptions:
    """What the final re-measurement of a returned program checks and measures."""
    return ScoreOptions(tests=True, differential=True, timing=True, opcount=True, timing_rounds=timing_rounds,
                        timing_min_seconds=FINAL_TIMING_SECONDS)


def passes_validation(record: ScoreRecord) -> bool:
    """Runs, passes its tests, and matches the original on every workload call."""
    return record.status == OK and record.differential == MATCH


@dataclasses.dataclass(frozen=True)
class Candidate:
    """A program proposed by a method: its source, the rewrites that made it, and its Φ."""

    source: str
    rules: tuple[str, ...]
    phi: float
    origin: str = ""


@dataclasses.dataclass(frozen=True)
class Rejection:
    """A better candidate that failed its final validation or the extra check, and why (one line)."""

    origin: str
    reason: str


@dataclasses.dataclass(frozen=True)
class Selection:
    """The program a method returns and its final measurement.

    `candidate` is the original (no rules, Φ 0) when nothing improved or every better
    candidate failed validation; `rejected` lists those that failed.
    """

    candidate: Candidate
    record: ScoreRecord
    changed: bool
    rejected: tuple[Rejection, ...] = ()
    reason: str = ""  # why the original came back, when a faster candidate was required and none was

    @property
    def fell_back(self) -> bool:
        return bool(self.rejected)


class FinalMeasurer:
    """Final measurements of programs, memoized per (problem, normalized code); not charged to any budget."""

    def __init__(self, service: ScoringService, options: ScoreOptions):
        self.service, self.options = service, options
        self._memo: dict[tuple[str, str], ScoreRecord] = {}

    def measure(self, problem: Problem, source: str) -> ScoreRecord:
        key = (problem.source, normalized_code(source))
        if key not in self._memo:
            self._memo[key] = self.service.score(problem, source, self.options)
        return self._memo[key]


def speedup_lower_bound(record: ScoreRecord) -> float:
    """Lower end of the ~95% interval of the median paired speedup (1.57 IQR / sqrt(rounds)); 0 untimed."""
    if record.speedup is None or record.speedup_low is None or record.speedup_high is None:
        return 0.0
    rounds = max(record.timing_rounds or 1, 1)
    return record.speedup - 1.57 * (record.speedup_high - record.speedup_low) / math.sqrt(rounds)


def select_valid(problem: Problem, candidates: Iterable[Candidate], measurer: FinalMeasurer,
                 max_tries: int = 3, require_faster: bool = False,
                 verify: Callable[[Candidate], str | None] | None = None) -> Selection:
    """The highest-Φ candidate (Φ > 0, different from the original) whose final measurement
    passes validation and, when given, `verify` (a rejection reason, or None to accept);
    the original when there is none. At most `max_tries` are measured.

    With `require_faster`, the choice is made on the final paired timing instead: the valid
    candidates in order of timed speedup, each only if the lower end of its speedup's ~95%
    interval is above NOISE_MARGIN (faster beyond the timing noise, within and between
    process pairs) and `verify` accepts it; else the original, with `reason`."""
    original_code = normalized_code(problem.program)
    ranked, seen = [], {original_code}
    for candidate in sorted(candidates, key=lambda c: -c.phi):
        code = normalized_code(candidate.source)
        if candidate.phi > 0 and code not in seen:
            seen.add(code)
            ranked.append(candidate)
    rejected, valid = [], []
    for candidate in ranked[:max_tries]:
        record = measurer.measure(problem, candidate.source)
        if passes_validation(record):
            if require_faster:
                valid.append((candidate, record))
                continue
            refusal = verify(candidate) if verify is not None else None
            if refusal is None:
                return Selection(candidate=candidate, record=record, changed=True, rejected=tuple(rejected))
            rejected.append(Rejection(candidate.origin, refusal))
            continue
        reason = f"{record.status}, differential {record.differential}: {record.detail}".strip()
        rejected.append(Rejection(candidate.origin, reason.splitlines()[0] if reason else record.status))
    reason = ""
    for candidate, record in sorted(valid, key=lambda item: -(item[1].speedup or 0.0)):
        bound = speedup_lower_bound(record)
        if bound <= NOISE_MARGIN:
            reason = (f"no candidate is faster beyond the timing noise: the fastest left ({candidate.origin}) "
                      f"measured {record.speedup or 0.0:.3f}x, ~95% interval down to {bound:.3f}x "
                      f"(needs > {NOISE_MARGIN:.2f}x, the spread between fresh process pairs)")
            break
        refusal = verify(candidate) if verify is not None else None
        if refusal is None:
            return Selection(candidate=candidate, record=record, changed=True, rejected=tuple(rejected))
        rejected.append(Rejection(candidate.origin, refusal))
        reason = "every candidate faster beyond the timing noise was rejected by the verification"
    if require_faster and not ranked:
        reason = "no candidate improved on the original"
    original = Candidate(problem.program, (), 0.0, "original")
    return Selection(candidate=original, record=measurer.measure(problem, problem.program), changed=False,
                     rejected=tuple(rejected), reason=reason)


def rule_name(move: str) -> str:
    """"rule@node" (how search names a move) -> "rule" (how episodes name it)."""
    return move.split("@", 1)[0]
