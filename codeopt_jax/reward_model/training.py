"""Training the reward model on labelled pairs, choosing it on validation problems, and the report.

Splits, all by problem: the data set's train problems are divided into fit problems
(gradient steps) and validation problems (`val_fraction` of them: model selection by
temperature-scaled validation NLL, and the temperature fit); held-out problems are only
scored at the end.

The workdir gets `checkpoints/` (the training state, for resuming), `model/` (the
chosen parameters: what `RewardModelScorer.load` reads), `reward_model.json` (configs
and the temperature), `metrics.jsonl` plus tensorboard logs, `summary.json`,
`summary.md` and `reliability.png`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import pathlib
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from codeopt_jax.checkpoints import Checkpointer
from codeopt_jax.metrics_log import MetricsWriter
from codeopt_jax.reward_model import calibration, evaluation
from codeopt_jax.reward_model.dataset import Pair, PairDataset
from codeopt_jax.reward_model.losses import bradley_terry_loss
from codeopt_jax.reward_model.model import (OBS_KEYS, RewardModel, RewardModelConfig, featurize, init_params,
                                            make_forward, score_in_batches)
from codeopt_jax.rl.train_state import TrainState, apply_gradients, create_train_state, make_optimizer

MODEL_DIR = "model"
CHECKPOINT_DIR = "checkpoints"
CONFIG_FILE = "reward_model.json"


@dataclasses.dataclass(frozen=True)
class RewardModelTrainConfig:
    """Everything a reward-model run depends on besides the data."""

    model: RewardModelConfig = RewardModelConfig()
    steps: int = 300
    batch_programs: int = 48      # programs per step: whole problems, all their labelled pairs
    seed: int = 0
    val_fraction: float = 0.2     # train problems kept for validation (selection and temperature)
    eval_every: int = 25          # steps between validation passes (and candidate selections)
    checkpoint_every: int = 100
    balance_problems: bool = True  # every problem in a batch weighs the same (else every pair)
    num_bins: int = 10            # reliability / ECE bins

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_programs < 2 or self.eval_every < 1 or self.checkpoint_every < 1:
            raise ValueError("steps, eval_every and checkpoint_every must be positive, batch_programs at least 2")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError("val_fraction must be in [0, 1)")

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class EncodedPairs:
    """Pairs as index arrays into one observation table of programs."""

    pairs: list[Pair]
    a: np.ndarray       # [P] int, rows of the observation table
    b: np.ndarray       # [P] int
    label: np.ndarray   # [P] float32

    def __len__(self) -> int:
        return len(self.pairs)


def split_problems(problems: list[str], val_fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """(fit, validation) problem names, a seeded random split of sorted names."""
    names = sorted(problems)
    order = np.random.default_rng(seed).permutation(len(names))
    num_val = int(math.ceil(val_fraction * len(names))) if val_fraction > 0 and len(names) > 1 else 0
    val = sorted(names[i] for i in order[:num_val])
    return [n for n in names if n not in set(val)], val


def encode_pairs(pairs: list[Pair], row: dict[str, int]) -> EncodedPairs:
    return EncodedPairs(pairs=pairs, a=np.array([row[p.a] for p in pairs], np.int64),
                        b=np.array([row[p.b] for p in pairs], np.int64),
                        label=np.array([p.label for p in pairs], np.float32))


@dataclasses.dataclass(frozen=True)
class ProblemBatch:
    """Fixed-shape batch: programs of a few whole problems and every labelled pair among them.

    rows [N] index the observation table; a, b [Q] index `rows`; padding pairs have weight 0.
    """

    rows: np.ndarray
    a: np.ndarray
    b: np.ndarray
    label: np.ndarray
    weight: np.ndarray


class ProblemBatcher:
    """Draws batches of whole problems (shuffled, as many as fit in `batch_programs` programs).

    Scoring every program of a problem once and using all its pairs costs one forward
    per program instead of two per pair.
    """

    def __init__(self, encoded: EncodedPairs, batch_programs: int, balance_problems: bool):
        self.batch_programs = batch_programs
        self.max_pairs = batch_programs * (batch_programs - 1) // 2
        self.balance_problems = balance_problems
        groups: dict[str, list[int]] = {}
        for index, pair in enumerate(encoded.pairs):
            groups.setdefault(pair.problem, []).append(index)
        self.problems = sorted(groups)
        self.encoded = encoded
        self.groups = [np.array(groups[name]) for name in self.problems]

    def sample(self, rng: np.random.Generator) -> ProblemBatch:
        rows: list[int] = []
        position: dict[int, int] = {}
        a, b, label, weight = [], [], [], []
        encoded = self.encoded
        for problem in rng.permutation(len(self.problems)):
            pair_ids = self.groups[problem]
            programs = sorted(set(encoded.a[pair_ids]) | set(encoded.b[pair_ids]))
            free = self.batch_programs - len(rows)
            if len(programs) > free:
                if rows:
                    continue  # try a smaller problem
                programs = sorted(rng.choice(programs, size=free, replace=False))  # one huge problem: subsample
            kept = set(programs)
            pair_ids = [i for i in pair_ids if encoded.a[i] in kept and encoded.b[i] in kept]
            if not pair_ids:
                continue
            for program in programs:
                position[program] = len(rows)
                rows.append(program)
            for i in pair_ids:
                a.append(position[encoded.a[i]])
                b.append(position[encoded.b[i]])
                label.append(encoded.label[i])
                weight.append(1.0 / len(pair_ids) if self.balance_problems else 1.0)
            if len(rows) >= self.batch_programs:
                break
        if not rows:
            raise ValueError("no problem has a labelled pair among the programs a batch can hold")
        num_rows, num_pairs = len(rows), len(a)
        pad_rows, pad_pairs = self.batch_programs - num_rows, self.max_pairs - num_pairs
        return ProblemBatch(
            rows=np.array(rows + [rows[0]] * pad_rows, np.int64),
            a=np.array(a + [0] * pad_pairs, np.int32), b=np.array(b + [0] * pad_pairs, np.int32),
            label=np.array(label + [0.0] * pad_pairs, np.float32),
            weight=np.array(weight + [0.0] * pad_pairs, np.float32))


def _gather(obs: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    return {k: obs[k][rows] for k in OBS_KEYS}


def make_train_step(config: RewardModelConfig, optimizer) -> Callable:
    """A jitted step: (state, obs [N, L], a, b, label, weight [Q], key) -> (state, metrics)."""
    model = RewardModel(config)

    def loss_fn(params, obs, a, b, label, weight, key):
        scores = model.apply({"params": params}, obs, deterministic=False, rngs={"dropout": key})
        return bradley_terry_loss(scores[a], scores[b], label, weight)

    @jax.jit
    def step(state: TrainState, obs, a, b, label, weight, key):
        (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params, obs, a, b, label, weight, key)
        state, step_metrics = apply_gradients(state, grads, optimizer)
        return state, {**metrics, **step_metrics}

    return step


def pair_logits(scores: np.ndarray, encoded: EncodedPairs) -> np.ndarray:
    """s(a) − s(b) per pair."""
    return scores[encoded.a] - scores[encoded.b]


def _evaluate(logits: np.ndarray, encoded: EncodedPairs, temperature: float, num_bins: int) -> dict[str, Any]:
    probs = calibration.sigmoid(logits / temperature)
    return evaluation.prediction_metrics(probs, encoded.label, [p.kind for p in encoded.pairs],
                                         [p.problem for p in encoded.pairs], num_bins)


@dataclasses.dataclass
class TrainResult:
    summary: dict[str, Any]
    params: Any
    temperature: float


def write_model_config(workdir: pathlib.Path, config: RewardModelTrainConfig, temperature: float,
                       step: int, data: str) -> None:
    payload = {"model": config.model.to_json(), "train": config.to_json(), "temperature": temperature,
               "selected_step": step, "data": data}
    (workdir / CONFIG_FILE).write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def train_reward_model(dataset: PairDataset, config: RewardModelTrainConfig, workdir: str | pathlib.Path,
                       data_path: str = "", log: Callable[[str], None] | None = print) -> TrainResult:
    """Trains (resuming from workdir/checkpoints), selects by validation NLL, calibrates, reports.

    The selected parameters are those with the lowest validation NLL after temperature
    scaling (so an overconfident but better-ranking model is not passed over).
    """
    start_time = time.time()
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    model_config = config.model

    train_problems = sorted({p.problem for p in dataset.pairs if p.split == "train"})
    fit_problems, val_problems = split_problems(train_problems, config.val_fraction, config.seed)
    fit_pairs = [p for p in dataset.pairs if p.split == "train" and p.problem in set(fit_problems)]
    val_pairs = [p for p in dataset.pairs if p.split == "train" and p.problem in set(val_problems)]
    held_pairs = [p for p in dataset.pairs if p.split == "heldout"]
    if not fit_pairs:
        raise ValueError("the data set has no training pairs")
    leaked = {p.problem for p in held_pairs} & set(train_problems)
    if leaked:
        raise ValueError(f"problems in both train and held-out pairs: {sorted(leaked)}")

    uids = sorted({uid for p in dataset.pairs for uid in (p.a, p.b)})
    row = {uid: i for i, uid in enumerate(uids)}
    obs = featurize([dataset.programs[uid].source for uid in uids], model_config.max_len)
    fit = encode_pairs(fit_pairs, row)
    val = encode_pairs(val_pairs, row)
    held = encode_pairs(held_pairs, row)
    batcher = ProblemBatcher(fit, config.batch_programs, config.balance_problems)
    if log:
        log(f"programs {len(uids)} (truncated at {model_config.max_len} tokens: "
            f"{int(obs['valid'][:, -1].sum())}); pairs: fit {len(fit)} ({len(fit_problems)} problems), "
            f"val {len(val)} ({len(val_problems)}), held-out {len(held)} "
            f"({len({p.problem for p in held_pairs})})")

    optimizer = make_optimizer(model_config)
    key = jax.random.key(config.seed)
    params = init_params(model_config, jax.random.fold_in(key, 0))
    state = {"train": create_train_state(params, optimizer), "best_params": params,
             "best_val_nll": jnp.array(np.inf, jnp.float32), "best_step": jnp.array(0, jnp.int32)}
    fingerprint = model_config.fingerprint()
    checkpointer = Checkpointer(workdir / CHECKPOINT_DIR)
    writer = MetricsWriter(workdir)
    start_step = 0
    latest = checkpointer.latest_step()
    if latest is not None:
        state, _ = checkpointer.restore(latest, state, fingerprint)
        start_step = latest
        writer.truncate_after(start_step)
        if log:
            log(f"resumed from step {start_step}")

    train_step = make_train_step(model_config, optimizer)
    forward = make_forward(model_config)
    running: dict[str, list[float]] = {}
    try:
        for step in range(start_step + 1, config.steps + 1):
            batch = batcher.sample(np.random.default_rng([config.seed, step]))
            state["train"], metrics = train_step(state["train"], _gather(obs, batch.rows), batch.a, batch.b,
                                                 batch.label, batch.weight, jax.random.fold_in(key, step))
            for name, value in metrics.items():
                running.setdefault(name, []).append(float(value))
            if step % config.eval_every == 0 or step == config.steps:
                scalars = {f"train/{k}": float(np.mean(v)) for k, v in running.items()}
                running = {}
                params = state["train"].params
                if len(val):
                    logits = pair_logits(score_in_batches(forward, params, obs), val)
                    val_metrics = _evaluate(logits, val, 1.0, config.num_bins)
                    # Selection ignores the score scale, which the temperature fixes afterwards.
                    val_metrics["calibrated_nll"] = calibration.binary_nll(
                        logits / calibration.fit_temperature(logits, val.label), val.label)
                    scalars.update({f"val/{k}": v for k, v in val_metrics.items() if k in
                                    ("accuracy", "nll", "calibrated_nll", "ece", "accuracy_valid_vs_broken",
                                     "accuracy_valid_vs_valid")})
                    if val_metrics["calibrated_nll"] < float(state["best_val_nll"]):
                        state.update(best_params=params,
                                     best_val_nll=jnp.array(val_metrics["calibrated_nll"], jnp.float32),
                                     best_step=jnp.array(step, jnp.int32))
                else:  # no validation problems: keep the latest parameters
                    state.update(best_params=params, best_step=jnp.array(step, jnp.int32))
                writer.write(step, scalars)
                if log:
                    log(f"step {step:5d}  train loss {scalars['train/loss']:.4f} acc {scalars['train/accuracy']:.3f}"
                        + (f"  val nll {scalars['val/nll']:.4f} (at best temperature "
                           f"{scalars['val/calibrated_nll']:.4f}) acc {scalars['val/accuracy']:.3f}"
                           if len(val) else ""))
            if step % config.checkpoint_every == 0 or step == config.steps:
                checkpointer.save(step, state, fingerprint, {"data": data_path})
    finally:
        writer.close()
        checkpointer.close()

    params = state["best_params"]
    best_step = int(state["best_step"])
    scores = score_in_batches(forward, params, obs)
    val_logits = pair_logits(scores, val)
    temperature = calibration.fit_temperature(val_logits, val.label) if len(val) else 1.0
    held_logits = pair_logits(scores, held)

    model_dir = Checkpointer(workdir / MODEL_DIR, max_to_keep=1)
    model_dir.save(best_step, {"params": params}, fingerprint, {"temperature": temperature})
    model_dir.close()
    write_model_config(workdir, config, temperature, best_step, data_path)

    raw_diagram = calibration.reliability(calibration.sigmoid(held_logits), held.label, config.num_bins)
    diagram = calibration.reliability(calibration.sigmoid(held_logits / temperature), held.label, config.num_bins)
    if len(held):
        evaluation.plot_reliability({"uncalibrated": raw_diagram, f"temperature {temperature:.2f}": diagram},
                                    workdir / "reliability.png")
    summary = {
        "data": data_path,
        "data_command": dataset.manifest.get("command"),
        "config": config.to_json(),
        "selected_step": best_step,
        "temperature": temperature,
        "problems": {"fit": fit_problems, "val": val_problems,
                     "heldout": sorted({p.problem for p in held_pairs})},
        "fit": _evaluate(pair_logits(scores, fit), fit, temperature, config.num_bins),
        "val": _evaluate(val_logits, val, temperature, config.num_bins) if len(val) else {},
        "heldout": {
            "problems": len({p.problem for p in held_pairs}),
            "model": _evaluate(held_logits, held, temperature, config.num_bins),
            "model_uncalibrated": _evaluate(held_logits, held, 1.0, config.num_bins),
            "heuristics": evaluation.heuristic_metrics(held_pairs, dataset.programs),
            "reliability": diagram.to_json(),
            "reliability_uncalibrated": raw_diagram.to_json(),
        },
        "seconds": round(time.time() - start_time, 1),
    }
    evaluation.write_report(workdir, summary)
    return TrainResult(summary=summary, params=params, temperature=temperature)
