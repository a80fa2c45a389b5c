"""The composite score Φ of a program and the per-step shaped reward r_t = Φ(s_{t+1}) − Φ(s_t).

Φ is measured relative to the problem's original program, so Φ(original) = 0 and an
episode's return telescopes to Φ(final): the improvement the agent made.

  Φ = w_speed      * clip(log speedup)                        (timing mode)
    + w_opcount    * clip(−log(op_count / op_count_original)) (deterministic mode)
    + w_cost       * clip(−log(cost / cost_original))         (deterministic: the cost model)
    + w_brevity    * −log(tokens / tokens_original)
    + w_complexity * −(complexity − complexity_original) / complexity_original

A program that fails its tests, crashes, or differs from the original on the
workload (when the differential gate is on) gets Φ = −broken_penalty instead: it
can never earn a speedup or brevity bonus.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Iterable

from codeopt_jax.scoring import ScoreOptions, ScoreRecord
from codeopt_jax.scoring.records import MISMATCH, OK
from codeopt_jax.validation import check_fields


@dataclasses.dataclass(frozen=True)
class RewardConfig:
    """Weights of Φ and the measurements they need."""

    speed_weight: float = 0.0        # log paired speedup (needs timing; noisy)
    opcount_weight: float = 1.0      # −log executed-instruction ratio (deterministic)
    cost_weight: float = 0.0         # −log modelled-cost ratio (deterministic; sees C-level work)
    brevity_weight: float = 0.1      # −log token-count ratio
    complexity_weight: float = 0.0   # relative cyclomatic-complexity reduction
    model_weight: float = 0.0        # learned reward model: s(program) − s(original) (env adds it)
    broken_penalty: float = 2.0      # Φ of a program failing a gate
    require_tests: bool = True       # gate: the problem's check must pass
    require_differential: bool = True  # gate: outputs must match the original's on the workload
    log_clip: float = 5.0            # |log ratio| cap, so one memoization does not dwarf everything
    timing_rounds: int = 5           # paired timing rounds per measurement

    def __post_init__(self) -> None:
        weights = ("speed_weight", "opcount_weight", "cost_weight", "brevity_weight", "complexity_weight",
                   "model_weight")
        check_fields(self, finite=weights + ("broken_penalty",), non_negative=("broken_penalty",),
                     positive=("log_clip", "timing_rounds"))

    @property
    def score_options(self) -> ScoreOptions:
        """What the scoring service must measure for this Φ."""
        return ScoreOptions(tests=self.require_tests, differential=self.require_differential,
                            timing=self.speed_weight != 0.0, opcount=self.opcount_weight != 0.0,
                            cost=self.cost_weight != 0.0, timing_rounds=self.timing_rounds)

    @property
    def deterministic(self) -> bool:
        return self.speed_weight == 0.0


def reward_preset(name: str, **overrides) -> RewardConfig:
    """Named presets: "opcount" and "cost" (deterministic) and "timing" (wall-clock speedup)."""
    presets = {
        "opcount": RewardConfig(speed_weight=0.0, opcount_weight=1.0),
        "cost": RewardConfig(speed_weight=0.0, opcount_weight=0.0, cost_weight=1.0),
        "timing": RewardConfig(speed_weight=1.0, opcount_weight=0.0),
    }
    if name not in presets:
        raise ValueError(f"unknown reward {name!r}; expected one of {sorted(presets)}")
    return dataclasses.replace(presets[name], **overrides)


def is_broken(record: ScoreRecord, config: RewardConfig) -> bool:
    """True when the program fails a gate Φ enforces."""
    if record.status != OK:
        return True
    return config.require_differential and record.differential == MISMATCH


def _clipped_log(ratio: float | None, clip: float) -> float:
    if ratio is None or not ratio > 0 or not math.isfinite(ratio):
        return 0.0
    return max(-clip, min(clip, math.log(ratio)))


def potential(record: ScoreRecord, original: ScoreRecord, config: RewardConfig) -> float:
    """Φ of a program given its record and the original program's record."""
    if is_broken(record, config):
        return -config.broken_penalty
    value = 0.0
    if config.speed_weight:
        value += config.speed_weight * _clipped_log(record.speedup, config.log_clip)
    if config.opcount_weight:
        value -= config.opcount_weight * _clipped_log(record.op_ratio, config.log_clip)
    if config.cost_weight:
        value -= config.cost_weight * _clipped_log(record.cost_ratio, config.log_clip)
    if record.static is not None and original.static is not None:
        if config.brevity_weight and original.static.tokens:
            value -= config.brevity_weight * _clipped_log(
                record.static.tokens / original.static.tokens, config.log_clip)
        if config.complexity_weight and original.static.complexity:
            value -= config.complexity_weight * (
                record.static.complexity - original.static.complexity) / original.static.complexity
    return value


def geomean(values: Iterable[float | None]) -> float:
    """Geometric mean of the positive values (speedups); NaN when there are none."""
    positive = [v for v in values if v is not None and v > 0]
    return math.exp(sum(map(math.log, positive)) / len(positive)) if positive else float("nan")


def timed_or_counted_speedup(record: ScoreRecord) -> float | None:
    """The speedup a report shows: the timed one if measured, else the op-count (or modelled-cost) ratio inverse."""
    if record.speedup is not None:
        return record.speedup
    if record.op_ratio:
        return 1.0 / record.op_ratio
    if record.cost_ratio:
        return 1.0 / record.cost_ratio
    return None
