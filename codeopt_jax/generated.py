"""Generated training problems (`gen://<family>/<seed>`), made and validated in the sandbox, cached on disk.

  with ScoringService(2) as service:
      outcomes = make_problems(spread_addresses(200), service, cache_dir="runs/generated")
  problems = [o.problem for o in outcomes if o.problem is not None]

A problem is drafted from its address alone (`generator.draft`: text, nothing runs); the
sandbox then runs the original on its check inputs for the expected values and times one
workload pass (`scoring.expectations`); the rendered file is parsed with
`corpus.parse_problem` and its original must pass its own check (an ordinary scoring job on
the same file with a one-call workload: the full workload already ran in the first job, and
building it again would cost more than the rest). The time range applies to the pass's CPU
time in the worker, which other processes on a busy machine do not inflate.
A problem that fails any step is dropped with a counted reason (`DROP_REASONS`); no other
seed takes its place. Made problems are cached as corpus files under
`<cache_dir>/<GENERATOR_VERSION>/<family>/gen_<family>_<seed>.py`, so an address loads
without running anything once made; the version hashes the generator's code and the
expectations job, so a changed generator never reads an old file.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import os
import pathlib
from typing import Callable, Iterable, Sequence

from codeopt_jax import corpus, generator
from codeopt_jax.corpus import CorpusError, Problem
from codeopt_jax.corpus_check import WORKLOAD_MS_RANGE
from codeopt_jax.generator import FAMILIES, GenAddress, GeneratorError
from codeopt_jax.generator.draft import ProblemDraft, check_harness, draft_problem, harness_source, render_problem
from codeopt_jax.scoring import ScoreOptions, ScoringService, expectations
from codeopt_jax.scoring.expectations import ExpectationOptions

TOO_FAST = "workload_too_fast"
TOO_SLOW = "workload_too_slow"
FAILS_OWN_CHECK = "fails_own_check"
BAD_LITERAL = "bad_literal"
DRAFT_ERROR = "draft_error"
DROP_REASONS = (DRAFT_ERROR, *expectations.REASONS, TOO_FAST, TOO_SLOW, BAD_LITERAL, FAILS_OWN_CHECK)


@functools.lru_cache(maxsize=None)
def generator_version() -> str:
    """12 hex digits of a hash of the code that decides a generated file's text and validation."""
    digest = hashlib.sha256()
    package = pathlib.Path(generator.__file__).parent
    for path in sorted(package.glob("*.py")) + [pathlib.Path(expectations.__file__), pathlib.Path(__file__)]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@dataclasses.dataclass(frozen=True)
class GeneratedProblem:
    """The outcome of one address: a validated problem, or the reason it was dropped.

    Attributes:
      address: the address.
      problem: the problem (split "train", name `gen_<family>_<seed>`), None when dropped.
      reason: "" when made, else a category from DROP_REASONS (or a worker status such as "timeout").
      detail: what went wrong, for people.
      workload_ms: CPU milliseconds of one workload pass of the original in the sandbox (None when not
        measured or cached).
      cached: loaded from the cache (nothing ran).
    """

    address: GenAddress
    problem: Problem | None
    reason: str = ""
    detail: str = ""
    workload_ms: float | None = None
    cached: bool = False


def cache_path(address: GenAddress, cache_dir: str | pathlib.Path) -> pathlib.Path:
    return pathlib.Path(cache_dir) / generator_version() / address.family / f"{address.name}.py"


def _as_problem(text: str, address: GenAddress, path: str) -> Problem:
    return dataclasses.replace(corpus.parse_problem(text, path, "train"), name=address.name)


def load_cached(address: GenAddress, cache_dir: str | pathlib.Path) -> Problem | None:
    """The cached problem of `address`, or None when it was never made (or its file is unreadable)."""
    path = cache_path(address, cache_dir)
    try:
        return _as_problem(path.read_text(encoding="utf-8"), address, str(path))
    except (OSError, UnicodeDecodeError, CorpusError):
        return None


def _write_cached(path: pathlib.Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)  # atomic: a reader never sees half a file


