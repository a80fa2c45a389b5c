"""Worker-side confinement: resource limits, an audit hook, capped output, integrity.

Runs inside a worker process only. Layers, outermost first:
  * the parent's wall-clock deadline per phase, which SIGKILLs the worker's process
    group (contains C-level loops, sleeps, deadlocks, swallowed interrupts);
  * rlimits: address space (memory bombs raise MemoryError), lifetime CPU seconds,
    file size, no core dumps;
  * a `sys.addaudithook` hook that refuses process creation, signals to other
    processes, file writes and deletions, sockets, rlimit changes and foreign-code
    loaders (ctypes, cffi), so a candidate cannot fork, kill the trainer or touch files;
  * stdout/stderr replaced by capped in-memory streams, fds 1 and 2 sent to /dev/null;
  * guards on the interpreter settings a measurement depends on: `gc` is a proxy whose
    disable/enable/threshold/freeze calls raise, `sys.setswitchinterval` raises;
  * an integrity check after each job and each timed pass (builtins, OS threads, gc
    state, switch interval, trace/profile hooks, `sys.path`, the attributes of every module
    loaded before the job, fake modules in `sys.modules`, cwd): a worker a candidate has
    tampered with voids the record and asks to be replaced.
The audit hook cannot be removed once installed (a documented CPython guarantee).
"""

from __future__ import annotations

import builtins
import gc
import io
import os
import resource
import sys
import threading
import types

_BLOCKED_EVENTS = frozenset({
    "os.system", "os.fork", "os.forkpty", "os.exec", "os.posix_spawn", "os.spawn",
    "subprocess.Popen", "os.kill", "os.killpg", "signal.pthread_kill",
    "os.remove", "os.rmdir", "os.rename", "os.mkdir", "os.chmod", "os.chown", "os.truncate",
    "os.link", "os.symlink", "os.utime", "os.chflags", "os.lchflags", "shutil.rmtree",
    "shutil.chown", "os.setxattr", "os.removexattr",
    "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
    "resource.setrlimit", "resource.prlimit", "ctypes.dlopen", "ctypes.dlsym", "os.putenv", "os.unsetenv",
    "ctypes.call_function", "sys.unraisablehook", "sys.addaudithook",
})
_BLOCKED_IMPORTS = frozenset({"ctypes", "_ctypes", "cffi", "_cffi_backend", "_posixsubprocess",
                              "_xxsubinterpreters", "mmap"})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class SandboxViolation(PermissionError):
    """A candidate tried something the sandbox forbids."""


class OutputLimitExceeded(BaseException):
    """The candidate printed more than the cap (a BaseException so `except Exception` cannot swallow it)."""


def _is_write_open(args: tuple) -> bool:
    mode = args[1] if len(args) > 1 else None
    flags = args[2] if len(args) > 2 else 0
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)


def _audit(event: str, args: tuple) -> None:
    if event in _BLOCKED_EVENTS:
        raise SandboxViolation(f"sandbox: {event} is not allowed")
    if event == "open" and _is_write_open(args):
        raise SandboxViolation(f"sandbox: opening {args[0]!r} for writing is not allowed")
    if event == "import" and args and str(args[0]).split(".")[0] in _BLOCKED_IMPORTS:
        raise SandboxViolation(f"sandbox: importing {args[0]} is not allowed")


def install_audit_hook() -> None:
    """Installs the (irremovable) audit hook; call after the worker's own imports."""
    sys.addaudithook(_audit)


def apply_resource_limits(memory_bytes: int, file_bytes: int, cpu_seconds: int) -> None:
    """Caps address space, file size and lifetime CPU seconds; disables core dumps.

    The CPU cap is for the worker's whole life (rlimit changes are refused once the
    audit hook is in), so the pool replaces a worker that has used half of it."""
    for limit, value in ((resource.RLIMIT_AS, memory_bytes), (resource.RLIMIT_FSIZE, file_bytes),
                         (resource.RLIMIT_CPU, cpu_seconds), (resource.RLIMIT_CORE, 0)):
        soft, hard = resource.getrlimit(limit)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(limit, (value, hard))


class CappedStream(io.TextIOBase):
    """A text stream that keeps at most `limit` characters, then raises OutputLimitExceeded."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.exceeded = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        text = str(text)
        room = self.limit - self.size
        if len(text) > room:
            self.parts.append(text[:max(room, 0)])
            self.size = self.limit
            self.exceeded = True
            raise OutputLimitExceeded(f"output exceeded {self.limit} characters")
        self.parts.append(text)
        self.size += len(text)
        return len(text)

    def getvalue(self) -> str:
        return "".join(self.parts)


def silence_standard_fds() -> None:
    """Points fds 0, 1 and 2 at /dev/null, so C-level writes go nowhere."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


