"""A generated problem before and after the sandbox: the draft, its harness, the corpus file.

  draft = draft_problem(parse_address("gen://manual_reduce/17"))   # text only, nothing runs
  harness = harness_source(draft)     # program + workload() + check_inputs(), for the sandbox
  text = render_problem(draft, expected)   # the corpus file, `expected` from the sandbox

The sandbox runs the original on every check input (`check_inputs()`) and returns each
result as literal source (`expected`); `render_problem` writes them into `check` as asserts.
Everything here is a function of the address alone: the same address gives the same text
in every process.
"""

from __future__ import annotations

import ast
import dataclasses
import random
from typing import Sequence

from codeopt_jax.generator.address import GenAddress, GeneratorError
from codeopt_jax.generator.code import TargetFunction
from codeopt_jax.generator.families import build_target
from codeopt_jax.generator.kinds import CHECK_CASES
from codeopt_jax.generator.literals import literal

CHECK_INPUTS_FUNCTION = "check_inputs"
PASS_BUDGET_NS = (2.5e6, 7.0e6)  # one workload pass of the original aims inside this range


@dataclasses.dataclass(frozen=True)
class ProblemDraft:
    """A generated problem without its expected values.

    Attributes:
      address: where it came from.
      summary: the one-line module docstring.
      entry_point: the target function's name.
      tags: the patterns the target holds (the family first).
      program: imports, helper functions and the target (what the agent rewrites).
      check_inputs: literal source of each check call's argument tuple, e.g. "([1, 2], 3)".
      workload_source: `def workload(): ...` (a seeded random.Random builder).
      sizes: items per sized argument in each workload call.
      calls: workload calls.
    """

    address: GenAddress
    summary: str
    entry_point: str
    tags: tuple[str, ...]
    program: str
    check_inputs: tuple[str, ...]
    workload_source: str
    sizes: int
    calls: int


def program_rng(address: GenAddress) -> random.Random:
    """The rng a problem is drawn with: seeded by text, so hash randomization never changes it."""
    return random.Random(f"codeopt-jax generator:{address.family}:{address.seed}")


def draft_problem(address: GenAddress) -> ProblemDraft:
    """The draft of `address` (text only: nothing is executed)."""
    rng = program_rng(address)
    target = build_target(address.family, rng)
    program = _program(target)
    try:
        ast.parse(program)
    except SyntaxError as exc:  # a generator bug: say which address and where
        raise GeneratorError(f"{address}: the generated program does not parse (line {exc.lineno}: {exc.msg})") \
            from None
    cases = [p.kind.check_values(rng) for p in target.params]
    inputs = list(dict.fromkeys(literal(tuple(values[case] for values in cases)) for case in range(CHECK_CASES)))
    calls = target.cost.calls or (1 if target.cost.fixed_size is not None else rng.choice((1, 2, 3, 4)))
    size = target.cost.size_for(rng.uniform(*PASS_BUDGET_NS) / calls)
    workload = _workload(target, rng.randrange(1_000_000), calls, size)
    return ProblemDraft(address=address, summary=target.summary, entry_point=target.name,
                        tags=(address.family,) + tuple(t for t in target.tags if t != address.family),
                        program=program, check_inputs=tuple(inputs), workload_source=workload, sizes=size, calls=calls)


def _program(target: TargetFunction) -> str:
    chunks = []
    if target.imports:
        chunks.append("\n".join(sorted(target.imports)) + "\n")
    chunks.extend(target.helpers)
    chunks.append(target.source())
    return "\n\n".join(chunks)


def _workload(target: TargetFunction, seed: int, calls: int, size: int) -> str:
    lines = ["def workload():", "    import random", f"    rng = random.Random({seed})", "    calls = []",
             f"    for _ in range({calls}):"]
    lines += [f"        {p.name} = {p.kind.builder('rng', size)}" for p in target.params]
    names = ", ".join(p.name for p in target.params)
    lines += [f"        calls.append(({names}{',' if len(target.params) == 1 else ''}))", "    return calls"]
    return "\n".join(lines) + "\n"


def _header(draft: ProblemDraft) -> str:
    summary = draft.summary.replace('"""', "'''").replace("\\", "/").strip()
    lines = [f'"""{summary}"""', "", f"# Generated: {draft.address}", ""]
    program = draft.program
    imports = []
    while program.startswith(("import ", "from ")):
        first, _, program = program.partition("\n")
        imports.append(first)
    if imports:
        lines += imports + [""]
    lines += [f'FAMILY = "{draft.address.family}"', f'ENTRY_POINT = "{draft.entry_point}"']
    if len(draft.tags) > 1:
        lines.append("TAGS = [" + ", ".join(f'"{t}"' for t in draft.tags) + "]")
    return "\n".join(lines) + "\n\n\n" + program.lstrip("\n")


def harness_source(draft: ProblemDraft) -> str:
    """Program, workload and `check_inputs()` (the check calls' arguments), for the sandbox."""
    inputs = "".join(f"        {args},\n" for args in draft.check_inputs)
    return (f"{_header(draft)}\n\ndef check(candidate):\n    pass\n\n\n{draft.workload_source}\n\n"
            f"def {CHECK_INPUTS_FUNCTION}():\n    return [\n{inputs}    ]\n")


_CLOSE = '''    def close(a, b):
        if isinstance(a, float) or isinstance(b, float):
            return isinstance(a, (int, float)) and isinstance(b, (int, float)) and \\
                abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
        if isinstance(a, (list, tuple)):
            return type(a) is type(b) and len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
        if isinstance(a, dict):
            return type(b) is dict and a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
        return type(a) is type(b) and a == b

'''


def has_float(source: str) -> bool:
    """Whether a literal's source holds a float (then `check` compares with a tolerance)."""
    return any(isinstance(node, ast.Constant) and isinstance(node.value, float)
               for node in ast.walk(ast.parse(source, mode="eval")))


def check_harness(draft: ProblemDraft, expected: Sequence[str]) -> str:
    """`render_problem`'s file with a one-call workload (the last check input): what the sandbox
    runs to see the original pass its own check, without building the large workload again."""
    light = f"def workload():\n    return [{draft.check_inputs[-1]}]\n"
    return render_problem(draft, expected, light)


def render_problem(draft: ProblemDraft, expected: Sequence[str], workload_source: str | None = None) -> str:
    """The corpus file: the draft's program with `check` asserting `expected` (one literal per check input)."""
    if len(expected) != len(draft.check_inputs):
        raise ValueError(f"{draft.address}: {len(expected)} expected values for {len(draft.check_inputs)} inputs")
    tolerant = any(has_float(value) for value in expected)
    asserts = []
    for args, value in zip(draft.check_inputs, expected):
        inside = args[1:-1]  # "(a, b)" -> "a, b"; "(a,)" -> "a"
        call = f"candidate({inside[:-1] if inside.endswith(',') else inside})"
        asserts.append(f"    assert close({call}, {value})\n" if tolerant else f"    assert {call} == {value}\n")
    check = "def check(candidate):\n" + (_CLOSE if tolerant else "") + "".join(asserts)
    return f"{_header(draft)}\n\n{check}\n\n{workload_source or draft.workload_source}"
