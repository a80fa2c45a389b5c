"""Soundness checks of every rewrite rule: property-based differential checks and random-program fuzzing.

  python -m launch.check_rules --properties                  # corpus (both splits), MBPP train and prompt
  python -m launch.check_rules --properties --benchmark mbpp --split train --examples 50
  python -m launch.check_rules --properties --problems mbpp_602,dedupe_emails --rules sum_loop_to_sum
  python -m launch.check_rules --fuzz 500                     # random programs: the rules must not break
  python -m launch.check_rules --properties --fuzz 200 --out results/rule_soundness.md

--properties: every non-UNSAFE rule at every site of every problem's program; each rewrite is
checked in the sandbox against the original on inputs drawn from the shapes of the calls the
problem's tests make (`scoring.properties`). A counterexample is a real bug unless the rule is
CONDITIONAL and its docstring's "Assumes" covers it (unhashable elements, an expression that
now runs when it did not, equal values of different types...): those are listed apart. Only
differences on inputs where the original returns count (base.py's contract), unless
--exception_types also asks for differing exception types.

--fuzz N: N programs from the own generator (`rewrites.fuzz`), N from hypothesmith's grammar
(each also with a generated program appended, so the rules fire next to odd syntax) and N/10
from hypothesmith's libcst nodes: `sites()` must not raise, `apply` must succeed at every
listed site and give code that compiles (and parses again). Generated programs never run.

Writes a markdown report (--out) and prints its tables.
"""

from __future__ import annotations

import ast
import collections
import dataclasses
import pathlib
import random
import re
import sys
import time
from typing import Callable, Sequence

from absl import app, flags

from codeopt_jax import corpus, mbpp
from codeopt_jax.corpus import Problem
from codeopt_jax.program import ProgramError, parse_program
from codeopt_jax.rewrites import ALL_RULES, RewriteError, Rule, Safety, apply_rewrite, rule_by_name
from codeopt_jax.rewrites import fuzz
from codeopt_jax.scoring import ScoringService
from codeopt_jax.scoring.properties import (EXCEPTION_TYPE, OUTPUT, RAISES, RETURNS, Counterexample,
                                            PropertyOptions, PropertyResult)
from codeopt_jax.user_problem import UserInputError

_PROPERTIES = flags.DEFINE_bool("properties", False, "Run the property-based differential checks.")
_FUZZ = flags.DEFINE_integer("fuzz", 0, "Random programs per generator to fuzz the rules with (0: no fuzzing).")
_BENCHMARK = flags.DEFINE_enum("benchmark", "all", ["corpus", "mbpp", "all"], "Problems for --properties.")
_SPLIT = flags.DEFINE_list("split", None, "Splits: corpus train/heldout, MBPP train/prompt (default: all of them).")
_BENCHMARK_PATH = flags.DEFINE_string("benchmark_path", mbpp.DEFAULT_PATH, "MBPP's mbpp.jsonl.")
_ROOT = flags.DEFINE_string("root", "corpus", "Corpus folder with train/ and heldout/.")
_PROBLEMS = flags.DEFINE_list("problems", None, "Only these problems (corpus names, mbpp_<id>).")
_RULES = flags.DEFINE_list("rules", None, "Only these rules (default: every rule that is not UNSAFE).")
_LIMIT = flags.DEFINE_integer("limit", 0, "At most this many problems (0: all).")
_EXAMPLES = flags.DEFINE_integer("examples", 50, "Argument tuples drawn per rewrite.")
_BUDGET = flags.DEFINE_float("budget_seconds", 20.0, "Seconds per rewrite's property check.")
_EXCEPTION_TYPES = flags.DEFINE_bool("exception_types", False, "Also report differing exception types.")
_WORKERS = flags.DEFINE_integer("workers", 2, "Scoring workers.")
_OUT = flags.DEFINE_string("out", "results/rule_soundness.md", "Markdown report.")

MBPP_SPLITS = ("train", "prompt")  # never the test or validation split
BUG, ASSUMED, EXCEPTION, PASSED, NOT_RUN = "bug", "assumed", "exception", "passed", "not run"


# ----------------------------------------------------------------------------------------------- verdicts

