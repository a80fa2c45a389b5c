"""A trained agent loaded from a run folder: its config, policy network and parameters.

  agent = load_agent("results/default_run")     # a workdir written by `train`
  episodes = run_greedy(agent.params, agent.model.apply, env, problems)

The run folder holds `config.json` and `checkpoints/<iteration>/`; the newest
checkpoint is used unless `iteration` is given.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib

import jax

from codeopt_jax import checkpoints, config as config_lib
from codeopt_jax.models.policy import PolicyValueNet, param_shapes
from codeopt_jax.rl.train_state import create_train_state, make_optimizer

DEFAULT_AGENT = pathlib.Path(__file__).resolve().parents[1] / "results" / "default_run"


class AgentLoadError(ValueError):
    """The run folder is missing, incomplete, or from an incompatible version of the code."""


@dataclasses.dataclass(frozen=True)
class Agent:
    config: config_lib.TrainConfig
    model: PolicyValueNet
    params: dict
    iteration: int
    workdir: str


def load_agent(workdir: str | pathlib.Path = DEFAULT_AGENT, iteration: int | None = None) -> Agent:
    """Loads config and parameters; raises AgentLoadError with the folder and the problem."""
    workdir = pathlib.Path(workdir)
    config_path = checkpoints.config_path(workdir)
    if not config_path.exists():
        raise AgentLoadError(f"{workdir}: not a training run folder (no {checkpoints.CONFIG_FILE})")
    try:
        config = config_lib.from_json(json.loads(config_path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise AgentLoadError(f"{config_path}: unreadable config ({exc})") from None
    checkpointer = checkpoints.Checkpointer(checkpoints.checkpoints_dir(workdir))
    try:
        step = iteration if iteration is not None else checkpointer.latest_step()
        if step is None:
            raise AgentLoadError(f"{workdir}: no checkpoint in {checkpoints.checkpoints_dir(workdir)}")
        model_cfg = config_lib.model_config(config)
        algo_config = config.ppo if config.algo == "ppo" else config.reinforce
        optimizer = make_optimizer(algo_config)
        # Shapes only: restoring needs the structure, not initialised values (no compile).
        target = jax.eval_shape(lambda params: create_train_state(params, optimizer), param_shapes(model_cfg))
        try:
            state, _ = checkpointer.restore(step, target, config_lib.fingerprint(config))
        except checkpoints.CheckpointMismatchError as exc:
            raise AgentLoadError(str(exc)) from None
        except FileNotFoundError:
            raise AgentLoadError(f"{workdir}: no checkpoint for iteration {step}") from None
    finally:
        checkpointer.close()
    return Agent(config=config, model=PolicyValueNet(model_cfg), params=state.params, iteration=step,
                 workdir=str(workdir))
