"""Group order ids by the customer who placed them, keeping order of arrival."""

FAMILY = "dict_counting"
ENTRY_POINT = "group_orders_by_customer"


def group_orders_by_customer(orders):
    groups = {}
    for order in orders:
        customer = order[0]
        order_id = order[1]
        if customer not in groups:
            groups[customer] = []
        groups[customer].append(order_id)
    return groups


def reference(orders):
    from collections import defaultdict
    groups = defaultdict(list)
    for customer, order_id, _ in orders:
        groups[customer].append(order_id)
    return dict(groups)


def check(candidate):
    assert candidate([]) == {}
    assert candidate([("ann", 1, 9.5)]) == {"ann": [1]}
    orders = [("ann", 1, 1.0), ("bob", 2, 2.0), ("ann", 3, 3.0)]
    assert candidate(orders) == {"ann": [1, 3], "bob": [2]}
    assert candidate([("bob", 7, 0.0), ("bob", 7, 0.0)]) == {"bob": [7, 7]}
    assert candidate([("c", 3, 1.0), ("c", 1, 1.0), ("c", 2, 1.0)]) == {"c": [3, 1, 2]}
    assert candidate([("", -1, 0.0)]) == {"": [-1]}


def workload():
    import random
    rng = random.Random(12)
    customers = [f"cust{i:04d}" for i in range(400)]
    orders = [(rng.choice(customers), 100000 + i, round(rng.uniform(1, 500), 2))
              for i in range(40000)]
    return [(orders,)]
