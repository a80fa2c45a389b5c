"""Count how many access-log lines carry each HTTP status code."""

FAMILY = "dict_counting"
ENTRY_POINT = "count_status_codes"


def count_status_codes(log_lines):
    counts = {}
    for line in log_lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        code = parts[2]
        if code in counts:
            counts[code] += 1
        else:
            counts[code] = 1
    return counts


def reference(log_lines):
    from collections import Counter
    return dict(Counter([parts[2] for parts in map(str.split, log_lines) if len(parts) >= 3]))


def check(candidate):
    assert candidate([]) == {}
    assert candidate(["GET /index 200"]) == {"200": 1}
    assert candidate(["GET / 200", "GET /x 404", "POST /y 200"]) == {"200": 2, "404": 1}
    assert candidate(["broken", "", "GET / 500"]) == {"500": 1}
    assert candidate(["GET /old 301", "GET /old 301", "GET /old 301"]) == {"301": 3}
    assert candidate(["GET /a 200 extra"]) == {"200": 1}
    assert candidate(["GET /"]) == {}


def workload():
    import random
    rng = random.Random(11)
    codes = ["200", "200", "200", "301", "304", "404", "500", "503"]
    paths = ["/", "/login", "/api/items", "/static/app.js", "/search"]
    lines = []
    for _ in range(10000):
        if rng.random() < 0.02:
            lines.append("-")
            continue
        lines.append(f"{rng.choice(['GET', 'POST'])} {rng.choice(paths)} {rng.choice(codes)}")
    return [(lines,)]
