"""Return the positions of the log entries whose status equals the given code."""

FAMILY = "range_len"
ENTRY_POINT = "indices_of_status"


def indices_of_status(statuses, code):
    positions = []
    for i in range(len(statuses)):
        if statuses[i] == code:
            positions.append(i)
    return positions


def reference(statuses, code):
    positions = []
    index = statuses.index
    start = 0
    try:
        while True:
            found = index(code, start)
            positions.append(found)
            start = found + 1
    except ValueError:
        return positions


def check(candidate):
    assert candidate([], "500") == []
    assert candidate(["500"], "500") == [0]
    assert candidate(["200"], "500") == []
    assert candidate(["500", "500", "500"], "500") == [0, 1, 2]
    assert candidate(["200", "500", "404", "500"], "500") == [1, 3]
    assert candidate([200, -1, 200], -1) == [1]
    assert candidate(["200", "404", "200"], "200") == [0, 2]


def workload():
    import random
    rng = random.Random(13)
    codes = ["200"] * 40 + ["301", "304", "404", "404", "500"]
    calls = []
    for _ in range(4):
        statuses = [rng.choice(codes) for _ in range(12000)]
        calls.append((statuses, "404"))
        calls.append((statuses, "500"))
    return calls
