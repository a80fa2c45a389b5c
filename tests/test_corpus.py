"""Corpus loading, program extraction and the bundled corpus's shape."""

from __future__ import annotations

import ast
import collections

import pytest

from codeopt_jax import corpus
from codeopt_jax.corpus import CorpusError, load_corpus, parse_problem
from tests.conftest import ROOT, TINY_SOURCE


def test_program_keeps_imports_and_helpers_and_drops_harness():
    source = '''"""Doc."""
import math

FAMILY = "loop_invariant"
ENTRY_POINT = "f"
SCALE = 3


def helper(x):
    return x + 1


def f(xs):
    return [helper(math.floor(x)) * SCALE for x in xs]


def reference(xs):
    return [math.floor(x) + 1 for x in xs]


def check(candidate):
    assert candidate([]) == []


def workload():
    return [([1.5],)]
'''
    problem = parse_problem(source, "dir/f.py", "train")
    assert problem.name == "f" and problem.family == "loop_invariant" and problem.entry_point == "f"
    tree = ast.parse(problem.program)
    names = [getattr(node, "name", None) for node in tree.body]
    assert names == [None, None, "helper", "f"]  # import, SCALE, helper, target
    assert "check" not in problem.program and "FAMILY" not in problem.program
    assert "Doc." not in problem.program
    reference_tree = ast.parse(problem.reference_program)
    functions = [n for n in reference_tree.body if isinstance(n, ast.FunctionDef)]
    assert [fn.name for fn in functions] == ["helper", "f"]
    assert "+ 1 for x in xs" in ast.unparse(functions[1])


@pytest.mark.parametrize("mutation, message", [
    (lambda s: s.replace("def total(xs):", "def total(xs)"), "syntax error at line"),
    (lambda s: s.replace('FAMILY = "manual_reduce"\n', ""), "missing FAMILY"),
    (lambda s: s.replace('ENTRY_POINT = "total"', 'ENTRY_POINT = "nothing"'), "no top-level `def nothing"),
    (lambda s: s.replace("def check(candidate):", "def check_it(candidate):"), "missing `def check(candidate)`"),
    (lambda s: s.replace("def check(candidate):", "def check(a, b):"), "exactly one argument"),
    (lambda s: s.replace("def workload():", "def load():"), "missing `def workload()`"),
])
def test_broken_files_get_an_error_naming_file_and_problem(mutation, message):
    with pytest.raises(CorpusError) as info:
        parse_problem(mutation(TINY_SOURCE), "corpus/train/broken.py", "train")
    assert str(info.value).startswith("corpus/train/broken.py: ")
    assert message in str(info.value)


def test_report_collects_every_broken_file(tmp_path):
    (tmp_path / "train").mkdir()
    (tmp_path / "heldout").mkdir()
    (tmp_path / "train" / "good.py").write_text(TINY_SOURCE)
    (tmp_path / "train" / "bad.py").write_text("def total(:\n")
    (tmp_path / "heldout" / "good.py").write_text(TINY_SOURCE)  # duplicate name
    problems, errors = corpus.load_corpus_report(tmp_path)
    assert [p.name for p in problems] == ["good"]
    assert sorted(e.path.split("/")[-2] + "/" + e.path.split("/")[-1] for e in errors) == [
        "heldout/good.py", "train/bad.py"]
    with pytest.raises(CorpusError, match="2 broken file"):
        load_corpus(tmp_path)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="no such file"):
        corpus.load_problem(tmp_path / "absent.py")


def test_bundled_corpus_meets_its_contract():
    problems = load_corpus(ROOT / "corpus")
    by_split = collections.Counter(p.split for p in problems)
    assert by_split["train"] >= 32 and by_split["heldout"] >= 16
    train_families = {p.family for p in problems if p.split == "train"}
    heldout_families = {p.family for p in problems if p.split == "heldout"}
    assert len(train_families | heldout_families) >= 12
    assert len(heldout_families - train_families) >= 2  # whole families never seen in training
    assert len(heldout_families & train_families) >= 10  # unseen functions of seen families
    combined = [p for p in problems if p.family == "combined"]
    assert combined and all(len(p.tags) >= 2 for p in combined)
    for problem in problems:
        assert problem.name == problem.entry_point, problem.path
        compile(problem.program, problem.path, "exec")
        if problem.reference_program is not None:
            compile(problem.reference_program, problem.path, "exec")
