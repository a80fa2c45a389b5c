"""Hostile candidates: each is contained, labelled, and costs one candidate, never the pool."""

from __future__ import annotations

import os
import textwrap

import pytest

from codeopt_jax.scoring import ScoreOptions, ScoringService, WorkerLimits, records

OPTIONS = ScoreOptions(tests=True, differential=True, opcount=True)


def total(body: str, prelude: str = "") -> str:
    """A candidate `total(xs)` whose body is `body`, with module-level `prelude`."""
    return textwrap.dedent(prelude) + "\ndef total(xs):\n" + textwrap.indent(textwrap.dedent(body), "    ")


HOSTILE = {
    "infinite_loop": (total("while True:\n    pass\n"), records.TIMEOUT),
    "catastrophic_regex": (total("return len(re.findall(r'(a+)+$', 'a' * 64 + 'b'))\n", "import re\n"),
                           records.TIMEOUT),
    "memory_bomb_at_once": (total("return len(bytearray(64 * 1024 ** 3))\n"), records.MEMORY_LIMIT),
    "memory_bomb_growing": (total("hog = []\nwhile True:\n    hog.append(' ' * 10 ** 8)\n"),
                            records.MEMORY_LIMIT),
    "c_stack_overflow": (total("sys.setrecursionlimit(10 ** 8)\n"
                               "def dive(n):\n    return list(map(dive, [n + 1]))\nreturn dive(0)\n",
                               "import sys\n"), records.CRASH),
    "fork": (total("os.fork()\nreturn sum(xs)\n", "import os\n"), records.EXCEPTION),
    "fork_bomb": (total("while True:\n    os.fork()\n", "import os\n"), records.EXCEPTION),
    "subprocess": (total("subprocess.run(['true'])\nreturn sum(xs)\n", "import subprocess\n"),
                   records.EXCEPTION),
    "os_exit": (total("os._exit(3)\n", "import os\n"), records.CRASH),
    "sys_exit": (total("sys.exit(0)\n", "import sys\n"), records.EXCEPTION),
    "huge_print": (total("print('x' * 10 ** 8)\nreturn sum(xs)\n"), records.OUTPUT_LIMIT),
    "print_swallowed": (total("for _ in range(10 ** 5):\n    try:\n        print('spam' * 100)\n"
                              "    except BaseException:\n        pass\nreturn sum(xs)\n"), records.OUTPUT_LIMIT),
    "signal_tampering": (total("for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):\n"
                               "    signal.signal(sig, signal.SIG_IGN)\nwhile True:\n    pass\n",
                               "import signal\n"), records.TIMEOUT),
    "kill_parent": (total("os.kill(os.getppid(), signal.SIGKILL)\nreturn sum(xs)\n",
                          "import os, signal\n"), records.EXCEPTION),
    "sleep": (total("time.sleep(3600)\n", "import time\n"), records.TIMEOUT),
    "deadlocked_threads": (total(
        "a, b = threading.Lock(), threading.Lock()\n"
        "def one():\n    with a:\n        time.sleep(0.05)\n        with b:\n            pass\n"
        "def two():\n    with b:\n        time.sleep(0.05)\n        with a:\n            pass\n"
        "ts = [threading.Thread(target=one), threading.Thread(target=two)]\n"
        "for t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nreturn sum(xs)\n",
        "import threading, time\n"), records.TIMEOUT),
    "swallowed_interrupt": (total("while True:\n    try:\n        while True:\n            pass\n"
                                  "    except BaseException:\n        pass\n"), records.TIMEOUT),
    "ctypes": (total("ctypes.string_at(0)\n", "import ctypes\n"), records.EXCEPTION),
    "trace_tampering": (total("sys.settrace(None)\nreturn sum(xs)\n", "import sys\n"), records.EXCEPTION),
    "forged_result_frames": (total(
        "for fd in range(3, 64):\n    try:\n        os.write(fd, b'\\x00\\x00\\x00\\x10{\"kind\": \"res')\n"
        "    except OSError:\n        pass\nreturn sum(xs)\n", "import os\n"), records.CRASH),
}


@pytest.fixture(scope="module")
def hostile_service():
    limits = WorkerLimits(memory_mb=768)
    with ScoringService(num_workers=2, limits=limits) as scoring:
        yield scoring


@pytest.fixture(scope="module")
def hostile_records(hostile_service, tiny_problem):
    names = sorted(HOSTILE)
    results = hostile_service.score_many([(tiny_problem, HOSTILE[n][0]) for n in names], OPTIONS)
    return dict(zip(names, results))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_candidate_is_contained_and_labelled(name, hostile_records):
    expected = HOSTILE[name][1]
    record = hostile_records[name]
    assert record.status == expected, (record.status, record.detail)
    assert record.speedup is None and record.op_count is None


