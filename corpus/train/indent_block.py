"""Indent every line of a code block by the given number of spaces, newline-terminated."""

FAMILY = "string_concat"
ENTRY_POINT = "indent_block"


def indent_block(lines, spaces):
    block = ""
    for line in lines:
        block += " " * spaces + line + "\n"
    return block


def reference(lines, spaces):
    if not lines:
        return ""
    pad = " " * spaces
    return pad + ("\n" + pad).join(lines) + "\n"


def check(candidate):
    assert candidate([], 4) == ""
    assert candidate(["x = 1"], 4) == "    x = 1\n"
    assert candidate(["a", "b"], 0) == "a\nb\n"
    assert candidate(["a", "b"], 2) == "  a\n  b\n"
    assert candidate(["", ""], 1) == " \n \n"
    assert candidate(["same", "same"], 3) == "   same\n   same\n"
    assert candidate(["neg"], -2) == "neg\n"


def workload():
    import random
    rng = random.Random(16)
    snippets = ["return x", "x += 1", "if ready:", "pass", "for item in items:", "", "total = 0"]
    calls = []
    for _ in range(120):
        lines = [rng.choice(snippets) for _ in range(rng.randint(20, 400))]
        calls.append((lines, rng.choice([2, 4, 8])))
    return calls
