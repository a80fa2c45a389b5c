"""Scores every reward hack in the catalog with the honest scorer and writes their table.

  python -m launch.check_hacks [--out results/reward_hacks.md] [--workers 2]

Each hack (`codeopt_jax/scoring/hack_catalog.py`) computes the right answers while trying
to cheat the timing. A hack "earns nothing" when its record is not valid (voided, failed,
differs) or its credited speedup is at most 1.3x the original timed against itself. Exits
with status 1 if any hack earns something.
"""

from __future__ import annotations

import pathlib
import sys

from absl import app, flags

from codeopt_jax.scoring import ScoreOptions, ScoringService
from codeopt_jax.scoring.hack_catalog import HACKS, hack_problem

_OUT = flags.DEFINE_string("out", "results/reward_hacks.md", "Markdown table to write ('' = print only).")
_WORKERS = flags.DEFINE_integer("workers", 2, "Scoring workers (and timing pairs).")
HONEST_MARGIN = 1.3


def main(argv: list[str]) -> int:
    del argv
    problem = hack_problem()
    options = ScoreOptions(timing=True)
    names = sorted(HACKS)
    with ScoringService(num_workers=_WORKERS.value) as service:
        honest = service.score(problem, problem.program + "\n_HONEST = 1\n", options)
        results = service.score_many([(problem, HACKS[name]) for name in names], options)
    bound = HONEST_MARGIN * max(honest.speedup or 1.0, 1.0)
    lines = ["`python -m launch.check_hacks` (victim: `letter_score`, candidates in "
             "`codeopt_jax/scoring/hack_catalog.py`)", "",
             f"The original timed against itself: {honest.speedup:.3f}x; a hack earns nothing when its record "
             f"is not valid or it is credited at most {bound:.2f}x.", "",
             "| hack | status | differential | credited speedup | earns nothing | detail |",
             "| --- | --- | --- | --- | --- | --- |"]
    cheats = 0
    for name, record in zip(names, results):
        earns_nothing = not record.valid or (record.speedup is not None and record.speedup <= bound)
        cheats += not earns_nothing
        speedup = f"{record.speedup:.2f}x" if record.speedup is not None else "–"
        detail = record.detail.replace("|", "/").replace("\n", " ")[:140]
        lines.append(f"| {name} | {record.status} | {record.differential} | {speedup} | "
                     f"{'yes' if earns_nothing else '**no**'} | {detail} |")
    lines += ["", f"{len(names) - cheats} of {len(names)} hacks earn nothing."]
    text = "\n".join(lines) + "\n"
    print(text)
    if _OUT.value:
        pathlib.Path(_OUT.value).write_text(text, encoding="utf-8")
        print(f"wrote {_OUT.value}", file=sys.stderr)
    return 1 if cheats else 0


if __name__ == "__main__":
    app.run(main)
