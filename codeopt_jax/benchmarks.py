"""External benchmarks as problems the evaluation can run: MBPP tasks with synthesized workloads.

  with ScoringService(2) as service:
      loaded = load_mbpp("../shared/data/mbpp/mbpp.jsonl", "test", service)
  print(load_table(loaded))          # tasks, skipped by reason, workloads of at least 1 ms
  loaded.measurable_problems         # the problems whose workload pass takes at least 1 ms
  evaluate(agent, loaded.problems, service, ...)

A task becomes a problem only when its harness builds (`mbpp.task_harness`), a workload can be
synthesized from its tests, and the solution passes its own tests and gives the same outputs
when run again on that workload; every other task is skipped with a counted reason.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Callable, Sequence

from codeopt_jax import mbpp
from codeopt_jax.corpus import Problem
from codeopt_jax.scoring import ScoreOptions, ScoringService
from codeopt_jax.scoring.records import MATCH, OK
from codeopt_jax.scoring.synthesis import SynthesisOptions, SynthesisResult
from codeopt_jax.workloads import with_synthesized_workloads

MEASURABLE_SECONDS = 1e-3  # a workload pass at least this long is reported as measurable


@dataclasses.dataclass(frozen=True)
class BenchmarkLoad:
    """The problems a benchmark split gave, the tasks it skipped, and each problem's synthesis."""

    benchmark: str
    split: str
    tasks: int
    problems: tuple[Problem, ...]
    skipped: tuple[mbpp.Skipped, ...]
    syntheses: dict[str, SynthesisResult]  # problem name -> its workload synthesis

    @property
    def measurable(self) -> int:
        """Problems whose workload pass takes at least MEASURABLE_SECONDS (by the synthesis timing)."""
        return len(self.measurable_problems)

    @property
    def measurable_problems(self) -> tuple[Problem, ...]:
        """The problems whose workload pass takes at least MEASURABLE_SECONDS, in order."""
        return tuple(p for p in self.problems if self.syntheses[p.name].pass_seconds >= MEASURABLE_SECONDS)

    @property
    def scaled(self) -> int:
        return sum(self.syntheses[p.name].scaled for p in self.problems)

    def to_json(self) -> dict:
        return {"benchmark": self.benchmark, "split": self.split, "tasks": self.tasks,
                "problems": [p.name for p in self.problems], "measurable": self.measurable, "scaled": self.scaled,
                "skipped": [dataclasses.asdict(s) for s in self.skipped],
                "workloads": {name: {"pass_seconds": r.pass_seconds, "scaled": r.scaled,
                                     "calls": [dataclasses.asdict(c) for c in r.calls]}
                              for name, r in self.syntheses.items()}}


def load_mbpp(path: str, split: str, service: ScoringService, options: SynthesisOptions = SynthesisOptions(),
              task_ids: Sequence[int] | None = None,
              progress: Callable[[str], None] = lambda line: None,
              workload_cache: str | None = None) -> BenchmarkLoad:
    """MBPP tasks of `split` (optionally only `task_ids`) as problems with synthesized workloads
    (kept in and reused from `workload_cache` when given; see `workloads.synthesize_cached`)."""
    tasks = mbpp.load_tasks(path, split)
    if task_ids:
        wanted = set(task_ids)
        unknown = wanted - {t.task_id for t in tasks}
        if unknown:
            raise mbpp.BenchmarkError(f"{path}: no tasks {sorted(unknown)} in the {split} split")
        tasks = [t for t in tasks if t.task_id in wanted]
    harnesses, skipped = mbpp.task_harnesses(tasks)
    progress(f"mbpp {split}: {len(tasks)} tasks, {len(harnesses)} harnesses; synthesizing workloads"
             + (f" (cached in {workload_cache})" if workload_cache else ""))
    built = with_synthesized_workloads(harnesses, service, options, workload_cache)
    syntheses, candidates = {}, []
    for harness, item in zip(harnesses, built):
        task = mbpp.task_id(harness.problem.name)
        if item.user is None:
            skipped.append(mbpp.Skipped(task, "workload cannot be synthesized", item.synthesis.error))
            continue
        syntheses[item.user.problem.name] = item.synthesis
        candidates.append(item.user.problem)
    progress(f"mbpp {split}: checking {len(candidates)} solutions against their own tests")
    records = service.score_many([(p, p.program) for p in candidates],
                                 ScoreOptions(tests=True, differential=True, timing=False, opcount=False))
    problems = []
    for problem, record in zip(candidates, records):
        if record.status == OK and record.differential == MATCH:
            problems.append(problem)
            continue
        reason = "solution fails its own tests" if record.status != OK else "solution is not deterministic"
        detail = record.problem_error or record.detail or record.status
        skipped.append(mbpp.Skipped(mbpp.task_id(problem.name), reason, detail.strip().splitlines()[0][:200]
                                    if detail.strip() else record.status))
        del syntheses[problem.name]
    return BenchmarkLoad("mbpp", split, len(tasks), tuple(problems),
                         tuple(sorted(skipped, key=lambda s: s.task_id)), syntheses)


def load_table(loaded: BenchmarkLoad) -> str:
    """Markdown: tasks, problems, measurable workloads, and the skipped tasks by reason."""
    lines = ["| tasks | loaded as problems | workload grown from the tests | workload pass ≥ 1 ms | skipped |",
             "| --- | --- | --- | --- | --- |",
             f"| {loaded.tasks} | {len(loaded.problems)} | {loaded.scaled} | {loaded.measurable} | "
             f"{len(loaded.skipped)} |"]
    reasons = collections.Counter(s.reason for s in loaded.skipped)
    if reasons:
        lines += ["", "| skipped because | tasks | e.g. |", "| --- | --- | --- |"]
        for reason, count in reasons.most_common():
            example = next(s for s in loaded.skipped if s.reason == reason)
            detail = example.detail.replace("|", "\\|")[:120]
            lines.append(f"| {reason} | {count} | task {example.task_id}: {detail} |")
    return "\n".join(lines)
