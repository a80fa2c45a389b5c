"""Count the distinct ways to make change for an amount from unlimited coins of given values."""

FAMILY = "naive_recursion"
ENTRY_POINT = "coin_change_ways"


def coin_change_ways(amount, coins):
    def ways(remaining, index):
        if remaining == 0:
            return 1
        if remaining < 0 or index == len(coins):
            return 0
        return ways(remaining - coins[index], index) + ways(remaining, index + 1)

    return ways(amount, 0)


def reference(amount, coins):
    if amount < 0:
        return 0
    table = [1] + [0] * amount
    for coin in coins:
        for value in range(coin, amount + 1):
            table[value] += table[value - coin]
    return table[amount]


def check(candidate):
    assert candidate(0, (1, 2)) == 1
    assert candidate(0, ()) == 1
    assert candidate(5, ()) == 0
    assert candidate(3, (2,)) == 0
    assert candidate(4, (1, 2)) == 3
    assert candidate(5, (1, 2, 5)) == 4
    assert candidate(10, (5, 2, 3)) == 4
    assert candidate(11, (5, 5)) == 0
    assert candidate(-3, (1,)) == 0


def workload():
    return [(60, (1, 2, 5, 10, 25)), (45, (2, 3, 7, 11)), (30, (1, 5, 10))]
