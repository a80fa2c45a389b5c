"""The scoring service: the cache in-process; execution in the pool, timing in worker pairs.

Tests, the differential check, op counts and static metrics run on the pool's workers in
parallel; then the valid candidates that ask for timing are timed by `timing.TimingPair`s
(original and candidate in two separate processes, never both at once), one pair per worker
up to one per core, each pinned to its own core.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import queue
import time
from typing import Sequence

from codeopt_jax.corpus import Problem
from codeopt_jax.scoring import records
from codeopt_jax.scoring.cache import ScoreCache, cache_key
from codeopt_jax.scoring.expectations import ExpectationOptions, ExpectationResult
from codeopt_jax.scoring.pool import WorkerLimits, WorkerPool
from codeopt_jax.scoring.properties import PropertyOptions, PropertyResult
from codeopt_jax.scoring.records import ScoreOptions, ScoreRecord
from codeopt_jax.scoring.synthesis import SynthesisOptions, SynthesisResult
from codeopt_jax.scoring.timing import TimingPair, TimingStats, allowed_cores, timing_cores

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
    """

    def __init__(self, num_workers: int = 2, limits: WorkerLimits = WorkerLimits()):
        self.pool = WorkerPool(num_workers, limits)
        # One timing pair per worker, up to one per core; each pinned to its own core.
        cores = timing_cores(min(num_workers, max(1, len(allowed_cores()))))
        self.timing_pairs = [TimingPair(limits, core) for core in cores]
        self._idle_pairs: queue.SimpleQueue[TimingPair] = queue.SimpleQueue()
        for pair in self.timing_pairs:
            self._idle_pairs.put(pair)
        self._timing_threads = concurrent.futures.ThreadPoolExecutor(len(self.timing_pairs),
                                                                     thread_name_prefix="timing")
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
            for key, fields in zip(job_keys, self._run(jobs, options)):
                record = records.record_from_fields(fields)
                self.cache.put(key, record)
                for position, index in enumerate(waiting[key]):
                    results[index] = record if position == 0 else dataclasses.replace(record, cached=True)
        self.seconds += time.perf_counter() - start
        return results  # every slot is filled above

    def _run(self, jobs: list[dict], options: ScoreOptions) -> list[dict]:
        """Evaluates the jobs on the pool; with timing, then times the valid ones on the pairs
        (one candidate per pair at a time, each pair on its own core; nothing else runs then,
        so no evaluation competes with a measurement for a core)."""
        results = self.pool.run(jobs)
        if not options.timing:
            return results
        valid = [index for index, fields in enumerate(results) if records.record_from_fields(fields).valid]
        timed = {index: self._timing_threads.submit(self._with_timing, results[index], jobs[index], options)
                 for index in valid}
        return [timed[index].result() if index in timed else fields for index, fields in enumerate(results)]

    def _with_timing(self, fields: dict, job: dict, options: ScoreOptions) -> dict:
        """The evaluate job's fields with the paired timing's added (or its failure)."""
        pair = self._idle_pairs.get()
        try:
            timing = pair.measure(job["problem"], job["candidate"], rounds=options.timing_rounds,
                                  max_rounds=options.timing_max_rounds,
                                  target_interval=options.timing_target_interval,
                                  min_seconds=options.timing_min_seconds)
        finally:
            self._idle_pairs.put(pair)
        fields = dict(fields, phase="timing")
        if timing.get("status") != records.OK:
            return dict(fields, status=timing["status"], detail=timing.get("detail", ""))
        return dict(fields, **timing)

    def synthesize_many(self, problems: Sequence[Problem],
                        options: SynthesisOptions = SynthesisOptions()) -> list[SynthesisResult]:
        """Workloads grown from each problem's tests (its source: program and `check`, no workload),
        on the pool's workers in parallel; a worker that dies or runs past the deadline gives an error."""
        jobs = [{"kind": "synthesize", "problem": problem_payload(problem), "options": options.to_json()}
                for problem in problems]
        results = []
        for fields in self.pool.run(jobs) if jobs else []:
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
        for fields in self.pool.run(jobs) if jobs else []:
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
        for index, fields in zip(runnable, self.pool.run([jobs[i] for i in runnable]) if runnable else []):
            if "status" in fields and "error" not in fields:
                fields = {"error": f"{fields['status']}: {fields.get('detail', '')}".strip()}
            results[index] = PropertyResult.from_json(fields)
        return results  # every slot is filled above

    def clear_cache(self) -> None:
        """Forgets every cached record (so a fresh budget starts from an empty cache)."""
        self.cache = ScoreCache()

    def stats(self) -> dict[str, float]:
        """Scorings run, cache statistics, and pool health counters."""
        pool = dataclasses.asdict(self.pool.stats)
        timing = dataclasses.asdict(TimingStats(*(sum(getattr(p.stats, f.name) for p in self.timing_pairs)
                                                  for f in dataclasses.fields(TimingStats))))
        return {"scorings": self.scorings, "seconds": self.seconds, **self.cache.stats(),
                **{f"pool_{k}": v for k, v in pool.items()}, **{f"timing_{k}": v for k, v in timing.items()}}

    def close(self) -> None:
        self._timing_threads.shutdown(wait=True)
        self.pool.close()
        for pair in self.timing_pairs:
            pair.close()

    def __enter__(self) -> "ScoringService":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
