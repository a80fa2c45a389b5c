"""Shared fixtures: a tiny problem and one scoring service per test session."""

from __future__ import annotations

import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from codeopt_jax.corpus import parse_problem  # noqa: E402
from codeopt_jax.scoring import ScoringService  # noqa: E402

TINY_SOURCE = '''"""Sum of a list."""

FAMILY = "manual_reduce"
ENTRY_POINT = "total"


def total(xs):
    result = 0
    for x in xs:
        result += x
    return result


def reference(xs):
    return sum(xs)


def check(candidate):
    assert candidate([]) == 0
    assert candidate([5]) == 5
    assert candidate([1, 2, 3]) == 6
    assert candidate([-1, 1]) == 0


def workload():
    return [(list(range(2000)),), (list(range(-50, 50)),)]
'''


@pytest.fixture(scope="session")
def tiny_problem():
    return parse_problem(TINY_SOURCE, "tiny_total.py", "train")


@pytest.fixture(scope="session")
def service():
    with ScoringService(num_workers=2) as scoring:
        yield scoring
