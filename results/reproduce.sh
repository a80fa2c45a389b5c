#!/usr/bin/env bash
# Regenerates every figure in results/ (run from the repository root; about 1.5 hours on 2 CPU cores).
set -euo pipefail
cd "$(dirname "$0")/.."

# The shipped default agent (also README quick start's main command, with its own workdir).
python -m launch.train --workdir results/default_run
python -m launch.plot_runs --time_split results/default_run --out results/time_split.png

# Learning curves: PPO vs REINFORCE with each baseline, same seed and budget (the PPO curve is the
# default run's first 40 iterations, identical to a 40-iteration PPO run: same seed, deterministic reward).
for run in "reinforce_none --algo reinforce --baseline none" \
           "reinforce_mean --algo reinforce --baseline mean" "reinforce_value --algo reinforce --baseline value"; do
  set -- $run
  name=$1; shift
  python -m launch.train --workdir "runs/curves_$name" --iterations 40 --eval_every 10 "$@"
done
python -m launch.plot_runs --out results/learning_curves.png \
  --max_step 40 --runs ppo=results/default_run,reinforce_none=runs/curves_reinforce_none,reinforce_mean=runs/curves_reinforce_mean,reinforce_value=runs/curves_reinforce_value

# Search baselines on the held-out split, both rewards.
python -m launch.search --method all --split heldout --budget 64 --reward opcount \
  --out results/search_heldout_opcount.json --table results/search_heldout_opcount.md
python -m launch.search --method all --split heldout --budget 32 --reward timing \
  --out results/search_heldout_timing.json --table results/search_heldout_timing.md

# Scoring-service benchmark.
python -m launch.bench_scoring > results/bench_scoring.txt

# Report experiments (shorter runs): brevity-weight sweep and the reward-hacking study.
for weight in 0.0 0.5 1.0; do
  python -m launch.train --workdir "runs/brevity_$weight" --iterations 30 --eval_every 10 --brevity_weight "$weight"
done
python -m launch.train --workdir runs/hack_tests_only --iterations 30 --eval_every 10 --allow_unsafe --nodifferential_gate
python -m launch.train --workdir runs/hack_tests_diff --iterations 30 --eval_every 10 --allow_unsafe
python -m launch.train --workdir runs/hack_safe_only --iterations 30 --eval_every 10
