"""Return the lines that come before the first line equal to marker (all lines if it is absent)."""

FAMILY = "append_loop"
ENTRY_POINT = "lines_before_marker"


def lines_before_marker(lines, marker):
    body = []
    for line in lines:
        if line == marker:
            break
        body.append(line)
    return body


def reference(lines, marker):
    try:
        return lines[:lines.index(marker)]
    except ValueError:
        return list(lines)


def check(candidate):
    assert candidate([], "---") == []
    assert candidate(["---"], "---") == []
    assert candidate(["a"], "---") == ["a"]
    assert candidate(["a", "b", "---", "c"], "---") == ["a", "b"]
    assert candidate(["a", "---", "b", "---"], "---") == ["a"]
    assert candidate(["a", "a", "b"], "---") == ["a", "a", "b"]
    assert candidate(["x", "--- ", "y"], "---") == ["x", "--- ", "y"]
    assert candidate(["", "", "end"], "") == []


def workload():
    import random
    rng = random.Random(3)
    calls = []
    for _ in range(12):
        header = [f"{rng.choice(['Host', 'Accept', 'X-Trace'])}: {rng.randint(0, 10**6)}" for _ in range(rng.randint(4000, 8000))]
        body = [f"payload {n}" for n in range(200)]
        calls.append((header + [""] + body, ""))
    calls.append((calls[0][0][:3000], "<missing>"))
    return calls
