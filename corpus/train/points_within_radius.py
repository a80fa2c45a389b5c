"""Return the ids of delivery points that lie within a radius of a depot."""

FAMILY = "loop_invariant"
ENTRY_POINT = "points_within_radius"


def points_within_radius(points, depot, radius):
    inside = []
    for point in points:
        dx = point[1] - depot[0]
        dy = point[2] - depot[1]
        if dx ** 2 + dy ** 2 <= radius ** 2:
            inside.append(point[0])
    return inside


def reference(points, depot, radius):
    cx, cy = depot
    limit = radius * radius
    return [pid for pid, x, y in points if (x - cx) * (x - cx) + (y - cy) * (y - cy) <= limit]


def check(candidate):
    assert candidate([], (0, 0), 5) == []
    assert candidate([("a", 3, 4)], (0, 0), 5) == ["a"]
    assert candidate([("a", 3, 4)], (0, 0), 4) == []
    assert candidate([("a", -1, -1), ("b", 10, 10), ("c", 0, 0)], (0, 0), 2) == ["a", "c"]
    assert candidate([("p", 5, 5), ("q", 5, 5)], (5, 5), 0) == ["p", "q"]
    assert candidate([("z", 7, 1)], (4, -3), 5) == ["z"]


def workload():
    import random
    rng = random.Random(23)
    points = [(f"pt{i}", rng.randint(-500, 500), rng.randint(-500, 500)) for i in range(6000)]
    return [(points, (0, 0), 250), (points, (120, -80), 400)]
