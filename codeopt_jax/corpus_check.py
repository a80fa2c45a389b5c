"""Executable validation of corpus problems through the sandboxed scoring service.

`corpus.py` checks what can be seen without running anything; this module runs each
problem's original and reference in the workers: both must pass `check`, agree on the
workload, and the workload must run. It also measures the workload time and the
reference speedup for the corpus table.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

from codeopt_jax.corpus import CorpusError, Problem
from codeopt_jax.scoring import ScoreOptions, ScoringService
from codeopt_jax.scoring.records import OK, VOIDED

WORKLOAD_MS_RANGE = (1.0, 20.0)
# A corpus's own reference is trusted code: a voided timing of it is measurement noise on a busy
# machine (another process woke while one side was timed), so it is measured again this many times.
VOIDED_RETRIES = 2


@dataclasses.dataclass(frozen=True)
class ProblemReport:
    """One row of the corpus table."""

    name: str
    split: str
    family: str
    lines: int
    tests: int
    workload_ms: float | None
    reference_speedup: float | None
    reference_speedup_low: float | None
    reference_speedup_high: float | None
    path: str


def check_problems(problems: Sequence[Problem], service: ScoringService,
                   progress: Callable[[str], None] = lambda _: None
                   ) -> tuple[list[ProblemReport], list[CorpusError], list[str]]:
    """Runs every problem; returns table rows, errors (broken files) and warnings."""
    plain = ScoreOptions(tests=True, differential=True)
    timed = ScoreOptions(tests=True, differential=True, timing=True)
    progress(f"running {len(problems)} originals against their checks")
    originals = service.score_many([(p, p.program) for p in problems], plain)
    progress("timing references against originals")
    timing_items = [(p, p.reference_program or p.program) for p in problems]
    timings = service.score_many(timing_items, timed)
    for _ in range(VOIDED_RETRIES):
        voided = [index for index, timing in enumerate(timings) if timing.status == VOIDED]
        if not voided:
            break
        progress(f"timing {len(voided)} voided measurement(s) again")
        again = service.score_many([timing_items[index] for index in voided], timed, fresh=True)
        for index, timing in zip(voided, again):
            timings[index] = timing
    rows, errors, warnings = [], [], []
    for problem, original, timing in zip(problems, originals, timings):
        if original.problem_error:
            errors.append(CorpusError(problem.path, original.problem_error))
            continue
        if not original.valid:
            errors.append(CorpusError(problem.path, f"the original fails its own check ({original.status}: "
                                                    f"{original.detail})"))
            continue
        has_reference = problem.reference_program is not None
        if has_reference and not timing.valid:
            what = {OK: "differs from the original",
                    VOIDED: f"could not be timed honestly in {1 + VOIDED_RETRIES} tries"}.get(
                        timing.status, "fails its own check")
            errors.append(CorpusError(problem.path, f"the reference {what} ({timing.status}: {timing.detail})"))
            continue
        workload_ms = timing.time_original * 1e3 if timing.time_original is not None else None
        if workload_ms is not None and not WORKLOAD_MS_RANGE[0] <= workload_ms <= WORKLOAD_MS_RANGE[1]:
            warnings.append(f"{problem.path}: one workload pass takes {workload_ms:.2f} ms "
                            f"(aim for {WORKLOAD_MS_RANGE[0]:g}-{WORKLOAD_MS_RANGE[1]:g} ms)")
        rows.append(ProblemReport(
            name=problem.name, split=problem.split, family=problem.family, lines=problem.num_lines,
            tests=original.tests_total, workload_ms=workload_ms,
            reference_speedup=timing.speedup if has_reference else None,
            reference_speedup_low=timing.speedup_low if has_reference else None,
            reference_speedup_high=timing.speedup_high if has_reference else None,
            path=problem.path))
    return rows, errors, warnings
