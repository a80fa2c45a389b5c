"""Collect the line items of all orders into one list, in order."""

FAMILY = "append_loop"
ENTRY_POINT = "collect_line_items"


def collect_line_items(orders):
    items = []
    for order in orders:
        for item in order["items"]:
            items.append(item)
    return items


def reference(orders):
    items = []
    for order in orders:
        items += order["items"]
    return items


def check(candidate):
    assert candidate([]) == []
    assert candidate([{"id": 1, "items": []}]) == []
    assert candidate([{"id": 1, "items": [("A", 2)]}]) == [("A", 2)]
    assert candidate([{"id": 1, "items": ["A", "A"]}, {"id": 2, "items": ["A"]}]) == ["A", "A", "A"]
    assert candidate([
        {"id": 1, "items": [("A", 1), ("B", -2)]},
        {"id": 2, "items": []},
        {"id": 3, "items": [("C", 5)]},
    ]) == [("A", 1), ("B", -2), ("C", 5)]
    assert candidate([{"items": ("x", "y")}, {"items": ["z"]}]) == ["x", "y", "z"]


def workload():
    import random
    rng = random.Random(2)
    skus = [f"SKU-{n:05d}" for n in range(500)]
    orders = []
    for order_id in range(20000):
        items = [(rng.choice(skus), rng.randint(1, 6)) for _ in range(rng.randint(0, 8))]
        orders.append({"id": order_id, "items": items})
    return [(orders,)]
