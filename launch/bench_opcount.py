"""Benchmark of the instruction counter's overhead (a benchmark, not a test: it prints figures).

  python -m launch.bench_opcount [--repeats 5] [--out results/bench_opcount.txt]

For every corpus problem, one subprocess (corpus code never runs in this process) times one
fresh-state workload pass of the original plain (`measure.timed_passes`) and traced
(`measure.OpcodeCounter.run_copies`), each the best of `--repeats`, both on fresh argument
copies made outside the clock. Prints per problem the ratio traced / plain, the absolute traced
seconds, the count (checked equal on every repeat) and the traced nanoseconds per counted
instruction, then the median and worst of each.
"""

from __future__ import annotations

import builtins
import concurrent.futures
import dataclasses
import multiprocessing
import pathlib
import statistics
import sys
import time

from absl import app, flags

from codeopt_jax import corpus
from codeopt_jax.scoring import measure

_ROOT = flags.DEFINE_string("root", "corpus", "Corpus folder.")
_REPEATS = flags.DEFINE_integer("repeats", 5, "Passes of each kind per problem; the fastest is kept.")
_OUT = flags.DEFINE_string("out", None, "Also write the output here, the command on its first line.")


@dataclasses.dataclass(frozen=True)
class Overhead:
    """One problem's best plain and traced seconds for a workload pass, and its op count."""

    name: str
    calls: int
    plain: float
    traced: float
    count: int
    deterministic: bool

    @property
    def ratio(self) -> float:
        return self.traced / max(self.plain, 1e-9)

    @property
    def ns_per_op(self) -> float:
        return self.traced / max(self.count, 1) * 1e9


def measure_problem(path: str, repeats: int) -> Overhead:
    """Runs in the subprocess: best-of-`repeats` plain and traced pass of one problem's original."""
    problem = corpus.load_problem(path)
    namespace = {"__name__": f"harness_{problem.name}", "__builtins__": builtins}
    exec(compile(problem.source, path, "exec"), namespace)
    calls = namespace["workload"]()
    code = compile(problem.program, f"<program {problem.name}>", "exec", dont_inherit=True)
    plain, traced, counts = [], [], set()
    for _ in range(repeats):
        plain.append(measure.timed_passes(code, problem.entry_point, [measure.fresh_copies(calls)]).seconds)
        copies = measure.fresh_copies(calls)
        start = measure.CLOCK()
        counts.add(measure.OpcodeCounter().run_copies(code, problem.entry_point, copies).count)  # no cap
        traced.append(measure.CLOCK() - start)
    return Overhead(problem.name, len(calls), min(plain), min(traced), min(counts), len(counts) == 1)


def main(argv: list[str]) -> None:
    del argv
    problems = corpus.load_corpus(_ROOT.value)
    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    say(f"{len(problems)} problems; best of {_REPEATS.value} passes each, plain and traced, in one subprocess")
    say(f"{'problem':32} {'calls':>5} {'plain ms':>9} {'traced ms':>10} {'ratio':>7} {'op count':>10} {'ns/op':>6}")
    results: list[Overhead] = []
    start = time.perf_counter()
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=spawn) as child:
        for result in child.map(measure_problem, [p.path for p in problems], [_REPEATS.value] * len(problems)):
            results.append(result)
            varied = "" if result.deterministic else "  COUNT VARIED"
            say(f"{result.name:32} {result.calls:5d} {result.plain * 1e3:9.3f} {result.traced * 1e3:10.2f} "
                f"{result.ratio:7.1f} {result.count:10d} {result.ns_per_op:6.0f}{varied}")
    ratios = sorted(results, key=lambda r: r.ratio)
    worst, slowest = ratios[-1], max(results, key=lambda r: r.traced)
    say(f"traced / plain: median {statistics.median(r.ratio for r in results):.1f}x, "
        f"worst {worst.ratio:.1f}x ({worst.name}), best {ratios[0].ratio:.1f}x ({ratios[0].name})")
    say(f"traced seconds per pass: median {statistics.median(r.traced for r in results):.4f} s, "
        f"worst {slowest.traced:.4f} s ({slowest.name}), total {sum(r.traced for r in results):.3f} s")
    costly = max(results, key=lambda r: r.ns_per_op)
    say(f"traced ns per counted instruction: median {statistics.median(r.ns_per_op for r in results):.0f}, "
        f"worst {costly.ns_per_op:.0f} ({costly.name})")
    say(f"counts identical on every repeat: {all(r.deterministic for r in results)}; "
        f"benchmark took {time.perf_counter() - start:.0f} s")
    if _OUT.value:
        command = "python -m launch.bench_opcount " + " ".join(sys.argv[1:])
        pathlib.Path(_OUT.value).write_text(f"$ {command.strip()}\n" + "\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    app.run(main)
