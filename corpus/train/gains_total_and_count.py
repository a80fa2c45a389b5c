"""Return (sum of the positive daily changes, number of positive days)."""

FAMILY = "manual_reduce"
ENTRY_POINT = "gains_total_and_count"


def gains_total_and_count(daily_changes):
    total = 0
    count = 0
    for change in daily_changes:
        if change > 0:
            total += change
            count += 1
    return total, count


def reference(daily_changes):
    gains = [change for change in daily_changes if change > 0]
    return sum(gains), len(gains)


def check(candidate):
    assert candidate([]) == (0, 0)
    assert candidate([5]) == (5, 1)
    assert candidate([-5]) == (0, 0)
    assert candidate([0, 0, 0]) == (0, 0)
    assert candidate([3, -2, 3, 0, 7]) == (13, 3)
    assert candidate([-1, -2, -3]) == (0, 0)
    assert candidate([10**15, 1]) == (10**15 + 1, 2)


def workload():
    import random
    rng = random.Random(9)
    return [([rng.randint(-4000, 4000) for _ in range(20000)],) for _ in range(4)]
