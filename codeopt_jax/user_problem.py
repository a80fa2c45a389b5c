"""Builds a Problem from a user's own files: their source module, their tests, maybe a workload.

Tests are taken as users write them (`test_style` tells which):
  * "check":   a HumanEval-style `def check(candidate)` whose asserts call `candidate(...)`;
  * "asserts": MBPP-style top-level `assert` lines (after any setup code), possibly over several
               functions of the module; calls of the target become calls of the candidate;
  * "pytest":  `def test_*()` functions (plain, `@pytest.mark.parametrize`d, or methods of a
               `class Test*`) that import the function from its module by name. Inside the
               sandbox, while the tests run, the module name resolves to the source with the
               target replaced by the candidate.
All three become one `def check(candidate)` in the harness, so the scorer runs them alike.

The problem's *program* is the whole source file, so helpers, constants, imports and classes
around the function stay in place. The harness (`Problem.source`) is the program, the check,
and the workload: the user's `def workload()` file, or one synthesized from the tests
(`attach_workload`; see `scoring.synthesis`). Every problem with the input raises
`UserInputError` with one line naming the file.
"""

from __future__ import annotations

import ast
import dataclasses
import pathlib

from codeopt_jax.corpus import Problem
from codeopt_jax.program import ProgramError, parse_program

_HARNESS = ("check", "workload", "edge_cases", "reference", "FAMILY", "ENTRY_POINT", "TAGS")
_PREFIX = "__codeopt_"
TEST_STYLES = ("check", "asserts", "pytest")


class UserInputError(ValueError):
    """Bad input to `optimize`; the message is one line naming the file."""


@dataclasses.dataclass(frozen=True)
class UserProblem:
    """A user's problem: the harness without its workload until one is attached."""

    problem: Problem        # source: program + check (+ workload when `has_workload`)
    test_style: str         # one of TEST_STYLES
    has_workload: bool


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
    except (ValueError, RecursionError, MemoryError) as exc:
        raise UserInputError(f"{path}: cannot be parsed ({exc})") from None


def _defined_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _imported_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names if alias.name != "*")
    return names


