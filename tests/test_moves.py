"""Host-side moves on a long program: the view is a window around the entry point, and its actions hit their nodes."""

from __future__ import annotations

import libcst as cst
import numpy as np
import pytest

from codeopt_jax import moves
from codeopt_jax.program import parse_program, preorder
from codeopt_jax.rewrites import ALL_RULES

TARGET = "def total(xs):\n    result = 0\n    for x in xs:\n        result += x\n    return result\n"


def _helper(index: int) -> str:
    return f"def helper_{index}(xs):\n    acc = 0\n    for x in xs:\n        acc += x\n    return acc\n"


def long_program(before: int = 5, after: int = 5) -> str:
    """Helpers (the same rewritable loop as the target) before and after `total`."""
    return "\n\n".join([_helper(i) for i in range(before)] + [TARGET] + [_helper(before + i) for i in range(after)])


def top_level_functions(source: str) -> dict[str, str]:
    """name -> code of each top-level function."""
    module = parse_program(source)
    return {node.name.value: module.code_for_node(node) for node in module.body if isinstance(node, cst.FunctionDef)}


def owner_of(source: str, node_id: int) -> str:
    """The name of the top-level function holding node `node_id`."""
    module = parse_program(source)
    ids = {id(node): index for index, node in enumerate(preorder(module))}
    for statement in module.body:
        start = ids[id(statement)]
        if start <= node_id < start + len(preorder(statement)):
            return statement.name.value
    raise AssertionError(f"node {node_id} is in no top-level function")


def test_actions_through_the_window_rewrite_the_node_they_show():
    source = long_program()
    allowed = moves.allowed_rules(False)
    view = moves.view_program(source, 64, allowed, focus="total")
    prefix = moves.view_program(source, 64, allowed)
    assert view.truncated and view.window_offset > 0 and prefix.window_offset == 0
    legal = np.flatnonzero(view.action_mask[:-1])
    owners = {}
    for action in legal:
        site = moves.decode(view, int(action))
        owners.setdefault(owner_of(source, site.node_id), []).append(site)
    assert "total" in owners and set(owners) - {"total"}  # the target and a neighbour in the window
    assert "total" not in {owner_of(source, moves.decode(prefix, int(a)).node_id)
                           for a in np.flatnonzero(prefix.action_mask[:-1])}
    before = top_level_functions(source)
    for owner, sites in owners.items():
        after = top_level_functions(moves.rewrite(source, sites[0].node_id, sites[0].rule_index))
        changed = {name for name in before if before[name] != after.get(name)}
        assert changed == {owner}, (ALL_RULES[sites[0].rule_index].name, owner, changed)


@pytest.mark.slow
def test_step_keeps_the_window_on_the_focus():
    source = long_program()
    allowed = moves.allowed_rules(False)
    view = moves.view_program(source, 64, allowed, focus="total")
    site = next(s for s in (moves.decode(view, int(a)) for a in np.flatnonzero(view.action_mask[:-1]))
                if owner_of(source, s.node_id) == "total")
    result = moves.step_program(source, site.node_id, site.rule_index, 64, allowed, "total")
    assert result.view is not None and result.view.window_offset > 0
    shown = {owner_of(result.view.source, int(n)) for n in result.view.node_id[1:]}
    assert "total" in shown
