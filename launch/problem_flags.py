"""Flags and loading shared by the launchers that run on corpus problems or MBPP tasks.

  problems = corpus_problems(root, "heldout", names)                  # corpus split (or "all")
  loaded = load_mbpp_problems("validation", names, service, seed=0)   # MBPP with synthesized workloads

MBPP workloads are synthesized from each task's tests and kept in --workload_cache (keyed by
the task's program and tests, the synthesis options and the synthesis code), so a repeated
run reuses the same workloads instead of synthesizing them again.
"""

from __future__ import annotations

from typing import Callable, Sequence

from absl import flags

from codeopt_jax import corpus

BENCHMARK = flags.DEFINE_enum("benchmark", "corpus", ["corpus", "mbpp"], "Problems: the project's corpus or MBPP.")
BENCHMARK_PATH = flags.DEFINE_string("benchmark_path", "../shared/data/mbpp/mbpp.jsonl",
                                     "MBPP's mbpp.jsonl (the MBPP release of Austin et al. 2021, CC BY 4.0).")
WORKLOAD_MS = flags.DEFINE_float("workload_ms", 5.0, "MBPP: grow each task's test calls until one pass of "
                                 "the original takes this many milliseconds.")
WORKLOAD_CACHE = flags.DEFINE_string("workload_cache", "runs/workload_cache",
                                     "MBPP: folder that keeps synthesized workloads for later runs ('' : none).")


def corpus_problems(root: str, split: str, names: Sequence[str] | None) -> list[corpus.Problem]:
    """The corpus split ("all": every split), optionally only `names`; raises ValueError (CorpusError)."""
    if split not in (*corpus.SPLITS, "all"):
        raise ValueError(f"--split {split}: the corpus splits are {', '.join(corpus.SPLITS)} and all")
    problems = corpus.load_corpus(root, list(corpus.SPLITS) if split == "all" else [split])
    if names:
        unknown = set(names) - {p.name for p in problems}
        if unknown:
            raise ValueError(f"no such problems in {split}: {sorted(unknown)}")
        problems = [p for p in problems if p.name in names]
    return problems


def mbpp_task_ids(names: Sequence[str] | None) -> list[int]:
    """Task ids from --problems (`11` or `mbpp_11`); raises ValueError for any other name."""
    from codeopt_jax import mbpp

    bad = [name for name in names or [] if not name.rsplit("_", 1)[-1].isdigit()]
    if bad:
        raise ValueError(f"--problems {','.join(bad)}: MBPP problems are task ids (11 or mbpp_11)")
    return [mbpp.task_id(name) for name in names or []]


def load_mbpp_problems(split: str, names: Sequence[str] | None, service, seed: int = 0,
                       progress: Callable[[str], None] = lambda line: None):
    """MBPP's `split` (optionally only the tasks `names`) as a `benchmarks.BenchmarkLoad`, with the
    workload flags applied; raises ValueError (mbpp.BenchmarkError) for a bad file, split or name."""
    from codeopt_jax import benchmarks
    from codeopt_jax.scoring.synthesis import SynthesisOptions

    options = SynthesisOptions(seed=seed, target_seconds=WORKLOAD_MS.value / 1e3)
    return benchmarks.load_mbpp(BENCHMARK_PATH.value, split, service, options, task_ids=mbpp_task_ids(names),
                                progress=progress, workload_cache=WORKLOAD_CACHE.value or None)


def mbpp_harness_problems(split: str, names: Sequence[str] | None) -> tuple[list[corpus.Problem], int]:
    """MBPP's `split` as problems without workloads (nothing runs), and how many tasks were skipped
    because no harness could be built from them; raises ValueError like `load_mbpp_problems`."""
    from codeopt_jax import mbpp

    tasks = mbpp.load_tasks(BENCHMARK_PATH.value, split)
    wanted = set(mbpp_task_ids(names))
    if wanted:
        unknown = wanted - {t.task_id for t in tasks}
        if unknown:
            raise mbpp.BenchmarkError(f"{BENCHMARK_PATH.value}: no tasks {sorted(unknown)} in the {split} split")
        tasks = [t for t in tasks if t.task_id in wanted]
    harnesses, skipped = mbpp.task_harnesses(tasks)
    return [h.problem for h in harnesses], len(skipped)
