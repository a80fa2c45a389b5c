"""The data-parallel learner (rl.parallel): on 2 devices the PPO and REINFORCE updates split the batch over
the devices and give the parameters and metrics of the one-device update.

JAX fixes its device count at import, so the 2-device run is a fresh interpreter with
XLA_FLAGS=--xla_force_host_platform_device_count=2 running tests/data_parallel_check.py, which
prints a JSON report read here (one run shared by the module). The one-device path is
checked in this process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from codeopt_jax.rl.parallel import DataParallel
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def report() -> dict:
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "JAX_PLATFORMS": "cpu",
           "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, str(ROOT / "tests" / "data_parallel_check.py")], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout)


@pytest.mark.slow
def test_the_check_runs_on_two_devices(report):
    assert report["devices"] == 2


@pytest.mark.slow
def test_rollout_is_split_along_the_batch_and_state_replicated(report):
    assert report["rollout_action_sharding"] == "NamedSharding spec=(None, 'batch') devices=2"
    assert report["rollout_action_shard_shapes"] == [[4, 2], [4, 2]]  # [T, B / 2] each
    assert report["rollout_mask_shard_shapes"] == [[4, 2, 3], [4, 2, 3]]
    assert report["state_replicated"]


@pytest.mark.slow
def test_minibatches_are_the_same_wherever_the_batch_lives(report):
    assert report["minibatches_identical"]


@pytest.mark.slow
@pytest.mark.parametrize("algo", ["ppo", "reinforce"])
def test_sharded_update_matches_the_one_device_update(report, algo):
    result = report[algo]
    assert result["params_max_difference"] <= 1e-6 * max(result["params_scale"], 1.0)
    assert result["opt_state_max_difference"] <= 1e-5
    one, parallel = result["metrics_one"], result["metrics_parallel"]
    assert one.keys() == parallel.keys()
    for name in one:
        np.testing.assert_allclose(parallel[name], one[name], rtol=1e-5, atol=1e-6, err_msg=name)
    assert one["num_updates"] > 0  # the updates really stepped


@pytest.mark.slow
@pytest.mark.parametrize("algo", ["ppo", "reinforce"])
def test_each_device_computes_its_share_and_gradients_are_summed(report, algo):
    # The policy inside the jitted update sees a batch split over both devices (not gathered onto each) ...
    assert report["policy_input_shardings"][f"{algo}_parallel"] == "NamedSharding spec=('batch',) devices=2"
    # ... so the compiled update sums across devices, and the new parameters are whole on each device.
    assert report[algo]["all_reduce_ops"] > 0
    assert report[algo]["params_replicated"] and report[algo]["params_devices"] == 2


@pytest.mark.slow
def test_a_batch_the_devices_do_not_divide_is_refused_by_name(report):
    assert "rollout batch B = 3 is not divisible by 2" in report["odd_batch_error"]
    assert "batch_size = 5 is not divisible by 2" in report["config_errors"]["reinforce"]
    assert ("batch_size * env.max_steps / ppo.num_minibatches = 9 is not divisible by 2"
            in report["config_errors"]["ppo"])


def test_one_device_places_and_constrains_nothing():
    parallel = DataParallel.over(jax.devices()[:1])
    state, rollout = object(), object()
    assert parallel.place(state, rollout) == (state, rollout)
    assert parallel.shard_batch_axis(0) is None and parallel.shard_batch_axis(1) is None
    parallel.check_divides(batch_size=7)  # one device divides everything
