"""`python -m launch.list_rewrites`: the rule list as JSON and as a table."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

from codeopt_jax.rewrites import ALL_RULES

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _run(*args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "launch.list_rewrites", *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow
def test_json_lists_rules_in_registry_order() -> None:
    rows = json.loads(_run("--json"))
    assert [row["name"] for row in rows] == [rule.name for rule in ALL_RULES]
    for row, rule in zip(rows, ALL_RULES):
        assert set(row) == {"name", "safety", "description"}
        assert row["safety"] == rule.safety.value
        assert row["description"] == rule.description


@pytest.mark.slow
def test_table_shows_every_rule() -> None:
    lines = _run().splitlines()
    assert lines[0].split()[:3] == ["id", "name", "safety"]
    assert len(lines) == len(ALL_RULES) + 1
    for index, (line, rule) in enumerate(zip(lines[1:], ALL_RULES)):
        assert line.split()[:3] == [str(index), rule.name, rule.safety.value]
