"""Generates training problems (`gen://<family>/<seed>`), validates them in the sandbox, writes corpus files.

  python -m launch.generate_corpus --count 20 --out_dir runs/gen_corpus
  python -m launch.generate_corpus --families manual_reduce,queue_front --count 100 --seed_start 1000 \\
      --out_dir runs/gen_corpus --cache_dir ''
  python -m launch.check_corpus --root runs/gen_corpus --splits train   # the files load like the corpus

Seeds seed_start .. seed_start + count - 1 of each family are made (the same address always
gives the same problem). Files land in <out_dir>/train/gen_<family>_<seed>.py; a problem
that fails validation is dropped with its reason (no other seed replaces it) and counted in
the table. Made problems are kept in --cache_dir, so a second run only reads files.
"""

from __future__ import annotations

import pathlib
import sys
import time

from absl import app, flags

from codeopt_jax import generated
from codeopt_jax.generator import FAMILIES, GeneratorError, check_family
from codeopt_jax.scoring import ScoringService

_FAMILIES = flags.DEFINE_list("families", list(FAMILIES), "Generator families (default: all of them).")
_COUNT = flags.DEFINE_integer("count", 10, "Seeds per family.")
_SEED_START = flags.DEFINE_integer("seed_start", 0, "First seed of each family.")
_OUT_DIR = flags.DEFINE_string("out_dir", None, "Folder for the corpus files (written to <out_dir>/train/).")
_CACHE_DIR = flags.DEFINE_string("cache_dir", "runs/generated_cache",
                                 "Cache of made problems ('' : none; then everything is made again).")
_WORKERS = flags.DEFINE_integer("workers", 2, "Sandboxed scoring workers.")
_SHOW_DROPS = flags.DEFINE_integer("show_drops", 5, "Print the details of this many dropped problems.")


def print_table(rows: list[generated.FamilyRow], seconds: dict[str, float]) -> None:
    header = f"{'family':18} {'made':>5} {'cached':>6} {'dropped':>7} {'median ms':>9} {'seconds':>8}  drop reasons"
    print(header)
    print("-" * len(header))
    for row in rows:
        median = "-" if row.median_workload_ms is None else f"{row.median_workload_ms:9.2f}"
        reasons = ", ".join(f"{reason} {count}" for reason, count in row.dropped.items()) or "-"
        print(f"{row.family:18} {row.made:5d} {row.cached:6d} {sum(row.dropped.values()):7d} {median:>9} "
              f"{seconds.get(row.family, 0.0):8.2f}  {reasons}")


def main(argv: list[str]) -> int:
    del argv
    if not _OUT_DIR.value:
        print("error: --out_dir is required (the corpus files go to <out_dir>/train/)", file=sys.stderr)
        return 2
    try:
        families = [check_family(f.strip()) for f in _FAMILIES.value]
        if _COUNT.value < 0 or _SEED_START.value < 0:
            raise GeneratorError("--count and --seed_start must be >= 0")
    except GeneratorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = pathlib.Path(_OUT_DIR.value) / "train"
    out.mkdir(parents=True, exist_ok=True)
    addresses = [a for family in families
                 for a in generated.spread_addresses(_COUNT.value, [family], _SEED_START.value)]
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    log(f"generating {len(addresses)} problem(s): {len(families)} famil{'y' if len(families) == 1 else 'ies'} x "
        f"{_COUNT.value} seed(s) from {_SEED_START.value}; generator version {generated.generator_version()}")
    outcomes: list[generated.GeneratedProblem] = []
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    with ScoringService(_WORKERS.value) as service:
        service.pool.wait_ready()
        ready = time.perf_counter()
        log(f"sandbox workers ready in {ready - start:.1f} s")
        for family in families:  # one family at a time: its seconds are its own
            batch = [a for a in addresses if a.family == family]
            batch_start = time.perf_counter()
            made = generated.make_problems(batch, service, _CACHE_DIR.value or None)
            seconds[family] = time.perf_counter() - batch_start
            outcomes.extend(made)
            log(f"  {family}: {sum(o.problem is not None for o in made)} made, "
                f"{sum(o.problem is None for o in made)} dropped in {seconds[family]:.1f} s "
                f"({len(outcomes)}/{len(addresses)} done, {time.perf_counter() - ready:.1f} s)")
    total = time.perf_counter() - ready
    for outcome in outcomes:
        if outcome.problem is not None:
            (out / f"{outcome.address.name}.py").write_text(outcome.problem.source, encoding="utf-8")
    print_table(generated.family_rows(outcomes), seconds)
    made = sum(o.problem is not None for o in outcomes)
    fresh = sum(o.problem is not None and not o.cached for o in outcomes)
    print(f"\n{made} of {len(outcomes)} problems made ({fresh} new, {made - fresh} from the cache), "
          f"{len(outcomes) - made} dropped; {total:.1f} s after the workers started "
          f"({len(outcomes) / max(total, 1e-9):.1f} problems/s, sandbox validation included); files in {out}")
    for outcome in [o for o in outcomes if o.problem is None][:_SHOW_DROPS.value]:
        print(f"dropped {outcome.address}: {outcome.reason}: {outcome.detail}")
    return 0


if __name__ == "__main__":
    app.run(main)
