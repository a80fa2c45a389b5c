"""Split a sensor trace into fixed-size windows and return the peak of each full window."""

FAMILY = "needless_copies"
ENTRY_POINT = "window_peaks"


def window_peaks(samples, window):
    data = list(samples[:])
    peaks = []
    for start in range(0, len(data) - window + 1, window):
        chunk = list(data[start:start + window])
        peaks.append(max(list(chunk)))
    return peaks


def reference(samples, window):
    starts = range(0, len(samples) - window + 1, window)
    return [max(samples[start:start + window]) for start in starts]


def check(candidate):
    assert candidate([], 3) == []
    assert candidate([1, 2], 3) == []
    assert candidate([4, 1, 9], 3) == [9]
    assert candidate([1, 5, 2, 8, 3], 2) == [5, 8]
    assert candidate([-3, -7, -1, -2], 2) == [-3, -1]
    assert candidate([2, 2, 2, 2], 1) == [2, 2, 2, 2]
    assert candidate([0, 10, 5, 5, 10, 0], 3) == [10, 10]


def workload():
    import random
    rng = random.Random(63)
    calls = []
    for window in (4, 8, 16, 32):
        trace = [rng.randint(-1000, 1000) for _ in range(6000)]
        calls.append((trace, window))
    return calls
