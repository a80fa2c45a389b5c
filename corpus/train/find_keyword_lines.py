"""Return the line numbers of a document whose text mentions a keyword, ignoring case."""

FAMILY = "loop_invariant"
ENTRY_POINT = "find_keyword_lines"


def find_keyword_lines(lines, keyword):
    matches = []
    for number, line in enumerate(lines, start=1):
        if keyword.strip().lower() in line.lower():
            matches.append(number)
    return matches


def reference(lines, keyword):
    needle = keyword.strip().lower()
    return [number for number, line in enumerate(lines, start=1) if needle in line.lower()]


def check(candidate):
    assert candidate([], "error") == []
    assert candidate(["Error here"], "error") == [1]
    assert candidate(["ok", "fine", "ERROR: disk"], "  Error ") == [3]
    assert candidate(["a", "b"], "c") == []
    assert candidate(["warn", "WARN", "warning"], "warn") == [1, 2, 3]
    assert candidate(["x", "y"], "") == [1, 2]
    assert candidate(["timeout after 3s", "Timeout"], "TIMEOUT") == [1, 2]


def workload():
    import random
    rng = random.Random(22)
    words = ["disk", "Timeout", "user", "login", "ERROR", "retry", "ok", "cache", "miss", "Request"]
    lines = [" ".join(rng.choice(words) for _ in range(rng.randint(2, 6))) for _ in range(8000)]
    return [(lines, " Timeout "), (lines[:4000], "error")]
