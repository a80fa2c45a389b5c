"""Metrics to tensorboardX and to `metrics.jsonl` in the workdir, under namespaced keys.

Keys look like `train/return`, `losses/policy`, `reward/phi`, `eval/speedup`,
`perf/scoring_seconds`. On resume, `truncate_after(step)` drops log lines newer
than the restored checkpoint so the JSONL file stays one line per iteration.

`VisitedPrograms` keeps the distinct (problem, program) pairs a run's episodes reached in
`visited_programs.txt`, so the count (`train/distinct_programs`) carries over a resume.
"""

from __future__ import annotations

import hashlib
import json
import math
import pathlib
from typing import Iterable, Mapping

from tensorboardX import SummaryWriter

from codeopt_jax.program import normalized_code

VISITED_FILE = "visited_programs.txt"
DISTINCT_PROGRAMS = "train/distinct_programs"


def read_metrics(path: str | pathlib.Path) -> list[dict]:
    """All records of a metrics.jsonl file (skipping a torn last line)."""
    records = []
    path = pathlib.Path(path)
    if not path.exists():
        return records
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


class MetricsWriter:
    """Writes scalar dicts per step to tensorboard and JSONL."""

    def __init__(self, workdir: str | pathlib.Path):
        self.workdir = pathlib.Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.jsonl_path = self.workdir / "metrics.jsonl"
        self._tensorboard = SummaryWriter(str(self.workdir / "tensorboard"))

    def truncate_after(self, step: int) -> None:
        kept = [r for r in read_metrics(self.jsonl_path) if r.get("step", 0) <= step]
        self.jsonl_path.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")

    def write(self, step: int, scalars: Mapping[str, float]) -> None:
        clean = {}
        for key, value in scalars.items():
            value = float(value)
            clean[key] = value if math.isfinite(value) else None
            if math.isfinite(value):
                self._tensorboard.add_scalar(key, value, step)
        with self.jsonl_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"step": step, **clean}) + "\n")
        self._tensorboard.flush()

    def close(self) -> None:
        self._tensorboard.close()


def program_key(problem: str, source: str) -> str:
    """A short digest of a problem name and a program up to layout (`normalized_code`)."""
    digest = hashlib.sha256(f"{problem}\0{normalized_code(source)}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:20]


class VisitedPrograms:
    """The distinct (problem, program) pairs a run has visited, one `step key` line each in the workdir.

    Opening it for a run resumed at `resume_step` forgets the lines of later steps (like
    `MetricsWriter.truncate_after`), so a resumed run counts exactly as an uninterrupted one."""

    def __init__(self, workdir: str | pathlib.Path, resume_step: int = 0):
        self.path = pathlib.Path(workdir) / VISITED_FILE
        self.keys: set[str] = set()
        kept = []
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                step, _, key = line.partition(" ")
                if step.isdigit() and key and int(step) <= resume_step:
                    self.keys.add(key)
                    kept.append(line + "\n")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("".join(kept), encoding="utf-8")

    def add(self, step: int, programs: Iterable[tuple[str, str]]) -> int:
        """Records (problem name, source) pairs visited at `step`; returns the distinct count so far."""
        new = []
        for problem, source in programs:
            key = program_key(problem, source)
            if key not in self.keys:
                self.keys.add(key)
                new.append(f"{step} {key}\n")
        if new:
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write("".join(new))
        return len(self.keys)
