"""The Ray scoring backend: same records as the local pool, hostile candidates contained in the
actors' sandboxed workers, lost workers and actors replaced; and the parts that need no Ray
(core claims, the error when Ray is missing)."""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import textwrap
import time

import pytest

from codeopt_jax.scoring import BackendError, ScoreOptions, ScoringBackend, ScoringService, WorkerLimits, records
from codeopt_jax.scoring.core_claims import claim_cores
from codeopt_jax.scoring.timing import allowed_cores

OPTIONS = ScoreOptions(tests=True, differential=True, opcount=True)
TIMING_FIELDS = ("speedup", "speedup_low", "speedup_high", "speedup_cv", "speedup_cold", "time_original",
                 "time_candidate", "timing_loops", "timing_rounds", "worker_seconds")


def total(body: str, prelude: str = "") -> str:
    """A candidate `total(xs)` whose body is `body`, with module-level `prelude`."""
    return textwrap.dedent(prelude) + "\ndef total(xs):\n" + textwrap.indent(textwrap.dedent(body), "    ")


# One of each outcome the records tell apart (statuses, differential results, op counts, output).
CANDIDATES = {
    "reference": total("return sum(xs)\n"),
    "generator": total("return sum(x for x in xs)\n"),
    "prints": total("print('scored on', len(xs))\nreturn sum(xs)\n"),
    "half_right": total("return xs[0] if xs else 0\n"),
    "raises": total("return 1 // (len(xs) - len(xs))\n"),
    "syntax": "def total(xs)\n    return 0\n",
    "missing": "def other(xs):\n    return 0\n",
    "short_sum": total("return sum(xs[:10])\n"),
    "mutates": total("s = sum(xs)\nxs.append(0)\nreturn s\n"),
}


def without_timing(record: records.ScoreRecord) -> records.ScoreRecord:
    """The record with its timing figures (and worker seconds) blanked: the part both backends must agree on."""
    return dataclasses.replace(record, **{name: None for name in TIMING_FIELDS if name != "worker_seconds"},
                               worker_seconds=0.0)


