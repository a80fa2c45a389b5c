"""Problems whose workload is synthesized from their tests (`scoring.synthesis`, in the sandbox).

  users = [harness_problem(...), ...]                     # program + check, no workload
  with ScoringService(2) as service:
      built = with_synthesized_workloads(users, service)
  for item in built:
      print("\n".join(synthesis_lines(item.synthesis)))   # sizes, types, time per pass
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

from codeopt_jax.scoring import ScoringService
from codeopt_jax.scoring.synthesis import SynthesisOptions, SynthesisResult
from codeopt_jax.user_problem import UserInputError, UserProblem, attach_workload


@dataclasses.dataclass(frozen=True)
class SynthesizedProblem:
    """A harness with its synthesized workload attached (`user` is None when synthesis failed)."""

    user: UserProblem | None
    synthesis: SynthesisResult


def with_synthesized_workloads(users: Sequence[UserProblem], service: ScoringService,
                               options: SynthesisOptions = SynthesisOptions()) -> list[SynthesizedProblem]:
    """One SynthesizedProblem per harness, in order; the syntheses run on the pool in parallel."""
    results = service.synthesize_many([user.problem for user in users], options)
    built = []
    for user, result in zip(users, results):
        if result.error or not result.workload_source:
            built.append(SynthesizedProblem(None, result))
            continue
        try:
            attached = attach_workload(user, result.workload_source, result.edge_cases_source,
                                       workload_path=f"{user.problem.path} (synthesized workload)")
        except UserInputError as exc:
            built.append(SynthesizedProblem(None, dataclasses.replace(result, error=str(exc))))
            continue
        built.append(SynthesizedProblem(attached, result))
    return built


def synthesis_lines(result: SynthesisResult) -> list[str]:
    """What was synthesized, for people: one line per workload call and a total."""
    if result.error:
        return [f"workload synthesis failed: {result.error}"]
    lines = [f"workload: {len(result.calls)} call(s) synthesized from {result.recorded} distinct call(s) in the "
             f"tests ({result.raising} raising, kept as edge cases)"]
    for call in result.calls:
        growth = f"grown x{call.factor} ({call.mode})" if call.factor > 1 else "as tested"
        lines.append(f"  {call.shape}: {growth}, {call.seconds * 1e3:.2f} ms")
    lines.append(f"  one pass of the original: {result.pass_seconds * 1e3:.2f} ms")
    if not result.scaled:
        lines.append("  nothing in the arguments makes the function slower when grown (constant time?): "
                     "the tests' own inputs are timed")
    return lines


def workload_file_text(result: SynthesisResult) -> str:
    """The synthesized workload in the `def workload()` file format `--workload` reads."""
    return f'"""Workload synthesized by codeopt-jax from the tests (pass it back with --workload)."""\n\n\n' \
           f"{result.workload_source}\n\n{result.edge_cases_source}"
