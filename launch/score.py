"""Scores one candidate for one problem in the sandbox and prints the record.

  python -m launch.score --problem corpus/train/NAME.py [--candidate FILE] [--json]

The candidate file defines the problem's function (plus any imports and helpers it
needs); by default the problem's own program is scored. Exit status is 0 whatever the
candidate does; non-zero only for bad arguments (missing files, a broken problem file).
"""

from __future__ import annotations

import dataclasses
import json
import sys

from absl import app, flags

from codeopt_jax import corpus
from codeopt_jax.scoring import ScoreOptions, ScoringService

_PROBLEM = flags.DEFINE_string("problem", None, "Problem file (corpus format).", required=True)
_CANDIDATE = flags.DEFINE_string("candidate", None, "File with the candidate program (default: the original).")
_JSON = flags.DEFINE_bool("json", False, "Print the record as JSON.")
_TIMING = flags.DEFINE_bool("timing", True, "Paired timing against the original.")
_OPCOUNT = flags.DEFINE_bool("opcount", True, "Count executed bytecode instructions.")
_COST = flags.DEFINE_bool("cost", True, "Measure the cost model's modelled nanoseconds (instructions and C-level work).")
_ROUNDS = flags.DEFINE_integer("timing_rounds", 7, "Paired timing rounds.")


def main(argv: list[str]) -> int:
    del argv
    try:
        problem = corpus.load_problem(_PROBLEM.value)
    except corpus.CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    candidate = problem.program
    if _CANDIDATE.value:
        try:
            with open(_CANDIDATE.value, encoding="utf-8") as handle:
                candidate = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            print(f"error: {_CANDIDATE.value}: cannot be read: {exc}", file=sys.stderr)
            return 2
    options = ScoreOptions(timing=_TIMING.value, opcount=_OPCOUNT.value, cost=_COST.value,
                           timing_rounds=_ROUNDS.value)
    with ScoringService(num_workers=1) as service:
        record = service.score(problem, candidate, options)
    if _JSON.value:
        print(json.dumps({"problem": problem.name, **record.to_json()}, indent=2))
        return 0
    print(f"problem      {problem.name} ({problem.family})")
    for field in dataclasses.fields(record):
        value = getattr(record, field.name)
        if value not in (None, "") and field.name not in ("traceback", "cached"):
            print(f"{field.name:12} {value}")
    return 0


if __name__ == "__main__":
    app.run(main)
