"""Pair each order id with the sales region of the customer who placed it."""

FAMILY = "nested_lookup"
ENTRY_POINT = "attach_customer_regions"


def attach_customer_regions(orders, customers):
    result = []
    for order_id, customer_id in orders:
        region = "unknown"
        for record in customers:
            if record[0] == customer_id:
                region = record[1]
                break
        result.append((order_id, region))
    return result


def reference(orders, customers):
    region_of = {}
    for customer_id, region in customers:
        region_of.setdefault(customer_id, region)
    return [(order_id, region_of.get(customer_id, "unknown")) for order_id, customer_id in orders]


def check(candidate):
    assert candidate([], [("c1", "north")]) == []
    assert candidate([(1, "c1")], []) == [(1, "unknown")]
    assert candidate([(1, "c1")], [("c1", "north")]) == [(1, "north")]
    customers = [("c1", "north"), ("c2", "south")]
    assert candidate([(1, "c2"), (2, "c1")], customers) == [(1, "south"), (2, "north")]
    assert candidate([(5, "c1")], [("c1", "east"), ("c1", "west")]) == [(5, "east")]
    orders = [(1, "zz"), (2, "c1"), (3, "c1")]
    assert candidate(orders, [("c1", "north")]) == [(1, "unknown"), (2, "north"), (3, "north")]


def workload():
    import random
    rng = random.Random(51)
    regions = ["north", "south", "east", "west"]
    customers = [(f"c{i}", rng.choice(regions)) for i in range(300)]
    orders = [(i, f"c{rng.randint(0, 340)}") for i in range(600)]
    return [(orders, customers)]
