"""Optimizes one function in your own Python file with the trained agent and a greedy search.

  python -m launch.optimize --source shop.py --function order_total --tests test_shop.py
  python -m launch.optimize --source shop.py --function order_total --tests test_shop.py \\
      --workload workload.py --budget 128 --reward timing --k 8 --out shop_fast.py --json result.json
  python -m launch.optimize --source shop.py --function order_total --tests test_shop.py \\
      --verify crosshair --verify_seconds 30

--tests holds a HumanEval-style `def check(candidate)`, MBPP-style top-level `assert`
lines calling the function, or pytest `def test_*()` functions importing it from its module.
--workload holds `def workload()` returning a list of argument tuples to time; without it,
a workload is synthesized in the sandbox from the calls the tests make, grown until one pass
of the original takes a few ms (shown; `--save_workload FILE` writes it in the same format).
Prints a unified diff, the paired speedup with its spread and the rewrites applied. The
result always passes the tests and matches the original on the workload and the tests' own
inputs; it is returned only when the final paired timing finds it faster beyond the noise,
otherwise the original comes back unchanged with the reason.
--verify crosshair (needs the crosshair-tool package) also runs CrossHair's
`diffbehavior` on the chosen rewrite against the original, in a separate limited
process, for --verify_seconds: an input on which they differ is shown as the rejection
reason and the next valid rewrite is tried; finding none within the time is a note,
not a proof of equivalence. CrossHair builds inputs from the parameters' type
annotations; unannotated parameters get little exploration.
Bad input gets one `error:` line on stderr and exit status 2.
"""

from __future__ import annotations

import json
import pathlib
import sys

from absl import app, flags, logging

from launch import scoring_flags

_SOURCE = flags.DEFINE_string("source", None, "Python file that defines the function.")
_FUNCTION = flags.DEFINE_string("function", None, "Name of the top-level function to optimize.")
_TESTS = flags.DEFINE_string("tests", None, "Tests: `def check(candidate)`, top-level assert lines, or pytest "
                             "`def test_*()` functions.")
_WORKLOAD = flags.DEFINE_string("workload", None, "File with `def workload()` returning argument tuples "
                                "(default: synthesized from the tests).")
_SAVE_WORKLOAD = flags.DEFINE_string("save_workload", None, "Write the synthesized workload here "
                                     "(`def workload()` format).")
_WORKLOAD_MS = flags.DEFINE_float("workload_ms", 5.0, "Synthesis: grow the tests' calls until one pass of the "
                                  "original takes this many milliseconds.")
_WORKDIR = flags.DEFINE_string("workdir", None, "Training run folder of the agent (default: the shipped one, "
                                "results/default_run; `none`: search only).")
_BUDGET = flags.DEFINE_integer("budget", 64, "Scorings (candidate runs) for the agent and the search together.")
_REWARD = flags.DEFINE_enum("reward", "opcount", ["opcount", "cost", "timing"],
                            "What counts as faster while searching: executed instructions, the cost model "
                            "(instructions and C-level work) or wall-clock time.")
_K = flags.DEFINE_integer("k", 4, "Sampled agent episodes besides the greedy one.")
_DEPTH = flags.DEFINE_integer("max_depth", 4, "Rewrites the greedy search may add.")
_ROUNDS = flags.DEFINE_integer("timing_rounds", 7, "Paired timing rounds of the final measurement.")
_SEED = flags.DEFINE_integer("seed", 0, "Sampling seed.")
_VERIFY = flags.DEFINE_enum("verify", "tests", ["tests", "crosshair"],
                            "tests: tests and the workload comparison decide; crosshair: also CrossHair's "
                            "symbolic search for an input where the rewrite differs from the original.")
_VERIFY_SECONDS = flags.DEFINE_float("verify_seconds", 20.0, "CrossHair's CPU seconds per checked rewrite.")
_WORKERS = flags.DEFINE_integer("workers", 2, "Sandboxed scoring processes.")
_OUT = flags.DEFINE_string("out", None, "Write the optimized source file here.")
_JSON = flags.DEFINE_string("json", None, "Write a machine-readable record here.")


def _fail(message: str) -> int:
    print(f"error: {' '.join(str(message).split())}", file=sys.stderr)
    return 2


def _write(path: str, text: str) -> None:
    try:
        pathlib.Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OSError(f"{path}: cannot write ({exc.strerror or exc})") from None


def _check_writable(path: str | None) -> None:
    if path and not pathlib.Path(path).absolute().parent.is_dir():
        raise OSError(f"{path}: the folder does not exist")


