"""Count the votes for each candidate, skipping spoiled ballots (None)."""

FAMILY = "dict_counting"
ENTRY_POINT = "tally_ballots"


def tally_ballots(ballots):
    tally = {}
    for choice in ballots:
        if choice is not None:
            tally[choice] = tally.get(choice, 0) + 1
    return tally


def reference(ballots):
    from collections import Counter

    tally = Counter(ballots)
    tally.pop(None, None)
    return dict(tally)


def check(candidate):
    assert candidate([]) == {}
    assert candidate([None]) == {}
    assert candidate(["ada"]) == {"ada": 1}
    assert candidate(["ada", "bob", "ada"]) == {"ada": 2, "bob": 1}
    assert candidate([None, "bob", None, "bob"]) == {"bob": 2}
    assert candidate(["", "Ada", "ada"]) == {"": 1, "Ada": 1, "ada": 1}
    assert list(candidate(["c", "a", "c", "b"])) == ["c", "a", "b"]
    assert candidate([3, 3, 7]) == {3: 2, 7: 1}


def workload():
    import random
    rng = random.Random(107)
    candidates = [f"candidate_{n}" for n in range(12)] + [None]
    return [([rng.choice(candidates) for _ in range(8000)],) for _ in range(4)]
