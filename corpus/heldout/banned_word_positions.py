"""Positions of the words in a message that appear on a list of banned words."""

FAMILY = "combined"
ENTRY_POINT = "banned_word_positions"
TAGS = ["range_len", "append_loop", "list_membership"]


def banned_word_positions(words, banned):
    positions = []
    for i in range(len(words)):
        if words[i] in banned:
            positions.append(i)
    return positions


def reference(words, banned):
    banned_set = set(banned)
    return [i for i, word in enumerate(words) if word in banned_set]


def check(candidate):
    assert candidate([], ["spam"]) == []
    assert candidate(["hello"], []) == []
    assert candidate(["spam"], ["spam"]) == [0]
    assert candidate(["buy", "cheap", "spam", "now"], ["spam", "cheap"]) == [1, 2]
    assert candidate(["spam", "spam"], ["spam"]) == [0, 1]
    assert candidate(["Spam", "spam"], ["spam"]) == [1]
    assert candidate(["a", "b"], ["a", "a", "b"]) == [0, 1]
    banned = ["x"]
    candidate(["x"], banned)
    assert banned == ["x"]


def workload():
    import random
    rng = random.Random(117)
    vocab = [f"word{n}" for n in range(3000)]
    banned = rng.sample(vocab, 150)
    return [([rng.choice(vocab) for _ in range(500)], banned) for _ in range(4)]
