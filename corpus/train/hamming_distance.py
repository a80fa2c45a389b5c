"""Count the positions at which two equal-length DNA sequences differ."""

FAMILY = "range_len"
ENTRY_POINT = "hamming_distance"


def hamming_distance(first, second):
    if len(first) != len(second):
        raise ValueError("sequences must have the same length")
    mismatches = 0
    for i in range(len(first)):
        if first[i] != second[i]:
            mismatches += 1
    return mismatches


def reference(first, second):
    from operator import ne
    if len(first) != len(second):
        raise ValueError("sequences must have the same length")
    return sum(map(ne, first, second))


def check(candidate):
    assert candidate("", "") == 0
    assert candidate("A", "A") == 0
    assert candidate("A", "T") == 1
    assert candidate("GATTACA", "GATTACA") == 0
    assert candidate("GAGCCTACTAACGGGAT", "CATCGTAATGACGGCCT") == 7
    assert candidate("AAAA", "TTTT") == 4
    assert candidate([1, -2, 3], [1, 2, 3]) == 1
    try:
        candidate("AC", "A")
    except ValueError:
        pass
    else:
        raise AssertionError("length mismatch must raise ValueError")


def workload():
    import random
    rng = random.Random(11)
    calls = []
    for _ in range(4):
        first = "".join(rng.choice("ACGT") for _ in range(8000))
        second = "".join(base if rng.random() < 0.9 else rng.choice("ACGT") for base in first)
        calls.append((first, second))
    return calls
