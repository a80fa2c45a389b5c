"""Format usernames as a comma-separated mention list: '@ada, @bob, @cy'."""

FAMILY = "string_concat"
ENTRY_POINT = "mention_list"


def mention_list(usernames):
    text = ""
    for name in usernames:
        if text:
            text += ", "
        text += "@" + name
    return text


def reference(usernames):
    if not usernames:
        return ""
    return "@" + ", @".join(usernames)


def check(candidate):
    assert candidate([]) == ""
    assert candidate(["ada"]) == "@ada"
    assert candidate(["ada", "bob"]) == "@ada, @bob"
    assert candidate(["ada", "ada"]) == "@ada, @ada"
    assert candidate(["x_1", "y-2", "z.3"]) == "@x_1, @y-2, @z.3"
    assert candidate(("solo",)) == "@solo"


def workload():
    import random
    rng = random.Random(15)
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "zo", "bi"]
    calls = []
    for _ in range(900):
        names = [
            "".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) + str(rng.randint(0, 99))
            for _ in range(rng.randint(0, 60))
        ]
        calls.append((names,))
    return calls