@pytest.mark.slow
def test_sandbox_refusals_name_the_operation(hostile_records):
    assert "os.fork" in hostile_records["fork"].detail
    assert "os.kill" in hostile_records["kill_parent"].detail
    assert "importing ctypes" in hostile_records["ctypes"].detail
    assert "SystemExit" in hostile_records["sys_exit"].detail
    assert "SIGSEGV" in hostile_records["c_stack_overflow"].detail
    assert "malformed message" in hostile_records["forged_result_frames"].detail


@pytest.mark.slow
def test_pool_keeps_serving_after_hostile_batch(hostile_service, hostile_records, tiny_problem):
    stats = hostile_service.pool.stats
    # The pool's counters agree with the records (no wall-clock threshold: which candidates time
    # out is decided by what they do, and each of those records says so).
    killed = sum(r.status in (records.TIMEOUT, records.CRASH) for r in hostile_records.values())
    assert killed >= 6 and stats.timeouts + stats.crashes == killed
    assert stats.workers_replaced >= killed
    after = hostile_service.score_many([(tiny_problem, tiny_problem.program)] * 1 +
                                       [(tiny_problem, tiny_problem.reference_program)], OPTIONS)
    assert all(r.valid for r in after)


def test_files_outside_the_sandbox_are_untouched(tiny_problem, tmp_path):
    sentinel = tmp_path / "keep.txt"
    sentinel.write_text("precious")
    victim_dir = tmp_path / "folder"
    victim_dir.mkdir()
    (victim_dir / "inner.txt").write_text("also precious")
    attempts = [
        f"open({str(sentinel)!r}, 'w').write('gone')",
        f"open({str(sentinel)!r}, 'a').write('more')",
        f"os.remove({str(sentinel)!r})",
        f"os.rename({str(sentinel)!r}, {str(sentinel) + '.moved'!r})",
        f"shutil.rmtree({str(victim_dir)!r})",
        f"os.open({str(tmp_path / 'new.txt')!r}, os.O_CREAT | os.O_WRONLY)",
        f"os.chmod({str(sentinel)!r}, 0)",
    ]
    body = "".join(f"try:\n    {a}\nexcept Exception:\n    pass\n" for a in attempts) + "return sum(xs)\n"
    with ScoringService(num_workers=1) as scoring:
        record = scoring.score(tiny_problem, total(body, "import os, shutil\n"), OPTIONS)
    assert record.valid  # it swallowed every refusal and returned the right answer
    assert sentinel.read_text() == "precious"
    assert (victim_dir / "inner.txt").read_text() == "also precious"
    assert sorted(os.listdir(tmp_path)) == ["folder", "keep.txt"]
    assert os.stat(sentinel).st_mode & 0o777 != 0


def test_tampered_worker_is_replaced_and_next_job_is_clean(tiny_problem):
    poison = total("builtins.sum = lambda *a: 0\nbuiltins.len = lambda *a: 0\nreturn sum(xs)\n",
                   "import builtins\n")
    with ScoringService(num_workers=1) as scoring:
        records_ = scoring.score_many([(tiny_problem, poison), (tiny_problem, tiny_problem.reference_program)],
                                      OPTIONS)
        assert scoring.pool.stats.workers_replaced == 1
    assert records_[1].valid and records_[1].op_count < records_[1].op_count_original


def test_workers_that_cannot_start_raise_a_clear_error(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "")
    from codeopt_jax.scoring import pool as pool_module
    monkeypatch.setattr(pool_module, "_PROJECT_ROOT", "/nonexistent")
    monkeypatch.chdir("/")
    with pytest.raises(RuntimeError, match="fail to start"):
        with ScoringService(num_workers=1) as scoring:
            scoring.pool.wait_ready()


@pytest.mark.slow
def test_worker_that_died_idle_is_replaced_before_it_gets_a_job(tiny_problem):
    """A worker killed between jobs (the OOM killer, an operator) costs no candidate a crash record."""
    import signal
    import time

    with ScoringService(num_workers=1) as scoring:
        scoring.pool.wait_ready()
        [victim] = scoring.pool.worker_pids()
        os.kill(victim, signal.SIGKILL)
        for _ in range(200):  # until it is a zombie (or reaped): dead, not yet noticed by the pool
            try:
                with open(f"/proc/{victim}/stat", "rb") as handle:
                    if handle.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                        break
            except OSError:
                break
            time.sleep(0.05)
        record = scoring.score(tiny_problem, tiny_problem.reference_program, OPTIONS)
        assert record.valid, (record.status, record.detail)
        assert scoring.pool.stats.workers_replaced == 1 and scoring.pool.stats.crashes == 0
        assert victim not in scoring.pool.worker_pids()
