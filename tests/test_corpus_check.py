"""corpus_check: a voided timing of a trusted reference is measured again, not reported as broken."""

from __future__ import annotations

import dataclasses

from codeopt_jax import corpus_check
from codeopt_jax.scoring.records import OK, VOIDED, ScoreRecord


@dataclasses.dataclass
class ScriptedService:
    """Answers timed scorings from a script of statuses, one per call; untimed ones pass."""

    timed_statuses: list[str]
    fresh_calls: int = 0

    def score_many(self, items, options, fresh=False):
        self.fresh_calls += fresh
        if not options.timing:
            return [ScoreRecord(status=OK, tests_total=4) for _ in items]
        status = self.timed_statuses.pop(0)
        if status == VOIDED:
            return [ScoreRecord(status=VOIDED, detail="the original process used 3.0 ms of CPU") for _ in items]
        return [ScoreRecord(status=OK, speedup=2.0, speedup_low=1.9, speedup_high=2.1, time_original=0.004)
                for _ in items]


def test_a_voided_reference_timing_is_measured_again(tiny_problem):
    service = ScriptedService([VOIDED, OK])
    rows, errors, _ = corpus_check.check_problems([tiny_problem], service)
    assert errors == [] and service.fresh_calls == 1
    assert rows[0].reference_speedup == 2.0 and rows[0].workload_ms == 4.0


def test_a_reference_voided_every_time_is_reported_with_the_reason(tiny_problem):
    service = ScriptedService([VOIDED] * (1 + corpus_check.VOIDED_RETRIES))
    rows, errors, _ = corpus_check.check_problems([tiny_problem], service)
    assert rows == [] and service.fresh_calls == corpus_check.VOIDED_RETRIES
    assert "could not be timed honestly" in errors[0].problem and "3.0 ms of CPU" in errors[0].problem
