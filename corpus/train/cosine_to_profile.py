"""Score each user's feature vector by cosine similarity to a target profile."""

import math

FAMILY = "repeated_calls"
ENTRY_POINT = "cosine_to_profile"


def vector_norm(vector):
    return math.sqrt(sum(x * x for x in vector))


def dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def cosine_to_profile(users, profile):
    scores = {}
    for name, features in users:
        denominator = vector_norm(features) * vector_norm(profile)
        if denominator == 0:
            scores[name] = 0.0
        else:
            scores[name] = round(dot(features, profile) / denominator, 6)
    return scores


def reference(users, profile):
    profile_norm = vector_norm(profile)
    scores = {}
    for name, features in users:
        denominator = vector_norm(features) * profile_norm
        scores[name] = 0.0 if denominator == 0 else round(dot(features, profile) / denominator, 6)
    return scores


def check(candidate):
    assert candidate([], [1, 2]) == {}
    assert candidate([("a", [1, 0])], [1, 0]) == {"a": 1.0}
    assert candidate([("a", [0, 1])], [1, 0]) == {"a": 0.0}
    assert candidate([("a", [0, 0])], [1, 2]) == {"a": 0.0}
    assert candidate([("a", [1, 2])], [0, 0]) == {"a": 0.0}
    assert candidate([("a", [-1, 0]), ("b", [3, 4])], [1, 0]) == {"a": -1.0, "b": 0.6}
    assert candidate([("a", [1, 1]), ("a", [1, 0])], [1, 0]) == {"a": 1.0}


def workload():
    import random
    rng = random.Random(33)
    dims = 24
    profile = [rng.randint(-5, 5) for _ in range(dims)]
    users = [(f"user{i}", [rng.randint(-5, 5) for _ in range(dims)]) for i in range(600)]
    return [(users, profile)]
