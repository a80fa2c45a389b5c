"""Indices of the rows of a grid (a list of tuples) that contain value."""

FAMILY = "needless_copies"
ENTRY_POINT = "rows_containing_value"


def rows_containing_value(grid, value):
    hits = []
    for index, row in enumerate(list(grid)):
        cells = list(row)
        if value in cells:
            hits.append(index)
    return hits


def reference(grid, value):
    return [index for index, row in enumerate(grid) if value in row]


def check(candidate):
    assert candidate([], 1) == []
    assert candidate([()], 1) == []
    assert candidate([(1,)], 1) == [0]
    assert candidate([(1, 2), (3, 4), (2, 5)], 2) == [0, 2]
    assert candidate([(1, 1, 1), (0, 0)], 1) == [0]
    assert candidate([(-3, 4), (4, -3)], -3) == [0, 1]
    assert candidate([(1, 2), (3, 4)], 9) == []
    grid = [(1, 2), (2, 3)]
    candidate(grid, 2)
    assert grid == [(1, 2), (2, 3)]


def workload():
    import random
    rng = random.Random(112)
    return [
        ([tuple(rng.randint(0, 99) for _ in range(12)) for _ in range(4000)], rng.randint(0, 99))
        for _ in range(3)
    ]
