"""Setting any field of a frozen config tree from text: `apply_overrides(config, ["ppo.clip_eps=0.1"])`.

Keys are dotted field paths through nested dataclasses (`field_paths` lists them with
their types); values are parsed by the field's type: int, float, bool (true/false,
1/0, yes/no), str, and `X | None` ("none" gives None). A bad key or value raises one
ValueError naming it; the new tree is rebuilt with `dataclasses.replace`, so every
`__post_init__` check runs again.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Iterable

_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _is_config(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def field_paths(config: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Every settable leaf field: [(dotted path, type name)], in declaration order."""
    paths = []
    hints = _field_types(type(config))
    for field in dataclasses.fields(config):
        value, path = getattr(config, field.name), f"{prefix}{field.name}"
        if _is_config(value):
            paths.extend(field_paths(value, path + "."))
        else:
            paths.append((path, _type_name(hints[field.name])))
    return paths


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def _parse(text: str, annotation: Any, key: str) -> Any:
    options = typing.get_args(annotation) if isinstance(annotation, types.UnionType) or \
        typing.get_origin(annotation) is typing.Union else (annotation,)
    if type(None) in options and text.strip().lower() == "none":
        return None
    for option in options:
        if option is type(None):
            continue
        if option is bool:
            if text.strip().lower() in _TRUE:
                return True
            if text.strip().lower() in _FALSE:
                return False
            continue
        if option in (int, float, str):
            try:
                return option(text)
            except ValueError:
                continue
        raise ValueError(f"{key}: fields of type {_type_name(annotation)} cannot be set from the command line")
    raise ValueError(f"{key}={text!r}: not a valid {_type_name(annotation)}")


def _split(assignment: str) -> tuple[str, str]:
    key, sep, text = assignment.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"override {assignment!r} is not of the form key=value (e.g. ppo.clip_eps=0.1)")
    return key.strip(), text


def _set(config: Any, path: list[str], text: str, key: str) -> Any:
    names = [field.name for field in dataclasses.fields(config)]
    if path[0] not in names:
        raise ValueError(f"unknown config key {key!r}; `--helpfull` lists the keys ({path[0]!r} is not one of "
                         f"{', '.join(names)})")
    current = getattr(config, path[0])
    if len(path) > 1:
        if not _is_config(current):
            raise ValueError(f"unknown config key {key!r}: {path[0]!r} has no fields")
        return dataclasses.replace(config, **{path[0]: _set(current, path[1:], text, key)})
    if _is_config(current):
        example = f"{key}.{dataclasses.fields(current)[0].name}=..."
        raise ValueError(f"config key {key!r} is a group; set one of its fields, e.g. {example}")
    return dataclasses.replace(config, **{path[0]: _parse(text, _field_types(type(config))[path[0]], key)})


def apply_overrides(config: Any, assignments: Iterable[str]) -> Any:
    """The config with every `key=value` applied in order; raises ValueError for a bad key or value."""
    for assignment in assignments:
        key, text = _split(assignment)
        try:
            config = _set(config, key.split("."), text, key)
        except ValueError as exc:
            if str(exc).startswith((key, "unknown config key", "config key")):
                raise
            raise ValueError(f"{key}={text}: {exc}") from None
    return config
