"""Problems whose workload is synthesized from their tests (`scoring.synthesis`, in the sandbox).

  users = [harness_problem(...), ...]                     # program + check, no workload
  with ScoringService(2) as service:
      built = with_synthesized_workloads(users, service)
  for item in built:
      print("\n".join(synthesis_lines(item.synthesis)))   # sizes, types, time per pass

With `cache_dir`, a successful synthesis is kept on disk under a key of the harness source, the
options and the synthesis code itself, so a later run reuses it (same workload, no re-synthesis);
a failed one is tried again next time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pathlib
from typing import Sequence

from codeopt_jax.scoring import ScoringService, synthesis
from codeopt_jax.scoring.synthesis import SynthesisOptions, SynthesisResult
from codeopt_jax.user_problem import UserInputError, UserProblem, attach_workload


@dataclasses.dataclass(frozen=True)
class SynthesizedProblem:
    """A harness with its synthesized workload attached (`user` is None when synthesis failed)."""

    user: UserProblem | None
    synthesis: SynthesisResult


def synthesis_cache_key(harness_source: str, options: SynthesisOptions) -> str:
    """Key of a synthesis: the harness (program and tests), the options and the synthesis code."""
    digest = hashlib.sha256()
    code = pathlib.Path(synthesis.__file__).read_bytes()
    settings = json.dumps(options.to_json(), sort_keys=True).encode()
    for part in (harness_source.encode("utf-8", "surrogatepass"), settings, code):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def _read_cached(path: pathlib.Path) -> SynthesisResult | None:
    try:
        return SynthesisResult.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None  # missing or torn: synthesize again


def _write_cached(path: pathlib.Path, result: SynthesisResult) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(result.to_json()), encoding="utf-8")
    partial.replace(path)  # atomic: a reader never sees half a file


def synthesize_cached(users: Sequence[UserProblem], service: ScoringService, options: SynthesisOptions,
                      cache_dir: str | pathlib.Path | None = None) -> list[SynthesisResult]:
    """One synthesis per harness, in order: from `cache_dir` when it holds one, else on the pool
    (in parallel), and then stored there when it succeeded."""
    paths = [pathlib.Path(cache_dir) / f"{synthesis_cache_key(u.problem.source, options)}.json" if cache_dir else None
             for u in users]
    results = [_read_cached(path) if path is not None and path.exists() else None for path in paths]
    missing = [index for index, result in enumerate(results) if result is None]
    fresh = service.synthesize_many([users[index].problem for index in missing], options) if missing else []
    for index, result in zip(missing, fresh):
        results[index] = result
        if paths[index] is not None and not result.error and result.workload_source:
            _write_cached(paths[index], result)
    return results  # every slot is filled above


def with_synthesized_workloads(users: Sequence[UserProblem], service: ScoringService,
                               options: SynthesisOptions = SynthesisOptions(),
                               cache_dir: str | pathlib.Path | None = None) -> list[SynthesizedProblem]:
    """One SynthesizedProblem per harness, in order; the syntheses run on the pool in parallel
    (or come from `cache_dir`, see the module docstring)."""
    results = synthesize_cached(users, service, options, cache_dir)
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
