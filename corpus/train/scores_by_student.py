"""Build a name -> score dict from parallel lists of student names and scores (later entries win)."""

FAMILY = "range_len"
ENTRY_POINT = "scores_by_student"


def scores_by_student(names, scores):
    lookup = {}
    for i in range(len(names)):
        lookup[names[i]] = scores[i]
    return lookup


def reference(names, scores):
    return dict(zip(names, scores))


def check(candidate):
    assert candidate([], []) == {}
    assert candidate(["ada"], [91]) == {"ada": 91}
    assert candidate(["ada", "bob"], [91, 78]) == {"ada": 91, "bob": 78}
    assert candidate(["ada", "ada"], [50, 60]) == {"ada": 60}
    assert candidate(["x", "y"], [-3, 0]) == {"x": -3, "y": 0}
    assert list(candidate(["c", "a", "b"], [1, 2, 3])) == ["c", "a", "b"]
    assert candidate(["p", "q"], [1, 2, 3]) == {"p": 1, "q": 2}


def workload():
    import random
    rng = random.Random(12)
    calls = []
    for _ in range(6):
        names = [f"student_{rng.randint(0, 2000):05d}" for _ in range(8000)]
        scores = [rng.randint(0, 100) for _ in range(8000)]
        calls.append((names, scores))
    return calls
