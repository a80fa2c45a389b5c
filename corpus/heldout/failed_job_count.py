"""How many jobs in a batch ended in the "failed" state."""

FAMILY = "manual_reduce"
ENTRY_POINT = "failed_job_count"


def failed_job_count(job_states):
    failed = 0
    for state in job_states:
        if state == "failed":
            failed += 1
    return failed


def reference(job_states):
    return job_states.count("failed")


def check(candidate):
    assert candidate([]) == 0
    assert candidate(["failed"]) == 1
    assert candidate(["done"]) == 0
    assert candidate(["failed", "done", "failed", "queued"]) == 2
    assert candidate(["Failed", "FAILED", "failed "]) == 0
    assert candidate(["failed"] * 5) == 5
    states = ["failed", "done"]
    candidate(states)
    assert states == ["failed", "done"]


def workload():
    import random
    rng = random.Random(103)
    states = ["done", "done", "done", "failed", "queued", "running", "cancelled"]
    return [([rng.choice(states) for _ in range(10000)],) for _ in range(12)]
