"""Benchmark of the learner's update (a benchmark, not a test: it prints figures).

  python -m launch.bench_learner [--batch_scale 1,16] [--algo ppo] [--repeats 3] [--out results/bench_learner.md]

Times the update `train` runs (`train.make_learner_update`: data-parallel over every local
device) on synthetic rollouts of the config's shapes (`rl.synthetic`: T = env.max_steps, B =
batch_size x scale, about `--active_share` of the steps active, the rest padding), at the
config's model size. For each scale it reports the first call (compile + run), then the
median of `--repeats` further calls from the same starting state, and that median per active
(real) transition. Prints a markdown table and the devices and machine load it ran on; `--out`
also writes it, the command on its first line.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import statistics
import sys
import time

import jax
from absl import app, flags

from codeopt_jax import config as config_lib
from codeopt_jax.models.policy import init_policy, param_count, param_shapes
from codeopt_jax.rl.synthetic import RolloutShape, synthetic_rollout
from codeopt_jax.rl.train_state import create_train_state, make_optimizer
from codeopt_jax.train import learner_devices, make_learner_update

_CONFIG = flags.DEFINE_string("config", "default", "Config preset whose shapes and hyperparameters are timed.")
_ALGO = flags.DEFINE_enum("algo", None, list(config_lib.ALGORITHMS), "Update to time (default: the preset's).")
_BATCH_SCALE = flags.DEFINE_list("batch_scale", ["1", "16"], "Multiples of the preset's batch_size to time.")
_ACTIVE_SHARE = flags.DEFINE_float("active_share", 0.2, "Expected share of active (non-padding) steps.")
_REPEATS = flags.DEFINE_integer("repeats", 3, "Timed calls per scale after the first (compiling) one.")
_SEED = flags.DEFINE_integer("seed", 0, "Seeds the parameters and the synthetic rollouts.")
_OUT = flags.DEFINE_string("out", None, "Also write the markdown here, the command on its first line.")


@dataclasses.dataclass(frozen=True)
class UpdateTiming:
    """One scale's figures: the rollout's size and the update's seconds."""

    scale: int
    batch: int                 # B
    transitions: int           # T * B
    active: int                # active (real) transitions
    first_seconds: float       # first call: compile + run
    seconds: float             # median of the repeats
    epochs_run: float | None   # PPO epochs the update ran (early stop can skip some); None for REINFORCE

    @property
    def seconds_per_active(self) -> float:
        return self.seconds / max(self.active, 1)


def _scales(values: list[str]) -> list[int]:
    try:
        scales = [int(value) for value in values]
    except ValueError:
        raise app.UsageError(f"--batch_scale must be a comma-separated list of positive integers, got {values}")
    if not scales or min(scales) < 1:
        raise app.UsageError(f"--batch_scale must be a comma-separated list of positive integers, got {values}")
    return scales


def time_scale(config: config_lib.TrainConfig, scale: int, say) -> UpdateTiming:
    """Builds the update and a synthetic rollout for batch_size * scale, then times the update."""
    config = dataclasses.replace(config, batch_size=config.batch_size * scale)
    model_config = config_lib.model_config(config)
    model, params = init_policy(model_config, jax.random.PRNGKey(config.seed))
    optimizer = make_optimizer(config.ppo if config.algo == "ppo" else config.reinforce)
    parallel = learner_devices(config, say)
    update = make_learner_update(config, model.apply, optimizer, parallel)
    shape = RolloutShape(steps=config.env.max_steps, batch=config.batch_size, active_share=_ACTIVE_SHARE.value)
    start = time.perf_counter()
    rollout = synthetic_rollout(params, model.apply, model_config, shape, seed=config.seed + scale)
    say(f"  scale {scale}: rollout [T={shape.steps}, B={shape.batch}] made in {time.perf_counter() - start:.1f} s; "
        f"compiling the update ...")
    state, _ = parallel.place(create_train_state(params, optimizer), rollout)
    key_minibatch = jax.random.PRNGKey(config.seed)
    start = time.perf_counter()
    metrics = jax.block_until_ready(update(state, rollout, key_minibatch)[1])
    first = time.perf_counter() - start
    seconds = []
    for repeat in range(_REPEATS.value):
        start = time.perf_counter()
        jax.block_until_ready(update(state, rollout, key_minibatch))
        seconds.append(time.perf_counter() - start)
        say(f"  scale {scale}: call {repeat + 1}/{_REPEATS.value} took {seconds[-1]:.2f} s")
    epochs_run = float(metrics["epochs_run"]) if "epochs_run" in metrics else None
    return UpdateTiming(scale=scale, batch=shape.batch, transitions=shape.steps * shape.batch,
                        active=int(rollout.transitions.active.sum()), first_seconds=first,
                        seconds=statistics.median(seconds), epochs_run=epochs_run)


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    if _REPEATS.value < 1:
        raise app.UsageError(f"--repeats must be positive, got {_REPEATS.value}")
    scales = _scales(_BATCH_SCALE.value)
    overrides = {"algo": _ALGO.value} if _ALGO.value else {}
    config = config_lib.preset(_CONFIG.value, seed=_SEED.value, **overrides)
    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    devices = jax.local_devices()
    load = os.getloadavg()
    model_config = config_lib.model_config(config)
    header = [
        f"Learner update ({config.algo}, preset `{_CONFIG.value}`): {len(devices)} local "
        f"{devices[0].platform} device(s) ({devices[0].device_kind}), jax {jax.__version__}; "
        f"{os.cpu_count()} host cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min) "
        f"at the start.",
        f"Model: {param_count(param_shapes(model_config)):,} parameters, "
        f"L = {model_config.max_len}, {model_config.num_actions:,} actions; T = {config.env.max_steps}; "
        f"synthetic rollouts with about {_ACTIVE_SHARE.value:.0%} of the steps active; "
        + (f"{config.ppo.epochs} epochs x {config.ppo.num_minibatches} minibatches."
           if config.algo == "ppo" else f"{config.reinforce.num_gradient_steps} full-batch gradient step(s)."),
        "",
    ]
    for line in header:
        print(line, flush=True)
    timings = [time_scale(config, scale, say) for scale in scales]
    table = [
        "| batch scale | B | T x B | active | first call s | update s (median) | ms per active transition "
        "| active transitions / s | epochs run |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ] + [f"| {t.scale} | {t.batch} | {t.transitions} | {t.active} | {t.first_seconds:.2f} | {t.seconds:.3f} "
         f"| {t.seconds_per_active * 1e3:.3f} | {1.0 / t.seconds_per_active:.0f} "
         f"| {'-' if t.epochs_run is None else f'{t.epochs_run:g}'} |"
         for t in timings]
    for line in table:
        print(line, flush=True)
    lines = header + table
    if _OUT.value:
        command = "python -m launch.bench_learner " + " ".join(sys.argv[1:])
        path = pathlib.Path(_OUT.value)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"`$ {command.strip()}`\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {path}", flush=True)


if __name__ == "__main__":
    app.run(main)
