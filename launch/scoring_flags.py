"""Flags shared by the launchers that create a scoring service: which backend scores candidates.

  python -m launch.train --scoring ray                              # a private Ray on this machine
  python -m launch.train --scoring ray --ray_address auto --scoring_workers 32   # a running cluster

  backend = scoring_flags.backend(num_workers)   # ValueError naming the fix; BackendError: no cluster
  with ScoringService(num_workers, backend=backend) as service: ...

The local process pool is the default. With --scoring ray, each Ray actor owns
--ray_workers_per_actor sandboxed workers and the timing pairs of its machine; the launcher's
worker count is the total over all actors (see README, "Running on a cluster").
"""

from __future__ import annotations

from absl import flags

from codeopt_jax.scoring.backend import BACKENDS, LOCAL, RAY, ScoringBackend

SCORING = flags.DEFINE_enum("scoring", LOCAL, list(BACKENDS),
                            "Where candidates are scored: local worker processes, or Ray actors (needs "
                            "`pip install -r requirements-ray.txt`).")
RAY_ADDRESS = flags.DEFINE_string("ray_address", "", "With --scoring ray: the cluster to join ('auto', or "
                                  "HOST:PORT of the head); empty starts a private Ray on this machine.")
RAY_WORKERS_PER_ACTOR = flags.DEFINE_integer("ray_workers_per_actor", 1,
                                             "With --scoring ray: sandboxed workers (and CPUs) per Ray actor.")


def backend(num_workers: int) -> ScoringBackend:
    """The backend the flags ask for. With Ray, connects now: call it before JAX computes anything
    (a private Ray starts its processes with fork, which JAX's threads make unsafe). Raises ValueError
    naming the problem (a Ray flag without --scoring ray, Ray not installed) and
    `scoring.BackendError` when the cluster cannot be reached."""
    if SCORING.value != RAY:
        if RAY_ADDRESS.value:
            raise ValueError("--ray_address is only used with --scoring ray")
        return ScoringBackend()
    chosen = ScoringBackend(RAY, ray_address=RAY_ADDRESS.value, workers_per_actor=RAY_WORKERS_PER_ACTOR.value)
    from codeopt_jax.scoring import ray_backend

    try:
        ray_backend.require_ray()
    except ImportError as exc:
        raise ValueError(str(exc)) from None
    ray_backend.connect(chosen.ray_address, num_workers)  # stays up until this process exits
    return chosen
