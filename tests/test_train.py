"""Training: it learns (op-count reward), it is deterministic, and it resumes after a kill."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from codeopt_jax import config as config_lib
from codeopt_jax.corpus import load_corpus
from codeopt_jax.env import CodeOptEnv, EnvConfig
from codeopt_jax.metrics_log import DISTINCT_PROGRAMS, VISITED_FILE, read_metrics
from codeopt_jax.rl.ppo import PPOConfig
from codeopt_jax.train import train
from tests.conftest import ROOT

TRAIN = ["readings_above_average", "inventory_value", "node_degrees", "hamming_distance"]
HELDOUT = ["tally_ballots", "failed_job_count"]


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    for split, names in (("train", TRAIN), ("heldout", HELDOUT)):
        (root / split).mkdir()
        for name in names:
            shutil.copy(ROOT / "corpus" / split / f"{name}.py", root / split / f"{name}.py")
    return root


def tiny_config(corpus_root, **overrides) -> config_lib.TrainConfig:
    base = config_lib.preset(
        "quick", corpus_root=str(corpus_root), iterations=14, batch_size=8, scoring_workers=2,
        env=EnvConfig(max_len=128, max_steps=2), eval_every=0, checkpoint_every=7,
        ppo=PPOConfig(epochs=4, num_minibatches=2, learning_rate=3e-3, ent_coef=0.0, target_kl=None))
    return dataclasses.replace(base, **overrides)


def random_policy_return(config, problems, episodes: int = 6) -> float:
    """Mean return of a policy that picks uniformly among legal actions (STOP included)."""
    from codeopt_jax.scoring import ScoringService
    rng = np.random.default_rng(0)
    returns = []
    with ScoringService(2) as scoring, CodeOptEnv(config.env, config.reward, scoring) as env:
        for _ in range(episodes):
            timestep = env.reset(problems)
            while not timestep.done.all():
                actions = [rng.choice(np.flatnonzero(row)) for row in timestep.observation["action_mask"]]
                timestep = env.step(np.array(actions))
            returns.extend(info.phi for info in timestep.info)
    return float(np.mean(returns))


@pytest.fixture(scope="module")
def trained_run(small_corpus, tmp_path_factory):
    """A PPO run on four train problems (op-count reward), evaluated greedily on the same four."""
    config = tiny_config(small_corpus, eval_split="train")
    workdir = tmp_path_factory.mktemp("trained")
    return config, workdir, train(config, workdir, log=lambda line: None)


@pytest.mark.slow
def test_ppo_learns_to_beat_a_random_policy(small_corpus, trained_run):
    config, workdir, result = trained_run
    trained = float(np.mean([episode.phi for episode in result.final_eval]))
    problems = load_corpus(small_corpus, ["train"])
    random_return = random_policy_return(config, problems)
    metrics = read_metrics(workdir / "metrics.jsonl")
    first, last = metrics[0]["train/return_mean"], metrics[-2]["train/return_mean"]
    # The exhaustive depth-2 ceiling on these four problems is a mean Φ of about 0.30.
    assert trained > max(2 * random_return, random_return + 0.1), (trained, random_return)
    assert last > first, (first, last)


@pytest.mark.slow
def test_training_counts_the_distinct_programs_it_visits(trained_run):
    config, workdir, _ = trained_run
    counts = [r[DISTINCT_PROGRAMS] for r in read_metrics(workdir / "metrics.jsonl") if DISTINCT_PROGRAMS in r]
    assert len(counts) == config.iterations and counts == sorted(counts)
    assert len(TRAIN) < counts[-1] <= config.iterations * config.batch_size * (config.env.max_steps + 1)
    assert len((workdir / VISITED_FILE).read_text().splitlines()) == counts[-1]


def _strip(records):
    """Metrics that must match run to run (not wall-clock or cache counters)."""
    return [{k: v for k, v in r.items() if not k.startswith("perf/")
             and k not in ("reward/scorings", "reward/cache_hit_rate")} for r in records]


def _launch(workdir, corpus_root, iterations):
    command = [sys.executable, "-m", "launch.train", "--config", "quick", "--workdir", str(workdir),
               "--corpus_root", str(corpus_root), "--iterations", str(iterations), "--checkpoint_every", "2",
               "--reward", "opcount", "--seed", "3"]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow
def test_killed_run_resumes_and_matches_an_uninterrupted_one(small_corpus, tmp_path):
    reference = _launch(tmp_path / "a", small_corpus, 4)
    output_a, _ = reference.communicate(timeout=400)
    assert reference.returncode == 0, output_a

    victim = _launch(tmp_path / "b", small_corpus, 4)
    deadline = time.time() + 400
    while not (tmp_path / "b" / "checkpoints" / "2").exists():
        assert victim.poll() is None and time.time() < deadline, victim.stdout.read()
        time.sleep(0.2)
    victim.kill()  # SIGKILL: no chance to save anything more
    victim.wait()
    resumed = _launch(tmp_path / "b", small_corpus, 4)
    output_b, _ = resumed.communicate(timeout=400)
    assert resumed.returncode == 0, output_b
    assert "resuming from" in output_b and "(iteration 2)" in output_b

    metrics_a = read_metrics(tmp_path / "a" / "metrics.jsonl")
    metrics_b = read_metrics(tmp_path / "b" / "metrics.jsonl")
    assert [r["step"] for r in metrics_b] == [1, 2, 3, 4, 4]  # each iteration once, then the final eval
    assert _strip(metrics_a) == _strip(metrics_b)  # deterministic, and resuming changes nothing


@pytest.mark.slow
def test_sigterm_saves_and_returns(small_corpus, tmp_path):
    """SIGTERM arrives when the first iteration reports progress (an event, not a wall-clock delay)."""
    config = tiny_config(small_corpus, iterations=50, checkpoint_every=100)
    sent = []

    def log(line: str) -> None:
        if line.startswith("iter") and not sent:
            sent.append(line)
            os.kill(os.getpid(), signal.SIGTERM)

    result = train(config, tmp_path / "run", log=log)
    assert sent, "training never reported an iteration"
    assert result.interrupted and 0 < result.iterations_done < 50
    assert (tmp_path / "run" / "checkpoints" / str(result.iterations_done)).exists()


def test_a_longer_rule_list_is_named_by_what_it_adds():
    from codeopt_jax.checkpoints import _differences
    saved = {"rules": ["a", "b"], "d_model": 32}
    (appended,) = _differences(saved, {"rules": ["a", "b", "c", "d", "e", "f"], "d_model": 32})
    assert appended == "rules: checkpoint has 2 entries, current 6; the current list goes on with ['c', 'd', 'e'] and 1 more"
    (changed,) = _differences(saved, {"rules": ["a", "x"], "d_model": 32})
    assert changed == "rules: checkpoint has 2 entries, current 2; entry 1 differs: checkpoint 'b' != current 'x'"


@pytest.mark.slow
def test_incompatible_checkpoint_is_a_clear_error(trained_run):
    from codeopt_jax.checkpoints import CheckpointMismatchError
    config, workdir, _ = trained_run
    wider = dataclasses.replace(config, iterations=config.iterations + 1, d_model=48)
    with pytest.raises(CheckpointMismatchError, match="d_model"):
        train(wider, workdir, log=lambda line: None)
