"""Parse 'key = value' lines into a dict, skipping blank lines and '#' comments."""

FAMILY = "filter_map_loop"
ENTRY_POINT = "parse_config_lines"


def parse_config_lines(lines):
    config = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        config[key.strip()] = value.strip()
    return config


def reference(lines):
    config = {}
    for line in lines:
        line = line.strip()
        if line and line[0] != "#":
            key, _, value = line.partition("=")
            config[key.strip()] = value.strip()
    return config


def check(candidate):
    assert candidate([]) == {}
    assert candidate(["# only a comment", "", "   "]) == {}
    assert candidate(["a=1"]) == {"a": "1"}
    assert candidate(["  name = Ada Lovelace  "]) == {"name": "Ada Lovelace"}
    assert candidate(["x = 1", "x = 2"]) == {"x": "2"}
    assert candidate(["flag"]) == {"flag": ""}
    assert candidate(["url = http://h/?a=b"]) == {"url": "http://h/?a=b"}
    assert candidate(["  # indented comment", "k=v"]) == {"k": "v"}
    assert candidate(["offset = -5", "neg=-1"]) == {"offset": "-5", "neg": "-1"}


def workload():
    import random
    rng = random.Random(6)
    calls = []
    for _ in range(5):
        lines = []
        for _ in range(3000):
            kind = rng.random()
            if kind < 0.2:
                lines.append("# " + rng.choice(["defaults", "tuning", "paths"]))
            elif kind < 0.3:
                lines.append(rng.choice(["", "   ", "\t"]))
            else:
                lines.append(f"  option_{rng.randint(0, 400)} = {rng.randint(-100, 10**5)}  ")
        calls.append((lines,))
    return calls
