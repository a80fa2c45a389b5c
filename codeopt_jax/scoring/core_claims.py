"""Cores claimed on a machine with lock files, so scoring processes sharing it time on different cores.

Several Ray scoring actors may land on one machine; each claims cores here before it starts
its workers and pins itself to them (its workers and timing pairs inherit the pinning), so no
two actors time on one core. A claim is an exclusive `flock` on `<tmp>/codeopt-cores/core-N.lock`;
the kernel drops it when the claiming process exits, however it exits, so a killed actor's
cores are free again for its replacement.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import tempfile

from codeopt_jax.scoring.timing import allowed_cores


def default_lock_folder() -> str:
    return os.path.join(tempfile.gettempdir(), "codeopt-cores")


@dataclasses.dataclass(frozen=True)
class CoreClaim:
    """Cores held by this process.

    Attributes:
      cores: the claimed cores, highest first (empty where the OS cannot tell cores apart).
      shared: True when fewer than the wanted cores were free, so `cores` includes cores
        claimed by nobody here but possibly used by others (timing there may be noisier).
      lock_fds: open lock files; closing them (or exiting) releases the claim.
    """

    cores: tuple[int, ...]
    shared: bool
    lock_fds: tuple[int, ...]

    def release(self) -> None:
        for fd in self.lock_fds:
            try:
                os.close(fd)
            except OSError:
                pass


def claim_cores(count: int, lock_folder: str | None = None) -> CoreClaim:
    """Claims up to `count` free cores among this process's allowed ones, highest first. When fewer
    are free, the claim is topped up with the highest allowed cores and marked `shared`."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    cores = sorted(allowed_cores(), reverse=True)
    if not cores:
        return CoreClaim(cores=(), shared=True, lock_fds=())
    folder = lock_folder or default_lock_folder()
    os.makedirs(folder, exist_ok=True)
    claimed: list[int] = []
    fds: list[int] = []
    for core in cores:
        if len(claimed) == count:
            break
        fd = os.open(os.path.join(folder, f"core-{core}.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held by another process
            os.close(fd)
            continue
        claimed.append(core)
        fds.append(fd)
    shared = len(claimed) < min(count, len(cores))
    extra = [core for core in cores if core not in claimed][:min(count, len(cores)) - len(claimed)]
    return CoreClaim(cores=tuple(sorted(claimed + extra, reverse=True)), shared=shared, lock_fds=tuple(fds))


def pin_to(cores: tuple[int, ...]) -> None:
    """Pins this process (and the processes it starts from now on) to `cores` (no-op when empty
    or where the OS cannot pin)."""
    if not cores:
        return
    try:
        os.sched_setaffinity(0, set(cores))
    except (AttributeError, OSError):
        pass
