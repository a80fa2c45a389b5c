"""Evaluation of a trained agent beside the search baselines, the exhaustive ceiling and the references.

  agent = load_agent(workdir)
  with ScoringService(2) as service:
      report = evaluate(agent, problems, service, EvalConfig(k=8), seen_families=training_families(...))
  print(markdown(report))

Per problem, every method proposes candidate programs with their Φ; `selection.select_valid`
re-measures the best (paired timing and op count, tests, differential check) and
returns it only if it passes validation, else the original: a method never returns a
broken program. The original is always a candidate with Φ = 0, so a method returns a
changed program only when its own Φ says it improved.

Methods: `agent_greedy`, `agent_best_of_k` (greedy plus k sampled episodes), the search
baselines (by default at the agent's own scoring budget for that problem), the
`exhaustive` ceiling (its own budget) and the hand-written `reference`. Scorings are
uncached candidate runs, counted from an empty cache for every (method, problem).
"""

from __future__ import annotations

import dataclasses
import math
import pathlib
import time
from typing import Any, Callable, Iterable, Sequence

from codeopt_jax import search
from codeopt_jax.agent import Agent
from codeopt_jax.corpus import Problem, load_corpus_report
from codeopt_jax.env import CodeOptEnv
from codeopt_jax.proposals import greedy_candidate, problem_key, sampled_candidates
from codeopt_jax.rewards import RewardConfig, geomean, potential
from codeopt_jax.scoring import ScoreRecord, ScoringService
from codeopt_jax.selection import (Candidate, FinalMeasurer, Rejection, Selection, final_options, passes_validation,
                                   rule_name, select_valid)

AGENT_GREEDY = "agent_greedy"
AGENT_BEST = "agent_best_of_k"
CEILING = "exhaustive"
REFERENCE = "reference"
BASELINES = ("identity", "random", "apply_all", "greedy", "beam")
UNSEEN = "unseen families"
SEEN = "seen families"


def fresh_cache(service: ScoringService) -> None:
    """Empties the score cache, so the next method's scorings are counted from zero."""
    service.clear_cache()


def training_families(agent: Agent, fallback_root: str) -> set[str]:
    """Families of the agent's training split (from its corpus, or `fallback_root` if that is gone)."""
    root = pathlib.Path(agent.config.corpus_root)
    if not (root / agent.config.train_split).is_dir():
        root = pathlib.Path(fallback_root)
    problems, _ = load_corpus_report(root, [agent.config.train_split])
    return {problem.family for problem in problems}


@dataclasses.dataclass(frozen=True)
class EvalConfig:
    """Evaluation settings."""

    k: int = 8                                  # sampled episodes for best-of-k
    budget: int | None = None                   # baseline scorings per problem (None: the agent's own)
    ceiling_budget: int = 256                   # scorings for the exhaustive ceiling (0: skip it)
    baselines: tuple[str, ...] = BASELINES
    max_depth: int | None = None                # search depth (None: the agent's episode length)
    beam_width: int = 4
    timing_rounds: int = 7                      # paired rounds of the final measurement
    seed: int = 0
    references: bool = True                     # measure the hand-optimized references

    def __post_init__(self) -> None:
        unknown = set(self.baselines) - set(search.METHODS)
        if unknown:
            raise ValueError(f"unknown baselines {sorted(unknown)}; expected some of {search.METHODS}")
        if self.k < 0 or (self.budget is not None and self.budget < 1) or self.ceiling_budget < 0:
            raise ValueError("k and ceiling_budget must be >= 0 and budget >= 1")


