"""Pairwise preference data: scored programs per problem and "A is better than B" labels.

Build (`build_programs`): for each problem, generate candidate programs with the agent's
rewrite rules (safe and conditional rules breadth-first to `bfs_depth` and in random
rollouts of 2..`rollout_depth` rewrites, plus `unsafe_fraction` of mutants: programs
with one or two deliberately unsafe rewrites, most of them broken), keep
`programs_per_problem` of them (the original, and the hand-written reference when the
file has one, included), and score each once with paired timing and op counts.

Label (`label_pairs`), per problem, under the composite score Φ of a RewardConfig:

* a broken program (`rewards.is_broken`) is worse than every valid one;
* two broken programs are never paired;
* two valid programs are paired only when their measured difference is beyond timing
  noise: their Φ intervals (Φ at the interquartile speedups `speedup_low` and
  `speedup_high`) do not overlap, |ΔΦ| >= `min_margin`, and, when `cv_z` > 0,
  |ΔΦ| > cv_z * w_speed * sqrt(cv_A² + cv_B²). Other pairs are ties and are dropped
  (never labelled "tie"); `LabelStats` counts them;
* a valid program whose speedup (timing mode) or op count (op-count mode) was not
  measured is left out.

Splits are by problem (the corpus split), so held-out problems never reach training pairs.

On disk (`write_dataset`, `load_dataset`): `programs.jsonl` (one scored program a line:
source, origin, rewrites, score record), `pairs.jsonl` (problem, split, a, b, label = 1
when a is better, kind, ΔΦ) and `manifest.json` (configs, counts, the command).
"""

from __future__ import annotations

import collections
import dataclasses
import json
import math
import pathlib
import time
import zlib
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from codeopt_jax import moves
from codeopt_jax.corpus import Problem
from codeopt_jax.program import normalized_code
from codeopt_jax.rewards import RewardConfig, is_broken, potential
from codeopt_jax.scoring import ScoreOptions, ScoreRecord, ScoringService
from codeopt_jax.scoring.records import MISMATCH, OK, record_from_fields
from codeopt_jax.validation import check_fields

ORIGINS = ("original", "reference", "bfs1", "bfs2", "bfs3", "rollout", "mutant")
VALID_VS_BROKEN = "valid_vs_broken"
VALID_VS_VALID = "valid_vs_valid"
PAIR_KINDS = (VALID_VS_BROKEN, VALID_VS_VALID)

PROGRAMS_FILE = "programs.jsonl"
PAIRS_FILE = "pairs.jsonl"
MANIFEST_FILE = "manifest.json"


def default_reward() -> RewardConfig:
    """Φ for labels: log paired speedup (weight 1) plus brevity (weight 0.1), no op-count term."""
    return RewardConfig(speed_weight=1.0, opcount_weight=0.0, brevity_weight=0.1)


@dataclasses.dataclass(frozen=True)
class BuildConfig:
    """How many programs to generate and score per problem, and how."""

    programs_per_problem: int = 24  # scorings per problem, the original included
    bfs_depth: int = 2              # breadth-first levels of rewrites (1..3)
    rollout_depth: int = 4          # random rollouts take 2..rollout_depth rewrites
    unsafe_fraction: float = 0.35   # share of programs that are unsafe mutants (mostly broken)
    include_reference: bool = True  # add the problem's hand-optimized reference program
    timing_rounds: int = 7          # paired (original, candidate) timing rounds per program
    seed: int = 0

    def __post_init__(self) -> None:
        if self.programs_per_problem < 2:
            raise ValueError("programs_per_problem must be at least 2")
        if not 1 <= self.bfs_depth <= 3:
            raise ValueError("bfs_depth must be 1, 2 or 3")
        if self.rollout_depth < 2:
            raise ValueError("rollout_depth must be at least 2")
        if not 0.0 <= self.unsafe_fraction < 1.0:
            raise ValueError("unsafe_fraction must be in [0, 1)")

    @property
    def score_options(self) -> ScoreOptions:
        return ScoreOptions(tests=True, differential=True, timing=True, opcount=True,
                            timing_rounds=self.timing_rounds)


@dataclasses.dataclass(frozen=True)
class LabelConfig:
    """The score that decides "better" and how far apart two valid programs must be."""

    reward: RewardConfig = dataclasses.field(default_factory=default_reward)
    min_margin: float = 0.05  # |ΔΦ| below this is a tie
    cv_z: float = 0.0         # > 0: also require |ΔΦ| > cv_z * w_speed * hypot(cv_A, cv_B)
    seed: int = 0             # which program of a pair is `a`

    def __post_init__(self) -> None:
        check_fields(self, non_negative=("min_margin", "cv_z"))

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class GeneratedProgram:
    """A program generated for the data set (not yet scored): its source, the moves that made it, its stratum."""

    source: str
    rules: tuple[str, ...]
    origin: str


