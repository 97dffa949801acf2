"""A small persistent cache of JSON values by key (album labels, track features), shared by concurrent runs.

One SQLite file per cache, kept with the Dagster instance's storage; entries older than ``max_age_days``
count as missing, so they are asked for again and overwritten.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

_SQLITE_VARIABLES = 900  # stay under SQLite's limit on bound parameters per statement


class JsonCache:
    """``get_many``/``put_many`` of JSON-serialisable values in table ``entries`` of a SQLite file."""

    def __init__(self, path: str | Path, max_age_days: float = 90.0):
        self.path = Path(path)
        self.max_age_seconds = max_age_days * 86400
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value TEXT NOT NULL, stored_at REAL NOT NULL)"
            )

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The fresh values among ``keys``; missing and expired keys are absent."""
        wanted = list(dict.fromkeys(keys))
        oldest = time.time() - self.max_age_seconds
        found: dict[str, Any] = {}
        with self._connect() as connection:
            for start in range(0, len(wanted), _SQLITE_VARIABLES):
                chunk = wanted[start : start + _SQLITE_VARIABLES]
                marks = ",".join("?" * len(chunk))
                rows = connection.execute(
                    f"SELECT key, value FROM entries WHERE stored_at >= ? AND key IN ({marks})", [oldest, *chunk]
                )
                found.update((key, json.loads(value)) for key, value in rows)
        return found

    def put_many(self, values: Mapping[str, Any]) -> None:
        """Store (or overwrite) every value, stamped with the current time."""
        now = time.time()
        rows = [(key, json.dumps(value, ensure_ascii=False), now) for key, value in values.items()]
        with self._connect() as connection:
            connection.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", rows)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection that commits on success and is always closed."""
        with contextlib.closing(sqlite3.connect(self.path, timeout=30)) as connection, connection:
            yield connection
