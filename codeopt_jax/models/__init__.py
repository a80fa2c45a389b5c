"""Neural networks over tokenized programs: tree encoder, policy/value net, masked distributions.

Observation contract (one batch, a dict of arrays; see `codeopt_jax.tokens`):
`tokens [B, L] int32`, `depth [B, L] int32`, `parent [B, L] int32` (-1 = none),
`valid [B, L] bool` and, for the policy, `action_mask [B, L * R + 1] bool`
(index `p * R + r` is rule r at position p, the last index is STOP).
"""

from codeopt_jax.models.config import ModelConfig, dummy_observation
from codeopt_jax.models.encoder import TreeEncoder
from codeopt_jax.models.policy import PolicyOutput, PolicyValueNet, init_policy, param_count, param_shapes

__all__ = [
    "ModelConfig",
    "PolicyOutput",
    "PolicyValueNet",
    "TreeEncoder",
    "dummy_observation",
    "init_policy",
    "param_count",
    "param_shapes",
]
