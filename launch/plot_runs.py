"""Plots learning curves of several runs and the per-iteration time split of one.

  python -m launch.plot_runs --runs ppo=runs/ppo,reinforce=runs/reinforce --out results/curves.png
  python -m launch.plot_runs --time_split runs/default --out results/time_split.png
"""

from __future__ import annotations

from absl import app, flags

from codeopt_jax import plots

_RUNS = flags.DEFINE_list("runs", None, "label=workdir pairs for learning curves.")
_KEYS = flags.DEFINE_list("keys", ["train/return_mean", "eval/return_mean"], "Metrics to plot, one panel each.")
_TIME_SPLIT = flags.DEFINE_string("time_split", None, "A workdir whose per-iteration time split to plot.")
_OUT = flags.DEFINE_string("out", None, "Output PNG.", required=True)
_WINDOW = flags.DEFINE_integer("window", 5, "Moving-average window for train curves.")
_MAX_STEP = flags.DEFINE_integer("max_step", None, "Plot iterations up to this one only.")


def main(argv: list[str]) -> None:
    del argv
    if _TIME_SPLIT.value:
        means = plots.time_split(_TIME_SPLIT.value, _OUT.value)
        for key, value in means.items():
            print(f"{key:28} {value:7.2f} s/iteration (mean)")
    elif _RUNS.value:
        runs = dict(item.split("=", 1) for item in _RUNS.value)
        plots.learning_curves(runs, _OUT.value, _KEYS.value, _WINDOW.value, _MAX_STEP.value)
    else:
        raise app.UsageError("give --runs or --time_split")
    print(f"wrote {_OUT.value}")


if __name__ == "__main__":
    app.run(main)