@dataclasses.dataclass(frozen=True)
class ScoredProgram:
    """One program of a problem with its score record. `uid` is "problem#index"."""

    uid: str
    problem: str
    split: str
    family: str
    origin: str
    rules: tuple[str, ...]
    source: str
    record: ScoreRecord

    def to_json(self) -> dict[str, Any]:
        record = self.record.to_json()
        for name in ("traceback", "output"):
            record.pop(name, None)
        record["detail"] = record["detail"][:200]
        return {"uid": self.uid, "problem": self.problem, "split": self.split, "family": self.family,
                "origin": self.origin, "rules": list(self.rules), "source": self.source, "record": record}

    @classmethod
    def from_json(cls, fields: dict[str, Any]) -> "ScoredProgram":
        return cls(uid=fields["uid"], problem=fields["problem"], split=fields["split"],
                   family=fields["family"], origin=fields["origin"], rules=tuple(fields["rules"]),
                   source=fields["source"], record=record_from_fields(fields["record"]))


@dataclasses.dataclass(frozen=True)
class Pair:
    """Two programs of one problem; label 1 when `a` is better, 0 when `b` is; delta = Φ_a − Φ_b."""

    problem: str
    split: str
    a: str
    b: str
    label: int
    kind: str
    delta: float

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class LabelStats:
    """Pair counts of one labelling: kept by kind, dropped by reason."""

    valid_vs_broken: int = 0
    valid_vs_valid: int = 0
    dropped_both_broken: int = 0
    dropped_tie: int = 0        # within timing noise or below min_margin
    dropped_unmeasured: int = 0  # a valid program without the measurement Φ needs
    problems_without_original: int = 0

    def add(self, other: "LabelStats") -> None:
        for field in dataclasses.fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


# ---------------------------------------------------------------------------
# Generating and scoring programs.


