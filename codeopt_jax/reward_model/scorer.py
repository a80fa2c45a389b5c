"""Inference with a trained reward model: calibrated scores and P(A better than B).

  scorer = RewardModelScorer.load("runs/reward_model")
  s = scorer.scores(sources)                 # [N] float32, one jitted forward per batch
  p = scorer.prob_better(a_sources, b_sources)  # [N] P(a_i better than b_i)

Scores are the model's scores divided by the temperature fitted on validation pairs,
so sigmoid(s_a − s_b) is the calibrated probability. Only differences between programs
of the same problem are meaningful. Sources must parse (`ProgramError` otherwise).
"""

from __future__ import annotations

import json
import pathlib
from typing import Sequence

import numpy as np

from codeopt_jax.checkpoints import Checkpointer
from codeopt_jax.reward_model import calibration
from codeopt_jax.reward_model.model import (RewardModelConfig, featurize, make_forward, pad_length, param_shapes,
                                            score_in_batches)
from codeopt_jax.reward_model.training import CONFIG_FILE, MODEL_DIR


class RewardModelScorer:
    """A trained reward model's parameters with a jitted forward."""

    def __init__(self, config: RewardModelConfig, params, temperature: float = 1.0, batch_size: int = 256):
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.config = config
        self.params = params
        self.temperature = float(temperature)
        self.batch_size = batch_size
        self._forward = make_forward(config)

    @classmethod
    def load(cls, workdir: str | pathlib.Path, batch_size: int = 256) -> "RewardModelScorer":
        """Loads the model chosen by `launch.train_reward_model` from its workdir."""
        workdir = pathlib.Path(workdir)
        payload = json.loads((workdir / CONFIG_FILE).read_text(encoding="utf-8"))
        config = RewardModelConfig(**payload["model"])
        checkpointer = Checkpointer(workdir / MODEL_DIR, max_to_keep=1)
        try:
            step = checkpointer.latest_step()
            if step is None:
                raise FileNotFoundError(f"{workdir / MODEL_DIR}: no saved reward model")
            target = {"params": param_shapes(config)}
            restored, info = checkpointer.restore(step, target, config.fingerprint())
        finally:
            checkpointer.close()
        temperature = float(info.get("temperature", payload.get("temperature", 1.0)))
        return cls(config, restored["params"], temperature, batch_size)

    def scores(self, sources: Sequence[str], max_len: int | None = None) -> np.ndarray:
        """[N] calibrated scores (higher is better); programs are cut to min(max_len, the model's) tokens."""
        length = self.config.max_len if max_len is None else min(max_len, self.config.max_len)
        if not sources:
            return np.zeros(0, np.float32)
        obs = pad_length(featurize(list(sources), length), self.config.max_len)
        return score_in_batches(self._forward, self.params, obs, self.batch_size) / self.temperature

    def prob_better(self, a_sources: Sequence[str], b_sources: Sequence[str],
                    max_len: int | None = None) -> np.ndarray:
        """[N] P(a_i is better than b_i) = sigmoid(s(a_i) − s(b_i))."""
        if len(a_sources) != len(b_sources):
            raise ValueError(f"{len(a_sources)} A programs but {len(b_sources)} B programs")
        both = self.scores(list(a_sources) + list(b_sources), max_len)
        return calibration.sigmoid(both[:len(a_sources)] - both[len(a_sources):]).astype(np.float32)
