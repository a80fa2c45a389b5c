"""Requested usernames that are alphanumeric and not reserved (reserved names match case-insensitively)."""

FAMILY = "loop_invariant"
ENTRY_POINT = "available_usernames"


def available_usernames(requested, reserved):
    available = []
    for name in requested:
        blocked = {word.lower() for word in reserved}
        if name.isalnum() and name.lower() not in blocked:
            available.append(name)
    return available


def reference(requested, reserved):
    blocked = {word.lower() for word in reserved}
    return [name for name in requested if name.isalnum() and name.lower() not in blocked]


def check(candidate):
    assert candidate([], ["admin"]) == []
    assert candidate(["alice"], []) == ["alice"]
    assert candidate(["admin"], ["admin"]) == []
    assert candidate(["Admin", "root2", "bob"], ["ADMIN", "root"]) == ["root2", "bob"]
    assert candidate(["bad name", "ok_not", "fine"], []) == ["fine"]
    assert candidate(["", "x"], []) == ["x"]
    assert candidate(["eve", "eve"], ["EVE"]) == []
    assert candidate(["Zed", "zed"], ["root"]) == ["Zed", "zed"]
    reserved = ["Root"]
    candidate(["root"], reserved)
    assert reserved == ["Root"]


def workload():
    import random
    rng = random.Random(108)
    reserved = ["admin", "Root", "SYSTEM", "support", "help", "info", "api", "www", "mail", "staff",
                "owner", "moderator", "null", "guest", "test", "security", "billing", "abuse"]
    pool = reserved + ["Admin", "bad name", "x-y", "alice", "Bob", "carol99", "dave", "eve_"]
    return [
        ([rng.choice(pool) + (str(rng.randint(0, 9)) if rng.random() < 0.4 else "") for _ in range(1000)],
         reserved)
        for _ in range(3)
    ]