@dataclasses.dataclass(frozen=True)
class MethodResult:
    """What one method returned for one problem, from the final measurement (1x and the original when unchanged)."""

    changed: bool                       # a program other than the original was returned
    speedup: float                      # timed, paired against the original
    speedup_low: float | None           # interquartile range of the paired ratios
    speedup_high: float | None
    speedup_cv: float | None
    time_original: float | None         # seconds per workload pass, from the same paired run
    time: float | None
    op_ratio: float                     # executed instructions, returned / original
    tests: str                          # "passed/total"
    status: str                         # scoring.records status (OK, ...)
    differential: str                   # scoring.records differential (MATCH, ...)
    valid: bool                         # passes validation
    phi: float                          # the method's own Φ of the returned program
    rewrites: tuple[str, ...]
    origin: str                         # which proposal it was ("agent greedy", "greedy", "reference", ...)
    scorings: int | None                # budgeted scorings the method used (None: not a search)
    fell_back: bool                     # a better candidate failed validation
    rejected: tuple[Rejection, ...]     # candidates that failed validation
    program: str
    complete: bool | None = None        # searches only: finished within the budget
    explored: int | None = None         # searches only: distinct programs scored

    @classmethod
    def from_selection(cls, selection: Selection, original: ScoreRecord, scorings: int | None,
                       complete: bool | None = None, explored: int | None = None) -> "MethodResult":
        record, changed = selection.record, selection.changed
        return cls(
            changed=changed,
            speedup=(record.speedup if record.speedup is not None else 1.0) if changed else 1.0,
            speedup_low=record.speedup_low if changed else 1.0,
            speedup_high=record.speedup_high if changed else 1.0,
            speedup_cv=record.speedup_cv if changed else 0.0,
            time_original=record.time_original if changed else original.time_original,
            time=record.time_candidate if changed else original.time_original,
            op_ratio=(record.op_ratio or 1.0) if changed else 1.0,
            tests=f"{record.tests_passed}/{record.tests_total}",
            status=record.status,
            differential=record.differential,
            valid=passes_validation(record),
            phi=selection.candidate.phi,
            rewrites=tuple(selection.candidate.rules),
            origin=selection.candidate.origin,
            scorings=scorings,
            fell_back=selection.fell_back,
            rejected=tuple(selection.rejected),
            program=selection.candidate.source,
            complete=complete,
            explored=explored)

    def to_json(self) -> dict[str, Any]:
        """JSON-safe; `complete` and `explored` appear for searches only."""
        data = dataclasses.asdict(self)
        data["rewrites"] = list(self.rewrites)
        data["rejected"] = [[r.origin, r.reason] for r in self.rejected]
        for name in ("complete", "explored"):
            if data[name] is None:
                del data[name]
        return data


@dataclasses.dataclass(frozen=True)
class ProblemResult:
    """One row of the report: every method's result on one problem."""

    problem: str
    split: str
    family: str
    seen_family: bool                   # the family appears in the agent's training split
    original_time: float | None
    original_op_count: int | None
    methods: dict[str, MethodResult]

    def to_json(self) -> dict[str, Any]:
        data = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        data["methods"] = {name: result.to_json() for name, result in self.methods.items()}
        return data


@dataclasses.dataclass(frozen=True)
class MethodSummary:
    """One method over a group of problems."""

    method: str
    problems: int
    geomean_speedup: float
    geomean_op_speedup: float
    improved_10pct: float               # share of problems at least 1.1x faster (timed)
    improved_10pct_ops: float
    ceiling_share: float | None         # Σ log speedup / Σ log ceiling speedup; None when the ceiling gains nothing
    ceiling_share_ops: float | None
    mean_phi: float
    broken: int                         # returned programs that fail validation (must be 0)
    fell_back: int
    mean_scorings: float | None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class EvaluationReport:
    """Every method on every problem, with summaries per problem group; `to_json` is what is written."""

    config: dict[str, Any]              # EvalConfig, reward and depth (launchers add split, root, command)
    agent: dict[str, Any]               # workdir and iteration
    methods: tuple[str, ...]            # in table order
    summary: dict[str, dict[str, MethodSummary | None]]  # group name -> method -> summary
    problems: tuple[ProblemResult, ...]
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"config": self.config, "agent": self.agent, "methods": list(self.methods),
                "summary": {group: {m: s.to_json() if s else None for m, s in by_method.items()}
                            for group, by_method in self.summary.items()},
                "problems": [row.to_json() for row in self.problems], "seconds": self.seconds}


