"""Metrics to tensorboardX and to `metrics.jsonl` in the workdir, under namespaced keys.

Keys look like `train/return`, `losses/policy`, `reward/phi`, `eval/speedup`,
`perf/scoring_seconds`. On resume, `truncate_after(step)` drops log lines newer
than the restored checkpoint so the JSONL file stays one line per iteration.
"""

from __future__ import annotations

import json
import math
import pathlib
from typing import Mapping

from tensorboardX import SummaryWriter


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
