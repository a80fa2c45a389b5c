"""The Ray scoring backend: Ray actors, each one machine's sandboxed workers and timing pairs.

Driver side (`RayScorer`, in the trainer's process, behind `ScoringService`): joins a Ray
cluster (or starts a private local one), starts ceil(num_workers / workers_per_actor)
`ScoringActor`s, each asking Ray for one CPU per worker and spread over the nodes, then for
each batch splits the uncached jobs into chunks, hands one chunk at a time to each idle
actor and gathers the results in job order. An actor that is lost (its process killed, its
node gone) is replaced by a new one and its chunk runs again there, once; a chunk that loses
a second actor gets `crash` records. The cache stays in the service.

Actor side (`ScoringActor`, on a cluster machine): claims free cores of its machine
(`core_claims`), pins itself to them, and runs a `machine.MachineScorer`: the very pool
(sandboxed workers with rlimits, audit hook, isolation, phase deadlines, replacement of dead
workers) and timing pairs of the local backend, the pairs pinned to the actor's cores.

Only JSON text crosses between the driver and the actors (jobs, options, limits, results and
counters), as in the local pool's protocol. Ray is an optional install (requirements-ray.txt),
imported only here and only when this backend is asked for.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import pathlib
import socket
from collections import deque
from typing import Any, Sequence

from codeopt_jax.scoring import core_claims, records
from codeopt_jax.scoring.backend import BackendError, ScoringBackend
from codeopt_jax.scoring.machine import MachineScorer, MachineStats
from codeopt_jax.scoring.pool import WorkerLimits
from codeopt_jax.scoring.records import ScoreOptions

_PACKAGE_DIR = pathlib.Path(__file__).resolve().parents[1]  # codeopt_jax/, shipped to the cluster
READY_SECONDS = 180.0       # for an actor to be placed, receive the package and start its workers
_CLOSE_SECONDS = 30.0
_PROBE_SECONDS = 5.0        # for the head to accept a connection
_CHUNKS_PER_ACTOR = 4       # chunks per actor in a large batch: a slow chunk holds up little
_ATTEMPTS = 2               # actors a chunk may lose before its jobs get crash records
_LOCAL_OBJECT_STORE_BYTES = 128 * 1024 * 1024  # only short JSON strings travel


def require_ray():
    """The `ray` module; ImportError naming the missing package and how to install it."""
    try:
        import ray
    except ImportError:
        raise ImportError("the Ray scoring backend (--scoring ray) needs the 'ray' package, which is not "
                          "installed: python -m pip install -r requirements-ray.txt") from None
    return ray


def runtime_env() -> dict[str, Any]:
    """Ray's runtime environment for the scoring actors: the `codeopt_jax` package (pure Python),
    shipped to every node. Its dependencies (Python 3.11, ray, requirements.txt) are each node's own."""
    return {"py_modules": [str(_PACKAGE_DIR)], "excludes": ["__pycache__", "*.pyc"]}


def connect(address: str, num_cpus: int = 1) -> bool:
    """Connects this process to Ray: with `address` ("auto", "HOST:PORT", "ray://HOST:PORT") it joins
    that cluster; with "" it starts a private Ray on this machine with at least `num_cpus` CPUs.
    Ships the package (`runtime_env`). Returns True when this call started the connection (so the
    caller calls `ray.shutdown()`), False when this process was connected already."""
    ray = require_ray()
    if ray.is_initialized():
        return False
    _check_reachable(address)
    try:
        if address:
            ray.init(address=address, runtime_env=runtime_env(), logging_level=logging.WARNING)
        else:
            ray.init(address="local", num_cpus=max(os.cpu_count() or 1, num_cpus), include_dashboard=False,
                     object_store_memory=_LOCAL_OBJECT_STORE_BYTES, runtime_env=runtime_env(),
                     logging_level=logging.WARNING)
    except Exception as exc:  # Ray raises ConnectionError, ValueError, RuntimeError... for a bad cluster
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        raise BackendError(f"cannot connect to {where}: {type(exc).__name__}: {exc}") from None
    return True


