"""Label each (old, new) price pair as "up X%", "down X%" or "unchanged" (X to one decimal)."""

FAMILY = "repeated_calls"
ENTRY_POINT = "price_change_labels"


def percent_change(old, new):
    return round((new - old) * 100 / old, 1)


def price_change_labels(price_pairs):
    labels = []
    for old, new in price_pairs:
        if percent_change(old, new) > 0:
            labels.append(f"up {percent_change(old, new)}%")
        elif percent_change(old, new) < 0:
            labels.append(f"down {-percent_change(old, new)}%")
        else:
            labels.append("unchanged")
    return labels


def reference(price_pairs):
    labels = []
    for old, new in price_pairs:
        change = round((new - old) * 100 / old, 1)
        if change > 0:
            labels.append(f"up {change}%")
        elif change < 0:
            labels.append(f"down {-change}%")
        else:
            labels.append("unchanged")
    return labels


def check(candidate):
    assert candidate([]) == []
    assert candidate([(100, 100)]) == ["unchanged"]
    assert candidate([(100, 150)]) == ["up 50.0%"]
    assert candidate([(200, 150)]) == ["down 25.0%"]
    assert candidate([(3, 4), (4, 3)]) == ["up 33.3%", "down 25.0%"]
    assert candidate([(100000, 100001)]) == ["unchanged"]
    assert candidate([(100000, 99999)]) == ["unchanged"]
    assert candidate([(-50, -25)]) == ["down 50.0%"]
    assert candidate([(10, 10), (10, 10)]) == ["unchanged", "unchanged"]


def workload():
    import random
    rng = random.Random(109)
    pairs = []
    for _ in range(3000):
        old = rng.randint(100, 50000)
        new = old if rng.random() < 0.2 else old + rng.randint(-old // 2, old // 2)
        pairs.append((old, new))
    return [(pairs,)]