def evaluate_problem(problem: Problem, agent: Agent, env: CodeOptEnv, service: ScoringService,
                     config: EvalConfig, measurer: FinalMeasurer, seen_families: set[str]) -> ProblemResult:
    """Every method on one problem; one row of the report."""
    reward: RewardConfig = env.reward
    original = measurer.measure(problem, problem.program)
    methods: dict[str, MethodResult] = {}

    fresh_cache(service)
    start = service.scorings
    greedy = greedy_candidate(agent, env, problem)
    greedy_scorings = service.scorings - start
    samples = sampled_candidates(agent, env, problem, config.k, problem_key(config.seed, problem))
    best_scorings = service.scorings - start
    methods[AGENT_GREEDY] = MethodResult.from_selection(select_valid(problem, [greedy], measurer), original,
                                                        greedy_scorings)
    methods[AGENT_BEST] = MethodResult.from_selection(select_valid(problem, [greedy, *samples], measurer), original,
                                                      best_scorings)

    depth = config.max_depth or agent.config.env.max_steps
    budget = config.budget or max(best_scorings, 1)
    search_config = search.SearchConfig(budget=budget, max_depth=depth, beam_width=config.beam_width,
                                        allow_unsafe=env.config.allow_unsafe, seed=config.seed)
    runs = [(method, search_config) for method in config.baselines]
    if config.ceiling_budget:
        runs.append((CEILING, dataclasses.replace(search_config, budget=config.ceiling_budget)))
    for method, method_config in runs:
        fresh_cache(service)
        result = search.run_search(problem, method, service, reward, method_config)
        candidate = Candidate(result.best.source, tuple(map(rule_name, result.best.rules)), result.best.phi, method)
        methods[method] = MethodResult.from_selection(select_valid(problem, [candidate], measurer), original,
                                                      result.scorings, complete=result.complete,
                                                      explored=result.explored)

    if config.references and problem.reference_program is not None:
        # The expert anchor: returned whenever it is valid, whatever its Φ.
        record = measurer.measure(problem, problem.reference_program)
        candidate = Candidate(problem.reference_program, ("hand-optimized",),
                              potential(record, original, reward), REFERENCE)
        if passes_validation(record):
            selection = Selection(candidate, record, changed=True)
        else:
            selection = dataclasses.replace(select_valid(problem, [], measurer),
                                            rejected=(Rejection(REFERENCE, f"{record.status}: {record.detail}"),))
        methods[REFERENCE] = MethodResult.from_selection(selection, original, None)
    return ProblemResult(problem=problem.name, split=problem.split, family=problem.family,
                         seen_family=problem.family in seen_families, original_time=original.time_original,
                         original_op_count=original.op_count_original, methods=methods)



# -- summaries ------------------------------------------------------------------


def _ceiling_share(pairs: list[tuple[float, float]]) -> float | None:
    """Σ log(method) / Σ log(ceiling) over the problems; None when the ceiling gains nothing."""
    ceiling = sum(math.log(c) for _, c in pairs if c > 0)
    if not pairs or ceiling <= 1e-9:
        return None
    return sum(math.log(m) for m, _ in pairs if m > 0) / ceiling


def summarize(rows: Sequence[ProblemResult], method: str) -> MethodSummary | None:
    """One method's summary over some problem rows; None when it ran on none of them."""
    rows = [row for row in rows if method in row.methods]
    if not rows:
        return None
    results = [row.methods[method] for row in rows]
    speedups = [r.speedup for r in results]
    op_speedups = [1.0 / r.op_ratio for r in results]
    with_ceiling = [(row.methods[method], row.methods[CEILING]) for row in rows if CEILING in row.methods]
    scorings = [r.scorings for r in results if r.scorings is not None]
    return MethodSummary(
        method=method,
        problems=len(rows),
        geomean_speedup=geomean(speedups),
        geomean_op_speedup=geomean(op_speedups),
        improved_10pct=sum(s >= 1.1 for s in speedups) / len(rows),
        improved_10pct_ops=sum(s >= 1.1 for s in op_speedups) / len(rows),
        ceiling_share=_ceiling_share([(m.speedup, c.speedup) for m, c in with_ceiling]),
        ceiling_share_ops=_ceiling_share([(1.0 / m.op_ratio, 1.0 / c.op_ratio) for m, c in with_ceiling]),
        mean_phi=sum(r.phi for r in results) / len(rows),
        broken=sum(r.changed and not r.valid for r in results),
        fell_back=sum(r.fell_back for r in results),
        mean_scorings=sum(scorings) / len(scorings) if scorings else None,
    )


