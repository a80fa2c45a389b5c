"""Validates the corpus and prints a table of its problems.

  python -m launch.check_corpus            # table
  python -m launch.check_corpus --json     # {"problems": [...], "errors": [...], "warnings": [...]}

Exits non-zero when any problem file is broken; every error names the file.
"""

from __future__ import annotations

import dataclasses
import json
import sys

from absl import app, flags

from codeopt_jax import corpus, corpus_check
from codeopt_jax.scoring import ScoringService

_ROOT = flags.DEFINE_string("root", "corpus", "Corpus folder holding train/ and heldout/.")
_SPLITS = flags.DEFINE_list("splits", list(corpus.SPLITS), "Splits to check.")
_JSON = flags.DEFINE_bool("json", False, "Print JSON instead of a table.")
_WORKERS = flags.DEFINE_integer("workers", 1, "Scoring workers (1 gives the steadiest timings).")


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(rows: list[corpus_check.ProblemReport]) -> None:
    header = f"{'name':32} {'split':8} {'family':16} {'lines':>5} {'tests':>5} {'workload ms':>11} {'ref speedup':>11}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(f"{row.name:32} {row.split:8} {row.family:16} {row.lines:5d} {row.tests:5d} "
              f"{_fmt(row.workload_ms, '11.2f')} {_fmt(row.reference_speedup, '10.2f') + 'x' if row.reference_speedup else '          -'}")


def main(argv: list[str]) -> int:
    del argv
    problems, errors = corpus.load_corpus_report(_ROOT.value, _SPLITS.value)
    log = (lambda message: print(message, file=sys.stderr)) if not _JSON.value else (lambda _: None)
    log(f"loaded {len(problems)} problems from {_ROOT.value} ({len(errors)} broken before running)")
    with ScoringService(num_workers=_WORKERS.value) as service:
        rows, run_errors, warnings = corpus_check.check_problems(problems, service, log)
    errors += run_errors
    if _JSON.value:
        print(json.dumps({
            "problems": [dataclasses.asdict(row) for row in rows],
            "errors": [{"path": e.path, "problem": e.problem} for e in errors],
            "warnings": warnings}, indent=2))
    else:
        print_table(rows)
        families = corpus.families(problems)
        print(f"\n{len(rows)} problems OK in {len(families)} families; {len(errors)} broken; "
              f"{len(warnings)} warnings")
        for warning in warnings:
            print(f"warning: {warning}")
        for error in errors:
            print(f"error: {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    app.run(main)
