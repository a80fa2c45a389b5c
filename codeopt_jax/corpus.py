"""Loading and static validation of corpus problems (format: `corpus/README.md`).

Loading never executes a problem file: it parses it with `ast`, checks the required
pieces, and splits out the *program* (what the agent rewrites). Running the original
and the reference against `check` and timing the workload happen in the sandboxed
scoring service (`launch/check_corpus.py` does both).
"""

from __future__ import annotations

import ast
import dataclasses
import pathlib
from typing import Iterable, Sequence

SPLITS = ("train", "heldout")
METADATA_NAMES = ("FAMILY", "ENTRY_POINT", "TAGS")
HARNESS_FUNCTIONS = ("check", "workload", "reference")


class CorpusError(ValueError):
    """A broken problem file; the message names the file and the problem."""

    def __init__(self, path: str, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclasses.dataclass(frozen=True)
class Problem:
    """One corpus problem.

    Attributes:
      name: unique problem name (the file stem).
      split: "train", "heldout", or "" for a file loaded on its own.
      family: the pattern family tag.
      path: the file path as given.
      source: the whole file text (check, workload and reference included).
      program: the part the agent rewrites: imports, helpers and the target function.
      entry_point: the target function's name.
      tags: the patterns a combined problem mixes (may be empty).
      reference_program: `program` with the target replaced by the hand-optimized
        `reference` (renamed to the entry point), or None when the file has none.
    """

    name: str
    split: str
    family: str
    path: str
    source: str
    program: str
    entry_point: str
    tags: tuple[str, ...] = ()
    reference_program: str | None = None

    @property
    def num_lines(self) -> int:
        """Lines of the program (the part the agent sees)."""
        return len(self.program.strip().splitlines())


def _statement_span(node: ast.stmt) -> tuple[int, int]:
    """1-based first and last line of a statement, decorators included."""
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return first, node.end_lineno or node.lineno


def _literal_assignment(node: ast.stmt) -> tuple[str, object] | None:
    """(name, value) for `NAME = <literal>`, else None."""
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
        return None
    target = node.targets[0]
    if not isinstance(target, ast.Name):
        return None
    try:
        return target.id, ast.literal_eval(node.value)
    except ValueError:
        return target.id, None


def _join_statements(lines: list[str], spans: Iterable[tuple[int, int, bool]]) -> str:
    """Source text of the given statement spans, with PEP 8 blank lines around defs."""
    chunks: list[str] = []
    previous_was_def = False
    for first, last, is_def in spans:
        text = "\n".join(lines[first - 1:last])
        if chunks:
            chunks.append("\n\n\n" if (is_def or previous_was_def) else "\n")
        chunks.append(text)
        previous_was_def = is_def
    return "".join(chunks) + "\n"


def parse_problem(source: str, path: str, split: str = "") -> Problem:
    """Builds a Problem from a file's text; raises CorpusError naming the file."""
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise CorpusError(path, f"syntax error at line {exc.lineno}: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise CorpusError(path, f"cannot be parsed: {exc}") from None

    metadata: dict[str, object] = {}
    functions: dict[str, ast.FunctionDef] = {}
    lines = source.splitlines()
    kept: list[tuple[int, int, bool]] = []
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # module docstring
    for node in body:
        assignment = _literal_assignment(node)
        if assignment and assignment[0] in METADATA_NAMES:
            metadata[assignment[0]] = assignment[1]
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions[node.name] = node
            if node.name in HARNESS_FUNCTIONS:
                continue
        first, last = _statement_span(node)
        kept.append((first, last, isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))))

    family = metadata.get("FAMILY")
    if not isinstance(family, str) or not family.isidentifier():
        raise CorpusError(path, 'missing FAMILY = "<family>" (a string literal naming the pattern family)')
    entry_point = metadata.get("ENTRY_POINT")
    if not isinstance(entry_point, str) or not entry_point.isidentifier():
        raise CorpusError(path, 'missing ENTRY_POINT = "<function name>" (a string literal)')
    tags = metadata.get("TAGS", ())
    if not (isinstance(tags, (list, tuple)) and all(isinstance(t, str) for t in tags)):
        raise CorpusError(path, "TAGS must be a list of strings")
    if entry_point in HARNESS_FUNCTIONS:
        raise CorpusError(path, f"ENTRY_POINT may not be {entry_point!r} (a harness function name)")
    if entry_point not in functions:
        raise CorpusError(path, f"missing the target function: no top-level `def {entry_point}(...)`")
    if "check" not in functions:
        raise CorpusError(path, "missing `def check(candidate)`")
    check_args = functions["check"].args
    if len(check_args.args) != 1 or check_args.vararg or check_args.kwonlyargs:
        raise CorpusError(path, "`check` must take exactly one argument (the candidate function)")
    if "workload" not in functions:
        raise CorpusError(path, "missing `def workload()` returning the timing calls")
    if functions["workload"].args.args:
        raise CorpusError(path, "`workload` must take no arguments")

    program = _join_statements(lines, kept)
    reference_program = None
    if "reference" in functions:
        reference_program = _reference_program(lines, kept, functions, entry_point)
    name = pathlib.Path(path).stem
    return Problem(name=name, split=split, family=family, path=str(path), source=source,
                   program=program, entry_point=entry_point, tags=tuple(tags),
                   reference_program=reference_program)