def _check_reachable(address: str) -> None:
    """BackendError unless something accepts a TCP connection at a "[ray://]HOST:PORT" address within
    a few seconds (Ray itself retries an unreachable head for minutes). Other forms ("", "auto") pass."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=_PROBE_SECONDS).close()
    except OSError as exc:
        raise BackendError(f"nothing answers at {address} ({exc}): is `ray start --head` running there, "
                           "and is this its address and port?") from None


@dataclasses.dataclass(frozen=True)
class ActorInfo:
    """Where one scoring actor runs and what it runs.

    Attributes:
      node_id: Ray's id of the actor's node.
      hostname: the node's host name.
      pid: the actor's process id (on its node).
      workers: its sandboxed evaluation workers.
      cores: the cores it claimed and is pinned to (its timing pairs use them), highest first.
      cores_shared: True when its node had fewer free cores than it wanted (see `core_claims`).
      worker_pids: its sandboxed workers' process ids (on its node).
    """

    node_id: str
    hostname: str
    pid: int
    workers: int
    cores: tuple[int, ...]
    cores_shared: bool
    worker_pids: tuple[int, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ActorInfo":
        return cls(node_id=str(data["node_id"]), hostname=str(data["hostname"]), pid=int(data["pid"]),
                   workers=int(data["workers"]), cores=tuple(int(c) for c in data["cores"]),
                   cores_shared=bool(data["cores_shared"]), worker_pids=tuple(int(p) for p in data["worker_pids"]))


class ScoringActor:
    """One machine's scoring inside a Ray actor (see the module doc). Every method takes and
    returns JSON text; every answer carries the machine's counters ("stats")."""

    def __init__(self, num_workers: int, limits_json: str):
        self._workers = num_workers
        self._claim = core_claims.claim_cores(num_workers)
        core_claims.pin_to(self._claim.cores)  # before any worker starts: they inherit it
        self._machine = MachineScorer(num_workers, WorkerLimits(**json.loads(limits_json)))

    def _answer(self, **fields: Any) -> str:
        return json.dumps({**fields, "stats": self._machine.stats().to_json()})

    def describe(self) -> str:
        import ray

        info = {"node_id": ray.get_runtime_context().get_node_id(), "hostname": socket.gethostname(),
                "pid": os.getpid(), "workers": self._workers, "cores": list(self._claim.cores),
                "cores_shared": self._claim.shared, "worker_pids": self._machine.worker_pids()}
        return self._answer(info=info)

    def ready(self) -> str:
        """`describe` once every sandboxed worker has started (raises if they cannot start)."""
        self._machine.wait_ready()
        return self.describe()

    def score(self, jobs_json: str, options_json: str) -> str:
        results = self._machine.score(json.loads(jobs_json), ScoreOptions(**json.loads(options_json)))
        return self._answer(results=results)

    def run(self, jobs_json: str) -> str:
        return self._answer(results=self._machine.run(json.loads(jobs_json)))

    def close(self) -> None:
        self._machine.close()
        self._claim.release()


@dataclasses.dataclass
class _Seat:
    """One actor place of the driver (mutable: a lost actor's replacement takes its seat)."""

    handle: Any
    workers: int
    info: ActorInfo
    stats: MachineStats


@dataclasses.dataclass(frozen=True)
class _Chunk:
    """Jobs [start, stop) of a batch, and how many actors it has lost so far."""

    start: int
    stop: int
    attempt: int = 0


