"""Benchmark of the scoring service (a benchmark, not a test: it prints figures).

  python -m launch.bench_scoring [--workers 2] [--repeats 5] [--pairs 12]
  python -m launch.bench_scoring --backend ray [--ray_address auto] [--backend_problems 8]

Prints:
  * dispatch overhead per candidate with warm workers: a no-op message round trip, and
    a full evaluate job with every phase switched off (goal: under 1 ms);
  * candidates scored per second on distinct corpus candidates, for the RL setting
    (tests + differential) and with op counting and with timing added;
  * the spread of the paired speedup on the corpus's (original, reference) pairs: each
    pair is measured `--repeats` times (fresh cache keys) and the coefficient of
    variation of the repeated speedups is reported (goal: under 2% on an idle machine);
  * the noise floor: every corpus problem's original scored against itself (a copy with a
    distinct cache key), the share of speedups within +-3% of 1.0, and the worst ones.
  * with --backend ray (section "backends", the only one unless --sections says more):
    candidates/s with 1 and 2 workers on the local pool and on Ray (--ray_workers_per_actor
    workers per actor, so 2 workers are 2 actors by default), for the RL setting and with
    timing, and each backend's scaling efficiency: 2-worker rate / (2 x 1-worker rate). The
    load average is printed beside each figure: on a shared machine the figures are only as
    good as it was idle.
"""

from __future__ import annotations

import os
import statistics
import time

from absl import app, flags

from codeopt_jax import corpus
from codeopt_jax.scoring import ScoreOptions, ScoringBackend, ScoringService
from codeopt_jax.scoring.backend import LOCAL, RAY
from launch import scoring_flags

_ROOT = flags.DEFINE_string("root", "corpus", "Corpus folder.")
_WORKERS = flags.DEFINE_integer("workers", 2, "Workers for the throughput figures.")
_REPEATS = flags.DEFINE_integer("repeats", 5, "Repeated speedup measurements per pair.")
_PAIRS = flags.DEFINE_integer("pairs", 12, "How many (original, reference) pairs to time (0 = all).")
_ROUNDS = flags.DEFINE_integer("timing_rounds", 7, "Least paired rounds per speedup measurement.")
_MAX_ROUNDS = flags.DEFINE_integer("timing_max_rounds", 15, "Most paired rounds per speedup measurement.")
_MIN_SECONDS = flags.DEFINE_float("timing_min_seconds", 0.005, "Least seconds of one side's measurement.")
_SECTIONS = flags.DEFINE_list("sections", ["dispatch", "throughput", "spread", "noise"],
                              "Which parts to run: dispatch, throughput, spread, noise, backends.")
_BACKEND = flags.DEFINE_enum("backend", LOCAL, [LOCAL, RAY],
                             "ray: compare the local pool with Ray (section backends; --ray_address, "
                             "--ray_workers_per_actor); the other sections always run on the local pool.")
_BACKEND_PROBLEMS = flags.DEFINE_integer("backend_problems", 8,
                                         "Corpus problems for the backend comparison.")
SECTIONS = ("dispatch", "throughput", "spread", "noise", "backends")


def _timed_options() -> ScoreOptions:
    return ScoreOptions(timing=True, timing_rounds=_ROUNDS.value, timing_max_rounds=_MAX_ROUNDS.value,
                        timing_min_seconds=_MIN_SECONDS.value)


def _variant(program: str, tag: str) -> str:
    """The same program with a distinct module-level constant, so the cache misses."""
    return program + f"\n_BENCH_VARIANT = {tag!r}\n"


def bench_dispatch(problem: corpus.Problem) -> None:
    with ScoringService(num_workers=1) as service:
        ping = service.pool.ping(2000)
        nothing = ScoreOptions(tests=False, differential=False)
        service.score(problem, _variant(problem.program, "warm"), nothing)
        count = 300
        start = time.perf_counter()
        service.score_many([(problem, _variant(problem.program, f"d{i}")) for i in range(count)], nothing)
        job = (time.perf_counter() - start) / count
    print(f"dispatch overhead: round trip {ping * 1e3:.3f} ms/message; "
          f"empty evaluate job {job * 1e3:.3f} ms/candidate (1 warm worker)")


def bench_throughput(problems: list[corpus.Problem], workers: int) -> None:
    settings = {
        "tests+differential": ScoreOptions(),
        "+opcount": ScoreOptions(opcount=True),
        "+timing": _timed_options(),
    }
    with ScoringService(num_workers=workers) as service:
        service.score_many([(p, p.program) for p in problems], ScoreOptions())  # load problems in workers
        for name, options in settings.items():
            items = [(p, _variant(p.program, f"{name}{k}")) for k in range(2) for p in problems]
            start = time.perf_counter()
            service.score_many(items, options)
            elapsed = time.perf_counter() - start
            print(f"throughput [{name:18}]: {len(items) / elapsed:7.1f} candidates/s "
                  f"({len(items)} candidates, {workers} workers)")


def bench_spread(problems: list[corpus.Problem]) -> None:
    pairs = [p for p in problems if p.reference_program]
    if _PAIRS.value:
        pairs = pairs[:_PAIRS.value]
    options = _timed_options()
    cvs, within = [], []
    print(f"\npaired speedup spread over {len(pairs)} (original, reference) pairs, "
          f"{_REPEATS.value} repeats each, 1 worker:")
    print(f"  {'problem':30} {'median':>8} {'min':>8} {'max':>8} {'cv':>7}")
    with ScoringService(num_workers=1) as service:
        for problem in pairs:
            items = [(problem, _variant(problem.reference_program, f"r{k}")) for k in range(_REPEATS.value)]
            results = service.score_many(items, options)
            speedups = [r.speedup for r in results if r.speedup]
            within.extend(r.speedup_cv for r in results if r.speedup_cv is not None)
            cv = statistics.pstdev(speedups) / statistics.fmean(speedups)
            cvs.append(cv)
            print(f"  {problem.name:30} {statistics.median(speedups):8.2f} {min(speedups):8.2f} "
                  f"{max(speedups):8.2f} {cv * 100:6.2f}%")
    print(f"median CV of the repeated speedup: {statistics.median(cvs) * 100:.2f}% "
          f"(mean {statistics.fmean(cvs) * 100:.2f}%); median within-measurement CV of the "
          f"paired ratios: {statistics.median(within) * 100:.2f}%")


