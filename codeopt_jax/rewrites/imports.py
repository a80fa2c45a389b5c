"""How new code names an object of the standard library, and the import that has to be added."""

from __future__ import annotations

import dataclasses

import libcst as cst

from codeopt_jax.rewrites.context import ProgramContext


@dataclasses.dataclass(frozen=True)
class ImportedName:
    """An expression naming the object here, and the import statements the edit must add (maybe none)."""

    reference: cst.BaseExpression
    imports: tuple[str, ...]


def imported_name(ctx: ProgramContext, module: str, attribute: str, import_module: bool = True) -> ImportedName | None:
    """`attribute` of `module` as the program can name it: an existing `from module import attribute`
    or `import module`, else a new import (`import module` when `import_module`, otherwise
    `from module import attribute`, the other spelling where that one would clash with a name the
    program uses); None when both would clash."""
    for bound, origin in ctx.module_imports.items():
        if origin == f"{module}.{attribute}" and ctx.imported_module(bound) is not None:
            return ImportedName(cst.Name(bound), ())
    for bound, origin in ctx.module_imports.items():
        if origin == module and ctx.imported_module(bound) is not None:
            return ImportedName(cst.Attribute(value=cst.Name(bound), attr=cst.Name(attribute)), ())
    by_module = ImportedName(cst.Attribute(value=cst.Name(module), attr=cst.Name(attribute)), (f"import {module}",))
    by_name = ImportedName(cst.Name(attribute), (f"from {module} import {attribute}",))
    spellings = ((by_module, module), (by_name, attribute))
    for choice, new_name in spellings if import_module else spellings[::-1]:
        if new_name not in ctx.identifiers:
            return choice
    return None
