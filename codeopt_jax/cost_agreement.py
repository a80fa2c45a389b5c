"""How well a deterministic measure ranks rewrites the way time does: rank correlation with paired timing.

  pairs = candidate_pairs(problems, moves.allowed_rules(False), per_problem=10, seed=0)
  scored = measure_pairs(pairs, service)                        # timing, cost model and op count per pair
  summary = summarize(scored)                                   # Spearman, overall and per problem

For each problem, the candidates are programs one or two rewrites away from its original
(`moves.neighbours`, and their neighbours), sampled up to `per_problem`. Each valid candidate
is scored with the scorer's paired timing against the original (`ScoreOptions(timing=True)`)
and with both deterministic measures on the same workload; a measure's predicted speedup is
original / candidate (its count or modelled cost). Agreement is Spearman's rank correlation of
the predicted and the timed log speedups, over all pairs and within each problem.
"""

from __future__ import annotations

import dataclasses
import math
import random
import statistics
import zlib
from typing import Callable, Sequence

import numpy as np

from codeopt_jax import moves
from codeopt_jax.corpus import Problem
from codeopt_jax.scoring import ScoreOptions, ScoringService
from codeopt_jax.scoring.records import ScoreRecord

MEASURED = ScoreOptions(timing=True, opcount=True, cost=True)
MIN_PAIRS_PER_PROBLEM = 3  # a problem's own correlation needs at least this many pairs


@dataclasses.dataclass(frozen=True)
class CandidatePair:
    """A problem and a program some rewrites away from its original (`moves`: "rule@node" per rewrite)."""

    problem: Problem
    moves: tuple[str, ...]
    source: str


@dataclasses.dataclass(frozen=True)
class ScoredPair:
    """One candidate's timed speedup (median paired ratio and its interquartile range) and the speedups
    its cost model and op count predict; `outcome` is "measured", or why it is not ("broken", ...)."""

    problem: str
    moves: tuple[str, ...]
    outcome: str
    timed: float | None = None
    timed_low: float | None = None
    timed_high: float | None = None
    cost: float | None = None
    op_count: float | None = None
    detail: str = ""


@dataclasses.dataclass(frozen=True)
class Agreement:
    """One measure's agreement with timing: Spearman over all pairs, and the median of the per-problem
    Spearmans (problems with at least `MIN_PAIRS_PER_PROBLEM` pairs whose ranks vary)."""

    measure: str
    spearman: float
    median_problem_spearman: float
    pairs: int
    problems: int


@dataclasses.dataclass(frozen=True)
class ProblemAgreement:
    """One problem's pairs and the Spearman of each measure (NaN when undefined)."""

    problem: str
    pairs: int
    cost: float
    op_count: float


def _rng(problem: Problem, seed: int) -> random.Random:
    return random.Random(zlib.crc32(f"{seed}:{problem.name}".encode()))


