"""Give each competitor's score its standard competition rank (1 = best, ties share a rank)."""

FAMILY = "repeated_calls"
ENTRY_POINT = "competition_ranks"


def competition_ranks(scores):
    ranks = []
    for score in scores:
        ordered = sorted(scores, reverse=True)
        ranks.append(ordered.index(score) + 1)
    return ranks


def reference(scores):
    first_position = {}
    for position, score in enumerate(sorted(scores, reverse=True), start=1):
        if score not in first_position:
            first_position[score] = position
    return [first_position[score] for score in scores]


def check(candidate):
    assert candidate([]) == []
    assert candidate([7]) == [1]
    assert candidate([10, 30, 20]) == [3, 1, 2]
    assert candidate([5, 5, 3]) == [1, 1, 3]
    assert candidate([2, 9, 9, 9, 1]) == [4, 1, 1, 1, 5]
    assert candidate([-1, -3, -2]) == [1, 3, 2]
    assert candidate([0, 0, 0]) == [1, 1, 1]


def workload():
    import random
    rng = random.Random(32)
    return [([rng.randint(0, 1000) for _ in range(rng.randint(40, 120))],) for _ in range(20)]