def generate_candidates(problem: Problem, config: BuildConfig) -> list[GeneratedProgram]:
    """The programs to score for a problem: the original first, then a mix of strata.

    Safe strata (safe and conditional rules only) are the breadth-first levels and
    random rollouts; programs are taken round-robin from them, shuffled, up to
    (1 − unsafe_fraction) of the quota. Mutants follow: the original or a chosen
    safe program with one or two unsafe rewrites on top (usually broken, sometimes
    still valid), about unsafe_fraction of all programs (at least two), so a problem
    with few safe rewrites gets fewer programs in all.
    Programs identical up to layout appear once.
    """
    rng = np.random.default_rng([config.seed, zlib.crc32(problem.name.encode())])
    safe_rules = moves.allowed_rules(False)
    unsafe_rules = ~safe_rules
    quota = config.programs_per_problem
    seen = {normalized_code(problem.program)}

    def fresh(source: str) -> bool:
        code = normalized_code(source)
        if code in seen:
            return False
        seen.add(code)
        return True

    chosen = [GeneratedProgram(problem.program, (), "original")]
    if config.include_reference and problem.reference_program and fresh(problem.reference_program):
        chosen.append(GeneratedProgram(problem.reference_program, (), "reference"))

    strata: list[list[GeneratedProgram]] = []
    frontier = [chosen[0]]
    for depth in range(1, config.bfs_depth + 1):
        level: list[GeneratedProgram] = []
        for parent in [frontier[i] for i in rng.permutation(len(frontier))]:
            if len(level) >= quota:  # enough to choose from; skip the costly rest of the level
                break
            level.extend(GeneratedProgram(source, parent.rules + (move,), f"bfs{depth}")
                         for move, source in moves.neighbours(parent.source, safe_rules) if fresh(source))
        strata.append(level)
        frontier = level
    rollouts: list[GeneratedProgram] = []
    for _ in range(quota):
        if len(rollouts) >= max(1, quota // 2):
            break
        source, rules = moves.random_rollout(problem.program, int(rng.integers(2, config.rollout_depth + 1)),
                                             safe_rules, rng)
        if rules and fresh(source):
            rollouts.append(GeneratedProgram(source, rules, "rollout"))
    strata.append(rollouts)

    safe_quota = quota - round(config.unsafe_fraction * quota)
    queues = [collections.deque(stratum[i] for i in rng.permutation(len(stratum))) for stratum in strata]
    while len(chosen) < safe_quota and any(queues):
        for queue in queues:
            if queue and len(chosen) < safe_quota:
                chosen.append(queue.popleft())
    bases = list(chosen)
    # A small safe space gets few mutants too, so broken programs stay about unsafe_fraction of all.
    ratio = config.unsafe_fraction / (1.0 - config.unsafe_fraction)
    mutant_quota = min(quota - len(bases), max(2, math.ceil(ratio * len(bases)))) if ratio else 0
    for _ in range(4 * mutant_quota):
        if len(chosen) - len(bases) >= mutant_quota:
            break
        base = bases[int(rng.integers(len(bases)))]
        source, rules = moves.random_rollout(base.source, int(rng.integers(1, 3)), unsafe_rules, rng)
        if rules and fresh(source):
            chosen.append(GeneratedProgram(source, base.rules + rules, "mutant"))
    return chosen


def build_programs(problems: Sequence[Problem], service: ScoringService, config: BuildConfig,
                   log: Callable[[str], None] | None = None) -> list[ScoredProgram]:
    """Generates and scores the programs of every problem (one scoring per program)."""
    programs: list[ScoredProgram] = []
    start = time.perf_counter()
    for index, problem in enumerate(problems, 1):
        candidates = generate_candidates(problem, config)
        records = service.score_many([(problem, c.source) for c in candidates], config.score_options)
        programs.extend(
            ScoredProgram(uid=f"{problem.name}#{i}", problem=problem.name, split=problem.split,
                          family=problem.family, origin=c.origin, rules=c.rules, source=c.source, record=r)
            for i, (c, r) in enumerate(zip(candidates, records)))
        if log:
            broken = sum(r.status != OK or r.differential == MISMATCH for r in records)
            elapsed = time.perf_counter() - start
            log(f"[{index}/{len(problems)}] {problem.split:7} {problem.name:32} {len(candidates):3d} programs "
                f"{broken:3d} broken  {elapsed:6.1f}s (ETA {elapsed / index * (len(problems) - index):5.0f}s)")
    return programs


# ---------------------------------------------------------------------------
# Labelling.


@dataclasses.dataclass(frozen=True)
class PhiInterval:
    """Φ at the median speedup, and at the interquartile speedups (equal when no timing term)."""

    value: float
    low: float
    high: float
    broken: bool


def phi_interval(record: ScoreRecord, original: ScoreRecord, reward: RewardConfig) -> PhiInterval | None:
    """Φ of a program with its timing-noise interval; None when Φ's measurement is missing."""
    if is_broken(record, reward):
        penalty = -reward.broken_penalty
        return PhiInterval(penalty, penalty, penalty, True)
    if reward.opcount_weight and record.op_ratio is None:
        return None
    if not reward.speed_weight:
        value = potential(record, original, reward)
        return PhiInterval(value, value, value, False)
    if record.speedup is None:
        return None
    speedups = (record.speedup,
                record.speedup if record.speedup_low is None else record.speedup_low,
                record.speedup if record.speedup_high is None else record.speedup_high)
    values = [potential(dataclasses.replace(record, speedup=s), original, reward) for s in speedups]
    return PhiInterval(values[0], min(values), max(values), False)


def separated(x: PhiInterval, y: PhiInterval, cv_x: float | None, cv_y: float | None,
              config: LabelConfig) -> bool:
    """True when two valid programs' Φ differ beyond timing noise (see the module docstring)."""
    delta = abs(x.value - y.value)
    if delta < config.min_margin:
        return False
    if x.low <= y.high and y.low <= x.high:  # interquartile intervals overlap
        return False
    if config.cv_z > 0 and config.reward.speed_weight:
        noise = config.cv_z * config.reward.speed_weight * math.hypot(cv_x or 0.0, cv_y or 0.0)
        if delta <= noise:
            return False
    return True


def label_pairs(programs: Sequence[ScoredProgram], original: ScoreRecord,
                config: LabelConfig) -> tuple[list[Pair], LabelStats]:
    """All labelled pairs among the programs of one problem (see the module docstring)."""
    stats = LabelStats()
    if not programs:
        return [], stats
    problem = programs[0].problem
    if any(p.problem != problem for p in programs):
        raise ValueError("label_pairs takes the programs of one problem")
    rng = np.random.default_rng([config.seed, zlib.crc32(problem.encode())])
    phis = [phi_interval(p.record, original, config.reward) for p in programs]
    pairs: list[Pair] = []
    for i in range(len(programs)):
        for j in range(i + 1, len(programs)):
            x, y = phis[i], phis[j]
            if (x is not None and x.broken) and (y is not None and y.broken):
                stats.dropped_both_broken += 1
                continue
            if x is None or y is None:
                stats.dropped_unmeasured += 1
                continue
            if x.broken or y.broken:
                kind = VALID_VS_BROKEN
            elif separated(x, y, programs[i].record.speedup_cv, programs[j].record.speedup_cv, config):
                kind = VALID_VS_VALID
            else:
                stats.dropped_tie += 1
                continue
            setattr(stats, kind, getattr(stats, kind) + 1)
            first, second, delta = (i, j, x.value - y.value) if rng.random() < 0.5 else (j, i, y.value - x.value)
            pairs.append(Pair(problem=problem, split=programs[i].split, a=programs[first].uid,
                              b=programs[second].uid, label=int(delta > 0), kind=kind, delta=float(delta)))
    return pairs, stats


def label_dataset(programs: Iterable[ScoredProgram], config: LabelConfig) -> tuple[list[Pair], dict[str, LabelStats]]:
    """Labels every problem's programs against its original; stats per split."""
    by_problem: dict[str, list[ScoredProgram]] = collections.defaultdict(list)
    for program in programs:
        by_problem[program.problem].append(program)
    pairs: list[Pair] = []
    stats: dict[str, LabelStats] = collections.defaultdict(LabelStats)
    for problem in sorted(by_problem):
        group = by_problem[problem]
        original = next((p.record for p in group if p.origin == "original"), None)
        split = group[0].split
        if original is None or is_broken(original, config.reward):
            stats[split].problems_without_original += 1
            continue
        problem_pairs, problem_stats = label_pairs(group, original, config)
        pairs.extend(problem_pairs)
        stats[split].add(problem_stats)
    return pairs, dict(stats)


# ---------------------------------------------------------------------------
# Files.


@dataclasses.dataclass(frozen=True)
class PairDataset:
    programs: dict[str, ScoredProgram]  # by uid
    pairs: list[Pair]
    manifest: dict[str, Any]

    def split_pairs(self, split: str) -> list[Pair]:
        return [p for p in self.pairs if p.split == split]


def _write_jsonl(path: pathlib.Path, rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, sort_keys=True) + "\n")


