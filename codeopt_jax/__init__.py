"""codeopt-jax: a reinforcement-learning agent that rewrites Python functions to run faster.

Importing this package stays light (no JAX): the sandboxed scoring workers import it.
"""
