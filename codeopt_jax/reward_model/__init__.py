"""A learned pairwise reward model: P(program A is better than program B) for one problem."""