class RayScorer:
    """The driver side of the Ray backend (see the module doc); a `backend.Executor`."""

    def __init__(self, num_workers: int, limits: WorkerLimits, backend: ScoringBackend):
        if num_workers < 1:
            raise ValueError("num_workers must be at least 1")
        self._ray = require_ray()
        self._limits_json = json.dumps(dataclasses.asdict(limits))
        self._owns_ray = connect(backend.ray_address, num_workers)
        self._actor_class = self._ray.remote(ScoringActor)
        self._seats: list[_Seat] = []
        self._retired = MachineStats()  # counters of actors that are gone
        self.actors_started = 0
        self.actors_replaced = 0
        try:
            self._check_capacity(num_workers, backend.workers_per_actor)
            sizes = [min(backend.workers_per_actor, num_workers - first)
                     for first in range(0, num_workers, backend.workers_per_actor)]
            handles = [self._new_actor(size) for size in sizes]
            for handle, size, (info, stats) in zip(handles, sizes, self._await_ready(handles)):
                self._seats.append(_Seat(handle, size, info, stats))
        except BaseException:
            self.close()
            raise

    # -- actors ------------------------------------------------------------------------------

    def _check_capacity(self, num_workers: int, workers_per_actor: int) -> None:
        """Raises BackendError when the cluster cannot hold the actors at all."""
        nodes = [node for node in self._ray.nodes() if node.get("Alive")]
        cpus = [float(node.get("Resources", {}).get("CPU", 0)) for node in nodes]
        if sum(cpus) < num_workers:
            raise BackendError(f"the Ray cluster has {sum(cpus):g} CPUs on {len(nodes)} nodes; {num_workers} "
                               "scoring workers ask for one CPU each (add nodes, or ask for fewer workers)")
        widest = min(workers_per_actor, num_workers)
        if widest > max(cpus, default=0):
            raise BackendError(f"no Ray node has {widest} CPUs for one scoring actor (the largest has "
                               f"{max(cpus, default=0):g}); ask for fewer workers per actor")

    def _new_actor(self, workers: int):
        self.actors_started += 1
        return self._actor_class.options(num_cpus=workers, scheduling_strategy="SPREAD",
                                         max_restarts=0).remote(workers, self._limits_json)

    def _await_ready(self, handles: list) -> list[tuple[ActorInfo, MachineStats]]:
        """Each actor's info and counters once its workers run; BackendError when one cannot start."""
        ray = self._ray
        try:
            answers = ray.get([handle.ready.remote() for handle in handles], timeout=READY_SECONDS)
        except ray.exceptions.GetTimeoutError:
            free = ray.available_resources().get("CPU", 0)
            raise BackendError(f"Ray scoring actors did not start within {READY_SECONDS:.0f} s (the cluster "
                               f"has {free:g} free CPUs; each actor asks for one per worker)") from None
        except (ray.exceptions.RayActorError, ray.exceptions.RayTaskError) as exc:
            raise BackendError(f"a Ray scoring actor failed to start: {exc}") from None
        decoded = [json.loads(answer) for answer in answers]
        return [(ActorInfo.from_json(d["info"]), MachineStats.from_json(d["stats"])) for d in decoded]

    def _kill(self, handle) -> None:
        try:
            self._ray.kill(handle, no_restart=True)
        except Exception:  # already gone
            pass

    def _replace(self, seat: _Seat) -> bool:
        """A new actor in a lost actor's seat; False (and the seat dropped) when none can start."""
        self._kill(seat.handle)
        self._retired = self._retired + seat.stats
        seat.stats = MachineStats()
        handle = self._new_actor(seat.workers)
        try:
            [(seat.info, seat.stats)] = self._await_ready([handle])
        except BackendError:
            self._kill(handle)
            self._seats.remove(seat)
            return False
        seat.handle = handle
        self.actors_replaced += 1
        return True

    def describe(self) -> list[ActorInfo]:
        """Each live actor's node, process, cores and sandboxed workers, as they are now."""
        answers = self._ray.get([seat.handle.describe.remote() for seat in self._seats])
        return [ActorInfo.from_json(json.loads(answer)["info"]) for answer in answers]

    # -- jobs --------------------------------------------------------------------------------

    def score(self, jobs: Sequence[dict[str, Any]], options: ScoreOptions) -> list[dict[str, Any]]:
        return self._dispatch("score", list(jobs), json.dumps(options.to_json()))

    def run(self, jobs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        return self._dispatch("run", list(jobs), None)

    def _chunks(self, count: int) -> deque[_Chunk]:
        widest = max(seat.workers for seat in self._seats)
        size = max(widest, math.ceil(count / (len(self._seats) * _CHUNKS_PER_ACTOR)))
        return deque(_Chunk(start, min(start + size, count)) for start in range(0, count, size))

    def _dispatch(self, method: str, jobs: list[dict[str, Any]], options_json: str | None) -> list[dict[str, Any]]:
        """Runs `method` ("score" or "run") over the jobs on the actors: one chunk per idle actor
        at a time, results in job order (see the module doc for lost actors)."""
        ray = self._ray
        lost_errors = (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError,
                       ray.exceptions.NodeDiedError, ray.exceptions.ObjectLostError)
        results: list[dict[str, Any] | None] = [None] * len(jobs)
        chunks = self._chunks(len(jobs)) if jobs else deque()
        idle = list(self._seats)
        running: dict[Any, tuple[_Seat, _Chunk]] = {}
        while chunks or running:
            while chunks and idle:
                seat, chunk = idle.pop(), chunks.popleft()
                payload = json.dumps(jobs[chunk.start:chunk.stop])
                call = seat.handle.score.remote(payload, options_json) if method == "score" else \
                    seat.handle.run.remote(payload)
                running[call] = (seat, chunk)
            if not running:
                raise BackendError("every Ray scoring actor was lost and none could be started again")
            done, _ = ray.wait(list(running), num_returns=1)
            for call in done:
                seat, chunk = running.pop(call)
                try:
                    answer = json.loads(ray.get(call))
                except lost_errors as exc:
                    if self._replace(seat):
                        idle.append(seat)
                    if chunk.attempt + 1 < _ATTEMPTS:
                        chunks.appendleft(dataclasses.replace(chunk, attempt=chunk.attempt + 1))
                    else:
                        detail = f"the Ray scoring actor running this job was lost {_ATTEMPTS} times: " \
                                 f"{type(exc).__name__}"
                        results[chunk.start:chunk.stop] = [{"status": records.CRASH, "detail": detail}] * \
                            (chunk.stop - chunk.start)
                    continue
                except ray.exceptions.RayTaskError as exc:
                    raise RuntimeError(f"the Ray scoring actor on {seat.info.hostname} failed: {exc}") from None
                seat.stats = MachineStats.from_json(answer.get("stats"))
                idle.append(seat)
                answered = answer.get("results")
                if not isinstance(answered, list) or len(answered) != chunk.stop - chunk.start:
                    answered = [{"status": records.CRASH, "detail": "a Ray scoring actor sent a malformed answer"}] \
                        * (chunk.stop - chunk.start)
                results[chunk.start:chunk.stop] = answered
        return [r if r is not None else {"status": records.CRASH, "detail": "lost job"} for r in results]

    # -- counters and shutdown ---------------------------------------------------------------

    def stats(self) -> MachineStats:
        total = self._retired
        for seat in self._seats:
            total = total + seat.stats
        return total

    def stats_per_actor(self) -> list[MachineStats]:
        """Each live actor's counters as of its last answer, in seat order (as `describe`)."""
        return [seat.stats for seat in self._seats]

    def backend_stats(self) -> dict[str, int]:
        return {"ray_actors": len(self._seats), "ray_actors_started": self.actors_started,
                "ray_actors_replaced": self.actors_replaced}

    def close(self) -> None:
        """Stops every actor's workers, then the actors; and the private Ray this scorer started."""
        ray = self._ray
        seats, self._seats = self._seats, []
        if seats:
            try:
                ray.wait([seat.handle.close.remote() for seat in seats], num_returns=len(seats),
                         timeout=_CLOSE_SECONDS)
            except Exception:  # an actor already gone: its workers saw their pipes close and exited
                pass
            for seat in seats:
                self._kill(seat.handle)
        if self._owns_ray and ray.is_initialized():
            ray.shutdown()
        self._owns_ray = False
