"""Return the distinct email addresses (case-insensitive), keeping first-seen order, lowercased."""

FAMILY = "list_membership"
ENTRY_POINT = "dedupe_emails"


def dedupe_emails(emails):
    unique = []
    for email in emails:
        key = email.strip().lower()
        if key not in unique:
            unique.append(key)
    return unique


def reference(emails):
    return list(dict.fromkeys([email.strip().lower() for email in emails]))


def check(candidate):
    assert candidate([]) == []
    assert candidate(["a@x.org"]) == ["a@x.org"]
    assert candidate(["A@X.org", "a@x.org"]) == ["a@x.org"]
    assert candidate([" b@y.com ", "a@x.org", "B@Y.COM"]) == ["b@y.com", "a@x.org"]
    assert candidate(["c@z.io", "c@z.io", "c@z.io"]) == ["c@z.io"]
    assert candidate(["x@a.b", "y@a.b", "x@a.b", "z@a.b"]) == ["x@a.b", "y@a.b", "z@a.b"]
    assert candidate(["", " "]) == [""]


def workload():
    import random
    rng = random.Random(17)
    people = [f"user{n}@{rng.choice(['mail.org', 'corp.com', 'uni.edu'])}" for n in range(150)]
    calls = []
    for _ in range(6):
        emails = []
        for _ in range(600):
            email = rng.choice(people)
            emails.append(email.upper() if rng.random() < 0.2 else " " + email if rng.random() < 0.1 else email)
        calls.append((emails,))
    return calls
