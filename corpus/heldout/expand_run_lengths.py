"""Decode a run-length encoding given as (value, count) pairs into the full sequence."""

FAMILY = "append_loop"
ENTRY_POINT = "expand_run_lengths"


def expand_run_lengths(runs):
    expanded = []
    for value, count in runs:
        for _ in range(count):
            expanded.append(value)
    return expanded


def reference(runs):
    expanded = []
    extend = expanded.extend
    for value, count in runs:
        if count > 0:
            extend([value] * count)
    return expanded


def check(candidate):
    assert candidate([]) == []
    assert candidate([("a", 0)]) == []
    assert candidate([("a", 1)]) == ["a"]
    assert candidate([("a", 3), ("b", 2)]) == ["a", "a", "a", "b", "b"]
    assert candidate([(0, 2), (0, 1)]) == [0, 0, 0]
    assert candidate([(-1, 2), ("x", 0), (5, 1)]) == [-1, -1, 5]
    assert candidate([("z", -3)]) == []
    runs = [("q", 2)]
    candidate(runs)
    assert runs == [("q", 2)]


def workload():
    import random
    rng = random.Random(101)
    return [
        ([(rng.randint(0, 255), rng.randint(0, 30)) for _ in range(800)],)
        for _ in range(8)
    ]
