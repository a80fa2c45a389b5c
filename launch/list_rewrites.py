"""Lists the rewrite rules in registry (action id) order.

    python -m launch.list_rewrites          # a table
    python -m launch.list_rewrites --json   # [{"name", "safety", "description"}, ...]
"""

from __future__ import annotations

import json

from absl import app, flags

from codeopt_jax.rewrites import ALL_RULES

_JSON = flags.DEFINE_bool("json", False, "Print a JSON list instead of a table.")


def rule_rows() -> list[dict[str, str]]:
    return [{"name": rule.name, "safety": rule.safety.value, "description": rule.description} for rule in ALL_RULES]


def table(rows: list[dict[str, str]]) -> str:
    name_width = max(len(row["name"]) for row in rows)
    safety_width = max(len(row["safety"]) for row in rows)
    lines = [f"{'id':>3}  {'name':<{name_width}}  {'safety':<{safety_width}}  description"]
    for index, row in enumerate(rows):
        lines.append(f"{index:>3}  {row['name']:<{name_width}}  {row['safety']:<{safety_width}}  {row['description']}")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    rows = rule_rows()
    print(json.dumps(rows, indent=2) if _JSON.value else table(rows))


if __name__ == "__main__":
    app.run(main)
