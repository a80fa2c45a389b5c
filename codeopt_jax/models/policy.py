"""Policy/value network: tree encoder -> (position, rule) logits + STOP logit, and a state value."""

from __future__ import annotations

from collections.abc import Mapping

import flax.linen as nn
import flax.struct
import jax
import jax.numpy as jnp

from codeopt_jax.models.config import ModelConfig, dummy_observation
from codeopt_jax.models.encoder import TreeEncoder

# Small output-layer init keeps the initial policy close to uniform over legal actions.
_LOGIT_INIT = nn.initializers.variance_scaling(0.01, "fan_in", "truncated_normal")


@flax.struct.dataclass
class PolicyOutput:
    """logits [B, L * R + 1] (raw: apply the action mask before use), value [B]."""

    logits: jax.Array
    value: jax.Array


def masked_mean_pool(hidden: jax.Array, valid: jax.Array) -> jax.Array:
    """hidden [B, L, D], valid [B, L] bool -> mean over valid positions [B, D] (0 for an empty row)."""
    weights = valid.astype(hidden.dtype)[:, :, None]
    count = jnp.maximum(weights.sum(axis=1), 1.0)
    return (hidden * weights).sum(axis=1) / count


class PolicyValueNet(nn.Module):
    """obs -> PolicyOutput(logits [B, L * R + 1], value [B]).

    Rule logits come from an MLP applied to every position's hidden state
    ([B, L, R], flattened position-major so index p * R + r is rule r at
    position p); the STOP logit comes from position 0 (the module token, the
    summary position); the value comes from an MLP on the masked mean of the
    hidden states concatenated with position 0's. Logits are not masked here.
    """

    config: ModelConfig

    @nn.compact
    def __call__(self, obs: Mapping[str, jax.Array], deterministic: bool = True) -> PolicyOutput:
        config = self.config
        hidden = TreeEncoder(config, name="encoder")(obs, deterministic=deterministic)
        valid = jnp.asarray(obs["valid"], bool)
        batch_size = hidden.shape[0]

        rule_hidden = nn.gelu(nn.Dense(config.mlp_dim, name="rule_hidden")(hidden))
        rule_logits = nn.Dense(config.num_rules, kernel_init=_LOGIT_INIT, name="rule_logits")(rule_hidden)

        summary = hidden[:, 0, :]
        stop_hidden = nn.gelu(nn.Dense(config.mlp_dim, name="stop_hidden")(summary))
        stop_logit = nn.Dense(1, kernel_init=_LOGIT_INIT, name="stop_logit")(stop_hidden)

        pooled = jnp.concatenate([masked_mean_pool(hidden, valid), summary], axis=-1)
        value_hidden = nn.gelu(nn.Dense(config.mlp_dim, name="value_hidden")(pooled))
        value = nn.Dense(1, name="value")(value_hidden)[:, 0]

        logits = jnp.concatenate([rule_logits.reshape(batch_size, -1), stop_logit], axis=-1)
        return PolicyOutput(logits=logits, value=value)


def init_policy(config: ModelConfig, key_init: jax.Array) -> tuple[PolicyValueNet, dict]:
    """Builds the network and initialises its parameters; returns (model, params)."""
    model = PolicyValueNet(config)
    variables = jax.jit(model.init)(key_init, dummy_observation(config))
    return model, variables["params"]


def param_shapes(config: ModelConfig) -> dict:
    """The parameter pytree as jax.ShapeDtypeStruct leaves, without computing anything."""
    model = PolicyValueNet(config)
    return jax.eval_shape(model.init, jax.random.key(0), dummy_observation(config))["params"]


def param_count(params) -> int:
    """Total number of scalars in a parameter pytree."""
    return int(sum(leaf.size for leaf in jax.tree.leaves(params)))