def _synthesize(user, service):
    """The user's problem with a workload synthesized from the tests; shown on stderr, saved if asked."""
    from codeopt_jax.scoring.synthesis import SynthesisOptions
    from codeopt_jax.user_problem import UserInputError
    from codeopt_jax.workloads import synthesis_lines, with_synthesized_workloads, workload_file_text

    print(f"synthesizing a workload from the calls in {_TESTS.value}", file=sys.stderr, flush=True)
    options = SynthesisOptions(seed=_SEED.value, target_seconds=_WORKLOAD_MS.value / 1e3)
    [built] = with_synthesized_workloads([user], service, options)
    print("\n".join(synthesis_lines(built.synthesis)), file=sys.stderr, flush=True)
    if built.user is None:
        raise UserInputError(f"{_TESTS.value}: cannot synthesize a workload ({built.synthesis.error}); "
                             f"pass --workload FILE with a workload() function")
    if _SAVE_WORKLOAD.value:
        _write(_SAVE_WORKLOAD.value, workload_file_text(built.synthesis))
        print(f"saved the workload to {_SAVE_WORKLOAD.value}", file=sys.stderr)
    return built.user


def _load_agent_or_search_only():
    """The agent of --workdir (None for `none`: search only). The shipped agent, when it was trained
    with an older rule list, is skipped with a warning (the search still uses every rule)."""
    from codeopt_jax.agent import DEFAULT_AGENT, AgentLoadError, load_agent
    if _WORKDIR.value == "none":
        return None
    if _WORKDIR.value:
        return load_agent(_WORKDIR.value)
    try:
        return load_agent(DEFAULT_AGENT)
    except AgentLoadError as exc:
        print(f"warning: the shipped agent cannot act with the current rules, optimizing with search only "
              f"(retrain with the README's quick start and pass --workdir): {exc}", file=sys.stderr)
        return None


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        return _fail(f"unexpected arguments: {' '.join(argv[1:])}")
    missing = [f"--{flag.name}" for flag in (_SOURCE, _FUNCTION, _TESTS) if not flag.value]
    if missing:
        return _fail(f"missing {', '.join(missing)} (see --help)")
    logging.set_verbosity(logging.ERROR)
    from codeopt_jax.user_problem import UserInputError, build_user_problem  # no JAX: bad input fails fast

    try:
        _check_writable(_OUT.value)
        _check_writable(_JSON.value)
        _check_writable(_SAVE_WORKLOAD.value)
        user = build_user_problem(_SOURCE.value, _FUNCTION.value, _TESTS.value, _WORKLOAD.value)
    except (UserInputError, OSError) as exc:
        return _fail(str(exc))
    from codeopt_jax.agent import AgentLoadError
    from codeopt_jax.corpus import CorpusError
    from codeopt_jax.optimize import OptimizeConfig, optimize, score_original
    from codeopt_jax.rewards import reward_preset
    from codeopt_jax.scoring import BackendError, ScoringService
    from codeopt_jax.scoring.symbolic import require_crosshair

    try:
        config = OptimizeConfig(budget=_BUDGET.value, reward=_REWARD.value, k=_K.value, max_depth=_DEPTH.value,
                                timing_rounds=_ROUNDS.value, seed=_SEED.value, verify=_VERIFY.value,
                                verify_seconds=_VERIFY_SECONDS.value)
        if config.verify == "crosshair":
            require_crosshair()
        backend = scoring_flags.backend(_WORKERS.value)
    except (ValueError, UserInputError, BackendError) as exc:
        return _fail(str(exc))
    try:
        with ScoringService(num_workers=_WORKERS.value, backend=backend) as service:
            if not user.has_workload:
                user = _synthesize(user, service)
            problem = user.problem
            score_original(problem, service, reward_preset(config.reward))  # fails fast, before the agent loads
            agent = _load_agent_or_search_only()
            result = optimize(problem, agent, service, config,
                              log=lambda line: print(line, file=sys.stderr, flush=True))
        if _OUT.value:
            _write(_OUT.value, result.source)
        if _JSON.value:
            _write(_JSON.value, json.dumps(result.to_json(), indent=2))
    except (UserInputError, AgentLoadError, CorpusError, OSError, BackendError) as exc:
        return _fail(str(exc))
    diff = result.diff()
    if diff:
        print(diff, end="" if diff.endswith("\n") else "\n")
    print("\n".join(result.report_lines()))
    return 0


if __name__ == "__main__":
    app.run(main)
