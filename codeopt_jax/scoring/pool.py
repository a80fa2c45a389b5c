"""A persistent pool of sandboxed worker processes, driven from the trainer's process.

Each worker is a fresh interpreter (`python -m codeopt_jax.scoring.worker`, spawned with
exec, never a fork of the trainer) in its own process group and its own temp folder.
The pool runs a single-threaded event loop over the workers' result pipes: it hands
jobs to idle workers, applies each phase's wall-clock deadline, SIGKILLs the process
group of a worker that overruns or misbehaves, and replaces dead workers. Whatever
happens in a worker, `run()` returns one result per job and keeps serving.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

from codeopt_jax.scoring import protocol, records

_PROJECT_ROOT = str(pathlib.Path(__file__).resolve().parents[2])


@dataclasses.dataclass(frozen=True)
class WorkerLimits:
    """Resource limits for each worker.

    Attributes:
      memory_mb: address-space limit; a memory bomb gets MemoryError (status memory_limit).
      file_mb: largest file a worker could write (writes are refused anyway).
      cpu_seconds: lifetime CPU limit; a worker past half of it is replaced after its job.
      output_chars: stdout/stderr a candidate may print before status output_limit.
      max_phase_seconds: upper bound on any phase deadline, whatever the worker asks for.
      startup_seconds: time a new worker has to report ready.
    """

    memory_mb: int = 1024
    file_mb: int = 16
    cpu_seconds: int = 900
    output_chars: int = 65536
    max_phase_seconds: float = 120.0
    startup_seconds: float = 30.0


class WorkerProcess:
    """Parent-side handle of one worker process."""

    def __init__(self, limits: WorkerLimits):
        self.folder = tempfile.mkdtemp(prefix="codeopt-worker-")
        job_read, self.job_fd = os.pipe()
        self.result_fd, result_write = os.pipe()
        env = dict(os.environ)
        env.update(PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1",
                   PYTHONPATH=os.pathsep.join(filter(None, [_PROJECT_ROOT, env.get("PYTHONPATH")])))
        for name in ("XLA_FLAGS", "JAX_PLATFORMS", "CUDA_VISIBLE_DEVICES"):
            env.pop(name, None)
        command = [sys.executable, "-m", "codeopt_jax.scoring.worker",
                   "--job-fd", str(job_read), "--result-fd", str(result_write),
                   "--memory-mb", str(limits.memory_mb), "--file-mb", str(limits.file_mb),
                   "--cpu-seconds", str(limits.cpu_seconds), "--output-chars", str(limits.output_chars)]
        self.startup_log = os.path.join(self.folder, "startup.log")
        with open(self.startup_log, "wb") as log:  # only errors before the worker confines itself
            self.process = subprocess.Popen(
                command, cwd=self.folder, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                pass_fds=(job_read, result_write), start_new_session=True, close_fds=True)
        os.close(job_read)
        os.close(result_write)
        os.set_blocking(self.result_fd, False)
        self.buffer = protocol.FrameBuffer()
        self.garbled = False
        self.ready = False
        self.job_index: int | None = None
        self.phase = "startup"
        self.phase_budget = limits.startup_seconds
        self.deadline = time.monotonic() + limits.startup_seconds
        self.started_job = 0.0
        self.cpu_seconds = 0.0
        self.jobs_done = 0

    def send(self, message: Any) -> bool:
        try:
            protocol.write_message(self.job_fd, message)
            return True
        except OSError:
            return False

    def read(self) -> list[Any] | None:
        """Messages now available; None when the pipe closed or the worker sent garbage."""
        try:
            chunk = os.read(self.result_fd, 1 << 20)
        except BlockingIOError:
            return []
        except OSError:
            return None
        if not chunk:
            return None
        try:
            return self.buffer.feed(chunk)
        except protocol.ProtocolError:
            self.garbled = True
            return None

    def startup_error(self) -> str:
        try:
            with open(self.startup_log, encoding="utf-8", errors="replace") as log:
                return log.read()[-2000:]
        except OSError:
            return ""

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for fd in (self.job_fd, self.result_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)

    def exit_description(self) -> tuple[str, str]:
        """(status, detail) for a worker that died on its own."""
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return records.CRASH, "worker stopped answering"
        if code < 0:
            sig = -code
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
            if sig == signal.SIGXCPU:
                return records.TIMEOUT, "worker exceeded its CPU-time limit"
            if sig == signal.SIGXFSZ:
                return records.OUTPUT_LIMIT, "worker exceeded the file-size limit"
            return records.CRASH, f"worker killed by {name} during {self.phase}"
        return records.CRASH, f"worker exited with code {code} during {self.phase}"


@dataclasses.dataclass
class PoolStats:
    jobs: int = 0
    workers_started: int = 0
    workers_replaced: int = 0
    timeouts: int = 0
    crashes: int = 0


class WorkerPool:
    """`run(jobs)` scores job dicts on `num_workers` sandboxed workers; see module doc."""

    def __init__(self, num_workers: int = 2, limits: WorkerLimits = WorkerLimits()):
        if num_workers < 1:
            raise ValueError("num_workers must be at least 1")
        self.limits = limits
        self.stats = PoolStats()
        self._closed = True
        self._workers = [self._start() for _ in range(num_workers)]
        self._closed = False
        self._failed_starts = 0

    def _start(self) -> WorkerProcess:
        self.stats.workers_started += 1
        return WorkerProcess(self.limits)

    def _replace(self, worker: WorkerProcess) -> None:
        if not worker.ready:
            self._failed_starts += 1
            if self._failed_starts >= 3:
                error = worker.startup_error().strip() or "no output"
                self.close()
                raise RuntimeError(f"scoring workers fail to start; last worker said:\n{error}")
        worker.kill()
        self.stats.workers_replaced += 1
        self._workers[self._workers.index(worker)] = self._start()

    def wait_ready(self) -> None:
        """Blocks until every worker has started (useful before benchmarks)."""
        self.run([], wait_ready=True)

    def worker_pids(self) -> list[int]:
        """Process ids of the current workers (a replaced worker's successor has a new one)."""
        return [worker.process.pid for worker in self._workers]

    def ping(self, count: int) -> float:
        """Round-trip seconds of `count` no-op messages to one warm worker (dispatch overhead)."""
        self.wait_ready()
        worker = self._workers[0]
        os.set_blocking(worker.result_fd, True)
        try:
            start = time.perf_counter()
            for _ in range(count):
                worker.send({"kind": "ping"})
                protocol.read_message(worker.result_fd)
            return (time.perf_counter() - start) / max(count, 1)
        finally:
            os.set_blocking(worker.result_fd, False)

    def run(self, jobs: list[dict[str, Any]], wait_ready: bool = False) -> list[dict[str, Any]]:
        """Runs evaluate (or synthesize, properties, expectations) jobs; returns one fields dict per job, in order.

        Never raises for anything a job does; raises RuntimeError only when workers
        cannot start at all. With `wait_ready`, also waits for replacement workers."""
        if self._closed:
            raise RuntimeError("the worker pool is closed")
        results: list[dict[str, Any] | None] = [None] * len(jobs)
        pending = list(range(len(jobs)))
        pending.reverse()
        while True:
            for worker in self._workers:
                if worker.ready and worker.job_index is None and pending:
                    if worker.process.poll() is not None:  # died while idle: no job is charged
                        self._replace(worker)
                        continue
                    index = pending.pop()
                    worker.job_index = index
                    worker.phase = "dispatch"
                    worker.phase_budget = self.limits.max_phase_seconds
                    worker.started_job = time.monotonic()
                    worker.deadline = worker.started_job + self.limits.max_phase_seconds
                    if not worker.send(dict(jobs[index], kind=jobs[index].get("kind", "evaluate"))):
                        self._finish_dead(worker, results)
            busy = [w for w in self._workers if not w.ready or w.job_index is not None]
            if not pending and all(w.job_index is None for w in self._workers) and \
                    (not wait_ready or all(w.ready for w in self._workers)):
                break
            now = time.monotonic()
            timeout = max(0.0, min(w.deadline for w in busy) - now) if busy else 0.0
            readable, _, _ = select.select([w.result_fd for w in busy], [], [], timeout)
            for worker in list(busy):
                if worker.result_fd in readable:
                    self._handle_output(worker, results)
            now = time.monotonic()
            for worker in list(self._workers):
                if (not worker.ready or worker.job_index is not None) and now > worker.deadline:
                    self._finish_timeout(worker, results)
        self.stats.jobs += len(jobs)
        return [r if r is not None else {"status": records.CRASH, "detail": "lost job"} for r in results]

    def _handle_output(self, worker: WorkerProcess, results: list) -> None:
        messages = worker.read()
        if messages is None:
            self._finish_dead(worker, results, "worker sent a malformed message" if worker.garbled else None)
            return
        for message in messages:
            kind = message.get("kind") if isinstance(message, dict) else None
            if kind == "ready" and not worker.ready:
                worker.ready = True
                self._failed_starts = 0
                worker.phase = "idle"
            elif kind == "phase" and worker.job_index is not None:
                budget = message.get("budget")
                if not isinstance(budget, (int, float)) or budget != budget:
                    budget = self.limits.max_phase_seconds
                worker.phase = str(message.get("phase", "?"))[:40]
                worker.phase_budget = min(float(budget), self.limits.max_phase_seconds)
                worker.deadline = time.monotonic() + worker.phase_budget
            elif kind == "result" and worker.job_index is not None:
                fields = message.get("fields")
                results[worker.job_index] = fields if isinstance(fields, dict) else {
                    "status": records.CRASH, "detail": "worker sent a malformed result", "phase": worker.phase}
                worker.job_index = None
                worker.phase = "idle"
                worker.jobs_done += 1
                cpu = message.get("cpu_seconds")
                worker.cpu_seconds = float(cpu) if isinstance(cpu, (int, float)) else 0.0
                if message.get("recycle") or worker.cpu_seconds > self.limits.cpu_seconds / 2:
                    self._replace(worker)
                    return
            else:
                self._finish_dead(worker, results, "worker sent an unexpected message")
                return

    def _finish_timeout(self, worker: WorkerProcess, results: list) -> None:
        if worker.job_index is not None:
            self.stats.timeouts += 1
            elapsed = time.monotonic() - worker.started_job
            results[worker.job_index] = {
                "status": records.TIMEOUT, "phase": worker.phase,
                "detail": f"no answer within the {worker.phase} deadline of {worker.phase_budget:.1f} s "
                          f"({elapsed:.1f} s into the job); worker killed"}
        self._replace(worker)

    def _finish_dead(self, worker: WorkerProcess, results: list, detail: str | None = None) -> None:
        if worker.job_index is not None:
            self.stats.crashes += 1
            status, description = records.CRASH, detail
            if description is None:
                status, description = worker.exit_description()
            results[worker.job_index] = {"status": status, "detail": description, "phase": worker.phase}
        self._replace(worker)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for worker in self._workers:
            worker.kill()

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
