"""A tiny untrained agent and corpus for launcher tests, saved the way `train` saves a run.

Written once per test session in a subprocess that shares a persistent JAX compilation
cache with the launcher subprocesses, so the policy is compiled once, not per process.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
TRAIN = ("inventory_value", "hamming_distance")
HELDOUT = ("failed_job_count", "cheapest_direct_flight")  # manual_reduce (seen in TRAIN), sort_extremum (unseen)


def tiny_config(corpus_root: str):
    from codeopt_jax import config as config_lib
    from codeopt_jax.env import EnvConfig
    return config_lib.preset("quick", corpus_root=str(corpus_root), d_model=16, num_heads=1, num_layers=1,
                             mlp_dim=32, env=EnvConfig(max_len=160, max_steps=2, rewrite_workers=0))


def write_agent(workdir: str, corpus_root: str) -> None:
    """config.json plus a checkpoint of freshly initialised parameters at iteration 1."""
    import jax

    from codeopt_jax import checkpoints, config as config_lib
    from codeopt_jax.models.policy import init_policy
    from codeopt_jax.rl.train_state import create_train_state, make_optimizer

    config = tiny_config(corpus_root)
    _, params = init_policy(config_lib.model_config(config), jax.random.PRNGKey(0))
    state = create_train_state(params, make_optimizer(config.ppo))
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    checkpoints.config_path(workdir).write_text(json.dumps(config.to_json(), indent=2), encoding="utf-8")
    checkpointer = checkpoints.Checkpointer(checkpoints.checkpoints_dir(workdir))
    checkpointer.save(1, state, config_lib.fingerprint(config), {"iteration": 1})
    checkpointer.close()


def subprocess_env(base: pathlib.Path) -> dict[str, str]:
    """Environment for launcher subprocesses: a compilation cache shared by the whole session."""
    return {**os.environ, "JAX_COMPILATION_CACHE_DIR": str(base / "jax_cache"),
            "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0", "PYTHONPATH": str(ROOT)}


def shared_agent(base: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    """(agent run folder, corpus root) under `base` (the session's temporary folder), made once."""
    corpus_root, workdir = base / "tiny_corpus", base / "tiny_agent"
    if not (corpus_root / "heldout").is_dir():
        for split, names in (("train", TRAIN), ("heldout", HELDOUT)):
            (corpus_root / split).mkdir(parents=True, exist_ok=True)
            for name in names:
                shutil.copy(ROOT / "corpus" / split / f"{name}.py", corpus_root / split / f"{name}.py")
    if not (workdir / "config.json").exists():
        code = "import sys; from tests.tiny_agent import write_agent; write_agent(sys.argv[1], sys.argv[2])"
        result = subprocess.run([sys.executable, "-c", code, str(workdir), str(corpus_root)], cwd=ROOT,
                                env=subprocess_env(base), capture_output=True, text=True, timeout=300)
        if result.returncode:
            raise RuntimeError(f"writing the tiny agent failed:\n{result.stderr}")
    return workdir, corpus_root
