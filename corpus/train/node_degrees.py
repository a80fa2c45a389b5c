"""Compute the degree of every node of an undirected multigraph given as an edge list."""

FAMILY = "dict_counting"
ENTRY_POINT = "node_degrees"


def node_degrees(edges):
    degree = {}
    for u, v in edges:
        if u in degree.keys():
            degree[u] = degree[u] + 1
        else:
            degree[u] = 1
        if v in degree.keys():
            degree[v] = degree[v] + 1
        else:
            degree[v] = 1
    return degree


def reference(edges):
    from collections import Counter
    from itertools import chain
    return dict(Counter(chain.from_iterable(edges)))


def check(candidate):
    assert candidate([]) == {}
    assert candidate([(1, 2)]) == {1: 1, 2: 1}
    assert candidate([(1, 1)]) == {1: 2}
    assert candidate([(1, 2), (2, 3), (3, 1)]) == {1: 2, 2: 2, 3: 2}
    assert candidate([(0, 5), (0, 5), (0, -1)]) == {0: 3, 5: 2, -1: 1}
    assert candidate([("a", "b"), ("b", "c")]) == {"a": 1, "b": 2, "c": 1}


def workload():
    import random
    rng = random.Random(13)
    edges = [(rng.randint(0, 3000), rng.randint(0, 3000)) for _ in range(12000)]
    return [(edges,)]
