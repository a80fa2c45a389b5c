"""The most frequent (lower-cased) domain among email addresses; ties go to the first seen."""

FAMILY = "combined"
ENTRY_POINT = "most_common_email_domain"
TAGS = ["dict_counting", "sort_extremum"]


def most_common_email_domain(emails):
    counts = {}
    for email in emails:
        domain = email.split("@")[1].lower()
        if domain in counts:
            counts[domain] += 1
        else:
            counts[domain] = 1
    if not counts:
        return None
    ranked = sorted(counts.items(), key=lambda item: item[1], reverse=True)
    return ranked[0][0]


def reference(emails):
    from collections import Counter

    counts = Counter([email.split("@")[1].lower() for email in emails])
    if not counts:
        return None
    return max(counts, key=counts.__getitem__)


def check(candidate):
    assert candidate([]) is None
    assert candidate(["a@x.org"]) == "x.org"
    assert candidate(["a@x.org", "b@y.org", "c@y.org"]) == "y.org"
    assert candidate(["a@X.org", "b@x.ORG", "c@y.org"]) == "x.org"
    assert candidate(["a@first.com", "b@second.com"]) == "first.com"
    assert candidate(["a@b.com", "c@d.com", "e@d.com", "f@b.com"]) == "b.com"
    assert candidate(["weird@a@b.com", "x@a"]) == "a"


def workload():
    import random
    rng = random.Random(119)
    domains = [f"mail{n}.example.com" for n in range(20000)] + ["Gmail.com", "gmail.COM", "outlook.com"]
    return [
        ([f"user{rng.randint(0, 99999)}@{rng.choice(domains)}" for _ in range(3000)],)
        for _ in range(3)
    ]
