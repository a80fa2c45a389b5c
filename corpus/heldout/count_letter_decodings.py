"""Number of ways to read a digit string as letters with A=1 ... Z=26."""

FAMILY = "naive_recursion"
ENTRY_POINT = "count_letter_decodings"


def count_letter_decodings(digits):
    if not digits:
        return 1
    if digits[0] == "0":
        return 0
    ways = count_letter_decodings(digits[1:])
    if len(digits) >= 2 and int(digits[:2]) <= 26:
        ways += count_letter_decodings(digits[2:])
    return ways


def reference(digits):
    after_next, after = 1, 1
    for i in range(len(digits) - 1, -1, -1):
        if digits[i] == "0":
            here = 0
        else:
            here = after
            if i + 1 < len(digits) and int(digits[i:i + 2]) <= 26:
                here += after_next
        after_next, after = after, here
    return after


def check(candidate):
    assert candidate("") == 1
    assert candidate("0") == 0
    assert candidate("7") == 1
    assert candidate("12") == 2
    assert candidate("27") == 1
    assert candidate("226") == 3
    assert candidate("10") == 1
    assert candidate("100") == 0
    assert candidate("1111") == 5
    assert candidate("301") == 0


def workload():
    import random
    rng = random.Random(110)
    calls = []
    for _ in range(3):
        calls.append(("".join(rng.choice("1211122") for _ in range(17)),))
    return calls
