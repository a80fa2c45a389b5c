"""Total the value of warehouse stock in cents, pricing each SKU from a price list."""

FAMILY = "nested_lookup"
ENTRY_POINT = "stock_value_by_price_list"


def stock_value_by_price_list(stock, price_list):
    total = 0
    missing = 0
    for sku, quantity in stock:
        found = False
        for price_sku, cents in price_list:
            if price_sku == sku:
                total += quantity * cents
                found = True
                break
        if not found:
            missing += 1
    return total, missing


def reference(stock, price_list):
    price_of = {}
    for price_sku, cents in price_list:
        if price_sku not in price_of:
            price_of[price_sku] = cents
    total = 0
    missing = 0
    for sku, quantity in stock:
        cents = price_of.get(sku)
        if cents is None:
            missing += 1
        else:
            total += quantity * cents
    return total, missing


def check(candidate):
    assert candidate([], []) == (0, 0)
    assert candidate([("A1", 3)], []) == (0, 1)
    assert candidate([], [("A1", 100)]) == (0, 0)
    assert candidate([("A1", 3)], [("A1", 250)]) == (750, 0)
    assert candidate([("A1", 2), ("B2", 1), ("C3", 4)], [("B2", 999), ("A1", 5)]) == (1009, 1)
    assert candidate([("A1", 1)], [("A1", 10), ("A1", 20)]) == (10, 0)
    assert candidate([("A1", 0), ("A1", 2)], [("A1", -15)]) == (-30, 0)


def workload():
    import random
    rng = random.Random(53)
    price_list = [(f"SKU{i:05d}", rng.randint(99, 99999)) for i in range(400)]
    rng.shuffle(price_list)
    stock = [(f"SKU{rng.randint(0, 440):05d}", rng.randint(0, 500)) for _ in range(500)]
    return [(stock, price_list)]
