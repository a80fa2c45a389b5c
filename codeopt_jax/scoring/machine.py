"""What one machine does for the scoring service: its sandboxed workers and its timing pairs.

A `MachineScorer` owns a `WorkerPool` (tests, differential check, op counts, static metrics,
workload synthesis, property checks) and one `TimingPair` per worker, up to one per core of
this process's allowed cores, each pinned to its own core. The local backend runs one in the
trainer's process; the Ray backend runs one in each of its actors, on that actor's machine
(and cores). Jobs and results are the pool's JSON-safe dicts.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import queue
from typing import Any, Sequence

from codeopt_jax.scoring import records
from codeopt_jax.scoring.pool import PoolStats, WorkerLimits, WorkerPool
from codeopt_jax.scoring.records import ScoreOptions
from codeopt_jax.scoring.timing import TimingPair, TimingStats, allowed_cores, timing_cores


@dataclasses.dataclass(frozen=True)
class MachineStats:
    """Health counters of the pools and timing pairs of one or more machines (summed)."""

    pool: PoolStats = dataclasses.field(default_factory=PoolStats)
    timing: TimingStats = dataclasses.field(default_factory=TimingStats)

    def to_json(self) -> dict[str, dict[str, int]]:
        return {"pool": dataclasses.asdict(self.pool), "timing": dataclasses.asdict(self.timing)}

    @classmethod
    def from_json(cls, data: Any) -> "MachineStats":
        """Inverse of `to_json`; counters that are missing or not integers read as 0."""
        def counters(kind, key):
            values = data.get(key) if isinstance(data, dict) else None
            values = values if isinstance(values, dict) else {}
            return kind(**{f.name: values[f.name] if isinstance(values.get(f.name), int) else 0
                           for f in dataclasses.fields(kind)})
        return cls(pool=counters(PoolStats, "pool"), timing=counters(TimingStats, "timing"))

    def __add__(self, other: "MachineStats") -> "MachineStats":
        def add(a, b):
            return type(a)(**{f.name: getattr(a, f.name) + getattr(b, f.name) for f in dataclasses.fields(a)})
        return MachineStats(pool=add(self.pool, other.pool), timing=add(self.timing, other.timing))

    def flat(self) -> dict[str, int]:
        """`pool_<counter>` and `timing_<counter>` (the keys of `ScoringService.stats`)."""
        return {**{f"pool_{k}": v for k, v in dataclasses.asdict(self.pool).items()},
                **{f"timing_{k}": v for k, v in dataclasses.asdict(self.timing).items()}}


class MachineScorer:
    """Scores jobs on this machine's sandboxed workers; see the module doc.

    Usage:
      with MachineScorer(num_workers=2) as machine:
          fields = machine.score([job, ...], ScoreOptions(timing=True))  # one dict per job, in order
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

    def run(self, jobs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Evaluate, synthesize or properties jobs on the pool: one fields dict per job, in order."""
        return self.pool.run(list(jobs)) if jobs else []

    def score(self, jobs: Sequence[dict[str, Any]], options: ScoreOptions) -> list[dict[str, Any]]:
        """Evaluates the jobs on the pool; with timing, then times the valid ones on the pairs
        (one candidate per pair at a time, each pair on its own core; nothing else runs then,
        so no evaluation competes with a measurement for a core)."""
        jobs = list(jobs)
        results = self.run(jobs)
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

    def wait_ready(self) -> None:
        """Blocks until every pool worker has started."""
        self.pool.wait_ready()

    def worker_pids(self) -> list[int]:
        """Process ids of the pool's sandboxed workers (not the timing pairs')."""
        return self.pool.worker_pids()

    def stats(self) -> MachineStats:
        timing = TimingStats(*(sum(getattr(pair.stats, f.name) for pair in self.timing_pairs)
                               for f in dataclasses.fields(TimingStats)))
        return MachineStats(pool=dataclasses.replace(self.pool.stats), timing=timing)

    def backend_stats(self) -> dict[str, int]:
        """None: a machine has no counters beyond its pool's and pairs' (see `backend.Executor`)."""
        return {}

    def close(self) -> None:
        self._timing_threads.shutdown(wait=True)
        self.pool.close()
        for pair in self.timing_pairs:
            pair.close()

    def __enter__(self) -> "MachineScorer":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