def bench_noise_floor(problems: list[corpus.Problem], workers: int) -> None:
    options = _timed_options()
    with ScoringService(num_workers=workers) as service:
        results = service.score_many([(p, _variant(p.program, "self")) for p in problems], options)
    speedups = [(r.speedup, p.name) for p, r in zip(problems, results) if r.speedup is not None]
    within = sum(abs(s - 1.0) <= 0.03 for s, _ in speedups)
    statuses = sorted({r.status for r in results})
    ordered = sorted(speedups)
    print(f"\nnoise floor (each original timed against itself, {workers} workers): "
          f"{within}/{len(speedups)} = {within / max(len(speedups), 1):.0%} within +-3% of 1.0; "
          f"median {statistics.median(s for s, _ in speedups):.3f}; statuses {statuses}")
    print("  lowest: " + ", ".join(f"{n} {s:.3f}" for s, n in ordered[:3])
          + "; highest: " + ", ".join(f"{n} {s:.3f}" for s, n in ordered[-3:]))


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _rates(problems: list[corpus.Problem], workers: int, backend: ScoringBackend) -> dict[str, float]:
    """Candidates/s of one warm service for the RL setting (2 distinct candidates per problem) and with
    timing (1 per problem)."""
    settings = {"tests+differential": (ScoreOptions(), 2), "+timing": (_timed_options(), 1)}
    rates = {}
    with ScoringService(num_workers=workers, backend=backend) as service:
        service.score_many([(p, p.program) for p in problems], ScoreOptions())  # load problems in workers
        for name, (options, variants) in settings.items():
            items = [(p, _variant(p.program, f"{name}{k}")) for k in range(variants) for p in problems]
            before = _load()
            start = time.perf_counter()
            service.score_many(items, options)
            rates[name] = len(items) / (time.perf_counter() - start)
            print(f"  {backend.kind:5} {workers} worker{'s' if workers > 1 else ' '} [{name:18}]: "
                  f"{rates[name]:7.2f} candidates/s ({len(items)} candidates; {before} before)", flush=True)
    return rates


def bench_backends(problems: list[corpus.Problem]) -> None:
    """Candidates/s with 1 and 2 workers on the local pool and on Ray, and the scaling efficiency."""
    from codeopt_jax.scoring import ray_backend

    problems = problems[:_BACKEND_PROBLEMS.value]
    ray_settings = ScoringBackend(RAY, ray_address=scoring_flags.RAY_ADDRESS.value,
                                  workers_per_actor=scoring_flags.RAY_WORKERS_PER_ACTOR.value)
    print(f"\nbackends: {len(problems)} problems; Ray: {ray_settings.describe()}; "
          f"{os.cpu_count()} CPUs here, {_load()}", flush=True)
    start = time.perf_counter()
    owns_ray = ray_backend.connect(ray_settings.ray_address, 2)  # one Ray for every measurement
    print(f"  Ray connected in {time.perf_counter() - start:.1f} s", flush=True)
    try:
        rates = {(kind, workers): _rates(problems, workers, ScoringBackend() if kind == LOCAL else ray_settings)
                 for kind in (LOCAL, RAY) for workers in (1, 2)}
    finally:
        if owns_ray:
            ray_backend.require_ray().shutdown()
    for kind in (LOCAL, RAY):
        for name in rates[(kind, 1)]:
            one, two = rates[(kind, 1)][name], rates[(kind, 2)][name]
            print(f"scaling efficiency {kind:5} [{name:18}]: {two / (2 * one):.2f} "
                  f"(2 workers {two:.2f}/s, 1 worker {one:.2f}/s)")
    print(f"after: {_load()}")


def main(argv: list[str]) -> None:
    del argv
    problems = corpus.load_corpus(_ROOT.value)
    options = _timed_options()
    print(f"{len(problems)} problems; timing: {options.timing_rounds}-{options.timing_max_rounds} rounds, "
          f"target interval +-{options.timing_target_interval:.0%}, >= {options.timing_min_seconds * 1e3:g} ms "
          "per measurement")
    sections = _SECTIONS.value
    if _BACKEND.value == RAY and not flags.FLAGS["sections"].present:
        sections = ["backends"]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise app.UsageError(f"--sections: unknown {sorted(unknown)}")
    if "backends" in sections and _BACKEND.value != RAY:
        raise app.UsageError("--sections backends compares the local pool with Ray: add --backend ray")
    if scoring_flags.SCORING.value != LOCAL:
        raise app.UsageError("bench_scoring compares backends with --backend ray (--scoring is for other launchers)")
    if _BACKEND.value == RAY:
        try:
            from codeopt_jax.scoring.ray_backend import require_ray
            require_ray()
        except ImportError as exc:
            raise app.UsageError(str(exc)) from None
    if "dispatch" in sections:
        bench_dispatch(problems[0])
    if "throughput" in sections:
        bench_throughput(problems, _WORKERS.value)
    if "spread" in sections:
        bench_spread(problems)
    if "noise" in sections:
        bench_noise_floor(problems, _WORKERS.value)
    if "backends" in sections:
        bench_backends(problems)


if __name__ == "__main__":
    app.run(main)
