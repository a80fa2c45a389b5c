"""Return the sorted display names of active accounts in a user table keyed by id."""

FAMILY = "needless_copies"
ENTRY_POINT = "active_user_names"


def active_user_names(users):
    names = []
    for user_id in list(users.keys()):
        record = dict(users[user_id])
        if record["active"]:
            names.append(str(str(record["name"]).strip()))
    return sorted(list(names))


def reference(users):
    return sorted([record["name"].strip() for record in users.values() if record["active"]])


def check(candidate):
    assert candidate({}) == []
    assert candidate({1: {"name": "ann", "active": False}}) == []
    assert candidate({1: {"name": " ann ", "active": True}}) == ["ann"]
    assert candidate({
        3: {"name": "cy", "active": True},
        1: {"name": "bo", "active": True},
        2: {"name": "al", "active": False},
    }) == ["bo", "cy"]
    twins = {1: {"name": "x", "active": True}, 2: {"name": "x", "active": True}}
    assert candidate(twins) == ["x", "x"]
    assert candidate({7: {"name": "", "active": True, "plan": "pro"}}) == [""]


def workload():
    import random
    rng = random.Random(61)
    syllables = ["ka", "ri", "to", "mel", "an", "su", "vo", "lee"]
    users = {}
    for user_id in range(6000):
        name = "".join(rng.choice(syllables) for _ in range(rng.randint(1, 3)))
        plan = rng.choice(["free", "pro"])
        users[user_id] = {"name": name, "active": rng.random() < 0.6, "plan": plan}
    return [(users,)]
