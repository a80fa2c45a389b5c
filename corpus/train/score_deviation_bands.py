"""Give each exam score its distance from a baseline in standard deviations, rounded down."""

import math

FAMILY = "loop_invariant"
ENTRY_POINT = "score_deviation_bands"


def score_deviation_bands(scores, baseline, variance):
    bands = []
    for score in scores:
        z = (score - baseline) / math.sqrt(variance)
        bands.append(math.floor(z))
    return bands


def reference(scores, baseline, variance):
    spread = math.sqrt(variance)
    floor = math.floor
    return [floor((score - baseline) / spread) for score in scores]


def check(candidate):
    assert candidate([], 0, 1) == []
    assert candidate([10], 10, 4) == [0]
    assert candidate([12, 8], 10, 4) == [1, -1]
    assert candidate([11, 9], 10, 4) == [0, -1]
    assert candidate([1, 2, 3], 0, 9) == [0, 0, 1]
    assert candidate([-5, -5], 5, 25) == [-2, -2]
    assert candidate([7.5], 2.5, 2) == [3]


def workload():
    import random
    rng = random.Random(21)
    calls = []
    for _ in range(50):
        scores = [rng.randint(0, 100) for _ in range(600)]
        calls.append((scores, rng.randint(40, 60), rng.randint(50, 400)))
    return calls
