"""Command-line contracts: exit codes and JSON shapes of check_corpus and score."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT, TINY_SOURCE


def run(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_check_corpus_json_names_broken_files_and_fails(tmp_path):
    for split in ("train", "heldout"):
        (tmp_path / split).mkdir()
    (tmp_path / "train" / "good_total.py").write_text(TINY_SOURCE)
    (tmp_path / "train" / "bad_syntax.py").write_text("def total(:\n")
    (tmp_path / "heldout" / "wrong_original.py").write_text(TINY_SOURCE.replace("result += x", "result -= x"))
    completed = run("launch.check_corpus", "--root", str(tmp_path), "--json")
    assert completed.returncode == 1, completed.stderr
    report = json.loads(completed.stdout)
    assert [p["name"] for p in report["problems"]] == ["good_total"], report["errors"]
    assert {"name", "split", "family", "lines", "workload_ms"} <= set(report["problems"][0])
    problems = {e["path"].rsplit("/", 1)[-1]: e["problem"] for e in report["errors"]}
    assert "syntax error at line 1" in problems["bad_syntax.py"]
    assert "the original fails its own check" in problems["wrong_original.py"]


@pytest.mark.slow
def test_check_corpus_passes_on_a_good_corpus(tmp_path):
    for split in ("train", "heldout"):
        (tmp_path / split).mkdir()
        (tmp_path / split / f"{split}_total.py").write_text(TINY_SOURCE)
    completed = run("launch.check_corpus", "--root", str(tmp_path))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "2 problems OK" in completed.stdout


@pytest.mark.slow
def test_score_exit_codes(tmp_path):
    problem = tmp_path / "tiny_total.py"
    problem.write_text(TINY_SOURCE)
    hang = tmp_path / "hang.py"
    hang.write_text("def total(xs):\n    while True:\n        pass\n")
    completed = run("launch.score", "--problem", str(problem), "--candidate", str(hang), "--json", "--notiming")
    assert completed.returncode == 0  # whatever the candidate does
    assert json.loads(completed.stdout)["status"] == "timeout"
    completed = run("launch.score", "--problem", str(tmp_path / "missing.py"), "--json")
    assert completed.returncode == 2 and "no such file" in completed.stderr
