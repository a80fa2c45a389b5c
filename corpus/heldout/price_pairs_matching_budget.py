"""Distinct (lower, higher) price pairs from two different items that add up exactly to budget."""

FAMILY = "nested_lookup"
ENTRY_POINT = "price_pairs_matching_budget"


def price_pairs_matching_budget(prices, budget):
    pairs = set()
    for i in range(len(prices)):
        for j in range(i + 1, len(prices)):
            if prices[i] + prices[j] == budget:
                pairs.add((min(prices[i], prices[j]), max(prices[i], prices[j])))
    return sorted(pairs)


def reference(prices, budget):
    seen = set()
    pairs = set()
    for price in prices:
        other = budget - price
        if other in seen:
            pairs.add((other, price) if other <= price else (price, other))
        seen.add(price)
    return sorted(pairs)


def check(candidate):
    assert candidate([], 10) == []
    assert candidate([10], 20) == []
    assert candidate([5], 10) == []
    assert candidate([5, 5], 10) == [(5, 5)]
    assert candidate([1, 9, 2, 8, 9], 10) == [(1, 9), (2, 8)]
    assert candidate([3, 4, 6, 7, 4], 10) == [(3, 7), (4, 6)]
    assert candidate([-5, 15, 0, 10], 10) == [(-5, 15), (0, 10)]
    assert candidate([1, 2, 3], 100) == []


def workload():
    import random
    rng = random.Random(111)
    return [([rng.randint(1, 5000) for _ in range(220)], rng.randint(2000, 6000)) for _ in range(3)]
