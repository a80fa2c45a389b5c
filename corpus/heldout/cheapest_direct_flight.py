"""Flight number of the cheapest nonstop flight among (number, price, stops) offers, or None."""

FAMILY = "sort_extremum"
ENTRY_POINT = "cheapest_direct_flight"


def cheapest_direct_flight(offers):
    nonstop = [offer for offer in offers if offer[2] == 0]
    if not nonstop:
        return None
    return sorted(nonstop, key=lambda offer: offer[1])[0][0]


def reference(offers):
    nonstop = [offer for offer in offers if offer[2] == 0]
    if not nonstop:
        return None
    return min(nonstop, key=lambda offer: offer[1])[0]


def check(candidate):
    assert candidate([]) is None
    assert candidate([("LH1", 300, 1)]) is None
    assert candidate([("LH1", 300, 0)]) == "LH1"
    assert candidate([("A", 500, 0), ("B", 200, 1), ("C", 350, 0)]) == "C"
    assert candidate([("A", 200, 0), ("B", 200, 0)]) == "A"
    assert candidate([("B", 200, 0), ("A", 200, 0)]) == "B"
    assert candidate([("X", 90, 2), ("Y", 95, 0), ("Z", 80, 1)]) == "Y"
    offers = [("Q", 10, 0), ("P", 5, 0)]
    assert candidate(offers) == "P"
    assert offers == [("Q", 10, 0), ("P", 5, 0)]


def workload():
    import random
    rng = random.Random(113)
    calls = []
    for _ in range(60):
        offers = [
            (f"FL{rng.randint(100, 9999)}", rng.randint(40, 2000), rng.choice([0, 0, 1, 2]))
            for _ in range(rng.randint(200, 600))
        ]
        calls.append((offers,))
    return calls
