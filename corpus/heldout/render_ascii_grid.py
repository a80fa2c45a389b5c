"""Draw a grid of booleans as text: '#' for filled cells, '.' for empty, one line per row."""

FAMILY = "string_concat"
ENTRY_POINT = "render_ascii_grid"


def render_ascii_grid(cells):
    picture = ""
    for row in cells:
        for filled in row:
            if filled:
                picture += "#"
            else:
                picture += "."
        picture += "\n"
    return picture


def reference(cells):
    table = bytes.maketrans(b"\x00\x01", b".#")
    return "".join([bytes(row).translate(table).decode("ascii") + "\n" for row in cells])


def check(candidate):
    assert candidate([]) == ""
    assert candidate([[]]) == "\n"
    assert candidate([[True]]) == "#\n"
    assert candidate([[False]]) == ".\n"
    assert candidate([[True, False], [False, True]]) == "#.\n.#\n"
    assert candidate([[True, True, True]]) == "###\n"
    assert candidate([[], [True]]) == "\n#\n"


def workload():
    import random
    rng = random.Random(105)
    return [
        ([[rng.random() < 0.3 for _ in range(80)] for _ in range(60)],)
        for _ in range(12)
    ]
