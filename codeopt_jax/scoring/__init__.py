"""Sandboxed scoring of candidate programs: tests, differential check, timing, op counts.

The trainer talks to `ScoringService`; candidates only ever run in worker processes, on this
machine (the default backend) or on a Ray cluster's machines (`ScoringBackend("ray", ...)`).
"""

from codeopt_jax.scoring.backend import BackendError, ScoringBackend
from codeopt_jax.scoring.pool import WorkerLimits, WorkerPool
from codeopt_jax.scoring.records import STATUSES, ScoreOptions, ScoreRecord, StaticMetrics
from codeopt_jax.scoring.service import ScoringService

__all__ = ["STATUSES", "BackendError", "ScoreOptions", "ScoreRecord", "ScoringBackend", "ScoringService",
           "StaticMetrics", "WorkerLimits", "WorkerPool"]
