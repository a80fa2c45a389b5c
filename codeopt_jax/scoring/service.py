"""The scoring service: the cache in-process; execution and timing on a backend's machines.

Tests, the differential check, op counts and static metrics run on sandboxed workers in
parallel; then the valid candidates that ask for timing are timed by `timing.TimingPair`s
(original and candidate in two separate processes, never both at once), pinned to cores of
the machine that evaluated them (`machine.MachineScorer`). The local backend (default) is one
such machine in this process; the Ray backend spreads jobs over Ray actors, each one machine
(`ray_backend`). The cache stays here either way.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Sequence

from codeopt_jax.corpus import Problem
from codeopt_jax.scoring import records
from codeopt_jax.scoring.backend import LOCAL, Executor, ScoringBackend
from codeopt_jax.scoring.cache import ScoreCache, cache_key
from codeopt_jax.scoring.expectations import ExpectationOptions, ExpectationResult
from codeopt_jax.scoring.machine import MachineScorer
from codeopt_jax.scoring.pool import WorkerLimits, WorkerPool
from codeopt_jax.scoring.properties import PropertyOptions, PropertyResult
from codeopt_jax.scoring.records import ScoreOptions, ScoreRecord
from codeopt_jax.scoring.synthesis import SynthesisOptions, SynthesisResult
from codeopt_jax.scoring.timing import TimingPair

MAX_CANDIDATE_CHARS = 200_000


def problem_payload(problem: Problem) -> dict[str, str]:
    """What a worker needs to know about a problem (JSON-safe)."""
    return {"name": problem.name, "source": problem.source, "program": problem.program,
            "entry_point": problem.entry_point}


class ScoringService:
    """Scores candidate programs for problems; identical candidates are scored once.

    Usage:
      with ScoringService(num_workers=2) as service:
          record = service.score(problem, candidate_source, ScoreOptions(timing=True))
      with ScoringService(8, backend=ScoringBackend("ray", ray_address="auto")) as service: ...

    `num_workers` is the number of sandboxed evaluation workers: on this machine for the local
    backend, over all actors for Ray.
    """

    def __init__(self, num_workers: int = 2, limits: WorkerLimits = WorkerLimits(),
                 backend: ScoringBackend = ScoringBackend()):
        self.backend = backend
        self.executor: Executor
        if backend.kind == LOCAL:
            self.executor = MachineScorer(num_workers, limits)
        else:
            from codeopt_jax.scoring.ray_backend import RayScorer  # Ray is an optional install
            self.executor = RayScorer(num_workers, limits, backend)
        self.cache = ScoreCache()
        self.scorings = 0  # uncached candidate runs
        self.seconds = 0.0

    def score(self, problem: Problem, candidate: str, options: ScoreOptions = ScoreOptions()) -> ScoreRecord:
        return self.score_many([(problem, candidate)], options)[0]

    def score_many(self, items: Sequence[tuple[Problem, str]],
                   options: ScoreOptions = ScoreOptions(), fresh: bool = False) -> list[ScoreRecord]:
        """One record per (problem, candidate source), in order; runs uncached ones in parallel.
        With `fresh`, every item runs again (a re-measurement) and replaces what the cache held."""
        start = time.perf_counter()
        results: list[ScoreRecord | None] = [None] * len(items)
        jobs: list[dict] = []
        job_keys: list[str] = []
        waiting: dict[str, list[int]] = {}
        for index, (problem, candidate) in enumerate(items):
            key = cache_key(problem.source, candidate, options)
            cached = None if fresh else self.cache.get(key)
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
            for key, fields in zip(job_keys, self.executor.score(jobs, options)):
                record = records.record_from_fields(fields)
                self.cache.put(key, record)
                for position, index in enumerate(waiting[key]):
                    results[index] = record if position == 0 else dataclasses.replace(record, cached=True)
        self.seconds += time.perf_counter() - start
        return results  # every slot is filled above

    def synthesize_many(self, problems: Sequence[Problem],
                        options: SynthesisOptions = SynthesisOptions()) -> list[SynthesisResult]:
        """Workloads grown from each problem's tests (its source: program and `check`, no workload),
        on sandboxed workers in parallel; a worker that dies or runs past the deadline gives an error."""
        jobs = [{"kind": "synthesize", "problem": problem_payload(problem), "options": options.to_json()}
                for problem in problems]
        results = []
        for fields in self.executor.run(jobs):
            if "status" in fields and "workload_source" not in fields and "error" not in fields:
                fields = {"error": f"{fields['status']}: {fields.get('detail', '')}".strip()}
            results.append(SynthesisResult.from_json(fields))
        return results

    def expectations_many(self, problems: Sequence[Problem],
                          options: ExpectationOptions = ExpectationOptions()) -> list[ExpectationResult]:
        """What each generated problem's original does on its check inputs and workload (see
        `expectations`), on the pool's workers in parallel; a worker that dies or runs past its
        deadline gives a result whose reason is the pool's status ("timeout", "crash", ...)."""
        jobs = [{"kind": "expectations", "problem": problem_payload(problem), "options": options.to_json()}
                for problem in problems]
        results = []
        for fields in self.executor.run(jobs) if jobs else []:
            if "status" in fields and "reason" not in fields:
                fields = {"reason": str(fields["status"]), "detail": str(fields.get("detail", ""))}
            results.append(ExpectationResult.from_json(fields))
        return results

    def check_properties_many(self, items: Sequence[tuple[Problem, str]],
                              options: PropertyOptions = PropertyOptions()) -> list[PropertyResult]:
        """One property check per (problem, candidate source), in order, on the pool's workers in
        parallel (see `properties`): the candidate against the problem's original on inputs drawn
        from the shapes of the calls its `check` makes. A job that dies or runs past its deadline
        costs only itself: its result carries the error."""
        jobs = [{"kind": "properties", "problem": problem_payload(problem), "candidate": candidate,
                 "options": options.to_json()} for problem, candidate in items]
        results: list[PropertyResult | None] = [None] * len(jobs)
        runnable = []
        for index, job in enumerate(jobs):
            if len(job["candidate"]) > MAX_CANDIDATE_CHARS:
                results[index] = PropertyResult(error=f"candidate longer than {MAX_CANDIDATE_CHARS} characters")
            else:
                runnable.append(index)
        for index, fields in zip(runnable, self.executor.run([jobs[i] for i in runnable])):
            if "status" in fields and "error" not in fields:
                fields = {"error": f"{fields['status']}: {fields.get('detail', '')}".strip()}
            results[index] = PropertyResult.from_json(fields)
        return results  # every slot is filled above

    def clear_cache(self) -> None:
        """Forgets every cached record (so a fresh budget starts from an empty cache)."""
        self.cache = ScoreCache()

    @property
    def pool(self) -> WorkerPool:
        """The local backend's worker pool (the Ray backend's pools live in its actors: see `stats`)."""
        return self._local_machine().pool

    @property
    def timing_pairs(self) -> list[TimingPair]:
        """The local backend's timing pairs."""
        return self._local_machine().timing_pairs

    def _local_machine(self) -> MachineScorer:
        if not isinstance(self.executor, MachineScorer):
            raise AttributeError(f"the {self.backend.kind} scoring backend has no local pool; see stats()")
        return self.executor

    def stats(self) -> dict[str, float]:
        """Scorings run, cache statistics, pool and timing health counters (summed over machines),
        and the backend's own counters (Ray: actors, actors started, actors replaced)."""
        return {"scorings": self.scorings, "seconds": self.seconds, **self.cache.stats(),
                **self.executor.stats().flat(), **self.executor.backend_stats()}

    def close(self) -> None:
        self.executor.close()

    def __enter__(self) -> "ScoringService":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