def groups(rows: Sequence[ProblemResult]) -> dict[str, list[ProblemResult]]:
    """"all", then by split and by whether the family appears in training (when both kinds occur)."""
    grouped = {"all": list(rows)}
    splits = sorted({row.split for row in rows})
    for split in splits if len(splits) > 1 else []:
        grouped[f"split {split}"] = [row for row in rows if row.split == split]
    for split in [None, *splits] if len(splits) > 1 else [None]:
        members = [row for row in rows if split is None or row.split == split]
        seen = [row for row in members if row.seen_family]
        unseen = [row for row in members if not row.seen_family]
        if seen and unseen:
            prefix = f"{split}: " if split else ""
            grouped[prefix + SEEN], grouped[prefix + UNSEEN] = seen, unseen
    return grouped


def method_order(config: EvalConfig, rows: Sequence[ProblemResult]) -> tuple[str, ...]:
    methods = [AGENT_GREEDY, AGENT_BEST, *config.baselines]
    methods += [m for m in (CEILING, REFERENCE) if any(m in row.methods for row in rows)]
    return tuple(methods)


def progress_line(index: int, total: int, row: ProblemResult, k: int, eta: float) -> str:
    parts = [f"[{index}/{total}] {row.problem:30}"]
    labels = {AGENT_GREEDY: "greedy", AGENT_BEST: f"best-of-{k}", CEILING: "ceiling", REFERENCE: "reference"}
    for method, label in labels.items():
        if method in row.methods:
            result = row.methods[method]
            parts.append(f"{label} {result.speedup:.2f}x/{1.0 / result.op_ratio:.2f}x ops")
    parts.append(f"scorings {row.methods[AGENT_BEST].scorings}")
    parts.append(f"ETA {eta:4.0f}s")
    return "  ".join(parts)


def evaluate(agent: Agent, problems: Sequence[Problem], service: ScoringService, config: EvalConfig,
             seen_families: Iterable[str], reward: RewardConfig | None = None,
             progress: Callable[[str], None] | None = None) -> EvaluationReport:
    """Runs every method on every problem; returns the report (`to_json()` for the file)."""
    if not problems:
        raise ValueError("no problems to evaluate")
    reward = reward or agent.config.reward
    seen = set(seen_families)
    env_config = dataclasses.replace(agent.config.env, rewrite_workers=0)
    measurer = FinalMeasurer(service, final_options(config.timing_rounds))
    rows: list[ProblemResult] = []
    start = time.time()
    with CodeOptEnv(env_config, reward, service) as env:
        for index, problem in enumerate(problems, 1):
            rows.append(evaluate_problem(problem, agent, env, service, config, measurer, seen))
            if progress is not None:
                eta = (time.time() - start) / index * (len(problems) - index)
                progress(progress_line(index, len(problems), rows[-1], config.k, eta))
    methods = method_order(config, rows)
    summary = {name: {m: summarize(members, m) for m in methods} for name, members in groups(rows).items()}
    return EvaluationReport(
        config={**dataclasses.asdict(config), "reward": dataclasses.asdict(reward),
                "max_depth": config.max_depth or agent.config.env.max_steps},
        agent={"workdir": shown_path(agent.workdir), "iteration": agent.iteration},
        methods=methods, summary=summary, problems=tuple(rows), seconds=time.time() - start)


def shown_path(path: str) -> str:
    """`path` relative to the working directory when it lies below it (reports name no machine paths)."""
    try:
        return str(pathlib.Path(path).resolve().relative_to(pathlib.Path.cwd().resolve()))
    except ValueError:
        return path


# -- markdown -------------------------------------------------------------------


