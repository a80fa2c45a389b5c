"""Prints how distinct the generated programs are across seeds, per family (nothing is executed).

  python -m launch.generator_stats --seeds 1000
  python -m launch.generator_stats --families manual_reduce,queue_front --seeds 200

Shares of seeds with a new whole file, a new program text, and a new structure (the token
sequence the policy sees: names anonymized, literals bucketed).
"""

from __future__ import annotations

import sys
import time

from absl import app, flags

from codeopt_jax.generator import FAMILIES, GeneratorError, check_family
from codeopt_jax.generator.stats import distinctness

_FAMILIES = flags.DEFINE_list("families", list(FAMILIES), "Generator families (default: all of them).")
_SEEDS = flags.DEFINE_integer("seeds", 1000, "Seeds per family (0 .. seeds - 1).")


def main(argv: list[str]) -> int:
    del argv
    try:
        families = [check_family(f.strip()) for f in _FAMILIES.value]
    except GeneratorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if _SEEDS.value < 1:
        print("error: --seeds must be at least 1", file=sys.stderr)
        return 2
    print(f"drafting {len(families)} families x {_SEEDS.value} seeds (text only) ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    rows = distinctness(families, range(_SEEDS.value))
    print(f"{'family':18} {'seeds':>6} {'files':>6} {'programs':>9} {'structures':>11}")
    for row in rows:
        print(f"{row.family:18} {row.seeds:6d} {row.files:6.1%} {row.programs:9.1%} {row.structures:11.1%}")
    print(f"\n{time.perf_counter() - start:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    app.run(main)
