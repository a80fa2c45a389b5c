"""The flat action space: (token position, rule) pairs plus STOP, its mask, size and encoding.

Actions: `action_mask(module, tokenized, rules)` is a bool [L, R] array,
True at [p, r] iff rule r has a site at the node whose token is at position p.
STOP is one extra action that is always legal: the policy's flat logits are
[L * R + 1], index `p * R + r` for (position p, rule r) and index `L * R` for
STOP; `flat_action_mask` builds that mask and `decode_action` inverts it into an `Action`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Protocol

import libcst as cst
import numpy as np

from codeopt_jax.tokens import TokenizedProgram

@dataclasses.dataclass(frozen=True)
class Action:
    """One decoded flat action: STOP, or rule `rule_index` at the token at `position`."""

    stop: bool
    position: int = -1
    rule_index: int = -1


STOP = Action(stop=True)


class RuleLike(Protocol):
    """What action_mask needs from a rewrite rule."""

    name: str

    def sites(self, module: cst.Module) -> list[int]: ...


def action_mask(module: cst.Module, tokenized: TokenizedProgram, rules: Sequence[RuleLike]) -> np.ndarray:
    """Bool [L, R]: True at [p, r] iff rules[r] has a site whose node is at position p.

    Sites at skipped syntax nodes or outside the tokens kept (the prefix or window) stay False.
    Raises ValueError for a site id outside the program (module and tokenized
    do not belong together, or the rule is broken).
    """
    mask = np.zeros((tokenized.max_len, len(rules)), bool)
    for rule_index, rule in enumerate(rules):
        for site in rule.sites(module):
            if not 0 <= site < tokenized.num_nodes:
                raise ValueError(
                    f"rule {rule.name!r} returned node id {site}, but the program has {tokenized.num_nodes} nodes"
                )
            position = tokenized.node_to_position.get(site)
            if position is not None:
                mask[position, rule_index] = True
    return mask


def flat_action_mask(mask: np.ndarray) -> np.ndarray:
    """[..., L, R] -> [..., L * R + 1]: index p * R + r is (p, r), the last is STOP (always legal)."""
    *batch, length, num_rules = mask.shape
    flat = mask.reshape(*batch, length * num_rules).astype(bool)
    return np.concatenate([flat, np.ones((*batch, 1), bool)], axis=-1)


def num_actions(max_len: int, num_rules: int) -> int:
    """Size of the flat action space: L * R site actions plus STOP."""
    return max_len * num_rules + 1


def stop_index(max_len: int, num_rules: int) -> int:
    """The flat index of STOP (the last one)."""
    return num_actions(max_len, num_rules) - 1


def encode_action(position: int, rule_index: int, max_len: int, num_rules: int) -> int:
    """The flat index of (position, rule_index)."""
    if not (0 <= position < max_len and 0 <= rule_index < num_rules):
        raise ValueError(f"action ({position}, {rule_index}) outside [{max_len}, {num_rules}]")
    return position * num_rules + rule_index


def decode_action(index: int, max_len: int, num_rules: int) -> Action:
    """A flat index -> `STOP` or `Action(stop=False, position, rule_index)`; raises ValueError outside the space."""
    index = int(index)
    if index == stop_index(max_len, num_rules):
        return STOP
    if not 0 <= index < max_len * num_rules:
        raise ValueError(f"action index {index} outside [0, {max_len * num_rules}]")
    position, rule_index = divmod(index, num_rules)
    return Action(stop=False, position=position, rule_index=rule_index)
