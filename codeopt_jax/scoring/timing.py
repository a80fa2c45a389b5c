"""Paired timing across two worker processes, driven from the trusted side.

The original and the candidate never run in one interpreter: the pair's "original" worker
only ever loads problems' original programs, its "candidate" worker only candidates, and
neither holds expected outputs or reference solutions. The parent alternates them in ABBA
order, one side at a time:

  load original (cold probe pass) -> load candidate (cold probe pass) -> calibrate passes
  round r: [original, candidate] if r is even else [candidate, original]; each side runs
  `loops` fresh-state passes (module executed anew, fresh argument copies) and reports the
  seconds read from a clock bound before any untrusted code loaded.

After each pass the parent checks that
  * the outputs of the pass's first and last loop hash like the original's (right when
    timed, not only when tested);
  * the side left no thread running and changed no gc/switch-interval/trace setting or builtin;
  * the idle side used no CPU while the other side was timed (a thread or a forged early
    answer that keeps working would steal the measured side's core);
and at the end that the candidate's first (cold) pass is not far slower than its later ones
beyond what the original shows (state carried from pass to pass; on both sides an untimed
pass of the original, before the side's program loads, absorbs the process's own first-pass
costs), and that no module of the interpreter was altered. Any failure voids the record with status `voided` and a detail.
"""

from __future__ import annotations

import dataclasses
import os
import select
import statistics
import time
from typing import Any

from codeopt_jax.scoring import measure, records
from codeopt_jax.scoring.pool import WorkerLimits, WorkerProcess

ORIGINAL = "original"
CANDIDATE = "candidate"
_LOAD_SECONDS = 20.0
# Idle-side CPU allowed while the other side is timed: scheduler noise, never real work.
_IDLE_CPU_SECONDS = 0.002
# A candidate whose cold pass is this many times slower than its warm passes (relative to the
# original's own cold/warm ratio) and at least `_COLD_EXCESS_SECONDS` slower carried state.
_COLD_RATIO = 5.0
_COLD_EXCESS_SECONDS = 0.0005