def assumptions(rule: Rule) -> str:
    """The "Assumes:" text of a CONDITIONAL rule's docstring ("" for other rules or none)."""
    if rule.safety is not Safety.CONDITIONAL:
        return ""
    doc = " ".join((type(rule).__doc__ or "").split())
    found = re.search(r"Assumes:(.*?)(?:Precondition|$)", doc)
    return found.group(1).strip() if found else ""


def _literal(text: str, prefix: str) -> tuple[bool, object]:
    if not text.startswith(prefix):
        return False, None
    try:
        return True, ast.literal_eval(text[len(prefix):])
    except (ValueError, SyntaxError, RecursionError, MemoryError, TypeError):
        return False, None


def _equal_values_of_other_types(found: Counterexample) -> bool:
    """Both sides return values that compare equal but differ in type (1 vs 1.0 vs True)."""
    ok_a, a = _literal(found.original, "returns ")
    ok_b, b = _literal(found.candidate, "returns ")
    try:
        return ok_a and ok_b and a == b and repr(a) != repr(b)
    except Exception:  # noqa: BLE001 - odd values: not this sign
        return False


# What a counterexample looks like when an assumption in a rule's docstring explains it:
# (a phrase of the "Assumes" text, the sign the counterexample shows).
ASSUMPTION_SIGNS: tuple[tuple[str, Callable[[Counterexample], bool]], ...] = (
    ("hashable", lambda c: c.kind in (RAISES, EXCEPTION_TYPE) and "unhashable" in c.candidate),
    ("does not raise", lambda c: c.kind == RAISES),
    ("interchangeable", lambda c: c.kind == OUTPUT and _equal_values_of_other_types(c)),
    ("no element is None", lambda c: "None" in c.call),
    ("no element is NaN", lambda c: "nan" in c.call),
    ("holds an int", lambda c: c.kind == OUTPUT and re.search(r"\d\.\d", c.call) is not None),
    ("aliases", lambda c: "one object" in c.call),
)


def covering_assumption(rule: Rule, found: Counterexample) -> str:
    """The phrase of the rule's "Assumes" that explains the counterexample, or ""."""
    assumed = assumptions(rule)
    return next((phrase for phrase, sign in ASSUMPTION_SIGNS if phrase in assumed and sign(found)), "")


def verdict(rule: Rule, result: PropertyResult) -> str:
    """PASSED, NOT_RUN, BUG, ASSUMED (an "Assumes" covers it) or EXCEPTION (the original raises too)."""
    if result.error:
        return NOT_RUN
    found = result.counterexample
    if found is None:
        return PASSED
    if covering_assumption(rule, found):
        return ASSUMED
    if found.kind in (EXCEPTION_TYPE, RETURNS):
        return EXCEPTION
    return BUG


# ----------------------------------------------------------------------------------------------- properties

@dataclasses.dataclass(frozen=True)
class SiteCheck:
    """One rewrite (a rule at a site of a problem's program) and its property check."""

    problem: str
    rule: str
    site: int
    result: PropertyResult

    @property
    def verdict(self) -> str:
        return verdict(rule_by_name(self.rule), self.result)


def load_problems(benchmark: str, splits: Sequence[str] | None, root: str, path: str,
                  names: Sequence[str] | None, limit: int) -> list[Problem]:
    """Corpus problems and MBPP harnesses (program + check, no workload needed)."""
    problems: list[Problem] = []
    if benchmark in ("corpus", "all"):
        wanted = [s for s in (splits or corpus.SPLITS) if s in corpus.SPLITS]
        problems += corpus.load_corpus(root, wanted) if wanted else []
    if benchmark in ("mbpp", "all"):
        wanted = [s for s in (splits or MBPP_SPLITS) if s in mbpp.SPLITS]
        refused = set(wanted) - set(MBPP_SPLITS)
        if refused:
            raise app.UsageError(f"MBPP splits {sorted(refused)} are held out; use {', '.join(MBPP_SPLITS)}")
        for split in wanted:
            for task in mbpp.load_tasks(path, split):
                if names and f"mbpp_{task.task_id}" not in names:
                    continue
                try:
                    problems.append(mbpp.task_harness(task).problem)
                except UserInputError:
                    continue
    if names:
        problems = [p for p in problems if p.name in names]
    return problems[:limit] if limit else problems


