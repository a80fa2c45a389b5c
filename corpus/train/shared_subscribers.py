"""List the subscribers of one newsletter who are also on a second newsletter's list."""

FAMILY = "nested_lookup"
ENTRY_POINT = "shared_subscribers"


def shared_subscribers(first_list, second_list):
    shared = []
    for email in first_list:
        for other in second_list:
            if email.lower() == other.lower():
                shared.append(email)
                break
    return shared


def reference(first_list, second_list):
    second = {other.lower() for other in second_list}
    return [email for email in first_list if email.lower() in second]


def check(candidate):
    assert candidate([], ["a@x.io"]) == []
    assert candidate(["a@x.io"], []) == []
    assert candidate(["a@x.io"], ["A@X.io"]) == ["a@x.io"]
    assert candidate(["a@x.io", "b@x.io"], ["b@x.io"]) == ["b@x.io"]
    assert candidate(["b@x.io", "B@x.io", "c@x.io"], ["b@x.io", "b@x.io"]) == ["b@x.io", "B@x.io"]
    assert candidate(["q@y.org"], ["q@y.com"]) == []


def workload():
    import random
    rng = random.Random(52)
    names = [f"user{i}@mail.example" for i in range(600)]
    first = rng.sample(names, 220)
    second = [name.upper() if rng.random() < 0.3 else name for name in rng.sample(names, 200)]
    return [(first, second)]