def _dead(pid: int) -> bool:
    """The process is gone or a zombie (its parent has not reaped it yet)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except OSError:
        return True


def _kill_and_wait(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    for _ in range(200):
        if _dead(pid):
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} survived SIGKILL")


# -- without Ray -------------------------------------------------------------------------------


def test_core_claims_are_exclusive_until_released(tmp_path):
    cores = sorted(allowed_cores(), reverse=True)
    if len(cores) < 2:
        pytest.skip("needs two allowed cores")
    first = claim_cores(1, str(tmp_path))
    second = claim_cores(1, str(tmp_path))
    assert (first.cores, second.cores) == ((cores[0],), (cores[1],))
    assert not first.shared and not second.shared
    crowded = claim_cores(len(cores), str(tmp_path))  # the two highest are held
    assert crowded.shared and len(crowded.cores) == len(cores) and len(crowded.lock_fds) == len(cores) - 2
    crowded.release()
    first.release()
    again = claim_cores(1, str(tmp_path))
    assert again.cores == (cores[0],) and not again.shared
    again.release()
    second.release()


def test_ray_backend_without_ray_names_the_missing_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    with pytest.raises(ImportError, match=r"'ray' package.*pip install -r requirements-ray\.txt"):
        ScoringService(1, backend=ScoringBackend("ray"))


def test_an_address_where_nothing_answers_is_a_clear_error():
    from codeopt_jax.scoring.ray_backend import _check_reachable

    with pytest.raises(BackendError, match=r"nothing answers at 127\.0\.0\.1:1 .*ray start --head"):
        _check_reachable("127.0.0.1:1")  # loopback, a port nobody listens on: refused at once
    _check_reachable("auto")  # Ray finds the local cluster itself


def test_backend_settings_are_checked():
    with pytest.raises(ValueError, match="local, ray"):
        ScoringBackend("dask")
    with pytest.raises(ValueError, match="workers_per_actor"):
        ScoringBackend("ray", workers_per_actor=0)


# -- on a local Ray ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray", reason="the Ray backend needs `pip install -r requirements-ray.txt`")
    from codeopt_jax.scoring import ray_backend

    started = ray_backend.connect("", num_cpus=2)
    yield ray
    if started:
        ray.shutdown()


@pytest.fixture(scope="module")
def ray_service(ray_cluster):
    """Two actors of one sandboxed worker each."""
    with ScoringService(2, WorkerLimits(memory_mb=768), backend=ScoringBackend("ray", workers_per_actor=1)) as scoring:
        yield scoring


@pytest.mark.slow
def test_ray_records_match_the_local_pool(ray_service, service, tiny_problem):
    names = sorted(CANDIDATES)
    items = [(tiny_problem, CANDIDATES[name]) for name in names]
    local = dict(zip(names, service.score_many(items, OPTIONS, fresh=True)))
    remote = dict(zip(names, ray_service.score_many(items, OPTIONS)))
    for name in names:
        assert without_timing(remote[name]) == without_timing(local[name]), name
    assert {r.status for r in remote.values()} >= {records.OK, records.TEST_FAILURE, records.EXCEPTION,
                                                   records.SYNTAX_ERROR}
    assert remote["short_sum"].differential == records.MISMATCH and remote["reference"].op_count < 100
    assert "scored on" in remote["prints"].output
    per_actor = ray_service.executor.stats_per_actor()
    assert len(per_actor) == 2 and all(stats.pool.jobs > 0 for stats in per_actor)  # the batch was split


@pytest.mark.slow
def test_ray_times_on_the_actors_pairs(ray_service, tiny_problem):
    record = ray_service.score(tiny_problem, tiny_problem.reference_program, ScoreOptions(timing=True, timing_rounds=5))
    assert record.valid and record.speedup > 1.0  # sum() over a Python loop: a ratio, not a time
    assert record.speedup_low <= record.speedup <= record.speedup_high and record.timing_rounds >= 5
    stats = ray_service.stats()
    assert stats["timing_jobs"] >= 1 and stats["ray_actors"] == 2
    actors = ray_service.executor.describe()
    assert all(len(actor.cores) == 1 for actor in actors)
    if len(allowed_cores()) >= 2:  # two actors on one machine time on different cores
        assert actors[0].cores != actors[1].cores


@pytest.mark.slow
def test_property_checks_run_on_the_actors(ray_service, tiny_problem):
    from codeopt_jax.scoring.properties import PropertyOptions

    right, wrong = ray_service.check_properties_many(
        [(tiny_problem, CANDIDATES["reference"]), (tiny_problem, total("return sum(xs[1:])\n"))],
        PropertyOptions(examples=10, budget_seconds=10.0))
    assert right.passed and right.examples > 0
    assert wrong.counterexample is not None and not wrong.error


@pytest.mark.slow
def test_hostile_candidates_are_contained_on_ray(ray_service, tiny_problem):
    before = ray_service.stats()
    exits = total("os._exit(3)\n", "import os\n")
    loops = total("while True:\n    pass\n")
    batch = [(tiny_problem, exits), (tiny_problem, loops),
             (tiny_problem, total("s = 0\nfor x in xs:\n    s = s + x\nreturn s\n")),
             (tiny_problem, total("return sum(list(xs))\n"))]
    died, hung, *fine = ray_service.score_many(batch, OPTIONS)
    assert died.status == records.CRASH and "exited with code 3" in died.detail
    assert hung.status == records.TIMEOUT and "deadline" in hung.detail
    assert all(r.valid and r.op_count is not None for r in fine)
    after = ray_service.stats()
    assert after["pool_crashes"] - before["pool_crashes"] == 1
    assert after["pool_timeouts"] - before["pool_timeouts"] == 1
    assert after["pool_workers_replaced"] - before["pool_workers_replaced"] >= 2
    assert after["ray_actors_replaced"] == before["ray_actors_replaced"]  # the actors themselves were untouched


@pytest.mark.slow
def test_killed_sandboxed_worker_inside_an_actor_is_replaced(ray_service, tiny_problem):
    actors = ray_service.executor.describe()
    victim = actors[0].worker_pids[0]
    _kill_and_wait(victim)
    before = ray_service.stats()
    results = ray_service.score_many([(tiny_problem, total(f"return sum(xs) + {k} - {k}\n")) for k in range(4)],
                                     OPTIONS)
    assert all(r.valid for r in results)  # a worker that died idle costs no job
    assert ray_service.stats()["pool_workers_replaced"] > before["pool_workers_replaced"]
    now = ray_service.executor.describe()
    assert [a.pid for a in now] == [a.pid for a in actors]  # same actors
    assert victim not in now[0].worker_pids and len(now[0].worker_pids) == 1


@pytest.mark.slow
def test_killed_actor_is_replaced_and_its_jobs_run_again(ray_service, tiny_problem):
    actors = ray_service.executor.describe()
    victim = actors[0]
    _kill_and_wait(victim.pid)
    before = ray_service.stats()
    results = ray_service.score_many([(tiny_problem, total(f"return sum(xs) * {k} // {k}\n")) for k in range(1, 5)],
                                     OPTIONS)
    assert all(r.valid for r in results), [r.detail for r in results]
    after = ray_service.stats()
    assert after["ray_actors_replaced"] - before["ray_actors_replaced"] == 1 and after["ray_actors"] == 2
    now = ray_service.executor.describe()
    assert victim.pid not in {a.pid for a in now}
    for pid in victim.worker_pids:  # the lost actor's sandboxed worker saw its pipe close and exited
        for _ in range(200):
            if _dead(pid):
                break
            time.sleep(0.05)
        assert _dead(pid), f"orphaned worker {pid} still running"
