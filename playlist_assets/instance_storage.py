"""The instance's SQLite storage, writing each batch of events in one transaction per database file.

Dagster hands the event log a run's planned materializations, and the materializations of a step's output over
several partitions, as batches (when ``DAGSTER_EVENT_BATCH_SIZE`` is set: ``EVENT_BATCH_SIZE`` below), but its
SQLite event log stores a batch one event at a time: for each event a connection opened, a transaction committed
(an fsync) and the connection closed (a checkpoint of the write-ahead log), in the run's database and again in
the index database. In a backfill run over many playlists that is most of Dagster's time per playlist. Here a
batch shares one connection and one transaction per database file; when an event of it cannot be stored, the
batch is rolled back and Dagster stores its events one by one. A step's asset check results, which Dagster hands
over one at a time (three per playlist: the page checks), wait for the step's next event and are stored in one
batch before it. Everything else is Dagster's SQLite storage.

``dagster.yaml`` selects it (``storage: custom``); ``deploy/dagster.postgres.yaml``, appended after it, replaces
it with PostgreSQL, whose event log writes a batch in one statement of its own.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence

from dagster._core.events import DagsterEventType
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection

#: Most events Dagster keeps back for one batch (a run's planned materializations: 5 per playlist of the run).
EVENT_BATCH_SIZE = "1000"


def batch_events() -> None:
    """Have Dagster hand batches of events to the storage in this process (unless DAGSTER_EVENT_BATCH_SIZE is set)."""
    os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", EVENT_BATCH_SIZE)


class BatchingSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log: a batch in one transaction per database file, a run's check results held."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._batch = threading.local()  # .connections: database file -> the batch's connection, in its thread
        self._held: list[EventLogEntry] = []  # a step's check results, until its next event
        super().__init__(base_dir, inst_data)
        self._db_lock = threading.RLock()  # held for a whole batch, and again by each connection within it

    def store_event(self, event: EventLogEntry) -> None:
        """One event in one transaction per database file; a run's check result is held for the next event."""
        if getattr(self._batch, "connections", None) is not None:
            super().store_event(event)
            return
        with self._db_lock:
            if event.run_id and event.dagster_event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                self._held.append(event)
                if len(self._held) < int(EVENT_BATCH_SIZE):
                    return
                self.store_held_events()
            else:
                self.store_held_events()
                self._store_batch([event])

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        with self._db_lock:
            self.store_held_events()
            self._store_batch(events)

    def store_held_events(self) -> None:
        """Store the check results held so far: in one batch, or one by one if the batch cannot be stored."""
        with self._db_lock:
            held, self._held = self._held, []
            try:
                self._store_batch(held)
            except Exception:
                for event in held:
                    self._store_batch([event])

    def dispose(self) -> None:
        self.store_held_events()
        super().dispose()

    def _store_batch(self, events: Sequence[EventLogEntry]) -> None:
        if not events:
            return
        with self._db_lock, contextlib.ExitStack() as connections:
            self._batch.connections, self._batch.stack = {}, connections
            try:
                for event in events:
                    super().store_event(event)
            finally:
                self._batch.connections = None

    @contextlib.contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        batch = getattr(self._batch, "connections", None)
        if batch is None:
            with super()._connect(shard) as connection:
                yield connection
            return
        if shard not in batch:
            batch[shard] = self._batch.stack.enter_context(super()._connect(shard))
        yield batch[shard]


class BatchingSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage (``storage: sqlite``, the default) with a ``BatchingSqliteEventLogStorage``."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data)
        self._event_log_storage = BatchingSqliteEventLogStorage(_event_logs_directory(base_dir))
        batch_events()

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: dict) -> BatchingSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
