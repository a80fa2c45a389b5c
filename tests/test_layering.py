"""The import graph reads from the bottom up: every import points to its own layer or one below, no cycles.

Every module under `codeopt_jax/` and `launch/` is parsed with `ast` (function-local
imports included). A module belongs to the layer of its top-level name (`rewrites`
for `codeopt_jax.rewrites.names`, `launch` for every launcher).
"""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# Bottom to top. A module may import modules of its own layer or of a layer below it.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("primitives: programs, name scopes, tokens, actions, problems, benchmark files, run folders, config checks, "
     "overrides and the problem generator",
     frozenset({"__init__", "program", "syntax", "scopes", "vocabulary", "tokens", "actions", "corpus",
                "user_problem", "mbpp", "checkpoints", "metrics_log", "validation", "overrides", "generator"})),
    ("engines: sandboxed scoring, rewrite rules, networks, plots",
     frozenset({"scoring", "rewrites", "models", "plots"})),
    ("moves, rewards, learning rules, problems with synthesized workloads, generated problems validated in the sandbox",
     frozenset({"moves", "rewards", "rl", "corpus_check", "workloads", "benchmarks", "generated"})),
    ("environment, search, reward model, selection of a validated result, single-rewrite effects, agreement of "
     "a measure with timing",
     frozenset({"env", "search", "reward_model", "selection", "rule_effects", "cost_agreement"})),
    ("training and trained agents",
     frozenset({"config", "train", "rollouts", "agent"})),
    ("applications: evaluation, optimizing a user's function, the report",
     frozenset({"proposals", "evaluation", "optimize", "report"})),
    ("launchers", frozenset({"launch"})),
)
LAYER_OF = {name: rank for rank, (_, names) in enumerate(LAYERS) for name in names}
PACKAGES = ("codeopt_jax", "launch")


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, pathlib.Path]:
    return {_module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def _resolve(module: str, modules: dict[str, pathlib.Path]) -> str | None:
    """The project module an imported name refers to (the longest known prefix), or None."""
    parts = module.split(".")
    while parts:
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts.pop()
    return None


def _imports(name: str, path: pathlib.Path, modules: dict[str, pathlib.Path]) -> set[str]:
    """Project modules imported anywhere in the file (a `from pkg import sub` names the submodule)."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            resolved = _resolve(target, modules)
            if resolved is not None and resolved != name:
                found.add(resolved)
    return found


def _layer_key(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "launch":
        return "launch"
    return parts[1] if len(parts) > 1 else "__init__"


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


@pytest.mark.slow
def test_every_module_has_a_layer(graph):
    missing = sorted({_layer_key(name) for name in graph} - set(LAYER_OF))
    assert not missing, f"modules without a layer in LAYERS: {missing}"


def test_no_import_points_up(graph):
    upward = [f"{name} (layer {LAYER_OF[_layer_key(name)]}) imports {target} "
              f"(layer {LAYER_OF[_layer_key(target)]}: {LAYERS[LAYER_OF[_layer_key(target)]][0]})"
              for name, targets in sorted(graph.items()) for target in sorted(targets)
              if LAYER_OF[_layer_key(target)] > LAYER_OF[_layer_key(name)]]
    assert not upward, "\n".join(upward)


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for target in sorted(graph.get(name, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        state[name] = 2
        return None

    for name in sorted(graph):
        if name not in state:
            cycle = visit(name)
            if cycle:
                return cycle
    return None


def test_no_import_cycles(graph):
    # A package's __init__ re-exports its submodules; a submodule importing a sibling through
    # `from pkg import sibling` names the sibling, not the package, so that is no cycle.
    cycle = _find_cycle(graph)
    assert cycle is None, " -> ".join(cycle)


def test_the_checker_sees_function_local_upward_imports_and_cycles(tmp_path):
    """The checks themselves can fail: a hidden local import and a two-module cycle are caught."""
    modules = {"codeopt_jax.program": tmp_path / "program.py", "codeopt_jax.train": tmp_path / "train.py"}
    modules["codeopt_jax.program"].write_text("def f():\n    from codeopt_jax.train import train\n")
    modules["codeopt_jax.train"].write_text("from codeopt_jax import program\n")
    fake = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert fake["codeopt_jax.program"] == {"codeopt_jax.train"}
    assert LAYER_OF["train"] > LAYER_OF["program"]
    assert _find_cycle(fake) == ["codeopt_jax.program", "codeopt_jax.train", "codeopt_jax.program"]


@pytest.mark.slow
def test_every_module_says_what_it_owns():
    """Every module starts with a docstring whose first line is a sentence."""
    missing = []
    for name, path in _modules().items():
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        first = docstring.splitlines()[0].strip() if docstring else ""
        if not first or not first.endswith((".", ":")):
            missing.append(f"{name}: {first or 'no docstring'}")
    assert not missing, "\n".join(missing)


def test_the_scoring_workers_import_stays_light():
    """A sandboxed worker imports the scoring package; no JAX, numpy or libcst may come with it."""
    code = ("import sys, codeopt_jax.scoring, codeopt_jax.scoring.worker; "
            "print(sorted(m for m in ('jax', 'flax', 'optax', 'numpy', 'libcst') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            check=True).stdout.strip()
    assert loaded == "[]", loaded
