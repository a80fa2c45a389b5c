"""Total stock value in cents: the sum of quantity times unit price over parallel lists."""

FAMILY = "manual_reduce"
ENTRY_POINT = "inventory_value"


def inventory_value(quantities, unit_prices_cents):
    total = 0
    for quantity, price in zip(quantities, unit_prices_cents):
        total += quantity * price
    return total


def reference(quantities, unit_prices_cents):
    from operator import mul
    return sum(map(mul, quantities, unit_prices_cents))


def check(candidate):
    assert candidate([], []) == 0
    assert candidate([3], [250]) == 750
    assert candidate([0, 0], [999, 1]) == 0
    assert candidate([2, 2, 2], [100, 100, 100]) == 600
    assert candidate([-1, 4], [500, 125]) == 0
    assert candidate([1, 2, 3], [10, 20]) == 50
    assert candidate([10**12], [10**12]) == 10**24


def workload():
    import random
    rng = random.Random(8)
    calls = []
    for _ in range(4):
        quantities = [rng.randint(0, 500) for _ in range(12000)]
        prices = [rng.randint(5, 250000) for _ in range(12000)]
        calls.append((quantities, prices))
    return calls