def _read_jsonl(path: pathlib.Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_dataset(directory: str | pathlib.Path, programs: Sequence[ScoredProgram], pairs: Sequence[Pair],
                  manifest: dict[str, Any]) -> pathlib.Path:
    """Writes programs.jsonl, pairs.jsonl and manifest.json into directory."""
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    _write_jsonl(directory / PROGRAMS_FILE, (p.to_json() for p in programs))
    _write_jsonl(directory / PAIRS_FILE, (p.to_json() for p in pairs))
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return directory


def load_programs(directory: str | pathlib.Path) -> list[ScoredProgram]:
    return [ScoredProgram.from_json(row) for row in _read_jsonl(pathlib.Path(directory) / PROGRAMS_FILE)]


def load_dataset(directory: str | pathlib.Path) -> PairDataset:
    """Reads a directory written by write_dataset; checks every pair names known programs."""
    directory = pathlib.Path(directory)
    programs = {p.uid: p for p in load_programs(directory)}
    pairs = [Pair(**row) for row in _read_jsonl(directory / PAIRS_FILE)]
    missing = {uid for pair in pairs for uid in (pair.a, pair.b)} - programs.keys()
    if missing:
        raise ValueError(f"{directory}: pairs name unknown programs, e.g. {sorted(missing)[:3]}")
    manifest_path = directory / MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    return PairDataset(programs=programs, pairs=pairs, manifest=manifest)


def summary_counts(programs: Sequence[ScoredProgram], pairs: Sequence[Pair], stats: dict[str, LabelStats],
                   reward: RewardConfig) -> dict[str, Any]:
    """Per-split counts of problems, programs, broken programs and pairs (for the manifest)."""
    counts: dict[str, Any] = {}
    for split in sorted({p.split for p in programs}):
        members = [p for p in programs if p.split == split]
        counts[split] = {
            "problems": len({p.problem for p in members}),
            "programs": len(members),
            "broken_programs": sum(is_broken(p.record, reward) for p in members),
            "programs_by_origin": dict(collections.Counter(p.origin for p in members)),
            "pairs": sum(p.split == split for p in pairs),
            "label_stats": dataclasses.asdict(stats.get(split, LabelStats())),
        }
    return counts
