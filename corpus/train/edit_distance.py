"""Return the Levenshtein edit distance between two short product codes."""

FAMILY = "naive_recursion"
ENTRY_POINT = "edit_distance"


def edit_distance(source, target):
    def distance(i, j):
        if i == len(source):
            return len(target) - j
        if j == len(target):
            return len(source) - i
        if source[i] == target[j]:
            return distance(i + 1, j + 1)
        return 1 + min(distance(i + 1, j), distance(i, j + 1), distance(i + 1, j + 1))

    return distance(0, 0)


def reference(source, target):
    previous = list(range(len(target) + 1))
    for i, a in enumerate(source, start=1):
        current = [i]
        for j, b in enumerate(target, start=1):
            if a == b:
                current.append(previous[j - 1])
            else:
                current.append(1 + min(previous[j], current[j - 1], previous[j - 1]))
        previous = current
    return previous[-1]


def check(candidate):
    assert candidate("", "") == 0
    assert candidate("", "abc") == 3
    assert candidate("abc", "") == 3
    assert candidate("same", "same") == 0
    assert candidate("kitten", "sitting") == 3
    assert candidate("flaw", "lawn") == 2
    assert candidate("a", "b") == 1
    assert candidate("ab", "ba") == 2


def workload():
    import random
    rng = random.Random(43)
    calls = []
    for _ in range(4):
        a = "".join(rng.choice("ABCD") for _ in range(7))
        b = "".join(rng.choice("ABCD") for _ in range(7))
        calls.append((a, b))
    return calls