def _x(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.2f}x"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1e3:.3g}"


def _spread(result: MethodResult) -> str:
    if not result.changed or result.speedup_low is None:
        return _x(result.speedup)
    return f"{_x(result.speedup)} [{result.speedup_low:.2f}–{result.speedup_high:.2f}]"


def summary_table(summary: dict[str, MethodSummary | None], methods: Sequence[str]) -> str:
    lines = ["| method | geomean speedup (timed) | geomean op-count speedup | improved ≥10% (timed / ops) "
             "| share of ceiling (timed / ops) | mean Φ | broken | fell back | mean scorings |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for method in methods:
        s = summary.get(method)
        if s is None:
            continue
        scorings = "–" if s.mean_scorings is None else f"{s.mean_scorings:.1f}"
        lines.append(f"| {method} | {_x(s.geomean_speedup)} | {_x(s.geomean_op_speedup)} | "
                     f"{s.improved_10pct:.0%} / {s.improved_10pct_ops:.0%} | "
                     f"{_share(s.ceiling_share)} / {_share(s.ceiling_share_ops)} | {s.mean_phi:+.3f} | "
                     f"{s.broken} | {s.fell_back} | {scorings} |")
    return "\n".join(lines)


def generalization_table(report: EvaluationReport) -> str:
    """Geomean timed (op-count) speedup of every method per problem group."""
    methods = report.methods
    lines = ["| group | problems | " + " | ".join(methods) + " |", "| --- | --- | " + "--- | " * len(methods)]
    for name, summary in report.summary.items():
        cells = [f"{_x(s.geomean_speedup)} ({_x(s.geomean_op_speedup)})" if s else "–"
                 for s in (summary[m] for m in methods)]
        lines.append(f"| {name} | {summary[AGENT_BEST].problems} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def problem_table(report: EvaluationReport) -> str:
    """One line per problem: the agent's best-of-k result beside the ceiling and the reference."""
    lines = ["| problem | split | family | seen | original ms | agent ms | agent speedup [IQR] | op ratio | tests "
             "| differential | rewrites | scorings (greedy / best-of-k) | greedy | ceiling | reference |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in report.problems:
        best, greedy = row.methods[AGENT_BEST], row.methods[AGENT_GREEDY]
        ceiling, reference = row.methods.get(CEILING), row.methods.get(REFERENCE)
        rewrites = ", ".join(best.rewrites) or "–"
        if best.fell_back:
            rewrites += " (fell back to the original)"
        seen = "yes" if row.seen_family else "no"
        lines.append(
            f"| {row.problem} | {row.split or '–'} | {row.family} | {seen} | "
            f"{_ms(best.time_original)} | {_ms(best.time)} | {_spread(best)} | {best.op_ratio:.3f} | "
            f"{best.tests} | {best.differential} | {rewrites} | {greedy.scorings} / {best.scorings} | "
            f"{_x(greedy.speedup)} | {_x(ceiling.speedup) if ceiling else '–'} | "
            f"{_x(reference.speedup) if reference else '–'} |")
    return "\n".join(lines)


def markdown(report: EvaluationReport) -> str:
    """The report as markdown: summary, generalization by group, and per-problem results."""
    config = report.config
    budget = config["budget"] if config["budget"] else "the agent's own per problem"
    header = (f"Agent {report.agent['workdir']} (iteration {report.agent['iteration']}); "
              f"best-of-k with k={config['k']}; baselines at budget {budget} scorings; "
              f"exhaustive ceiling at {config['ceiling_budget']} scorings, depth {config['max_depth']}; "
              f"final paired timing with {config['timing_rounds']} rounds. Speedups are timed; "
              f"op-count speedups are the inverse executed-instruction ratio.")
    parts = [header, "## Summary", summary_table(report.summary["all"], report.methods)]
    if len(report.summary) > 1:
        parts += ["## Generalization (geomean timed speedup, op-count speedup in parentheses)",
                  generalization_table(report)]
    parts += ["## Per problem", problem_table(report)]
    return "\n\n".join(parts) + "\n"
