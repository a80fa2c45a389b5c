"""Account balance after each transaction, starting from an opening balance."""

FAMILY = "while_index"
ENTRY_POINT = "running_account_balance"


def running_account_balance(opening, transactions):
    balances = []
    balance = opening
    i = 0
    while i < len(transactions):
        balance += transactions[i]
        balances.append(balance)
        i += 1
    return balances


def reference(opening, transactions):
    from itertools import accumulate

    return list(accumulate(transactions, initial=opening))[1:]


def check(candidate):
    assert candidate(0, []) == []
    assert candidate(100, []) == []
    assert candidate(100, [50]) == [150]
    assert candidate(0, [10, -5, 20]) == [10, 5, 25]
    assert candidate(-20, [5, 5]) == [-15, -10]
    assert candidate(7, [0, 0, 0]) == [7, 7, 7]
    assert candidate(1, [-1, 1, -1]) == [0, 1, 0]
    transactions = [3, 4]
    candidate(0, transactions)
    assert transactions == [3, 4]


def workload():
    import random
    rng = random.Random(115)
    return [
        (rng.randint(0, 10000), [rng.randint(-500, 500) for _ in range(5000)])
        for _ in range(7)
    ]