def rewrites(problem: Problem, rules: Sequence[Rule]) -> list[tuple[str, int, str]]:
    """(rule name, site, rewritten program) for every site of every rule on the problem's program."""
    try:
        module = parse_program(problem.program)
    except ProgramError:
        return []
    found = []
    for rule in rules:
        try:
            sites = rule.sites(module)
        except Exception as exc:  # noqa: BLE001 - a rule bug; the fuzzing reports it too
            print(f"{problem.name}: {rule.name}.sites raised {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        for site in sites:
            try:
                found.append((rule.name, site, apply_rewrite(problem.program, rule.name, site)))
            except RewriteError as exc:  # a mask bug: the fuzzing reports it too
                print(f"{problem.name}: {rule.name}@{site} listed but does not apply: {exc}", file=sys.stderr)
    return found


def check_properties(problems: Sequence[Problem], rules: Sequence[Rule], service: ScoringService,
                     options: PropertyOptions, progress: Callable[[str], None] = lambda line: None,
                     chunk: int = 32) -> list[SiteCheck]:
    """The property check of every rewrite of every problem."""
    items: list[tuple[Problem, str, int, str]] = [
        (problem, name, site, code) for problem in problems for name, site, code in rewrites(problem, rules)]
    progress(f"{len(items)} rewrites of {len(problems)} problems by {len(rules)} rules")
    checks: list[SiteCheck] = []
    start = time.monotonic()
    for first in range(0, len(items), chunk):
        batch = items[first:first + chunk]
        results = service.check_properties_many([(problem, code) for problem, _, _, code in batch], options)
        checks += [SiteCheck(problem.name, name, site, result)
                   for (problem, name, site, _), result in zip(batch, results)]
        done = len(checks)
        eta = (time.monotonic() - start) / done * (len(items) - done)
        progress(f"  {done}/{len(items)} checked, {sum(c.verdict == BUG for c in checks)} bugs, ETA {eta:.0f} s")
    return checks


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def properties_report(checks: Sequence[SiteCheck], rules: Sequence[Rule], options: PropertyOptions) -> str:
    """Markdown: a table per rule, then the counterexamples by verdict."""
    by_rule: dict[str, collections.Counter] = {rule.name: collections.Counter() for rule in rules}
    for check in checks:
        by_rule[check.rule][check.verdict] += 1
    lines = [f"## Property checks ({options.examples} drawn inputs per rewrite)", "",
             "| rule | safety | sites checked | passed | real bugs | covered by Assumes | exception differences "
             "| not run |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for rule in rules:
        counts = by_rule[rule.name]
        lines.append(f"| {rule.name} | {rule.safety.value} | {sum(counts.values())} | {counts[PASSED]} | "
                     f"{counts[BUG]} | {counts[ASSUMED]} | {counts[EXCEPTION]} | {counts[NOT_RUN]} |")
    sections = ((BUG, "Real bugs (counterexamples no stated assumption covers)"),
                (ASSUMED, "Counterexamples covered by the rule's \"Assumes\""),
                (EXCEPTION, "Exception differences (the original raises too: allowed by base.py's contract)"))
    for kind, title in sections:
        found = [c for c in checks if c.verdict == kind]
        lines += ["", f"### {title}: {len(found)}", ""]
        for check in found:
            example = check.result.counterexample
            why = ""
            if kind == ASSUMED:
                why = f" (assumes: {covering_assumption(rule_by_name(check.rule), example)})"
            lines.append(f"- `{check.rule}` on {check.problem} @{check.site} [{example.kind}]{why}: "
                         f"`{_cell(example.call)}`: original {_cell(example.original)}; "
                         f"candidate {_cell(example.candidate)}" + (f"; {_cell(example.detail)}" if example.detail else ""))
    not_run = [c for c in checks if c.verdict == NOT_RUN]
    if not_run:
        lines += ["", f"### Checks that could not run: {len(not_run)}", ""]
        lines += [f"- `{c.rule}` on {c.problem} @{c.site}: {_cell(c.result.error[:200])}" for c in not_run[:100]]
    lines += ["", "Repro: `python -m launch.check_rules --properties --problems <problem> --rules <rule>`."]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------- fuzzing

def hypothesmith_sources(count: int, from_nodes: bool) -> list[str]:
    """`count` programs from hypothesmith (its grammar, or its libcst nodes), drawn deterministically."""
    if count < 1:
        return []
    import hypothesmith
    from hypothesis import HealthCheck, Phase, given, settings

    strategy = hypothesmith.from_node() if from_nodes else hypothesmith.from_grammar()
    sources: list[str] = []

    @settings(derandomize=True, database=None, max_examples=count, deadline=None, phases=(Phase.generate,),
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(source: str) -> None:
        sources.append(source)

    draw()
    return sources


def fuzz_report(count: int, rules: Sequence[Rule], progress: Callable[[str], None]) -> str:
    """Markdown: programs per generator, sites per rule, every failure with its repro."""
    generated = [fuzz.generate_program(random.Random(seed)) for seed in range(count)]
    grammar = hypothesmith_sources(count, from_nodes=False)
    hybrid = [source.rstrip("\n") + "\n\n\n" + fuzz.generate_program(random.Random(count + index))
              for index, source in enumerate(grammar)]
    nodes = hypothesmith_sources(count // 10, from_nodes=True)
    sets = (("own generator", "seed", generated, True), ("hypothesmith grammar", "example", grammar, False),
            ("hypothesmith grammar + own program", "example", hybrid, False),
            ("hypothesmith libcst nodes", "example", nodes, False))
    totals: collections.Counter = collections.Counter()
    lines = ["## Fuzzing", "", "| programs | generated | rule sites tried | failures |", "| --- | --- | --- | --- |"]
    failures: list[str] = []
    for label, index_name, sources, reparse in sets:
        progress(f"fuzzing: {len(sources)} programs from the {label}")
        sites, found = fuzz.fuzz_sources(sources, rules, reparse=reparse)
        totals.update(sites)
        lines.append(f"| {label} | {len(sources)} | {sum(sites.values())} | {len(found)} |")
        for index, failure in found:
            failures.append(f"- `{failure.rule}` @{failure.site} [{failure.stage}] on the {label}, {index_name} "
                            f"{index}: {_cell(failure.error)}")
    lines += ["", "| rule | sites (all programs) |", "| --- | --- |"]
    lines += [f"| {rule.name} | {totals[rule.name]} |" for rule in rules]
    lines += ["", f"### Failures: {len(failures)}", ""] + failures
    if failures:
        lines += ["", "Repro: `fuzz.generate_program(random.Random(seed))` for the own generator (seed N + example "
                  "for the program appended to hypothesmith's example)."]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------- main

def selected_rules(names: Sequence[str] | None, properties: bool) -> list[Rule]:
    """The named rules, or every rule (every non-UNSAFE one for the property checks)."""
    if names:
        return [rule_by_name(name) for name in names]
    return [rule for rule in ALL_RULES if not (properties and rule.safety is Safety.UNSAFE)]


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    if not _PROPERTIES.value and not _FUZZ.value:
        raise app.UsageError("nothing to do: pass --properties and/or --fuzz N")

    def log(line: str) -> None:
        print(line, file=sys.stderr)

    parts = ["# Rule soundness", "", f"{len(ALL_RULES)} rules in the registry."]
    exit_code = 0
    if _PROPERTIES.value:
        rules = selected_rules(_RULES.value, properties=True)
        problems = load_problems(_BENCHMARK.value, _SPLIT.value, _ROOT.value, _BENCHMARK_PATH.value,
                                 _PROBLEMS.value, _LIMIT.value)
        options = PropertyOptions(examples=_EXAMPLES.value, budget_seconds=_BUDGET.value,
                                  exception_types=_EXCEPTION_TYPES.value)
        with ScoringService(num_workers=_WORKERS.value) as service:
            checks = check_properties(problems, rules, service, options, log)
        origins = collections.Counter(f"mbpp {p.split}" if p.family == "mbpp" else f"corpus {p.split}" for p in problems)
        parts += ["", f"Problems: {len(problems)} ({', '.join(f'{n} {o}' for o, n in sorted(origins.items()))}).",
                  "", properties_report(checks, rules, options)]
        exit_code |= any(c.verdict == BUG for c in checks)
    if _FUZZ.value:
        parts += ["", fuzz_report(_FUZZ.value, selected_rules(_RULES.value, properties=False), log)]
    text = "\n".join(parts) + "\n"
    print(text)
    if _OUT.value:
        out = pathlib.Path(_OUT.value)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        log(f"wrote {out}")
    return exit_code


if __name__ == "__main__":
    app.run(main)