def _function(body: list[ast.stmt], name: str, argument: str) -> str:
    node = ast.FunctionDef(name=name, args=ast.arguments(
        posonlyargs=[], args=[ast.arg(argument)], kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=body or [ast.Pass()], decorator_list=[], returns=None, type_params=[])
    return ast.unparse(ast.fix_missing_locations(node))


class _CallsToCandidate(ast.NodeTransformer):
    def __init__(self, function: str):
        self.function = function

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id == self.function and isinstance(node.ctx, ast.Load):
            return ast.copy_location(ast.Name("candidate", ast.Load()), node)
        return node


def _is_check_call(node: ast.stmt) -> bool:
    """A top-level `check(...)` statement (HumanEval files often end with one)."""
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
        and isinstance(node.value.func, ast.Name) and node.value.func.id == "check"


def _check_from_asserts(tree: ast.Module, function: str, path: str) -> str:
    """`def check(candidate)` built from the top-level statements, the target renamed."""
    if not any(isinstance(node, ast.Assert) for node in tree.body):
        raise UserInputError(f"{path}: found no `def check(candidate)`, no `def test_*()` functions and no "
                             f"top-level assert lines")
    renamed = [_CallsToCandidate(function).visit(node) for node in tree.body]
    return _function(renamed, "check", "candidate")


def _mark_name(decorator: ast.expr) -> str:
    """'parametrize' for `@pytest.mark.parametrize(...)`, 'slow' for `@pytest.mark.slow`, else ''."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    parts = []
    while isinstance(target, ast.Attribute):
        parts.append(target.attr)
        target = target.value
    if isinstance(target, ast.Name):
        parts.append(target.id)
    parts.reverse()
    return parts[-1] if len(parts) >= 2 and parts[-2] == "mark" else ""


def _parametrize_names(decorator: ast.Call, path: str, test: str) -> list[str]:
    names = decorator.args[0] if decorator.args else None
    try:
        value = ast.literal_eval(names) if names is not None else None
    except ValueError:
        value = None
    if isinstance(value, str):
        return [name.strip() for name in value.split(",") if name.strip()]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise UserInputError(f"{path}: {test}(): parametrize needs literal argument names")


def _test_calls(node: ast.FunctionDef, call: str, path: str, skip_self: bool) -> list[str]:
    """Source lines that run one test function, once per parametrized combination."""
    params = [a.arg for a in node.args.args][1 if skip_self else 0:]
    loops: list[tuple[list[str], str]] = []
    for decorator in node.decorator_list:
        if _mark_name(decorator) == "parametrize" and isinstance(decorator, ast.Call) and len(decorator.args) >= 2:
            loops.append((_parametrize_names(decorator, path, node.name), ast.unparse(decorator.args[1])))
        elif _mark_name(decorator) in ("skip", "skipif", "xfail"):
            return []
    covered = {name for names, _ in loops for name in names}
    missing = [p for p in params if p not in covered]
    if missing:
        raise UserInputError(f"{path}: {node.name}() takes fixtures ({', '.join(missing)}); only plain and "
                             f"parametrized test functions can be run")
    lines, indent, arguments = [], "", []
    for index, (names, values) in enumerate(loops):
        lines.append(f"{indent}for {_PREFIX}v{index} in {values}:")
        indent += "    "
        arguments.append(f"**{_PREFIX}bind({tuple(names)!r}, {_PREFIX}v{index})")
    lines.append(f"{indent}{call}({', '.join(arguments)})")
    return lines


class _ExplicitStarImports(ast.NodeTransformer):
    """`from shop import *` -> `from shop import a, b` (a function body cannot import *)."""

    def __init__(self, module_names: list[str], public_names: list[str], path: str):
        self.module_names, self.public_names, self.path = module_names, public_names, path

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        if not any(alias.name == "*" for alias in node.names):
            return node
        if node.module not in self.module_names or node.level:
            raise UserInputError(f"{self.path}: `from {node.module} import *` at line {node.lineno}: only the "
                                 f"tested module may be star-imported; import names explicitly")
        return ast.copy_location(ast.ImportFrom(node.module, [ast.alias(n) for n in self.public_names], 0), node)


def _check_from_pytest(tree: ast.Module, function: str, module_names: list[str], public_names: list[str],
                       path: str) -> str:
    """`def check(candidate)`: installs the module under its names, runs the file's statements, then
    every test function and test method; the module entries are removed afterwards."""
    tree = _ExplicitStarImports(module_names, public_names, path).visit(tree)
    runs: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            runs.extend(_test_calls(node, node.name, path, skip_self=False))
            node.decorator_list = [d for d in node.decorator_list if not _mark_name(d)]
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for method in node.body:
                if isinstance(method, ast.FunctionDef) and method.name.startswith("test"):
                    runs.append(f"{_PREFIX}instance = {node.name}()")
                    runs.append(f"if hasattr({_PREFIX}instance, 'setup_method'): "
                                f"{_PREFIX}instance.setup_method(None)")
                    runs.extend(_test_calls(method, f"{_PREFIX}instance.{method.name}", path, skip_self=True))
                    method.decorator_list = [d for d in method.decorator_list if not _mark_name(d)]
    if not runs:
        raise UserInputError(f"{path}: the test functions are all skipped or take fixtures; nothing to run")
    module = "\n".join(ast.unparse(node) for node in tree.body)
    preamble = f"""
import sys as {_PREFIX}sys, types as {_PREFIX}types
{_PREFIX}names = {module_names!r}
{_PREFIX}saved = {{name: {_PREFIX}sys.modules.get(name) for name in {_PREFIX}names}}
{_PREFIX}module = {_PREFIX}types.ModuleType({_PREFIX}names[0])
{_PREFIX}module.__dict__.update({{k: v for k, v in globals().items() if not k.startswith("__")}})
setattr({_PREFIX}module, {function!r}, candidate)
def {_PREFIX}bind(names, values):
    return dict(zip(names, values)) if len(names) > 1 else {{names[0]: values}}
try:
    for name in {_PREFIX}names:
        {_PREFIX}sys.modules[name] = {_PREFIX}module
"""
    body = "\n".join("    " + line for line in (module + "\n" + "\n".join(runs)).splitlines())
    epilogue = f"""
finally:
    for name, saved in {_PREFIX}saved.items():
        if saved is None:
            {_PREFIX}sys.modules.pop(name, None)
        else:
            {_PREFIX}sys.modules[name] = saved
"""
    inner = preamble.strip("\n") + "\n" + body + "\n" + epilogue.strip("\n")
    return "def check(candidate):\n" + "\n".join("    " + line for line in inner.splitlines()) + "\n"


def _importing_modules(tree: ast.Module, function: str) -> list[str]:
    """Plain module names the tests import the function from (`from shop import order_total`)."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level and "." not in node.module \
                and any(alias.name == function for alias in node.names):
            names.append(node.module)
    return names


def check_source(tests: str, tests_path: str, function: str, module_name: str,
                 public_names: list[str] | None = None) -> tuple[str, str]:
    """(test_style, `def check(candidate)` source) for a tests file in any of the three styles
    (`public_names`: what `from module import *` brings in; default just the function)."""
    tree = _parse(tests, tests_path)
    tree.body = [node for node in tree.body if not _is_check_call(node)]
    if any(isinstance(n, ast.FunctionDef) and n.name == "check" for n in tree.body):
        return "check", ast.unparse(tree)
    has_tests = any((isinstance(n, ast.FunctionDef) and n.name.startswith("test"))
                    or (isinstance(n, ast.ClassDef) and n.name.startswith("Test")) for n in tree.body)
    if has_tests:
        names = list(dict.fromkeys([module_name, *_importing_modules(tree, function)]))
        return "pytest", _check_from_pytest(tree, function, names, public_names or [function], tests_path)
    return "asserts", _check_from_asserts(tree, function, tests_path)


def harness_problem(program: str, source_path: str, function: str, tests: str, tests_path: str,
                    name: str | None = None) -> UserProblem:
    """The program and its tests as a harness without a workload (raises UserInputError)."""
    tree = _parse(program, source_path)
    try:
        parse_program(program)
    except ProgramError as exc:
        raise UserInputError(f"{source_path}: the rewriter's parser (libcst) cannot read it ({exc}); "
                             f"mixed tabs and spaces?") from None
    functions = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if function not in functions:
        known = ", ".join(sorted(functions)) or "none"
        raise UserInputError(f"{source_path}: no top-level function {function!r} (functions: {known})")
    clashes = _defined_names(tree) & set(_HARNESS)
    if clashes:
        raise UserInputError(f"{source_path}: defines {sorted(clashes)}, names the harness reserves")
    module_name = pathlib.Path(source_path).stem
    public = sorted(name for name in _defined_names(tree) | _imported_names(tree) if not name.startswith("_"))
    style, check = check_source(tests, tests_path, function, module_name, public)
    if style == "check":
        overlap = (_defined_names(_parse(check, tests_path)) - {"check"}) & _defined_names(tree)
        if overlap:
            raise UserInputError(f"{tests_path}: redefines {sorted(overlap)} from {source_path}")
    full = f"{program.rstrip()}\n\n\n{check.rstrip()}\n"
    try:
        compile(full, source_path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise UserInputError(f"{tests_path}: the source and tests do not combine ({exc.msg})") from None
    problem = Problem(name=name or module_name, split="", family="user", path=source_path, source=full,
                      program=program, entry_point=function)
    return UserProblem(problem, style, has_workload=False)


def attach_workload(user: UserProblem, workload_source: str, edge_cases_source: str = "",
                    workload_path: str = "workload") -> UserProblem:
    """The harness with `def workload()` (and optionally `def edge_cases()`) appended."""
    tree = _parse(workload_source, workload_path)
    if not any(isinstance(n, ast.FunctionDef) and n.name == "workload" for n in tree.body):
        raise UserInputError(f"{workload_path}: no `def workload()` returning a list of argument tuples")
    problem = user.problem
    parts = [problem.source.rstrip(), workload_source.rstrip()] + ([edge_cases_source.rstrip()]
                                                                   if edge_cases_source else [])
    source = "\n\n\n".join(parts) + "\n"
    return UserProblem(dataclasses.replace(problem, source=source), user.test_style, has_workload=True)


def build_user_problem(source_path: str, function: str, tests_path: str,
                       workload_path: str | None = None) -> UserProblem:
    """Reads the files; the workload is attached when `workload_path` is given (else synthesize one)."""
    source = _read(source_path, "source")
    tests = _read(tests_path, "tests")
    user = harness_problem(source, source_path, function, tests, tests_path)
    if workload_path:
        user = attach_workload(user, _read(workload_path, "workload"), workload_path=workload_path)
    return user
