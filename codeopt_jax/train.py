"""The training loop: `train(config, workdir)`, resumable, logged, deterministic in op-count mode.

Train problems are the corpus's train split plus `config.generated_problems` generated ones
(`codeopt_jax.generated`, made before the first iteration); held-out evaluation stays on the
corpus. Each iteration: pick B train problems (seeded by (seed, iteration)), sample one episode
per problem (one jitted policy call per step for the batch), update with PPO or
REINFORCE (jitted, lax.scan inside), log (`train/distinct_programs`: the distinct
programs the training episodes have reached so far, originals included), and every few
iterations evaluate greedily on the held-out split and checkpoint. PRNG keys are `fold_in(seed key, iteration)`, so
a resumed run continues exactly as an uninterrupted one would. SIGTERM and Ctrl-C save
a checkpoint of the last finished iteration and return cleanly.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import signal
import sys
import time
from typing import Callable

import jax
import numpy as np

from codeopt_jax import checkpoints, config as config_lib, corpus, generated
from codeopt_jax.env import CodeOptEnv
from codeopt_jax.metrics_log import DISTINCT_PROGRAMS, MetricsWriter, VisitedPrograms
from codeopt_jax.models.policy import PolicyValueNet, init_policy
from codeopt_jax.rewards import RewardConfig, geomean, is_broken, timed_or_counted_speedup
from codeopt_jax.rl.parallel import DataParallel
from codeopt_jax.rl.ppo import make_ppo_update
from codeopt_jax.rl.reinforce import make_reinforce_update
from codeopt_jax.rl.train_state import TrainState, create_train_state, make_optimizer
from codeopt_jax.rl.types import Rollout
from codeopt_jax.rollouts import Episode, collect_rollout, run_greedy
from codeopt_jax.scoring import ScoringBackend, ScoringService

_GATES = RewardConfig()  # for metrics: a program is broken if it fails its tests or the differential check


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """What a finished (or interrupted) run leaves: its last iteration and final evaluation."""

    iterations_done: int
    interrupted: bool
    final_eval: list[Episode]
    workdir: str


def episode_metrics(episodes: list[Episode], prefix: str) -> dict[str, float]:
    """Return, speedup (op-count or timed; a broken program counts as 1x) and broken share."""
    speedups = [timed_or_counted_speedup(e.record) if not is_broken(e.record, _GATES) else 1.0
                for e in episodes]
    return {
        f"{prefix}/return_mean": float(np.mean([e.phi for e in episodes])),
        f"{prefix}/speedup_geomean": geomean([s or 1.0 for s in speedups]),
        f"{prefix}/improved_frac": float(np.mean([(s or 1.0) >= 1.1 for s in speedups])),
        f"{prefix}/broken_frac": float(np.mean([is_broken(e.record, _GATES) for e in episodes])),
        f"{prefix}/episode_length": float(np.mean([len(e.rules) for e in episodes])),
    }


def eval_table(episodes: list[Episode]) -> str:
    """A plain-text table of evaluation episodes."""
    lines = [f"{'problem':30} {'Φ':>7} {'speedup':>8} {'status':>12}  rewrites"]
    for e in episodes:
        speedup = timed_or_counted_speedup(e.record) or 1.0
        status = "broken" if is_broken(e.record, _GATES) else "ok"
        lines.append(f"{e.problem:30} {e.phi:+7.3f} {speedup:7.2f}x {status:>12}  {', '.join(e.rules) or '-'}")
    return "\n".join(lines)


class _HackingWatch:
    """Tracks how often the reward model's preferred candidate measures worse; warns when it rises."""

    def __init__(self, log: Callable[[str], None], window: int = 5, margin: float = 0.1):
        self.log, self.window, self.margin = log, window, margin
        self.previous = {"candidates": 0, "measured": 0, "preferred": 0, "preferred_but_worse": 0}
        self.rates: list[float] = []

    def update(self, stats: dict[str, int], iteration: int) -> dict[str, float]:
        delta = {key: stats[key] - self.previous[key] for key in self.previous}
        self.previous = dict(stats)
        rate = delta["preferred_but_worse"] / delta["preferred"] if delta["preferred"] else 0.0
        self.rates.append(rate)
        early, recent = self.rates[:self.window], self.rates[-self.window:]
        if len(self.rates) >= 2 * self.window and np.mean(recent) > np.mean(early) + self.margin:
            self.log(f"warning: iteration {iteration}: the reward model's preferred candidates measure worse "
                     f"more often ({np.mean(early):.0%} early, {np.mean(recent):.0%} lately): possible reward hacking")
        return {"reward/model_preferred_but_worse": rate,
                "reward/screen_measured": delta["measured"],
                "reward/screen_saved": delta["candidates"] - delta["measured"]}


