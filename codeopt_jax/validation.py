"""Range checks that configuration dataclasses run in `__post_init__`, with errors naming the field.

  def __post_init__(self) -> None:
      check_fields(self, positive=("budget",), non_negative=("seed",), unit_interval=("gamma",))

A bad value raises ValueError("SearchConfig.budget must be positive, got 0") at construction,
not deep inside a rollout.
"""

from __future__ import annotations

import math
from typing import Any, Iterable


def _value(config: Any, name: str) -> Any:
    return getattr(config, name)


def _fail(config: Any, name: str, requirement: str) -> None:
    raise ValueError(f"{type(config).__name__}.{name} must be {requirement}, got {_value(config, name)!r}")


def check_fields(config: Any, *, positive: Iterable[str] = (), non_negative: Iterable[str] = (),
                 unit_interval: Iterable[str] = (), finite: Iterable[str] = ()) -> None:
    """Raises ValueError for the first field outside its range; a None value (an optional setting) passes."""
    for name in positive:
        value = _value(config, name)
        if value is not None and not value > 0:
            _fail(config, name, "positive")
    for name in non_negative:
        value = _value(config, name)
        if value is not None and not value >= 0:
            _fail(config, name, "non-negative")
    for name in unit_interval:
        value = _value(config, name)
        if value is not None and not 0.0 <= value <= 1.0:
            _fail(config, name, "in [0, 1]")
    for name in finite:
        value = _value(config, name)
        if value is not None and not math.isfinite(value):
            _fail(config, name, "finite")
