"""Map country codes to display names, skipping codes that are unknown or have an empty name."""

FAMILY = "filter_map_loop"
ENTRY_POINT = "country_names_for_codes"


def country_names_for_codes(codes, names_by_code):
    names = []
    for code in codes:
        name = names_by_code.get(code)
        if name:
            names.append(name)
    return names


def reference(codes, names_by_code):
    return list(filter(None, map(names_by_code.get, codes)))


def check(candidate):
    table = {"DE": "Germany", "FR": "France", "PE": "Peru", "XX": ""}
    assert candidate([], table) == []
    assert candidate(["DE"], {}) == []
    assert candidate(["FR"], table) == ["France"]
    assert candidate(["ZZ"], table) == []
    assert candidate(["DE", "ZZ", "PE", "DE"], table) == ["Germany", "Peru", "Germany"]
    assert candidate(["XX", "FR"], table) == ["France"]
    assert candidate(["de", "DE"], table) == ["Germany"]
    assert candidate(["PE"], {"PE": None}) == []


def workload():
    import random
    rng = random.Random(7)
    table = {f"{a}{b}": f"Country {a}{b}" for a in "ABCDEFGHIJKLMNOP" for b in "ABCDEFGHIJKL"}
    letters = "ABCDEFGHIJKLMNOPQRST"
    calls = []
    for _ in range(6):
        codes = [rng.choice(letters) + rng.choice(letters) for _ in range(10000)]
        calls.append((codes, table))
    return calls
