"""Symbolic differential check: CrossHair's `diffbehavior` on the original and a candidate.

  check = diff_behavior(original_program, candidate_program, "order_total", time_limit=20)
  check.status        # "no_difference_found", "counterexample", "unsupported", "timeout" or "error"
  check.counterexample

Both programs become two modules, `original` and `candidate`, in a fresh temporary folder.
CrossHair runs there in a child interpreter (`python -m codeopt_jax.scoring.symbolic`, which
caps its own memory, CPU seconds and file size with `sandbox.apply_resource_limits` and then
runs CrossHair), in its own process group, with a minimal environment and a wall-clock
deadline that SIGKILLs the group: CrossHair executes both programs, so they are untrusted.
CrossHair's own time budget is `time_limit` CPU seconds; the hard limits leave it a margin.
Exceptions count as equal when their types match (a rewrite may change a message).
"No difference found" means none was found in the time given, never that the two are equal.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import os
import pathlib
import re
import runpy
import signal
import subprocess
import sys
import tempfile
import time
from typing import IO

from codeopt_jax.scoring import sandbox
from codeopt_jax.user_problem import UserInputError

NO_DIFFERENCE = "no_difference_found"
COUNTEREXAMPLE = "counterexample"
UNSUPPORTED = "unsupported"
TIMEOUT = "timeout"
ERROR = "error"
STATUSES = (NO_DIFFERENCE, COUNTEREXAMPLE, UNSUPPORTED, TIMEOUT, ERROR)

ORIGINAL_MODULE, CANDIDATE_MODULE = "original", "candidate"
MEMORY_MB = 2048
FILE_MB = 16
TEXT_LIMIT = 4000  # characters of CrossHair's output kept in a record
_PROJECT_ROOT = str(pathlib.Path(__file__).resolve().parents[2])
_UNSUPPORTED_MARKS = ("Cannot determine signature", "does not target a function",
                      "not behaving deterministically")


@dataclasses.dataclass(frozen=True)
class SymbolicCheck:
    """What CrossHair said about a candidate against the original.

    Attributes:
      status: one of STATUSES.
      counterexample: the differing inputs and results as CrossHair printed them ("" unless
        status is "counterexample"; capped at TEXT_LIMIT characters).
      detail: one line: what CrossHair tried ("attempted 125 iterations") or why the check could not run.
      seconds: wall-clock seconds the check took.
      time_limit: CrossHair's budget in CPU seconds.
    """

    status: str
    counterexample: str
    detail: str
    seconds: float
    time_limit: float

    @property
    def first_difference(self) -> str:
        """The first counterexample on one line (at most ~400 characters):
        "Given: (x=7), original.f : returns 0; candidate.f : returns 7"."""
        block: list[str] = []
        for line in self.counterexample.splitlines():
            if line.startswith("Given:") and block:
                break
            block.append(line.strip())
        text = " ".join(block[:1] + ["; ".join(block[1:])]).strip()
        return text if len(text) <= 400 else text[:400] + "..."


def crosshair_available() -> bool:
    return importlib.util.find_spec("crosshair") is not None


def require_crosshair() -> None:
    """Raises UserInputError (one line) unless CrossHair can be imported."""
    if not crosshair_available():
        raise UserInputError("--verify crosshair needs CrossHair, which is not installed: "
                             "pip install crosshair-tool")


def hard_limits(time_limit: float) -> tuple[int, float]:
    """(CPU seconds, wall-clock seconds) after which the CrossHair process is killed."""
    return math.ceil(1.5 * time_limit) + 5, 3 * time_limit + 10


def diff_behavior(original_program: str, candidate_program: str, entry_point: str,
                  time_limit: float) -> SymbolicCheck:
    """Looks for an input on which `entry_point` behaves differently in the two programs.

    Raises UserInputError when CrossHair is not installed; whatever the programs do becomes a status."""
    require_crosshair()
    cpu_seconds, wall_seconds = hard_limits(time_limit)
    command = [sys.executable, "-m", "codeopt_jax.scoring.symbolic", str(MEMORY_MB << 20), str(FILE_MB << 20),
               str(cpu_seconds), "diffbehavior", f"{ORIGINAL_MODULE}.{entry_point}",
               f"{CANDIDATE_MODULE}.{entry_point}", "--per_condition_timeout", f"{time_limit:g}",
               "--exception_equivalence", "SAME_TYPE"]
    env = {"PATH": os.defpath, "PYTHONPATH": _PROJECT_ROOT, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONIOENCODING": "utf-8", "LC_ALL": "C.UTF-8"}
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="codeopt-crosshair-") as folder, \
            tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        for name, program in ((ORIGINAL_MODULE, original_program), (CANDIDATE_MODULE, candidate_program)):
            pathlib.Path(folder, f"{name}.py").write_text(program, encoding="utf-8")
        process = subprocess.Popen(command, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                   start_new_session=True, close_fds=True)
        killed = False
        try:
            process.wait(timeout=wall_seconds)
        except subprocess.TimeoutExpired:
            killed = True
        finally:
            _kill_group(process)  # also whatever it left behind in its group
        code = process.wait()
        seconds = time.monotonic() - start
        stdout, stderr = _read(out), _read(err)
    if killed:
        return SymbolicCheck(TIMEOUT, "", f"CrossHair was stopped after {wall_seconds:g} s of wall-clock time",
                             seconds, time_limit)
    status, counterexample, detail = parse_output(code, stdout, stderr)
    return SymbolicCheck(status, counterexample, detail, seconds, time_limit)


def parse_output(code: int, stdout: str, stderr: str) -> tuple[str, str, str]:
    """(status, counterexample, detail) from CrossHair's exit code and output.

    CrossHair exits 0 after "No differences found", 1 after printing "Given: (...)" blocks,
    2 when it cannot load a function or saw nondeterminism; an uncaught error also exits 1."""
    if code < 0:
        signum = -code
        if signum == signal.SIGXCPU:
            return TIMEOUT, "", "CrossHair was stopped at its CPU-seconds limit"
        name = signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else str(signum)
        return ERROR, "", f"CrossHair was killed by {name}" + (" (file size limit)" if signum == signal.SIGXFSZ
                                                              else "")
    lines = stdout.splitlines()
    given = next((i for i, line in enumerate(lines) if line.startswith("Given: (")), None)
    if code == 1 and given is not None:
        return COUNTEREXAMPLE, "\n".join(lines[given:])[:TEXT_LIMIT], ""
    if any(mark in stderr for mark in _UNSUPPORTED_MARKS):
        return UNSUPPORTED, "", _last_line(stderr)
    attempted = re.match(r"No differences found\. \(attempted (\d+) iterations\)", stdout)
    if code == 0 and attempted:
        if attempted.group(1) == "0":
            return UNSUPPORTED, "", "CrossHair could not run the function on any input"
        exhausted = ", all paths exhausted" if "All paths exhausted" in stdout else ""
        return NO_DIFFERENCE, "", f"attempted {attempted.group(1)} iterations{exhausted}"
    return ERROR, "", _last_line(stderr) or _last_line(stdout) or f"CrossHair exited with status {code}"


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _read(stream: IO[bytes]) -> str:
    stream.seek(0)
    return stream.read(1 << 20).decode("utf-8", errors="replace")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _run_crosshair(argv: list[str]) -> None:
    """Child side: caps this process (memory, file size, CPU seconds), then runs `crosshair argv[3:]`."""
    memory_bytes, file_bytes, cpu_seconds = map(int, argv[:3])
    sandbox.apply_resource_limits(memory_bytes, file_bytes, cpu_seconds)
    sys.argv = ["crosshair", *argv[3:]]
    runpy.run_module("crosshair", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    _run_crosshair(sys.argv[1:])
