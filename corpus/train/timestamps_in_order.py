"""Report whether a list of log timestamps never goes backwards."""

FAMILY = "manual_reduce"
ENTRY_POINT = "timestamps_in_order"


def timestamps_in_order(timestamps):
    for earlier, later in zip(timestamps, timestamps[1:]):
        if earlier > later:
            return False
    return True


def reference(timestamps):
    ordered = sorted(timestamps)
    return ordered == list(timestamps)


def check(candidate):
    assert candidate([]) is True
    assert candidate([42]) is True
    assert candidate([1, 2, 3]) is True
    assert candidate([5, 5, 5]) is True
    assert candidate([2, 1]) is False
    assert candidate([1, 2, 3, 2, 4]) is False
    assert candidate([-10, -3, 0, 7]) is True
    assert candidate((1, 3, 2)) is False


def workload():
    import random
    rng = random.Random(10)
    calls = []
    for n in range(10):
        t = 1_700_000_000
        stamps = []
        for _ in range(8000):
            t += rng.randint(0, 5)
            stamps.append(t)
        if n == 9:
            stamps[-20], stamps[-19] = stamps[-19] + 1, stamps[-20]
        calls.append((stamps,))
    return calls
