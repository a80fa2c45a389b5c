"""Where candidates are scored: the choice of backend, and what the service asks of one.

The local backend (the default) is one `machine.MachineScorer` in the trainer's process:
its sandboxed workers and timing pairs run on the trainer's machine. The Ray backend
(`ray_backend.RayScorer`) runs one `MachineScorer` in each of its Ray actors, on the
cluster's machines. Either way the service keeps the cache and sees the same JSON-safe
job and result dicts, in order.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol, Sequence

from codeopt_jax.scoring.machine import MachineStats
from codeopt_jax.scoring.records import ScoreOptions

LOCAL = "local"
RAY = "ray"
BACKENDS = (LOCAL, RAY)


class BackendError(RuntimeError):
    """A backend cannot start: its cluster is unreachable, too small, or its actors fail to start."""


@dataclasses.dataclass(frozen=True)
class ScoringBackend:
    """Which backend scores candidates, and how it reaches its machines.

    Attributes:
      kind: "local" (a process pool on this machine) or "ray" (Ray actors, each with its own pool
        and timing pairs on its machine).
      ray_address: Ray only: "" starts a private Ray on this machine (stopped on close); "auto" or
        "HOST:PORT" joins a running cluster (see the README, "Running on a cluster").
      workers_per_actor: Ray only: sandboxed workers (and CPUs asked of Ray) per actor. The service's
        `num_workers` is the total over all actors: ceil(num_workers / workers_per_actor) actors.
    """

    kind: str = LOCAL
    ray_address: str = ""
    workers_per_actor: int = 1

    def __post_init__(self) -> None:
        if self.kind not in BACKENDS:
            raise ValueError(f"scoring backend must be one of {', '.join(BACKENDS)}, got {self.kind!r}")
        if self.workers_per_actor < 1:
            raise ValueError(f"workers_per_actor must be at least 1, got {self.workers_per_actor}")

    def describe(self) -> str:
        """One line for progress output."""
        if self.kind == LOCAL:
            return "local worker processes"
        workers = f"{self.workers_per_actor} worker{'s' if self.workers_per_actor != 1 else ''} per actor"
        return f"Ray at {self.ray_address or 'a private local instance'} ({workers})"


class Executor(Protocol):
    """What `ScoringService` needs from a backend (jobs and results are JSON-safe dicts, in order)."""

    def score(self, jobs: Sequence[dict[str, Any]], options: ScoreOptions) -> list[dict[str, Any]]:
        """Evaluate jobs, then paired timing of the valid ones when `options.timing`."""

    def run(self, jobs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Evaluate, synthesize or properties jobs on sandboxed workers."""

    def stats(self) -> MachineStats:
        """Pool and timing counters summed over the backend's machines."""

    def backend_stats(self) -> dict[str, int]:
        """Counters of the backend itself (none for the local one)."""

    def close(self) -> None:
        """Stops every worker process the backend started."""
