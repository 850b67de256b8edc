"""The embedded SQLite store: append-only tables, command receipts, group commit, a subscription."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    IntegrityError,
    ListenNotifySubscription,
    OperationalError,
    StoredEvent,
    Subscription,
)
from eventsourcing.sqlite import (
    SQLiteAggregateRecorder,
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
)
from eventsourcing.utils import Environment, EnvType

from application.store.append_only import EVENT_COLUMNS, RECEIPT_COLUMNS, sqlite_triggers
from application.store.group_commit import GroupCommit, PendingWrite
from application.store.receipts import CommandReceipt
from application.store.sqlite_pool import StatementCachingPool

RECEIPTS_TABLE = "command_receipts"
# The library's primary key of the events and snapshots tables.
EVENT_KEY = ("originator_id", "originator_version")
# How often a subscription looks for rows committed by other processes; in-process writes wake
# it at once.
CROSS_PROCESS_POLL_SECONDS = 0.05


class _Wakeups:
    """In-process wake-ups for subscriptions, keyed by database file."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, set[threading.Event]] = {}

    def register(self, db_name: str, event: threading.Event) -> None:
        with self._lock:
            self._events.setdefault(db_name, set()).add(event)

    def unregister(self, db_name: str, event: threading.Event) -> None:
        with self._lock:
            self._events.get(db_name, set()).discard(event)

    def wake(self, db_name: str) -> None:
        with self._lock:
            events = list(self._events.get(db_name, ()))
        for event in events:
            event.set()


WAKEUPS = _Wakeups()


class AppendOnlySQLiteAggregateRecorder(SQLiteAggregateRecorder):
    """The snapshot recorder, with UPDATE, DELETE and REPLACE refused by the database."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            # The library makes this table WITHOUT ROWID: its key is all there is to collide on.
            *sqlite_triggers(self.events_table_name, EVENT_KEY, rowid=False),
        ]

    @property
    def append_only_tables(self) -> Mapping[str, Sequence[str]]:
        return {self.events_table_name: EVENT_COLUMNS}

    def migrate(self) -> None:
        """Create the table and its triggers where missing (every start does the same on SQLite)."""
        self.create_table()


class IncidentSQLiteRecorder(SQLiteApplicationRecorder):
    """The incident log on SQLite: append-only, with receipts, group commit and subscriptions."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name)
        self._group_commit = GroupCommit(self._write_batch)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {RECEIPTS_TABLE} ("
            "command_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, "
            "incident_id TEXT NOT NULL, version INTEGER NOT NULL)",
            *sqlite_triggers(self.events_table_name, EVENT_KEY),
            *sqlite_triggers(RECEIPTS_TABLE, ("command_id",)),
        ]

    @property
    def append_only_tables(self) -> Mapping[str, Sequence[str]]:
        return {self.events_table_name: EVENT_COLUMNS, RECEIPTS_TABLE: RECEIPT_COLUMNS}

    def migrate(self) -> None:
        """Create the tables and their triggers where missing (every start does the same on SQLite)."""
        self.create_table()

    @property
    def db_name(self) -> str:
        return self.datastore.pool.db_name

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        ids: Sequence[int] | None = self._group_commit.submit((stored_events, kwargs.get("receipt")))
        WAKEUPS.wake(self.db_name)
        return ids

    def _write_batch(self, batch: Sequence[PendingWrite]) -> None:
        # Each write gets a savepoint, so one write's conflict fails that write alone.
        with self.datastore.transaction(commit=True) as c:
            for pending in batch:
                stored_events, receipt = pending.payload
                c.execute("SAVEPOINT incident_write")
                try:
                    pending.result = self._insert_events(c, stored_events)
                    if receipt is not None:
                        self._insert_receipt(c, receipt)
                except sqlite3.IntegrityError as error:
                    c.execute("ROLLBACK TO incident_write")
                    pending.result, pending.error = None, IntegrityError(error)
                c.execute("RELEASE incident_write")

    @staticmethod
    def _insert_receipt(c: SQLiteCursor, receipt: CommandReceipt) -> None:
        c.execute(
            f"INSERT INTO {RECEIPTS_TABLE} VALUES (?,?,?,?)",
            (receipt.command_id, receipt.fingerprint, receipt.incident_id.hex, receipt.version),
        )

    def receipt(self, command_id: str) -> CommandReceipt | None:
        """The receipt of an earlier command with this id, if there was one."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {RECEIPTS_TABLE} WHERE command_id=?", (command_id,))
            row = c.fetchone()
        if row is None:
            return None
        return CommandReceipt(row["command_id"], row["fingerprint"], UUID(row["incident_id"]), row["version"])

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        """The notification id (log position) of one stored event."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid FROM {self.events_table_name} WHERE originator_id=? AND originator_version=?",
                (originator_id.hex, version),
            )
            row = c.fetchone()
        return None if row is None else int(row[0])

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> Subscription[Any]:
        return SQLiteSubscription(self, gt=gt, topics=topics)


class SQLiteSubscription(ListenNotifySubscription[IncidentSQLiteRecorder]):
    """Yields stored events after a position, then new ones as they commit.

    Writes in this process wake it at once; writes from other processes are found by a short poll.
    SQLite has one writer at a time and assigns rowids inside the write transaction, so a reader
    never passes over a row that commits later with a lower id.
    """

    def __init__(
        self, recorder: IncidentSQLiteRecorder, gt: int | None = None, topics: Sequence[str] = ()
    ) -> None:
        self._stopping = threading.Event()
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        WAKEUPS.register(recorder.db_name, self._has_been_notified)
        self._poll_thread = threading.Thread(target=self._poll, name="sqlite-subscription-poll", daemon=True)
        self._poll_thread.start()

    def _poll(self) -> None:
        while not self._stopping.wait(CROSS_PROCESS_POLL_SECONDS):
            self._has_been_notified.set()

    def _pull(self) -> None:
        try:
            super()._pull()
        except sqlite3.OperationalError as error:
            raise OperationalError(error) from error

    def stop(self) -> None:
        self._stopping.set()
        WAKEUPS.unregister(self._recorder.db_name, self._has_been_notified)
        super().stop()

    def __exit__(self, *args: object, **kwargs: Any) -> None:
        try:
            super().__exit__(*args, **kwargs)
        finally:
            self._poll_thread.join()


class IncidentSQLiteFactory(SQLiteFactory):
    """Builds the append-only, subscribable SQLite recorders, on connections that keep statements prepared."""

    aggregate_recorder_class = AppendOnlySQLiteAggregateRecorder
    application_recorder_class = IncidentSQLiteRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        unused = self.datastore.pool  # no connection made yet
        self.datastore.pool = StatementCachingPool(db_name=unused.db_name, lock_timeout=unused.lock_timeout)
        unused.close()
