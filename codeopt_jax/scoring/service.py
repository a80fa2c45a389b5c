"""The scoring service: the cache in-process; execution and static metrics in the pool."""

from __future__ import annotations

import dataclasses
import time
from typing import Sequence

from codeopt_jax.corpus import Problem
from codeopt_jax.scoring import records
from codeopt_jax.scoring.cache import ScoreCache, cache_key
from codeopt_jax.scoring.pool import WorkerLimits, WorkerPool
from codeopt_jax.scoring.records import ScoreOptions, ScoreRecord

MAX_CANDIDATE_CHARS = 200_000


def problem_payload(problem: Problem) -> dict[str, str]:
    """What a worker needs to know about a problem (JSON-safe)."""
    return {"name": problem.name, "source": problem.source, "entry_point": problem.entry_point}


class ScoringService:
    """Scores candidate programs for problems; identical candidates are scored once.

    Usage:
      with ScoringService(num_workers=2) as service:
          record = service.score(problem, candidate_source, ScoreOptions(timing=True))
    """

    def __init__(self, num_workers: int = 2, limits: WorkerLimits = WorkerLimits()):
        self.pool = WorkerPool(num_workers, limits)
        self.cache = ScoreCache()
        self.scorings = 0  # uncached candidate runs
        self.seconds = 0.0

    def score(self, problem: Problem, candidate: str, options: ScoreOptions = ScoreOptions()) -> ScoreRecord:
        return self.score_many([(problem, candidate)], options)[0]

    def score_many(self, items: Sequence[tuple[Problem, str]],
                   options: ScoreOptions = ScoreOptions()) -> list[ScoreRecord]:
        """One record per (problem, candidate source), in order; runs uncached ones in parallel."""
        start = time.perf_counter()
        results: list[ScoreRecord | None] = [None] * len(items)
        jobs: list[dict] = []
        job_keys: list[str] = []
        waiting: dict[str, list[int]] = {}
        for index, (problem, candidate) in enumerate(items):
            key = cache_key(problem.source, candidate, options)
            cached = self.cache.get(key)
            if cached is not None:
                results[index] = cached
                continue
            if key in waiting:  # same candidate twice in one batch: run it once
                waiting[key].append(index)
                continue
            waiting[key] = [index]
            if len(candidate) > MAX_CANDIDATE_CHARS:
                record = records.failure(records.SYNTAX_ERROR, f"candidate longer than {MAX_CANDIDATE_CHARS} characters")
                self.cache.put(key, record)
                results[index] = record
                del waiting[key]
                continue
            jobs.append({"problem": problem_payload(problem), "candidate": candidate,
                         "options": options.to_json()})
            job_keys.append(key)
        if jobs:
            self.scorings += len(jobs)
            for key, fields in zip(job_keys, self.pool.run(jobs)):
                record = records.record_from_fields(fields)
                self.cache.put(key, record)
                for position, index in enumerate(waiting[key]):
                    results[index] = record if position == 0 else dataclasses.replace(record, cached=True)
        self.seconds += time.perf_counter() - start
        return results  # every slot is filled above

    def clear_cache(self) -> None:
        """Forgets every cached record (so a fresh budget starts from an empty cache)."""
        self.cache = ScoreCache()

    def stats(self) -> dict[str, float]:
        """Scorings run, cache statistics, and pool health counters."""
        pool = dataclasses.asdict(self.pool.stats)
        return {"scorings": self.scorings, "seconds": self.seconds, **self.cache.stats(),
                **{f"pool_{k}": v for k, v in pool.items()}}

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> "ScoringService":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
