"""When a rule helps and when it hurts: the timed effect of each single rewrite of an original program.

  sites = rule_sites(problems, moves.allowed_rules(False))      # every (problem, rule, node) on the originals
  effects = measure(sites, service)                             # one paired timing per rewritten program
  print(markdown(summarize(effects, rule_names)))

For every allowed rule and every site where it applies to a problem's ORIGINAL program, the
program after that one rewrite is scored with the scorer's paired timing against the original
(`ScoreOptions(timing=True)`: tests, differential check, then original and candidate timed in
separate processes). A site *helps* when the 25th percentile of its paired ratios is above
1.05, *hurts* when the 75th is below 0.95; a rewrite that fails a check is *broken*, one whose
timing was voided or failed is *unmeasured*.
"""

from __future__ import annotations

import dataclasses
import statistics
from typing import Sequence

import numpy as np

from codeopt_jax import moves
from codeopt_jax.corpus import Problem
from codeopt_jax.program import ProgramError, parse_program
from codeopt_jax.rewrites import ALL_RULES, RewriteError, legal_actions
from codeopt_jax.scoring import ScoreOptions, ScoringService
from codeopt_jax.scoring.records import MISMATCH, OK, ScoreRecord

HELPS = 1.05   # the whole interquartile range above this: the rewrite helps
HURTS = 0.95   # the whole interquartile range below this: it hurts
TIMED = ScoreOptions(timing=True)


@dataclasses.dataclass(frozen=True)
class Site:
    """One rewrite of an original program: `rule` at node `node_id` of `problem`'s program."""

    problem: Problem
    rule: str
    node_id: int
    source: str             # the program after the rewrite


@dataclasses.dataclass(frozen=True)
class SiteEffect:
    """The measured effect of one site's rewrite."""

    problem: str
    rule: str
    node_id: int
    outcome: str            # "measured", "broken" or "unmeasured"
    speedup: float | None   # median paired ratio original / rewritten (> 1: faster)
    low: float | None       # 25th and 75th percentiles of the paired ratios
    high: float | None
    detail: str = ""        # why it is broken or unmeasured


@dataclasses.dataclass(frozen=True)
class RuleEffect:
    """One rule over every site it had: how often its rewrite helps, hurts, breaks."""

    rule: str
    safety: str
    sites: int
    measured: int
    broken: int
    unmeasured: int
    median_speedup: float | None
    helps: float | None      # share of the measured sites
    hurts: float | None
    worst: SiteEffect | None
    best: SiteEffect | None


def rule_sites(problems: Sequence[Problem], allowed: np.ndarray) -> list[Site]:
    """Every (problem, allowed rule, node) where the rule applies to the original program, rewritten."""
    sites = []
    for problem in problems:
        try:
            actions = legal_actions(parse_program(problem.program))
        except ProgramError:
            continue
        for node_id, rule_index in actions:
            if not allowed[rule_index]:
                continue
            try:
                source = moves.rewrite(problem.program, node_id, rule_index)
            except RewriteError:
                continue  # the action mask promised more than the rule did: not this module's to report
            sites.append(Site(problem, ALL_RULES[rule_index].name, node_id, source))
    return sites


def effect_of(site: Site, record: ScoreRecord) -> SiteEffect:
    """Classifies one site's record (see the module docstring)."""
    base = dict(problem=site.problem.name, rule=site.rule, node_id=site.node_id)
    if record.status == OK and record.differential != MISMATCH and record.speedup is not None:
        return SiteEffect(**base, outcome="measured", speedup=record.speedup, low=record.speedup_low,
                          high=record.speedup_high)
    detail = f"{record.status}: {record.detail}".strip()[:200] if record.status != OK else "differs on the workload"
    timing_failed = record.phase == "timing" or (record.status == OK and record.differential != MISMATCH)
    return SiteEffect(**base, outcome="unmeasured" if timing_failed else "broken", speedup=None, low=None,
                      high=None, detail=detail)


def measure(sites: Sequence[Site], service: ScoringService, options: ScoreOptions = TIMED) -> list[SiteEffect]:
    """The timed effect of every site's rewrite (scored in parallel on the service)."""
    records = service.score_many([(site.problem, site.source) for site in sites], options)
    return [effect_of(site, record) for site, record in zip(sites, records)]


def summarize(effects: Sequence[SiteEffect], rules: Sequence[str]) -> list[RuleEffect]:
    """One RuleEffect per rule in `rules` (in that order), rules without a site included."""
    safety = {rule.name: rule.safety.value for rule in ALL_RULES}
    summaries = []
    for rule in rules:
        mine = [e for e in effects if e.rule == rule]
        timed = [e for e in mine if e.outcome == "measured"]
        ranked = sorted(timed, key=lambda e: e.speedup)
        summaries.append(RuleEffect(
            rule=rule, safety=safety.get(rule, "?"), sites=len(mine), measured=len(timed),
            broken=sum(e.outcome == "broken" for e in mine), unmeasured=sum(e.outcome == "unmeasured" for e in mine),
            median_speedup=statistics.median(e.speedup for e in timed) if timed else None,
            helps=sum((e.low or 0.0) > HELPS for e in timed) / len(timed) if timed else None,
            hurts=sum((e.high or 0.0) < HURTS for e in timed) / len(timed) if timed else None,
            worst=ranked[0] if ranked else None, best=ranked[-1] if ranked else None))
    return summaries


def _x(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}x"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _spread(effect: SiteEffect) -> str:
    if effect.low is None or effect.high is None:
        return _x(effect.speedup)
    return f"{_x(effect.speedup)} [{effect.low:.2f}–{effect.high:.2f}]"


def _site(effect: SiteEffect | None) -> str:
    return "–" if effect is None else f"{_spread(effect)} {effect.problem}"


def rules_table(summaries: Sequence[RuleEffect]) -> str:
    """Markdown: one row per rule."""
    lines = ["| rule | safety | sites | measured | broken | unmeasured | median speedup | helps (IQR > 1.05) "
             "| hurts (IQR < 0.95) | worst | best |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for s in summaries:
        lines.append(f"| {s.rule} | {s.safety} | {s.sites} | {s.measured} | {s.broken} | {s.unmeasured} | "
                     f"{_x(s.median_speedup)} | {_share(s.helps)} | {_share(s.hurts)} | {_site(s.worst)} | "
                     f"{_site(s.best)} |")
    return "\n".join(lines)


def sites_table(effects: Sequence[SiteEffect]) -> str:
    """Markdown: one row per site, by rule then speedup."""
    lines = ["| rule | problem | node | outcome | speedup [IQR] |", "| --- | --- | --- | --- | --- |"]
    for e in sorted(effects, key=lambda e: (e.rule, e.speedup if e.speedup is not None else -1.0, e.problem)):
        shown = _spread(e) if e.speedup is not None else e.detail.replace("|", "\\|")
        lines.append(f"| {e.rule} | {e.problem} | {e.node_id} | {e.outcome} | {shown} |")
    return "\n".join(lines)