def _reference_program(lines: list[str], kept: list[tuple[int, int, bool]],
                       functions: dict[str, ast.FunctionDef], entry_point: str) -> str:
    """The program with the target's definition replaced by `reference`, renamed."""
    target_span = _statement_span(functions[entry_point])
    ref = functions["reference"]
    ref_first, ref_last = _statement_span(ref)
    ref_lines = lines[ref_first - 1:ref_last]
    def_line = ref.lineno - ref_first
    ref_lines[def_line] = ref_lines[def_line].replace("def reference", f"def {entry_point}", 1)
    spans: list[tuple[int, int, bool]] = []
    extra = list(lines)
    for first, last, is_def in kept:
        if (first, last) == target_span:
            extra.extend(ref_lines)
            spans.append((len(extra) - len(ref_lines) + 1, len(extra), True))
        else:
            spans.append((first, last, is_def))
    return _join_statements(extra, spans)


def load_problem(path: str | pathlib.Path, split: str = "") -> Problem:
    """Reads and parses one problem file; raises CorpusError for any problem."""
    path = pathlib.Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CorpusError(str(path), "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(str(path), f"cannot be read: {exc}") from None
    return parse_problem(source, str(path), split)


def load_corpus_report(root: str | pathlib.Path = "corpus",
                       splits: Sequence[str] = SPLITS) -> tuple[list[Problem], list[CorpusError]]:
    """All loadable problems of the given splits, and one error per broken file."""
    root = pathlib.Path(root)
    problems: list[Problem] = []
    errors: list[CorpusError] = []
    seen: dict[str, str] = {}
    for split in splits:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
        folder = root / split
        if not folder.is_dir():
            errors.append(CorpusError(str(folder), "split folder is missing"))
            continue
        for path in sorted(folder.glob("*.py")):
            try:
                problem = load_problem(path, split)
            except CorpusError as exc:
                errors.append(exc)
                continue
            if problem.name in seen:
                errors.append(CorpusError(str(path), f"duplicate problem name (also {seen[problem.name]})"))
                continue
            seen[problem.name] = str(path)
            problems.append(problem)
    return problems, errors


def load_corpus(root: str | pathlib.Path = "corpus", splits: Sequence[str] = SPLITS) -> list[Problem]:
    """All problems of the given splits; raises CorpusError listing every broken file."""
    problems, errors = load_corpus_report(root, splits)
    if errors:
        detail = "\n  ".join(str(e) for e in errors)
        raise CorpusError(str(root), f"{len(errors)} broken file(s):\n  {detail}")
    return problems


def families(problems: Iterable[Problem]) -> dict[str, list[str]]:
    """Family -> problem names, in load order."""
    grouped: dict[str, list[str]] = {}
    for problem in problems:
        grouped.setdefault(problem.family, []).append(problem.name)
    return grouped
