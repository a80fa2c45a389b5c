"""Score cache keyed by a normalized form of the code plus the problem and options.

The normal form (`program.normalized_code`) is the AST dump without positions, so formatting and comments do not
matter: a candidate that differs from a scored one only in layout is never run again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

from codeopt_jax.program import normalized_code
from codeopt_jax.scoring.records import ScoreOptions, ScoreRecord


def cache_key(problem_source: str, candidate: str, options: ScoreOptions) -> str:
    """Key covering the problem file (check and workload), the normalized code and the options."""
    digest = hashlib.sha256()
    for part in (problem_source, normalized_code(candidate),
                 json.dumps(options.to_json(), sort_keys=True)):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


class ScoreCache:
    """In-memory map from cache key to ScoreRecord, with hit statistics."""

    def __init__(self) -> None:
        self._records: dict[str, ScoreRecord] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> ScoreRecord | None:
        record = self._records.get(key)
        if record is None:
            self.misses += 1
            return None
        self.hits += 1
        return dataclasses.replace(record, cached=True)

    def put(self, key: str, record: ScoreRecord) -> None:
        self._records[key] = record

    def __len__(self) -> int:
        return len(self._records)

    @property
    def hit_rate(self) -> float:
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0

    def stats(self) -> dict[str, float]:
        return {"hits": self.hits, "misses": self.misses, "hit_rate": self.hit_rate, "size": len(self)}
