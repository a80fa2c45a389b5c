"""Index of the first temperature sample above limit, or -1 if the limit is never exceeded."""

FAMILY = "while_index"
ENTRY_POINT = "first_overheat_index"


def first_overheat_index(temperatures, limit):
    i = 0
    while i < len(temperatures):
        if temperatures[i] > limit:
            return i
        i += 1
    return -1


def reference(temperatures, limit):
    for i, temperature in enumerate(temperatures):
        if temperature > limit:
            return i
    return -1


def check(candidate):
    assert candidate([], 50) == -1
    assert candidate([40], 50) == -1
    assert candidate([60], 50) == 0
    assert candidate([50, 50], 50) == -1
    assert candidate([10, 20, 51, 90], 50) == 2
    assert candidate([-5, -3, -1], -4) == 1
    assert candidate([55, 55, 55], 54) == 0
    temps = [1, 99]
    assert candidate(temps, 10) == 1
    assert temps == [1, 99]


def workload():
    import random
    rng = random.Random(116)
    calls = []
    for _ in range(4):
        temps = [rng.randint(20, 79) for _ in range(8000)]
        temps[rng.randint(6000, 7999)] = 95
        calls.append((temps, 80))
    calls.append(([rng.randint(20, 79) for _ in range(8000)], 80))
    return calls
