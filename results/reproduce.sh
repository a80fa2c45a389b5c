#!/usr/bin/env bash
# Regenerates every figure in results/ (run from the repository root; not timed end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
# The shipped agent and its figures were made with episodes of 4 rewrites, 4 PPO epochs and the first 50
# rules (the defaults are now 12 rewrites, 2 epochs, 90 rules): every training run below pins
# --max_steps 4 --set ppo.epochs=4 and the opcount search --max_depth 4 (a rerun still acts with all 90
# rules); the timing searches and reachable counts use the current rules and depth 12.

# The shipped default agent (also README quick start's main command, with its own workdir).
python -m launch.train --workdir results/default_run --max_steps 4 --set ppo.epochs=4
python -m launch.plot_runs --time_split results/default_run --out results/time_split.png

# Learning curves: PPO vs REINFORCE with each baseline, same seed and iterations (the PPO curve is the
# default run's first 40 iterations, identical to a 40-iteration PPO run: same seed, deterministic reward).
# REINFORCE takes one gradient step per rollout, so it also runs at a 10x learning rate.
for baseline in none mean value; do
  python -m launch.train --workdir "runs/curves_reinforce_$baseline" --max_steps 4 --set ppo.epochs=4 --iterations 40 --eval_every 10 \
    --algo reinforce --baseline $baseline
  python -m launch.train --workdir "runs/curves_reinforce_${baseline}_lr3e-3" --max_steps 4 --set ppo.epochs=4 --iterations 40 --eval_every 10 \
    --algo reinforce --baseline $baseline --learning_rate 3e-3
done

# Search baselines on the held-out split, both rewards.
python -m launch.search --method all --split heldout --max_depth 4 --budget 64 --reward opcount \
  --out results/search_heldout_opcount.json --table results/search_heldout_opcount.md
python -m launch.search --method all --split heldout --max_depth 12 --budget 64 --reward timing \
  --out results/search_heldout_timing.json --table results/search_heldout_timing.md
python -m launch.search --method all --benchmark mbpp --split validation --max_depth 12 --budget 64 --reward timing \
  --out results/search_mbpp_validation_timing.json --table results/search_mbpp_validation_timing.md
python -m launch.check_corpus --splits heldout --json > results/references_heldout.json
python -m launch.reachable --split heldout --depths 4,12 --cap 20000 --out_dir results
python -m launch.reachable --benchmark mbpp --split validation --depths 4,12 --cap 20000 --out_dir results

# Scoring-service benchmark and the reward-hack table.
python -m launch.bench_scoring > results/bench_scoring.txt
python -m launch.bench_opcount --repeats 5 --out results/bench_opcount.txt
python -m launch.check_hacks --out results/reward_hacks.md
python -m launch.check_rules --properties --benchmark all --split train,prompt --workers 1 --fuzz 100 --out results/rule_soundness.md

# Report experiments (30-iteration runs): brevity-weight sweep and the reward-hacking study.
# runs/default_30 (default flags) is both the brevity-0.1 row and the "safe rules only" row.
python -m launch.train --workdir runs/default_30 --max_steps 4 --set ppo.epochs=4 --iterations 30 --eval_every 10
for weight in 0.0 1.0; do
  python -m launch.train --workdir "runs/brevity_$weight" --max_steps 4 --set ppo.epochs=4 --iterations 30 --eval_every 10 --brevity_weight "$weight"
done
python -m launch.train --workdir runs/hack_tests_only --max_steps 4 --set ppo.epochs=4 --iterations 30 --eval_every 10 --allow_unsafe --nodifferential_gate
python -m launch.train --workdir runs/hack_tests_diff --max_steps 4 --set ppo.epochs=4 --iterations 30 --eval_every 10 --allow_unsafe

# The learned reward model (see results/reward_model/README.md), then the screen experiment.
python -m launch.build_reward_data --out data/pairs --budget 24
python -m launch.train_reward_model --data data/pairs --workdir runs/reward_model
rm -rf results/reward_model/scorer && mkdir -p results/reward_model/scorer
cp runs/reward_model/reward_model.json results/reward_model/scorer/ && cp -r runs/reward_model/model results/reward_model/scorer/
python -m launch.train --workdir runs/screen_off --max_steps 4 --set ppo.epochs=4 --reward timing --iterations 12 --batch_size 8 --eval_every 0
python -m launch.train --workdir runs/screen_top2 --max_steps 4 --set ppo.epochs=4 --reward timing --iterations 12 --batch_size 8 --eval_every 0 \
  --reward_model results/reward_model/scorer --screen_top_k 2

# Evaluation of the shipped agent beside the baselines, the ceiling and the references.
python -m launch.evaluate --split all --k 4 --ceiling_budget 64 --out_dir results

# External code: MBPP's test split (workloads synthesized from the tests), and `optimize` as a user runs it on
# MBPP validation functions with the tests in three styles and no workload.
python -m launch.evaluate --benchmark mbpp --split test --k 4 --ceiling_budget 64 --out_dir results
python -m launch.try_optimize --split validation --tasks 10 --out results/optimize_trial.md

# The report.
python -m launch.report
