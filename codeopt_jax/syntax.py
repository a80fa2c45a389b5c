"""Groups of libcst node classes the analyses and rules share: loops, scopes, comprehensions, blocks."""

from __future__ import annotations

import libcst as cst

LOOP_TYPES = (cst.For, cst.While)
SCOPE_TYPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
COMPREHENSION_TYPES = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
BLOCK_TYPES = (cst.IndentedBlock, cst.Module)