class _StopRequested:
    """Turns SIGTERM into a flag the loop checks between iterations."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = None

    def __enter__(self) -> "_StopRequested":
        try:
            self._previous = signal.signal(signal.SIGTERM, self._handle)
        except ValueError:  # not the main thread
            self._previous = None
        return self

    def _handle(self, signum, frame) -> None:
        self.requested = True

    def __exit__(self, *exc_info) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)


GENERATION_BATCH = 64  # generated problems made per sandbox batch (one progress line each)


def generated_train_problems(config: config_lib.TrainConfig, scoring: ScoringService,
                             log: Callable[[str], None]) -> list[corpus.Problem]:
    """The `config.generated_problems` generated problems that pass validation (seeds spread over
    the generator's families), made in the sandbox or read from `config.generated_cache`; a dropped
    one is logged with its reason and not replaced."""
    if not config.generated_problems:
        return []
    addresses = generated.spread_addresses(config.generated_problems)
    cache = config.generated_cache or None
    log(f"generated problems: {len(addresses)} requested (cache {cache or 'off'}, "
        f"generator {generated.generator_version()})")
    outcomes: list[generated.GeneratedProblem] = []
    for first in range(0, len(addresses), GENERATION_BATCH):
        outcomes += generated.make_problems(addresses[first:first + GENERATION_BATCH], scoring, cache)
        log(f"  {len(outcomes)}/{len(addresses)}: {sum(o.problem is not None for o in outcomes)} made "
            f"({sum(o.cached for o in outcomes)} from the cache), {sum(o.problem is None for o in outcomes)} dropped")
    dropped: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.problem is None:
            dropped[outcome.reason] = dropped.get(outcome.reason, 0) + 1
    if dropped:
        log(f"generated problems dropped: {', '.join(f'{reason} {count}' for reason, count in sorted(dropped.items()))}")
    return [o.problem for o in outcomes if o.problem is not None]


def learner_devices(config: config_lib.TrainConfig, log: Callable[[str], None]) -> DataParallel:
    """The update's device mesh: every local device, each taking an equal share of the batch.

    Raises ValueError naming the config values the device count does not divide
    (batch_size; for PPO also the transitions per minibatch).
    """
    parallel = DataParallel.over_local_devices()
    sizes = {"batch_size": config.batch_size}
    if config.algo == "ppo":
        minibatch = config.batch_size * config.env.max_steps // config.ppo.num_minibatches
        sizes["batch_size * env.max_steps / ppo.num_minibatches"] = minibatch
    parallel.check_divides(**sizes)
    if parallel.num_devices > 1:
        log(f"learner: data-parallel over {parallel.num_devices} {parallel.mesh.devices.flat[0].platform} devices "
            f"({config.batch_size // parallel.num_devices} episodes each)")
    return parallel


def make_learner_update(config: config_lib.TrainConfig, apply_fn, optimizer, parallel: DataParallel
                        ) -> Callable[[TrainState, Rollout, jax.Array], tuple[TrainState, dict[str, jax.Array]]]:
    """`update(state, rollout [T, B], key_minibatch) -> (state, metrics)` for config.algo, the batch split over
    `parallel`'s devices (REINFORCE ignores the key)."""
    if config.algo == "ppo":
        ppo_update = make_ppo_update(apply_fn, optimizer, config.ppo, parallel.shard_batch_axis(1),
                                     parallel.num_devices)
        return lambda state, rollout, key: ppo_update(*parallel.place(state, rollout), key)
    reinforce_update = make_reinforce_update(apply_fn, optimizer, config.reinforce, parallel.shard_batch_axis(0),
                                                 parallel.num_devices)
    return lambda state, rollout, key: reinforce_update(*parallel.place(state, rollout))


def _save_config(workdir: pathlib.Path, config: config_lib.TrainConfig) -> None:
    path = checkpoints.config_path(workdir)
    path.write_text(json.dumps(config.to_json(), indent=2), encoding="utf-8")


def train(config: config_lib.TrainConfig, workdir: str | pathlib.Path,
          log: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
          scoring_backend: ScoringBackend = ScoringBackend()) -> TrainResult:
    """Trains (or resumes training) in `workdir`; see the module docstring. `scoring_backend` says where
    candidates are scored (config.scoring_workers workers in all); it is not part of the config: it changes
    where the work runs, not what a run computes, and a run may resume on another backend."""
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    train_problems = corpus.load_corpus(config.corpus_root, [config.train_split])
    eval_problems = corpus.load_corpus(config.corpus_root, [config.eval_split])
    model_cfg = config_lib.model_config(config)
    key_params, key = jax.random.split(jax.random.PRNGKey(config.seed))
    model, params = init_policy(model_cfg, key_params)
    algo_config = config.ppo if config.algo == "ppo" else config.reinforce
    optimizer = make_optimizer(algo_config)
    state = create_train_state(params, optimizer)
    update = make_learner_update(config, model.apply, optimizer, learner_devices(config, log))

    checkpointer = checkpoints.Checkpointer(checkpoints.checkpoints_dir(workdir))
    fingerprint = config_lib.fingerprint(config)
    start_iteration = 0
    latest = checkpointer.latest_step()
    if latest is not None:
        state, _ = checkpointer.restore(latest, state, fingerprint)
        start_iteration = latest
        log(f"resuming from {checkpointer.directory / str(latest)} (iteration {latest})")
    _save_config(workdir, config)
    writer = MetricsWriter(workdir)
    writer.truncate_after(start_iteration)
    visited = VisitedPrograms(workdir, start_iteration)

    iteration = start_iteration
    interrupted = False
    final_eval: list[Episode] = []
    reward_model = None
    if config.reward_model_dir:
        from codeopt_jax.reward_model.scorer import RewardModelScorer
        reward_model = RewardModelScorer.load(config.reward_model_dir)
    hacking = _HackingWatch(log)
    with ScoringService(config.scoring_workers, backend=scoring_backend) as scoring, \
            CodeOptEnv(config.env, config.reward, scoring, reward_model) as env, _StopRequested() as stop:
        train_problems = train_problems + generated_train_problems(config, scoring, log)
        run_start = time.time()
        try:
            while iteration < config.iterations:
                if stop.requested:
                    interrupted = True
                    break
                state, metrics = _iteration(state, model, update, env, scoring, train_problems, config,
                                            key, iteration, visited)
                iteration += 1
                if reward_model is not None:
                    metrics.update(hacking.update(env.model_stats, iteration))
                if config.eval_every and iteration % config.eval_every == 0 and iteration < config.iterations:
                    metrics.update(_evaluate(state, model, env, eval_problems))
                writer.write(iteration, metrics)
                _progress(log, iteration, config.iterations, metrics, run_start, start_iteration)
                if iteration % config.checkpoint_every == 0 or iteration == config.iterations:
                    checkpointer.save(iteration, state, fingerprint, {"iteration": iteration})
        except KeyboardInterrupt:
            interrupted = True
        if interrupted:
            if checkpointer.latest_step() != iteration and iteration > 0:
                checkpointer.save(iteration, state, fingerprint, {"iteration": iteration})
            log(f"interrupted: checkpoint of iteration {iteration} saved in {checkpointer.directory}")
        else:
            final_eval = run_greedy(state.params, model.apply, env, eval_problems)
            metrics = episode_metrics(final_eval, "eval")
            writer.write(iteration, {**metrics, **{f"perf/scoring_{k}": v for k, v in scoring.stats().items()
                                                  if isinstance(v, (int, float))}})
            (workdir / "eval_final.json").write_text(json.dumps([
                {"problem": e.problem, "phi": e.phi, "rules": list(e.rules), "source": e.source,
                 "speedup": timed_or_counted_speedup(e.record), "status": e.record.status,
                 "differential": e.record.differential} for e in final_eval], indent=2), encoding="utf-8")
            log(f"\nheld-out evaluation ({config.eval_split}, greedy):\n{eval_table(final_eval)}")
            log(f"return {metrics['eval/return_mean']:+.3f}  speedup geomean {metrics['eval/speedup_geomean']:.3f}x  "
                f"improved {metrics['eval/improved_frac']:.0%}  broken {metrics['eval/broken_frac']:.0%}")
    writer.close()
    checkpointer.close()
    return TrainResult(iterations_done=iteration, interrupted=interrupted, final_eval=final_eval,
                       workdir=str(workdir))


def _iteration(state: TrainState, model: PolicyValueNet, update, env: CodeOptEnv, scoring: ScoringService,
               problems: list[corpus.Problem], config: config_lib.TrainConfig, key: jax.Array,
               iteration: int, visited: VisitedPrograms) -> tuple[TrainState, dict[str, float]]:
    start = time.perf_counter()
    rng = np.random.default_rng([config.seed, iteration])
    batch = [problems[i] for i in rng.choice(len(problems), config.batch_size,
                                             replace=config.batch_size > len(problems))]
    key_iteration = jax.random.fold_in(key, iteration)
    key_rollout, key_minibatch = jax.random.split(key_iteration)
    env_before = dict(env.perf)
    scorings_before = scoring.scorings
    rollout, episodes, timings = collect_rollout(state.params, model.apply, env, batch, key_rollout)
    update_start = time.perf_counter()
    state, losses = update(state, rollout, key_minibatch)
    losses = jax.device_get(losses)
    update_seconds = time.perf_counter() - update_start
    metrics = episode_metrics(episodes, "train")
    metrics[DISTINCT_PROGRAMS] = visited.add(iteration + 1, [(e.problem, p) for e in episodes for p in e.programs])
    metrics.update({f"losses/{name}": float(value) for name, value in losses.items()})
    metrics.update({
        "reward/phi_mean": metrics["train/return_mean"],
        "reward/scorings": scoring.scorings - scorings_before,
        "reward/cache_hit_rate": scoring.cache.hit_rate,
        "perf/sample_seconds": timings["sample_seconds"],
        "perf/rewrite_seconds": env.perf["rewrite_seconds"] - env_before["rewrite_seconds"],
        "perf/scoring_seconds": env.perf["scoring_seconds"] - env_before["scoring_seconds"],
        "perf/update_seconds": update_seconds,
        "perf/iteration_seconds": time.perf_counter() - start,
    })
    return state, metrics


def _evaluate(state: TrainState, model: PolicyValueNet, env: CodeOptEnv,
              problems: list[corpus.Problem]) -> dict[str, float]:
    return episode_metrics(run_greedy(state.params, model.apply, env, problems), "eval")


def _progress(log, iteration: int, total: int, metrics: dict[str, float], run_start: float, first: int) -> None:
    elapsed = time.time() - run_start
    per_iteration = elapsed / max(iteration - first, 1)
    eta = per_iteration * (total - iteration)
    line = (f"iter {iteration:4d}/{total} | return {metrics['train/return_mean']:+.3f} | "
            f"speedup {metrics['train/speedup_geomean']:.2f}x | broken {metrics['train/broken_frac']:.0%} | "
            f"{per_iteration:5.1f} s/it | ETA {int(eta // 60)}m{int(eta % 60):02d}s")
    if "eval/return_mean" in metrics:
        line += f" | eval return {metrics['eval/return_mean']:+.3f} speedup {metrics['eval/speedup_geomean']:.2f}x"
    log(line)
