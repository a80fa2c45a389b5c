"""The lowest and highest (major, minor, patch) versions in a release list."""

FAMILY = "sort_extremum"
ENTRY_POINT = "oldest_and_newest_version"


def oldest_and_newest_version(versions):
    if not versions:
        return None
    ordered = sorted(versions)
    return ordered[0], ordered[-1]


def reference(versions):
    if not versions:
        return None
    return min(versions), max(versions)


def check(candidate):
    assert candidate([]) is None
    assert candidate([(1, 0, 0)]) == ((1, 0, 0), (1, 0, 0))
    assert candidate([(1, 2, 3), (1, 10, 0), (1, 2, 10)]) == ((1, 2, 3), (1, 10, 0))
    assert candidate([(2, 0, 0), (0, 9, 9)]) == ((0, 9, 9), (2, 0, 0))
    assert candidate([(3, 1, 4), (3, 1, 4)]) == ((3, 1, 4), (3, 1, 4))
    assert candidate([(0, 0, 1), (0, 0, 0), (0, 1, 0)]) == ((0, 0, 0), (0, 1, 0))
    releases = [(5, 0, 0), (4, 0, 0)]
    candidate(releases)
    assert releases == [(5, 0, 0), (4, 0, 0)]


def workload():
    import random
    rng = random.Random(114)
    return [
        ([(rng.randint(0, 5), rng.randint(0, 30), rng.randint(0, 50)) for _ in range(rng.randint(300, 900))],)
        for _ in range(16)
    ]
