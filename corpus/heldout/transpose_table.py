"""Transpose a rectangular table given as a list of equal-length rows."""

FAMILY = "range_len"
ENTRY_POINT = "transpose_table"


def transpose_table(rows):
    if not rows:
        return []
    columns = []
    for j in range(len(rows[0])):
        column = []
        for i in range(len(rows)):
            column.append(rows[i][j])
        columns.append(column)
    return columns


def reference(rows):
    return [list(column) for column in zip(*rows)]


def check(candidate):
    assert candidate([]) == []
    assert candidate([[]]) == []
    assert candidate([[7]]) == [[7]]
    assert candidate([[1, 2, 3]]) == [[1], [2], [3]]
    assert candidate([[1], [2], [3]]) == [[1, 2, 3]]
    assert candidate([[1, 2], [3, 4], [5, 6]]) == [[1, 3, 5], [2, 4, 6]]
    assert candidate([("a", "b"), ("c", "d")]) == [["a", "c"], ["b", "d"]]
    rows = [[1, 2], [3, 4]]
    candidate(rows)
    assert rows == [[1, 2], [3, 4]]


def workload():
    import random
    rng = random.Random(104)
    return [
        ([[rng.randint(-999, 999) for _ in range(40)] for _ in range(150)],)
        for _ in range(8)
    ]
