"""Measures the cost model's coefficients on this machine and writes the table the scoring workers read.

  python -m launch.calibrate_cost_model [--repeats 9] [--min_ms 1] [--out codeopt_jax/scoring/cost_table.json]
  python -m launch.calibrate_cost_model --operations sort,heap     # re-measure only these operations

Times small trusted loops untraced (the fastest of --repeats runs of at least --min_ms each, CPU time of this
thread) and fits nanoseconds per instruction class, per Python frame and per C-level operation
(`codeopt_jax/scoring/cost_calibration.py`). Writes the versioned JSON table (with each fit's relative error and
the command) to --out. Run it on an otherwise idle machine: the figures are only as quiet as the machine.
"""

from __future__ import annotations

import json
import os
import pathlib
import sys
import time

from absl import app, flags

from codeopt_jax.scoring import cost_calibration, cost_table

_REPEATS = flags.DEFINE_integer("repeats", 9, "Timed runs per loop and size; the fastest counts.")
_MIN_MS = flags.DEFINE_float("min_ms", 1.0, "Each timed run lasts at least this many milliseconds.")
_OUT = flags.DEFINE_string("out", "codeopt_jax/scoring/cost_table.json", "Table to write (the scoring workers "
                           "read codeopt_jax/scoring/cost_table.json).")
_OPERATIONS = flags.DEFINE_list("operations", None, "Only re-measure these operations (the rest, and the "
                                "instruction classes, are kept from the table in --out).")


def main(argv: list[str]) -> int:
    del argv
    progress = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    out = pathlib.Path(_OUT.value)
    base = None
    if _OPERATIONS.value:
        unknown = sorted(set(_OPERATIONS.value) - set(cost_table.OPERATIONS))
        if unknown:
            print(f"error: --operations: unknown {unknown}; the operations are {sorted(cost_table.OPERATIONS)}",
                  file=sys.stderr)
            return 2
        try:
            base = cost_table.load_cost_table(out)
        except cost_table.CostTableError as exc:
            print(f"error: --operations keeps the rest of the table in --out, but {exc}", file=sys.stderr)
            return 2
    settings = cost_calibration.CalibrationSettings(
        repeats=_REPEATS.value, min_seconds=_MIN_MS.value / 1e3,
        operations=tuple(_OPERATIONS.value) if _OPERATIONS.value else None, progress=progress)
    start = time.time()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    progress(f"calibrating on {os.cpu_count()} cores (load average {load:.2f}); {_REPEATS.value} runs per loop")
    table, fits = cost_calibration.calibrate(settings, base)
    command = " ".join(["python -m launch.calibrate_cost_model", *sys.argv[1:]])
    data = dict(table.to_json(), command=command)
    data["fits"] = {fit.name: {"rows": fit.rows, "relative_rms": round(fit.relative_rms, 4),
                               "worst": round(fit.worst, 4)} for fit in fits}
    data["load_average"] = round(load, 2)
    if base is not None:
        previous = json.loads(out.read_text(encoding="utf-8")).get("fits", {})
        data["fits"] = {**previous, **data["fits"]}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    cost_table.load_cost_table(out)  # the file reads back
    progress(f"wrote {out} in {time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    app.run(main)
