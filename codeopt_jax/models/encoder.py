"""A transformer encoder over tokenized programs that knows the tree structure.

Each position's input is the sum of five learned embeddings:

* its token;
* its depth in the tree (clipped to `max_depth`);
* its pre-order index (the position itself, so siblings keep their order);
* its parent's token (a reserved id for "no parent": the module and padding);
* the clipped offset `position - parent` (1 for a first child, larger for later
  siblings' subtrees; 0 means "no parent").

The two parent embeddings tell each token what it hangs under without a
structural attention bias. Pre-LN transformer blocks follow, attending only to
valid keys, then a final LayerNorm. Hidden states at padding positions are set
to zero, so nothing downstream can read them by accident.

Standalone: `TreeEncoder(config).apply(variables, obs) -> hidden [B, L, D]`;
it reads only `tokens`, `depth`, `parent` and `valid` from `obs`, so a reward
model can reuse it on observations without an action mask.
"""

from __future__ import annotations

from collections.abc import Mapping

import flax.linen as nn
import jax
import jax.numpy as jnp

from codeopt_jax.models.config import ModelConfig

_EMBED_INIT = nn.initializers.normal(stddev=0.02)


class EncoderBlock(nn.Module):
    """Pre-LN transformer block: x + Attn(LN(x)), then x + MLP(LN(x))."""

    config: ModelConfig

    @nn.compact
    def __call__(self, x: jax.Array, attention_mask: jax.Array, deterministic: bool) -> jax.Array:
        """x [B, L, D], attention_mask [B, 1, 1, L] bool (True = attend to that key) -> [B, L, D]."""
        config = self.config
        h = nn.LayerNorm(name="attention_norm")(x)
        h = nn.MultiHeadDotProductAttention(
            num_heads=config.num_heads,
            qkv_features=config.d_model,
            dropout_rate=config.dropout,
            deterministic=deterministic,
            name="attention",
        )(h, h, mask=attention_mask)
        x = x + nn.Dropout(config.dropout, deterministic=deterministic)(h)
        h = nn.LayerNorm(name="mlp_norm")(x)
        h = nn.Dense(config.mlp_dim, name="mlp_in")(h)
        h = nn.gelu(h)
        h = nn.Dense(config.d_model, name="mlp_out")(h)
        return x + nn.Dropout(config.dropout, deterministic=deterministic)(h)


class TreeEncoder(nn.Module):
    """Tokens plus tree position -> per-position hidden states [B, L, D] (see the module docstring)."""

    config: ModelConfig

    @nn.compact
    def __call__(self, obs: Mapping[str, jax.Array], deterministic: bool = True) -> jax.Array:
        """obs: tokens, depth, parent [B, L] int32 and valid [B, L] bool -> hidden [B, L, D] float32.

        Dropout (when config.dropout > 0 and deterministic=False) needs a "dropout" rng.
        """
        config = self.config
        token_ids = jnp.asarray(obs["tokens"], jnp.int32)
        depth = jnp.asarray(obs["depth"], jnp.int32)
        parent = jnp.asarray(obs["parent"], jnp.int32)
        valid = jnp.asarray(obs["valid"], bool)
        if token_ids.ndim != 2 or token_ids.shape[1] != config.max_len:
            raise ValueError(f"tokens must be [B, {config.max_len}], got shape {token_ids.shape}")
        length = config.max_len
        positions = jnp.arange(length, dtype=jnp.int32)

        has_parent = (parent >= 0) & valid
        parent_position = jnp.where(has_parent, parent, 0)
        parent_token = jnp.take_along_axis(token_ids, parent_position, axis=1)
        parent_token = jnp.where(has_parent, parent_token, config.vocab_size)
        parent_offset = jnp.where(has_parent, jnp.clip(positions[None, :] - parent, 1, config.max_parent_offset), 0)

        def embed(num: int, name: str, ids: jax.Array) -> jax.Array:
            return nn.Embed(num, config.d_model, embedding_init=_EMBED_INIT, name=name)(ids)

        x = embed(config.vocab_size, "token_embed", token_ids)
        x += embed(config.max_depth + 1, "depth_embed", jnp.clip(depth, 0, config.max_depth))
        x += embed(length, "position_embed", positions)[None, :, :]
        x += embed(config.vocab_size + 1, "parent_token_embed", parent_token)
        x += embed(config.max_parent_offset + 1, "parent_offset_embed", parent_offset)
        x = nn.Dropout(config.dropout, deterministic=deterministic)(x)

        attention_mask = valid[:, None, None, :]
        for layer in range(config.num_layers):
            x = EncoderBlock(config, name=f"block_{layer}")(x, attention_mask, deterministic)
        x = nn.LayerNorm(name="final_norm")(x)
        return jnp.where(valid[:, :, None], x, 0.0)
