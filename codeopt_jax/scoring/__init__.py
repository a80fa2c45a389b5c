"""Sandboxed scoring of candidate programs: tests, differential check, timing, op counts.

The trainer talks to `ScoringService`; candidates only ever run in worker processes.
"""

from codeopt_jax.scoring.pool import WorkerLimits, WorkerPool
from codeopt_jax.scoring.records import STATUSES, ScoreOptions, ScoreRecord, StaticMetrics
from codeopt_jax.scoring.service import ScoringService

__all__ = ["STATUSES", "ScoreOptions", "ScoreRecord", "ScoringService", "StaticMetrics", "WorkerLimits",
           "WorkerPool"]
