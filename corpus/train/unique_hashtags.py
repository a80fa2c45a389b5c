"""Return the distinct hashtags (lowercased, without '#') used in a list of tokens, sorted."""

FAMILY = "filter_map_loop"
ENTRY_POINT = "unique_hashtags"


def unique_hashtags(tokens):
    tags = set()
    for token in tokens:
        if token.startswith("#"):
            tags.add(token[1:].lower())
    return sorted(tags)


def reference(tokens):
    return sorted({token[1:].lower() for token in set(tokens) if token[:1] == "#"})


def check(candidate):
    assert candidate([]) == []
    assert candidate(["hello"]) == []
    assert candidate(["#Python"]) == ["python"]
    assert candidate(["#a", "#A", "#a"]) == ["a"]
    assert candidate(["", "#", "x#y"]) == [""]
    assert candidate(["#Zed", "plain", "#alpha", "#Beta"]) == ["alpha", "beta", "zed"]
    assert candidate(["##double", "#double"]) == ["#double", "double"]


def workload():
    import random
    rng = random.Random(5)
    topics = ["Python", "rust", "JAX", "ml", "Data", "cloud", "DevOps", "ai", "web"]
    words = ["the", "a", "new", "release", "today", "great", "talk", "on", "and", ""]
    calls = []
    for _ in range(3):
        tokens = [
            "#" + rng.choice(topics) + str(rng.randint(0, 40)) if rng.random() < 0.4 else rng.choice(words)
            for _ in range(12000)
        ]
        calls.append((tokens,))
    return calls
