"""The lines of a text file with surrounding whitespace removed, dropping blank ones."""

FAMILY = "filter_map_loop"
ENTRY_POINT = "nonblank_stripped_lines"


def nonblank_stripped_lines(lines):
    cleaned = []
    for line in lines:
        if line.strip():
            cleaned.append(line.strip())
    return cleaned


def reference(lines):
    return list(filter(None, map(str.strip, lines)))


def check(candidate):
    assert candidate([]) == []
    assert candidate([""]) == []
    assert candidate(["   \t\n"]) == []
    assert candidate(["  key = value\n"]) == ["key = value"]
    assert candidate(["a\n", "\n", " b ", "a\n"]) == ["a", "b", "a"]
    assert candidate(["x y", "\tz\t"]) == ["x y", "z"]
    assert candidate(["0", " 0 "]) == ["0", "0"]
    lines = [" keep "]
    candidate(lines)
    assert lines == [" keep "]


def workload():
    import random
    rng = random.Random(102)
    words = ["host", "port", "=", "8080", "#", "timeout", "retries", "name", "[server]"]
    calls = []
    for _ in range(7):
        lines = []
        for _ in range(5000):
            if rng.random() < 0.3:
                lines.append(" " * rng.randint(0, 4) + "\n")
            else:
                body = " ".join(rng.choice(words) for _ in range(rng.randint(1, 4)))
                lines.append(" " * rng.randint(0, 6) + body + "\n")
        calls.append((lines,))
    return calls
