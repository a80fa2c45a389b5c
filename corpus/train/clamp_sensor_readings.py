"""Clamp every sensor reading into the closed range [low, high]."""

FAMILY = "append_loop"
ENTRY_POINT = "clamp_sensor_readings"


def clamp_sensor_readings(readings, low, high):
    clamped = []
    for reading in readings:
        clamped.append(min(max(reading, low), high))
    return clamped


def reference(readings, low, high):
    return [low if r < low else high if r > high else r for r in readings]


def check(candidate):
    assert candidate([], 0, 10) == []
    assert candidate([5], 0, 10) == [5]
    assert candidate([-3], 0, 10) == [0]
    assert candidate([42], 0, 10) == [10]
    assert candidate([0, 10, 11, -1], 0, 10) == [0, 10, 10, 0]
    assert candidate([-50, -20, -5], -30, -10) == [-30, -20, -10]
    assert candidate([7, 7, 7], 7, 7) == [7, 7, 7]
    assert candidate([1, 2, 3], 2, 2) == [2, 2, 2]


def workload():
    import random
    rng = random.Random(0)
    return [([rng.randint(-200, 1200) for _ in range(8000)], 0, 1000) for _ in range(2)]
