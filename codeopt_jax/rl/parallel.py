"""Data-parallel placement for the learner: the batch split over a 1-D mesh of local devices.

The update's code is the same on every device count; only where its inputs live changes.
`DataParallel.place(state, rollout)` replicates the train state (parameters, optimizer state)
on every device and splits the rollout's B episodes into equal slices, one per device; inside the
jitted update `shard_batch_axis` keeps each minibatch split along its transitions, so every
device computes the loss and gradients of its share and XLA sums the gradients across
devices (an all-reduce) before the replicated optimizer step. Minibatches are drawn from
the global batch with the same key, so 1 and D devices take the same steps (up to float
summation order). With one device nothing is placed or constrained: the update compiles
exactly as it would without this module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TypeVar

import jax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from codeopt_jax.rl.train_state import TrainState
from codeopt_jax.rl.types import Rollout

BATCH_AXIS = "batch"  # the mesh's one axis: devices that split the batch

Tree = TypeVar("Tree")


@dataclasses.dataclass(frozen=True)
class DataParallel:
    """A 1-D device mesh (axis "batch") and the shardings of the learner's inputs on it."""

    mesh: Mesh

    @classmethod
    def over(cls, devices: Sequence[jax.Device]) -> "DataParallel":
        """A mesh over the given devices (in that order)."""
        if not devices:
            raise ValueError("a data-parallel mesh needs at least one device")
        return cls(mesh=Mesh(list(devices), (BATCH_AXIS,)))

    @classmethod
    def over_local_devices(cls) -> "DataParallel":
        """A mesh over every device of the default backend attached to this process."""
        return cls.over(jax.local_devices())

    @property
    def num_devices(self) -> int:
        return self.mesh.size

    @property
    def replicated(self) -> NamedSharding:
        """A whole copy on every device (parameters, optimizer state, keys)."""
        return NamedSharding(self.mesh, PartitionSpec())

    def split_along(self, axis: int) -> NamedSharding:
        """Dimension `axis` cut into num_devices equal slices, the other dimensions whole."""
        return NamedSharding(self.mesh, PartitionSpec(*([None] * axis), BATCH_AXIS))

    def rollout_sharding(self) -> Rollout:
        """A pytree prefix of a Rollout: every [T, B, ...] transition field split along B, last_value [B] too."""
        return Rollout(transitions=self.split_along(1), last_value=self.split_along(0))  # type: ignore[arg-type]

    def check_divides(self, **sizes: int) -> None:
        """Raises ValueError naming every size (a config value: `batch_size=16`) the device count does not divide."""
        uneven = {name: size for name, size in sizes.items() if size % self.num_devices}
        if uneven:
            named = ", ".join(f"{name} = {size}" for name, size in uneven.items())
            raise ValueError(f"the data-parallel learner splits the batch over {self.num_devices} local devices, "
                             f"but {named} is not divisible by {self.num_devices}; choose sizes that are multiples "
                             f"of {self.num_devices}, or limit the visible devices (CUDA_VISIBLE_DEVICES)")

    def place(self, state: TrainState, rollout: Rollout) -> tuple[TrainState, Rollout]:
        """The state replicated and the rollout split along B (its B must divide evenly); unchanged on one device."""
        if self.num_devices == 1:
            return state, rollout
        self.check_divides(**{"rollout batch B": rollout.last_value.shape[0]})
        return jax.device_put(state, self.replicated), jax.device_put(rollout, self.rollout_sharding())

    def shard_batch_axis(self, axis: int):
        """For use inside jit: `constrain(tree) -> tree` that keeps dimension `axis` of every leaf split over the
        devices (the transitions of a [num_minibatches, M, ...] minibatch stack: axis 1); None on one device."""
        if self.num_devices == 1:
            return None
        sharding = self.split_along(axis)

        def constrain(tree: Tree) -> Tree:
            return jax.tree.map(lambda leaf: jax.lax.with_sharding_constraint(leaf, sharding), tree)

        return constrain

