"""Orbax checkpoints of the training state, with a config fingerprint that must match, and the run-folder layout.

A run folder (`workdir`) holds `CONFIG_FILE` (the run's config as JSON) and
`CHECKPOINTS_DIR/<iteration>/`; `config_path` and `checkpoints_dir` name them.

A checkpoint stores the state pytree (params, optimizer state, step, PRNG key data, as
arrays) and a JSON `meta` entry holding the fingerprint of everything that fixes array
shapes or the meaning of actions (model sizes, L, the rule list, the vocabulary size)
plus free-form run information. Restoring under a different fingerprint raises
`CheckpointMismatchError` naming the differing fields, before any array is read.
"""

from __future__ import annotations

import pathlib
from typing import Any

import jax
import orbax.checkpoint as ocp


CONFIG_FILE = "config.json"
CHECKPOINTS_DIR = "checkpoints"


def config_path(workdir: str | pathlib.Path) -> pathlib.Path:
    """Where a run folder keeps its config."""
    return pathlib.Path(workdir) / CONFIG_FILE


def checkpoints_dir(workdir: str | pathlib.Path) -> pathlib.Path:
    """Where a run folder keeps its checkpoints, one subfolder per iteration."""
    return pathlib.Path(workdir) / CHECKPOINTS_DIR


class CheckpointMismatchError(ValueError):
    """The checkpoint was written by an incompatible configuration."""


def _differences(saved: Any, current: Any, prefix: str = "") -> list[str]:
    if isinstance(saved, dict) and isinstance(current, dict):
        found = []
        for key in sorted(set(saved) | set(current)):
            name = f"{prefix}.{key}" if prefix else str(key)
            if key not in saved or key not in current:
                found.append(f"{name} only in {'checkpoint' if key in saved else 'current config'}")
            else:
                found.extend(_differences(saved[key], current[key], name))
        return found
    if isinstance(saved, (list, tuple)) and isinstance(current, (list, tuple)):
        saved, current = list(saved), list(current)
        if saved != current:
            return [f"{prefix}: {_list_difference(saved, current)}"]
    return [] if saved == current else [f"{prefix}: checkpoint {saved!r} != current {current!r}"]


def _list_difference(saved: list, current: list) -> str:
    """Where two lists part: lengths, then the appended items or the first differing entry."""
    common = next((i for i, (a, b) in enumerate(zip(saved, current)) if a != b), min(len(saved), len(current)))
    sizes = f"checkpoint has {len(saved)} entries, current {len(current)}"
    if common == min(len(saved), len(current)):
        longer, side = (current, "current") if len(current) > len(saved) else (saved, "checkpoint")
        extra = longer[common:]
        more = f" and {len(extra) - 3} more" if len(extra) > 3 else ""
        return f"{sizes}; the {side} list goes on with {extra[:3]!r}{more}"
    return f"{sizes}; entry {common} differs: checkpoint {saved[common]!r} != current {current[common]!r}"


class Checkpointer:
    """Periodic saves to `directory`, keeping the newest `max_to_keep`."""

    def __init__(self, directory: str | pathlib.Path, max_to_keep: int = 3):
        self.directory = pathlib.Path(directory).absolute()
        self.manager = ocp.CheckpointManager(
            self.directory, options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True))

    def latest_step(self) -> int | None:
        return self.manager.latest_step()

    def save(self, step: int, state: Any, fingerprint: dict, info: dict | None = None) -> None:
        """Saves and waits until the checkpoint is complete on disk."""
        meta = {"fingerprint": fingerprint, "info": info or {}}
        self.manager.save(step, args=ocp.args.Composite(state=ocp.args.StandardSave(state),
                                                        meta=ocp.args.JsonSave(meta)), force=True)
        self.manager.wait_until_finished()

    def meta(self, step: int) -> dict:
        return self.manager.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))["meta"]

    def restore(self, step: int, target: Any, fingerprint: dict) -> tuple[Any, dict]:
        """Restores the state shaped like `target`; checks the fingerprint first."""
        meta = self.meta(step)
        differences = _differences(meta.get("fingerprint", {}), fingerprint)
        if differences:
            raise CheckpointMismatchError(
                f"{self.directory / str(step)}: checkpoint is from an incompatible config: "
                + "; ".join(differences[:8]) + (" ..." if len(differences) > 8 else ""))
        abstract = jax.tree_util.tree_map(ocp.utils.to_shape_dtype_struct, target)
        restored = self.manager.restore(step, args=ocp.args.Composite(state=ocp.args.StandardRestore(abstract)))
        return restored["state"], meta.get("info", {})

    def close(self) -> None:
        self.manager.close()
