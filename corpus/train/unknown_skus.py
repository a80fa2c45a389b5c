"""Return the distinct ordered SKUs that are not in the catalog, in order of first appearance."""

FAMILY = "list_membership"
ENTRY_POINT = "unknown_skus"


def unknown_skus(ordered_skus, catalog):
    missing = []
    for sku in ordered_skus:
        if sku not in catalog and sku not in missing:
            missing.append(sku)
    return missing


def reference(ordered_skus, catalog):
    known = set(catalog)
    return list(dict.fromkeys([sku for sku in ordered_skus if sku not in known]))


def check(candidate):
    assert candidate([], ["A1"]) == []
    assert candidate(["A1"], []) == ["A1"]
    assert candidate(["A1"], ["A1"]) == []
    assert candidate(["B2", "A1", "B2"], ["A1"]) == ["B2"]
    assert candidate(["C3", "B2", "C3", "D4"], ["A1", "B2"]) == ["C3", "D4"]
    assert candidate(["a1", "A1"], ["A1"]) == ["a1"]
    assert candidate(["X", "Y"], ["X", "Y", "Z"]) == []


def workload():
    import random
    rng = random.Random(19)
    catalog = [f"SKU-{n:05d}" for n in range(0, 1200, 2)]
    calls = []
    for _ in range(2):
        orders = [f"SKU-{rng.randint(0, 1300):05d}" for _ in range(400)]
        calls.append((orders, catalog))
    return calls
