"""Count monotone routes (right or down moves) across a warehouse grid that avoid blocked cells."""

FAMILY = "naive_recursion"
ENTRY_POINT = "count_grid_routes"


def count_grid_routes(rows, cols, blocked):
    def routes(r, c):
        if r >= rows or c >= cols or (r, c) in blocked:
            return 0
        if r == rows - 1 and c == cols - 1:
            return 1
        return routes(r + 1, c) + routes(r, c + 1)

    return routes(0, 0)


def reference(rows, cols, blocked):
    if rows <= 0 or cols <= 0:
        return 0
    below = [0] * (cols + 1)
    for r in range(rows - 1, -1, -1):
        row = [0] * (cols + 1)
        for c in range(cols - 1, -1, -1):
            if (r, c) in blocked:
                row[c] = 0
            elif r == rows - 1 and c == cols - 1:
                row[c] = 1
            else:
                row[c] = below[c] + row[c + 1]
        below = row
    return below[0]


def check(candidate):
    assert candidate(0, 5, frozenset()) == 0
    assert candidate(1, 1, frozenset()) == 1
    assert candidate(1, 1, frozenset({(0, 0)})) == 0
    assert candidate(2, 2, frozenset()) == 2
    assert candidate(3, 3, frozenset()) == 6
    assert candidate(3, 3, frozenset({(1, 1)})) == 2
    assert candidate(3, 4, frozenset({(2, 3)})) == 0
    assert candidate(4, 4, frozenset({(0, 1), (2, 2)})) == 4


def workload():
    import random
    rng = random.Random(41)
    calls = []
    for _ in range(3):
        cells = {(rng.randrange(8), rng.randrange(8)) for _ in range(3)}
        cells.discard((0, 0))
        cells.discard((7, 7))
        calls.append((8, 8, frozenset(cells)))
    return calls