# Standard-library modules loaded before any job, so that their attributes are part of the
# integrity baseline and a first import inside a timed pass costs nothing extra.
PRELOADED_MODULES = ("array", "bisect", "cmath", "collections", "copy", "dataclasses", "datetime",
                     "decimal", "enum", "fractions", "functools", "heapq", "itertools", "math",
                     "operator", "random", "re", "statistics", "string", "textwrap", "time", "timeit",
                     "typing", "unicodedata")
_GC_ALLOWED = ("collect", "isenabled", "get_count", "get_threshold", "get_debug", "get_stats",
               "get_objects", "get_referrers", "get_referents", "is_tracked", "is_finalized",
               "get_freeze_count", "garbage", "callbacks")


def _refuse(name: str):
    def refused(*args, **kwargs):
        raise SandboxViolation(f"sandbox: {name} is not allowed")
    refused.__name__ = name.rsplit(".", 1)[-1]
    return refused


def install_measurement_guards() -> None:
    """Preloads common modules and puts guards on the settings a timing depends on.

    A program sees a `gc` module without disable/enable/set_threshold/set_debug/freeze,
    and `sys.setswitchinterval` raises. The worker keeps the real `gc` bound in its own
    modules, imported before this runs."""
    for name in PRELOADED_MODULES:
        __import__(name)
    proxy = types.ModuleType("gc", gc.__doc__)
    for name in dir(gc):
        if name.startswith("DEBUG_") or name in _GC_ALLOWED:
            setattr(proxy, name, getattr(gc, name))
    for name in ("disable", "enable", "set_threshold", "set_debug", "freeze", "unfreeze"):
        setattr(proxy, name, _refuse(f"gc.{name}"))
    sys.modules["gc"] = proxy
    sys.setswitchinterval = _refuse("sys.setswitchinterval")


def os_thread_count() -> int:
    """Threads of this process as the OS sees them (also those started without `threading`)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


class Integrity:
    """What a job must leave as it found it; `violations()` lists what changed.

    Build it after the worker's imports and `install_measurement_guards()`. Modules whose names
    start with one of `ignored` (a library's own bookkeeping, such as hypothesis's counters) are
    left out of the module check."""

    def __init__(self, ignored: tuple[str, ...] = ()) -> None:
        self.ignored = ignored
        self.builtins = dict(builtins.__dict__)
        self.cwd = os.getcwd()
        self.recursion_limit = sys.getrecursionlimit()
        self.trace = sys.gettrace()
        self.profile = sys.getprofile()
        self.gc_state = (gc.isenabled(), gc.get_threshold(), gc.get_debug())
        self.switch_interval = sys.getswitchinterval()
        self.path = list(sys.path)
        self.module_names = set(sys.modules)
        self.modules = {name: (module, dict(vars(module))) for name, module in list(sys.modules.items())
                        if isinstance(module, types.ModuleType)}

    def quick_violations(self) -> list[str]:
        """The checks cheap enough to run after every timed pass."""
        found = []
        if builtins.__dict__ != self.builtins:
            found.append("builtins were modified")
        if os_thread_count() > 1 or threading.active_count() > 1:
            found.append("threads are still running")
        if (gc.isenabled(), gc.get_threshold(), gc.get_debug()) != self.gc_state:
            found.append("garbage-collector settings were changed")
        if sys.getswitchinterval() != self.switch_interval:
            found.append("the thread switch interval was changed")
        if sys.gettrace() is not self.trace or sys.getprofile() is not self.profile:
            found.append("a trace or profile function was left installed")
        if sys.getrecursionlimit() != self.recursion_limit:
            sys.setrecursionlimit(self.recursion_limit)
            found.append("the recursion limit was changed")
        return found

    def violations(self) -> list[str]:
        """Every check: the quick ones, modules, `sys.path` and the working directory."""
        found = self.quick_violations()
        try:
            if os.getcwd() != self.cwd:
                found.append("working directory changed")
        except OSError:
            found.append("working directory is gone")
        if sys.path != self.path:
            found.append("sys.path was modified")
        found.extend(self._module_violations())
        return found

    def _module_violations(self) -> list[str]:
        found = []
        for name, module in list(sys.modules.items()):
            if name not in self.module_names and getattr(module, "__spec__", None) is None:
                found.append(f"sys.modules[{name!r}] is not an imported module")
        for name, (module, attributes) in self.modules.items():
            if self.ignored and name.startswith(self.ignored):
                continue
            if sys.modules.get(name) is not module:
                found.append(f"module {name} was replaced or removed")
                continue
            current = vars(module)
            if current == attributes:  # C-speed fast path: identical values compare equal at once
                continue
            for key, value in attributes.items():
                if current.get(key, _MISSING) is not value:
                    found.append(f"{name}.{key} was changed")
            for key in current.keys() - attributes.keys():
                if key != "__warningregistry__" and not isinstance(current[key], types.ModuleType):
                    found.append(f"{name}.{key} was added")
            if len(found) > 5:
                break
        return found


_MISSING = object()
