"""Drop common English stopwords from a list of lowercase tokens."""

FAMILY = "list_membership"
ENTRY_POINT = "remove_stopwords"


def remove_stopwords(tokens):
    stopwords = ["a", "an", "and", "are", "as", "at", "be", "by", "for", "from",
                 "has", "he", "in", "is", "it", "its", "of", "on", "or", "that",
                 "the", "to", "was", "were", "will", "with"]
    kept = []
    for token in tokens:
        if token not in stopwords:
            kept.append(token)
    return kept


def reference(tokens):
    stopwords = {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from",
                 "has", "he", "in", "is", "it", "its", "of", "on", "or", "that",
                 "the", "to", "was", "were", "will", "with"}
    return [token for token in tokens if token not in stopwords]


def check(candidate):
    assert candidate([]) == []
    assert candidate(["the"]) == []
    assert candidate(["cat"]) == ["cat"]
    assert candidate(["the", "cat", "is", "on", "the", "mat"]) == ["cat", "mat"]
    assert candidate(["with", "without"]) == ["without"]
    assert candidate(["data", "data", "of"]) == ["data", "data"]
    assert candidate(["The", "the"]) == ["The"]


def workload():
    import random
    rng = random.Random(18)
    vocabulary = ["the", "model", "of", "a", "data", "is", "trained", "on", "with", "loss",
                  "and", "gradient", "to", "batch", "in", "layer", "that", "weights", "by", "step"]
    return [([rng.choice(vocabulary) for _ in range(8000)],) for _ in range(2)]
