"""Return the sensor readings that exceed the average of the whole series."""

FAMILY = "repeated_calls"
ENTRY_POINT = "readings_above_average"


def readings_above_average(readings):
    above = []
    for reading in readings:
        if reading * len(readings) > sum(readings):
            above.append(reading)
    return above


def reference(readings):
    total = sum(readings)
    count = len(readings)
    return [reading for reading in readings if reading * count > total]


def check(candidate):
    assert candidate([]) == []
    assert candidate([5]) == []
    assert candidate([1, 2, 3]) == [3]
    assert candidate([4, 4, 4]) == []
    assert candidate([-3, -1, 10, 2]) == [10]
    assert candidate([1, 9, 9, 1]) == [9, 9]


def workload():
    import random
    rng = random.Random(31)
    return [([rng.randint(-50, 400) for _ in range(rng.randint(100, 300))],) for _ in range(12)]