class _Abort(Exception):
    """Ends a timing job with a record status and detail."""

    def __init__(self, status: str, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _is_time(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value and value >= 0


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by every thread of a process (Linux /proc; 0.0 elsewhere)."""
    total_ns = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat", "rb") as handle:
                total_ns += int(handle.read().split()[0])
        return total_ns / 1e9
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def allowed_cores() -> set[int]:
    """The cores this process may run on (empty where the OS cannot tell)."""
    try:
        return set(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return set()


def timing_cores(count: int) -> list[int | None]:
    """Cores for `count` pairs: the highest allowed ones, reused round-robin when there are
    fewer cores than pairs (None where the OS cannot pin)."""
    cores = sorted(allowed_cores(), reverse=True)
    return [cores[index % len(cores)] if cores else None for index in range(count)]


def _pin(pid: int, core: int | None) -> None:
    """Both sides of a pair run on one core, where the OS allows pinning, so a difference
    between cores never enters the ratio (the scoring service times only after its pool's
    evaluations have finished, so no evaluation competes with a measurement)."""
    try:
        if core is not None:
            os.sched_setaffinity(pid, {core})
    except (AttributeError, OSError):
        pass


@dataclasses.dataclass
class TimingStats:
    jobs: int = 0
    voided: int = 0
    workers_started: int = 0


class TimingPair:
    """Two warm worker processes and the paired-timing protocol (see module doc)."""

    def __init__(self, limits: WorkerLimits = WorkerLimits(), core: int | None = None):
        self.limits = limits
        self.core = core
        self.stats = TimingStats()
        self._workers: dict[str, WorkerProcess | None] = {ORIGINAL: None, CANDIDATE: None}

    # -- processes ---------------------------------------------------------------------------

    def _worker(self, role: str) -> WorkerProcess:
        worker = self._workers[role]
        if worker is not None:
            return worker
        error = ""
        for _ in range(3):
            worker = WorkerProcess(self.limits)
            self.stats.workers_started += 1
            try:
                message = self._receive(worker, ("ready",), time.monotonic() + self.limits.startup_seconds)
            except _Abort:
                error = worker.startup_error().strip()
                worker.kill()
                continue
            if message.get("kind") == "ready":
                _pin(worker.process.pid, self.core)
                worker.ready = True
                self._workers[role] = worker
                return worker
        raise RuntimeError(f"timing workers fail to start; last worker said:\n{error or 'no output'}")

    def _discard(self, role: str) -> None:
        worker = self._workers[role]
        if worker is not None:
            worker.kill()
        self._workers[role] = None

    def close(self) -> None:
        for role in (ORIGINAL, CANDIDATE):
            self._discard(role)

    # -- messages ----------------------------------------------------------------------------

    def _receive(self, worker: WorkerProcess, kinds: tuple[str, ...], deadline: float) -> dict[str, Any]:
        """The next message of one of `kinds`; phase announcements move the deadline."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Abort(records.TIMEOUT, f"no answer within the {worker.phase} deadline while timed")
            readable, _, _ = select.select([worker.result_fd], [], [], remaining)
            if not readable:
                continue
            messages = worker.read()
            if messages is None:
                status, detail = worker.exit_description()
                raise _Abort(status, f"timing worker died: {detail}")
            for position, message in enumerate(messages):
                kind = message.get("kind") if isinstance(message, dict) else None
                if kind == "phase":
                    budget = message.get("budget")
                    if not isinstance(budget, (int, float)) or budget != budget:
                        budget = self.limits.max_phase_seconds
                    worker.phase = str(message.get("phase", "?"))[:40]
                    deadline = time.monotonic() + min(float(budget), self.limits.max_phase_seconds)
                elif kind in kinds:
                    if position != len(messages) - 1:  # a genuine worker sends one answer per request
                        raise _Abort(records.CRASH, "timing worker sent more than one answer")
                    return message
                elif kind == "timing_failed":
                    status = message.get("status")
                    raise _Abort(status if status in records.STATUSES else records.CRASH,
                                 str(message.get("detail", ""))[:2000])
                else:
                    raise _Abort(records.CRASH, "timing worker sent an unexpected message")

    def _exchange(self, role: str, message: dict[str, Any], kind: str, budget: float) -> dict[str, Any]:
        worker = self._worker(role)
        worker.phase = message["kind"]
        if not worker.send(message):
            self._discard(role)
            raise _Abort(records.CRASH, f"the {role} timing worker is gone")
        try:
            return self._receive(worker, (kind,), time.monotonic() + min(budget, self.limits.max_phase_seconds))
        except _Abort as abort:
            if abort.status in (records.TIMEOUT, records.CRASH, records.MEMORY_LIMIT, records.OUTPUT_LIMIT):
                self._discard(role)
            raise

    # -- the protocol ------------------------------------------------------------------------

    def measure(self, problem: dict[str, Any], candidate: str, rounds: int = 7, max_rounds: int = 15,
                target_interval: float = 0.02, min_seconds: float = 0.005) -> dict[str, Any]:
        """Timing fields for a valid candidate (speedup, spread, times), or a failure's status
        and detail. `problem` is the worker payload (name, source, program, entry_point)."""
        self.stats.jobs += 1
        try:
            fields = self._measure(problem, candidate, max(1, rounds), max(rounds, max_rounds),
                                   target_interval, min_seconds)
        except _Abort as abort:
            fields = {"status": abort.status, "detail": abort.detail}
            self._discard(CANDIDATE)  # whatever a failed candidate left behind goes with its process
        fields = self._finish(fields)
        if fields.get("status") == records.VOIDED:
            self.stats.voided += 1
        return fields

    def _load(self, role: str, problem: dict[str, Any], program: str, probe_budget: float) -> dict[str, Any]:
        message = {"kind": "timing_load", "problem": problem, "program": program,
                   "probe_budget": probe_budget, "warm_up": True}
        try:
            reply = self._exchange(role, message, "timing_loaded", _LOAD_SECONDS + probe_budget)
        except _Abort as abort:
            if role == ORIGINAL:
                raise _Abort(records.EXCEPTION, f"the original failed while timed: {abort.detail}") from None
            raise
        probe, probe_cpu, digest = reply.get("probe"), reply.get("probe_cpu"), reply.get("digest")
        if not (_is_time(probe) and _is_time(probe_cpu) and isinstance(digest, str)):
            raise _Abort(records.CRASH, f"the {role} timing worker sent a malformed answer")
        return {"probe": max(float(probe), 1e-9), "probe_cpu": max(float(probe_cpu), 1e-9), "digest": digest}

    def _measure(self, problem: dict[str, Any], candidate: str, min_rounds: int, max_rounds: int,
                 target_interval: float, min_seconds: float) -> dict[str, Any]:
        original = self._load(ORIGINAL, problem, problem["program"], self.limits.max_phase_seconds)
        cand = self._load(CANDIDATE, problem, candidate, 3.0 + 30.0 * original["probe"])
        if cand["digest"] != original["digest"]:
            raise _Abort(records.VOIDED, "the candidate's outputs in its first timed pass differ from the original's")
        loops = {role: measure.calibrate_loops(side["probe"], min_seconds)
                 for role, side in ((ORIGINAL, original), (CANDIDATE, cand))}
        budget = 5.0 + 4.0 * max(loops[ORIGINAL] * original["probe"], loops[CANDIDATE] * cand["probe"])
        per_pass: dict[str, list[float]] = {ORIGINAL: [], CANDIDATE: []}
        cpu_per_pass: dict[str, list[float]] = {ORIGINAL: [], CANDIDATE: []}
        for index in range(max_rounds):
            order = (ORIGINAL, CANDIDATE) if index % 2 == 0 else (CANDIDATE, ORIGINAL)
            verify = index == 0 or index + 1 >= min_rounds  # the first round, and every one that may be last
            for role in order:
                seconds, cpu_seconds = self._timed(role, loops[role], budget,
                                                   original["digest"] if verify else None)
                per_pass[role].append(seconds / loops[role])
                cpu_per_pass[role].append(cpu_seconds / loops[role])
            ratios = [o / c for o, c in zip(per_pass[ORIGINAL], per_pass[CANDIDATE])]
            if index + 1 >= min_rounds and measure.median_interval(ratios) <= target_interval:
                break
        result = measure.summarize_pairs(per_pass[ORIGINAL], per_pass[CANDIDATE], loops[CANDIDATE],
                                         original["probe"], cand["probe"])
        self._check_cold(original["probe_cpu"], cand["probe_cpu"], statistics.median(cpu_per_pass[ORIGINAL]),
                         statistics.median(cpu_per_pass[CANDIDATE]))
        return {"status": records.OK, "speedup": result.speedup, "speedup_low": result.speedup_low,
                "speedup_high": result.speedup_high, "speedup_cv": result.speedup_cv,
                "speedup_cold": result.speedup_cold, "time_original": result.time_original,
                "time_candidate": result.time_candidate, "timing_loops": result.loops,
                "timing_rounds": result.rounds}

    def _timed(self, role: str, loops: int, budget: float, expected_digest: str | None) -> tuple[float, float]:
        """Wall and CPU seconds of one measurement of `loops` passes on `role`, after every check;
        with an `expected_digest`, the outputs of its first and last pass must hash to it."""
        other = CANDIDATE if role == ORIGINAL else ORIGINAL
        other_pid = self._worker(other).process.pid
        self._worker(role)
        idle_before = process_cpu_seconds(other_pid)
        try:
            reply = self._exchange(role, {"kind": "timing_pass", "loops": loops, "verify": expected_digest is not None}, "timing_passed", budget)
        except _Abort as abort:
            if role == ORIGINAL:
                raise _Abort(records.EXCEPTION, f"the original failed while timed: {abort.detail}") from None
            raise
        idle_used = process_cpu_seconds(other_pid) - idle_before
        violations = reply.get("violations")
        if not isinstance(violations, list):
            raise _Abort(records.CRASH, f"the {role} timing worker sent a malformed answer")
        if violations:
            self._discard(role)
            raise _Abort(records.VOIDED, f"while timed, the {role} altered its interpreter: "
                         + "; ".join(str(v) for v in violations)[:1000])
        seconds, cpu_seconds = reply.get("seconds"), reply.get("cpu_seconds")
        if not (_is_time(seconds) and seconds > 0 and _is_time(cpu_seconds)):
            raise _Abort(records.CRASH, f"the {role} timing worker sent a malformed answer")
        if expected_digest is not None and reply.get("digests") != [expected_digest, expected_digest]:
            raise _Abort(records.VOIDED, f"while timed, the {role} returned outputs that differ from the "
                         "original's first timed pass")
        if idle_used > _IDLE_CPU_SECONDS:
            self._discard(other)
            raise _Abort(records.VOIDED, f"the {other} process used {idle_used * 1e3:.1f} ms of CPU while the "
                         f"{role} was timed (something kept running)")
        return float(seconds), float(cpu_seconds)

    def _check_cold(self, cold_original: float, cold_candidate: float, steady_original: float,
                    steady_candidate: float) -> None:
        """Voids a candidate whose first pass cost far more CPU than its later ones, beyond what the
        original shows. CPU seconds, not wall: a pass that was merely preempted is not cold."""
        warm_original = cold_original / max(steady_original, 1e-9)
        warm_candidate = cold_candidate / max(steady_candidate, 1e-9)
        if (warm_candidate > _COLD_RATIO * max(1.0, warm_original)
                and cold_candidate - steady_candidate > _COLD_EXCESS_SECONDS):
            raise _Abort(records.VOIDED, f"the candidate's first timed pass took {cold_candidate * 1e3:.2f} ms of CPU "
                         f"and its later passes {steady_candidate * 1e3:.2f} ms each (the original: "
                         f"{warm_original:.1f}x): state carried from one pass to the next")

    def _finish(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Full integrity check of both sides; a side that was altered is voided and replaced."""
        for role in (CANDIDATE, ORIGINAL):
            if self._workers[role] is None:
                continue
            try:
                reply = self._exchange(role, {"kind": "timing_finish"}, "timing_finished", 10.0)
            except _Abort:
                self._discard(role)
                continue
            violations = reply.get("violations")
            cpu = reply.get("cpu_seconds")
            if violations:
                self._discard(role)
                if fields.get("status") == records.OK:
                    fields = {"status": records.VOIDED, "detail": f"the {role} altered its interpreter while "
                              "timed: " + "; ".join(str(v) for v in violations)[:1000]}
            elif isinstance(cpu, (int, float)) and cpu > self.limits.cpu_seconds / 2:
                self._discard(role)
        return fields

