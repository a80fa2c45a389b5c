"""Builds a Problem from a user's own files, for the `optimize` command.

Inputs: a source file defining the function, tests as either a HumanEval-style
`def check(candidate)` or MBPP-style plain `assert` lines that call the function,
and optionally a file with `def workload()` (otherwise the literal calls found in
the tests become the workload). The problem's *program* is the whole source file, so
helpers, classes and decorators around the function stay in place; the harness file
the sandbox runs is the source followed by the tests and the workload.
Every problem with the input raises `UserInputError` with one line naming the file.
"""

from __future__ import annotations

import ast
import pathlib

from codeopt_jax.corpus import Problem

_HARNESS = ("check", "workload", "reference", "FAMILY", "ENTRY_POINT", "TAGS")


class UserInputError(ValueError):
    """Bad input to `optimize`; the message is one line naming the file."""


def _read(path: str, what: str) -> str:
    try:
        return pathlib.Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserInputError(f"{path}: no such {what} file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(f"{path}: cannot read the {what} file ({exc})") from None


def _parse(source: str, path: str) -> ast.Module:
    try:
        return ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise UserInputError(f"{path}: syntax error at line {exc.lineno}: {exc.msg}") from None


def _defined_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


class _CallsToCandidate(ast.NodeTransformer):
    def __init__(self, function: str):
        self.function = function

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id == self.function and isinstance(node.ctx, ast.Load):
            return ast.copy_location(ast.Name("candidate", ast.Load()), node)
        return node


def _literal_calls(tree: ast.AST, function: str) -> list[tuple]:
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == function \
                and not node.keywords:
            try:
                calls.append(tuple(ast.literal_eval(arg) for arg in node.args))
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
    return calls


def _check_from_asserts(tree: ast.Module, function: str, path: str) -> str:
    """`def check(candidate)` built from top-level statements with the function renamed."""
    body = [node for node in tree.body if not isinstance(node, (ast.Import, ast.ImportFrom))]
    imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    if not any(isinstance(node, ast.Assert) for node in body):
        raise UserInputError(f"{path}: no `def check(candidate)` and no top-level assert lines")
    renamed = [_CallsToCandidate(function).visit(node) for node in body]
    check = ast.FunctionDef(name="check", args=ast.arguments(
        posonlyargs=[], args=[ast.arg("candidate")], kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=imports + renamed, decorator_list=[], returns=None, type_params=[])
    return ast.unparse(ast.fix_missing_locations(check))


def build_user_problem(source_path: str, function: str, tests_path: str,
                       workload_path: str | None = None) -> Problem:
    """A Problem whose program is the source file and whose target is `function`."""
    source = _read(source_path, "source")
    tree = _parse(source, source_path)
    functions = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if function not in functions:
        known = ", ".join(sorted(functions)) or "none"
        raise UserInputError(f"{source_path}: no top-level function {function!r} (functions: {known})")
    clashes = _defined_names(tree) & set(_HARNESS)
    if clashes:
        raise UserInputError(f"{source_path}: defines {sorted(clashes)}, names the harness reserves")

    tests = _read(tests_path, "tests")
    tests_tree = _parse(tests, tests_path)
    test_calls = _literal_calls(tests_tree, function)  # before the check rewrite renames them
    defines_check = any(isinstance(n, ast.FunctionDef) and n.name == "check" for n in tests_tree.body)
    check_source = tests if defines_check else _check_from_asserts(tests_tree, function, tests_path)

    if workload_path:
        workload_source = _read(workload_path, "workload")
        workload_tree = _parse(workload_source, workload_path)
        if not any(isinstance(n, ast.FunctionDef) and n.name == "workload" for n in workload_tree.body):
            raise UserInputError(f"{workload_path}: no `def workload()` returning a list of argument tuples")
    else:
        calls = test_calls
        if not calls:
            raise UserInputError(f"{tests_path}: found no calls of {function}() with literal arguments "
                                 f"to time; pass --workload FILE with a workload() function")
        workload_source = f"def workload():\n    return {calls!r}\n"

    overlap = (_defined_names(tests_tree) - {"check"}) & _defined_names(tree)
    if overlap:
        raise UserInputError(f"{tests_path}: redefines {sorted(overlap)} from {source_path}")
    full = f"{source.rstrip()}\n\n\n{check_source.rstrip()}\n\n\n{workload_source.rstrip()}\n"
    try:
        compile(full, source_path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise UserInputError(f"{source_path}: the source and tests do not combine ({exc.msg})") from None
    return Problem(name=pathlib.Path(source_path).stem, split="", family="user", path=source_path,
                   source=full, program=source, entry_point=function)
