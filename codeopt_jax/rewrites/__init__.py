"""Rewrite rules: libcst transforms the agent applies at node ids of a program.

`ALL_RULES` is the fixed, ordered rule list (a rule's index is its action id);
`apply_rewrite` rewrites source text; `legal_actions` lists every (site, rule) pair.
"""

from codeopt_jax.rewrites.base import Edit, RewriteError, Rule, Safety
from codeopt_jax.rewrites.registry import ALL_RULES, apply_rewrite, legal_actions, rule_by_name, rule_index

__all__ = ["ALL_RULES", "Edit", "RewriteError", "Rule", "Safety", "apply_rewrite", "legal_actions", "rule_by_name",
           "rule_index"]