def spread_addresses(count: int, families: Sequence[str] = FAMILIES, seed_start: int = 0) -> list[GenAddress]:
    """`count` addresses spread over `families` in turn: seeds seed_start, seed_start + 1, ... of each."""
    if count < 0:
        raise ValueError(f"the number of generated problems must be >= 0, got {count}")
    if not families:
        raise GeneratorError("no generator families given")
    checked = [generator.check_family(f) for f in families]
    return [GenAddress(checked[i % len(checked)], seed_start + i // len(checked)) for i in range(count)]


_LITERAL_CALLS = ("float", "set", "frozenset")  # float('inf'), set(), frozenset({...}): `literal_source`'s forms


def _is_literal(node: ast.AST) -> bool:
    """Whether an expression is plain data: constants, containers of them, and literal_source's calls."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _is_literal(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):  # complex numbers: 1+2j
        return _is_literal(node.left) and _is_literal(node.right)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(_is_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _is_literal(k) and _is_literal(v) for k, v in zip(node.keys, node.values))
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id in _LITERAL_CALLS and not node.keywords and \
            all(_is_literal(a) for a in node.args)
    return False


def _literals_problem(values: Iterable[str]) -> str:
    """"" when every expected value is plain data written as source, else what is wrong. The
    values come from a worker: they are parsed here, never evaluated."""
    for index, value in enumerate(values):
        try:
            tree = ast.parse(value, mode="eval")
        except (SyntaxError, ValueError, RecursionError) as exc:
            return f"expected value {index} is not an expression: {exc}"
        if not _is_literal(tree.body):
            return f"expected value {index} is not plain data: {value[:80]}"
    return ""


def make_problems(addresses: Sequence[GenAddress], service: ScoringService,
                  cache_dir: str | pathlib.Path | None = None,
                  progress: Callable[[str], None] = lambda line: None,
                  workload_ms: tuple[float, float] = WORKLOAD_MS_RANGE,
                  options: ExpectationOptions = ExpectationOptions()) -> list[GeneratedProblem]:
    """One outcome per address, in order (see the module docstring); cached ones run nothing."""
    outcomes: dict[int, GeneratedProblem] = {}
    drafts: dict[int, ProblemDraft] = {}
    for index, address in enumerate(addresses):
        cached = load_cached(address, cache_dir) if cache_dir else None
        if cached is not None:
            outcomes[index] = GeneratedProblem(address, cached, cached=True)
            continue
        try:
            drafts[index] = draft_problem(address)
        except GeneratorError as exc:
            outcomes[index] = GeneratedProblem(address, None, DRAFT_ERROR, str(exc))
    if outcomes:
        progress(f"{sum(o.cached for o in outcomes.values())} problem(s) from the cache")
    pending = sorted(drafts)
    if pending:
        progress(f"running {len(pending)} generated original(s) on their check inputs and workloads")
        harnesses = [_as_problem(harness_source(drafts[i]), addresses[i], f"{addresses[i]} (harness)")
                     for i in pending]
        results = service.expectations_many(harnesses, options)
        rendered: dict[int, tuple[Problem, Problem, float]] = {}
        for index, result in zip(pending, results):
            address, ms = addresses[index], result.pass_cpu_seconds * 1e3
            if result.reason:
                outcomes[index] = GeneratedProblem(address, None, result.reason, result.detail)
            elif not workload_ms[0] <= ms <= workload_ms[1]:
                reason = TOO_FAST if ms < workload_ms[0] else TOO_SLOW
                outcomes[index] = GeneratedProblem(address, None, reason, f"one workload pass takes {ms:.2f} ms "
                                                   f"(the range is {workload_ms[0]:g}-{workload_ms[1]:g} ms)", ms)
            elif _literals_problem(result.outputs):
                outcomes[index] = GeneratedProblem(address, None, BAD_LITERAL, _literals_problem(result.outputs), ms)
            else:
                text = render_problem(drafts[index], result.outputs)
                path = str(cache_path(address, cache_dir)) if cache_dir else str(address)
                light = _as_problem(check_harness(drafts[index], result.outputs), address, f"{address} (check)")
                rendered[index] = (_as_problem(text, address, path), light, ms)
        if rendered:
            progress(f"checking {len(rendered)} rendered problem(s) against their own checks")
            order = sorted(rendered)
            records = service.score_many([(rendered[i][1], rendered[i][1].program) for i in order],
                                         ScoreOptions(tests=True, differential=True))
            for index, record in zip(order, records):
                problem, _, ms = rendered[index]
                expected_tests = len(drafts[index].check_inputs)
                if not record.valid or record.tests_total != expected_tests:
                    outcomes[index] = GeneratedProblem(
                        addresses[index], None, FAILS_OWN_CHECK,
                        f"{record.status} ({record.tests_passed}/{record.tests_total} asserts, "
                        f"differential {record.differential}): {record.detail}", ms)
                    continue
                if cache_dir:
                    _write_cached(cache_path(addresses[index], cache_dir), problem.source)
                outcomes[index] = GeneratedProblem(addresses[index], problem, workload_ms=ms)
    return [outcomes[index] for index in range(len(addresses))]


def problem_at(address_text: str, service: ScoringService | None = None,
               cache_dir: str | pathlib.Path | None = None) -> Problem:
    """The problem at a `gen://<family>/<seed>` address: from the cache, else made with `service`.

    Raises GeneratorError for a bad address, a dropped problem (with its reason), or an
    uncached one when no service is given."""
    address = generator.parse_address(address_text)
    cached = load_cached(address, cache_dir) if cache_dir else None
    if cached is not None:
        return cached
    if service is None:
        raise GeneratorError(f"{address} is not in the cache {cache_dir or '(none)'}; make it first "
                             f"(python -m launch.generate_corpus) or pass a scoring service")
    outcome = make_problems([address], service, cache_dir)[0]
    if outcome.problem is None:
        raise GeneratorError(f"{address} was dropped: {outcome.reason}: {outcome.detail}")
    return outcome.problem


@dataclasses.dataclass(frozen=True)
class FamilyRow:
    """One family's line of the generation table."""

    family: str
    made: int
    cached: int
    dropped: dict[str, int]
    median_workload_ms: float | None


def family_rows(outcomes: Sequence[GeneratedProblem]) -> list[FamilyRow]:
    """Made / cached / dropped-by-reason counts per family, in FAMILIES order."""
    rows = []
    for family in FAMILIES:
        mine = [o for o in outcomes if o.address.family == family]
        if not mine:
            continue
        dropped: dict[str, int] = {}
        for outcome in mine:
            if outcome.problem is None:
                dropped[outcome.reason] = dropped.get(outcome.reason, 0) + 1
        times = sorted(o.workload_ms for o in mine if o.problem is not None and o.workload_ms is not None)
        rows.append(FamilyRow(family, sum(o.problem is not None for o in mine), sum(o.cached for o in mine),
                              dict(sorted(dropped.items())), times[len(times) // 2] if times else None))
    return rows
