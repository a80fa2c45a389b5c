"""The first ticket id that appears a second time, or None when all are distinct."""

FAMILY = "list_membership"
ENTRY_POINT = "first_repeated_ticket"


def first_repeated_ticket(ticket_ids):
    seen = []
    for ticket in ticket_ids:
        if ticket in seen:
            return ticket
        seen.append(ticket)
    return None


def reference(ticket_ids):
    seen = set()
    add = seen.add
    for ticket in ticket_ids:
        if ticket in seen:
            return ticket
        add(ticket)
    return None


def check(candidate):
    assert candidate([]) is None
    assert candidate([7]) is None
    assert candidate([1, 2, 3]) is None
    assert candidate([4, 4]) == 4
    assert candidate([1, 2, 3, 2, 1]) == 2
    assert candidate([5, 6, 7, 8, 5, 6]) == 5
    assert candidate([-1, 0, -1]) == -1
    assert candidate(["a", "b", "a"]) == "a"


def workload():
    import random
    rng = random.Random(106)
    calls = []
    for _ in range(3):
        ids = rng.sample(range(1_000_000), 500)
        ids.append(ids[rng.randint(300, 499)])
        calls.append((ids,))
    return calls