def candidate_pairs(problems: Sequence[Problem], allowed: np.ndarray, per_problem: int, seed: int = 0,
                    progress: Callable[[str], None] = lambda line: None) -> list[CandidatePair]:
    """Per problem, up to `per_problem` distinct programs one or two rewrites from the original: half of
    them single rewrites where there are enough, the rest two-rewrite programs (sampled with `seed`)."""
    pairs = []
    for problem in problems:
        rng = _rng(problem, seed)
        seen = {problem.program}
        singles = []
        for move, source in moves.neighbours(problem.program, allowed):
            if source not in seen:
                seen.add(source)
                singles.append(CandidatePair(problem, (move,), source))
        rng.shuffle(singles)
        doubles: list[CandidatePair] = []
        wanted_doubles = per_problem - min(len(singles), (per_problem + 1) // 2)
        for first in singles:
            if len(doubles) >= 3 * wanted_doubles:
                break
            for move, source in moves.neighbours(first.source, allowed):
                if source not in seen:
                    seen.add(source)
                    doubles.append(CandidatePair(problem, first.moves + (move,), source))
        rng.shuffle(doubles)
        chosen_doubles = doubles[:wanted_doubles]
        chosen = singles[:per_problem - len(chosen_doubles)] + chosen_doubles
        pairs.extend(chosen)
        progress(f"{problem.name:32} {len(singles)} single and {len(doubles)}+ double rewrites; {len(chosen)} chosen")
    return pairs


def _outcome(record: ScoreRecord) -> tuple[str, str]:
    if not record.valid:
        return "broken", f"{record.status}: {record.detail}"[:200]
    if record.speedup is None:
        return "unmeasured", f"no timing: {record.detail}"[:200]
    if record.cost_ratio is None or record.op_ratio is None:
        return "unmeasured", f"no cost or op count: {record.detail}"[:200]
    return "measured", ""


def measure_pairs(pairs: Sequence[CandidatePair], service: ScoringService,
                  options: ScoreOptions = MEASURED) -> list[ScoredPair]:
    """Scores every candidate with timing, the cost model and the op count (one `score_many`)."""
    records = service.score_many([(pair.problem, pair.source) for pair in pairs], options)
    scored = []
    for pair, record in zip(pairs, records):
        outcome, detail = _outcome(record)
        if outcome != "measured":
            scored.append(ScoredPair(pair.problem.name, pair.moves, outcome, detail=detail))
            continue
        scored.append(ScoredPair(pair.problem.name, pair.moves, outcome, timed=record.speedup,
                                 timed_low=record.speedup_low, timed_high=record.speedup_high,
                                 cost=1.0 / record.cost_ratio, op_count=1.0 / record.op_ratio))
    return scored


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Spearman's rank correlation (ties get their average rank); NaN for fewer than 2 values or constant ranks."""
    if len(xs) != len(ys):
        raise ValueError(f"spearman: {len(xs)} values against {len(ys)}")
    if len(xs) < 2:
        return math.nan
    rank_x, rank_y = _ranks(np.asarray(xs, dtype=float)), _ranks(np.asarray(ys, dtype=float))
    if rank_x.std() == 0 or rank_y.std() == 0:
        return math.nan
    return float(np.corrcoef(rank_x, rank_y)[0, 1])


def _ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    start = 0
    for end in range(1, len(values) + 1):
        if end == len(values) or sorted_values[end] != sorted_values[start]:
            ranks[order[start:end]] = (start + end - 1) / 2.0
            start = end
    return ranks


def _agreement(measured: Sequence[ScoredPair], name: str) -> Agreement:
    timed = [math.log(p.timed) for p in measured]
    predicted = [math.log(getattr(p, name)) for p in measured]
    per_problem = [value for value in (spearman(*_logs([p for p in measured if p.problem == problem], name))
                                       for problem in sorted({p.problem for p in measured})
                                       if sum(p.problem == problem for p in measured) >= MIN_PAIRS_PER_PROBLEM)
                   if not math.isnan(value)]
    return Agreement(name, spearman(predicted, timed),
                     statistics.median(per_problem) if per_problem else math.nan, len(measured), len(per_problem))


def _logs(pairs: Sequence[ScoredPair], name: str) -> tuple[list[float], list[float]]:
    return [math.log(getattr(p, name)) for p in pairs], [math.log(p.timed) for p in pairs]


def summarize(scored: Sequence[ScoredPair]) -> tuple[list[Agreement], list[ProblemAgreement]]:
    """Agreement of the cost model and of the op count with timing, over the measured pairs; and per problem."""
    measured = [p for p in scored if p.outcome == "measured"]
    agreements = [_agreement(measured, "cost"), _agreement(measured, "op_count")]
    problems = []
    for problem in sorted({p.problem for p in measured}):
        mine = [p for p in measured if p.problem == problem]
        problems.append(ProblemAgreement(problem, len(mine), spearman(*_logs(mine, "cost")),
                                         spearman(*_logs(mine, "op_count"))))
    return agreements, problems


def _figure(value: float | None, digits: int = 2) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def markdown(scored: Sequence[ScoredPair], agreements: Sequence[Agreement],
             problems: Sequence[ProblemAgreement]) -> str:
    """The summary, per-problem and per-pair tables."""
    lines = ["| measure | Spearman (all pairs) | median per-problem Spearman | pairs | problems |",
             "| --- | --- | --- | --- | --- |"]
    labels = {"cost": "cost model", "op_count": "op count (today)"}
    for a in agreements:
        lines.append(f"| {labels[a.measure]} | {_figure(a.spearman, 3)} | {_figure(a.median_problem_spearman, 3)} | "
                     f"{a.pairs} | {a.problems} |")
    lines += ["", "## Per problem", "", "| problem | pairs | Spearman cost model | Spearman op count |",
              "| --- | --- | --- | --- |"]
    lines += [f"| {p.problem} | {p.pairs} | {_figure(p.cost)} | {_figure(p.op_count)} |" for p in problems]
    lines += ["", "## Per pair", "",
              "| problem | rewrites | timed speedup [IQR] | cost model | op count | outcome |",
              "| --- | --- | --- | --- | --- | --- |"]
    for p in scored:
        timed = f"{p.timed:.2f}x [{p.timed_low:.2f}–{p.timed_high:.2f}]" if p.timed is not None else "–"
        cost = f"{p.cost:.2f}x" if p.cost is not None else "–"
        ops = f"{p.op_count:.2f}x" if p.op_count is not None else "–"
        detail = p.detail.splitlines()[0][:80].replace("|", "/") if p.detail else ""
        outcome = f"{p.outcome}: {detail}" if detail else p.outcome
        lines.append(f"| {p.problem} | {' + '.join(p.moves)} | {timed} | {cost} | {ops} | {outcome} |")
    return "\n".join(lines)
