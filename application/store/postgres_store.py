"""The scaled-out PostgreSQL store: append-only tables and command receipts beside the library's."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    ProgrammingError,
    StoredEvent,
    Subscription,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
    PostgresSubscription,
)
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from application.store.append_only import (
    EVENT_COLUMNS,
    RECEIPT_COLUMNS,
    append_lock_key,
    postgres_refusal_function,
    postgres_serialising_function,
    postgres_serialising_trigger,
    postgres_triggers,
)
from application.store.errors import SchemaNotMigratedError
from application.store.receipts import CommandReceipt

# A NOTIFY can be missed (a dropped connection, the start-up window): pull this often regardless.
SAFETY_POLL_SECONDS = 2.0


def _composed(statements: list[str]) -> list[Composed]:
    # The library's create_table() expects Composed statements; these carry no parameters.
    return [SQL(statement).format() for statement in statements]


def _append_only_statements(schema: str, table: str) -> list[Composed]:
    return _composed([postgres_refusal_function(schema), *postgres_triggers(schema, table)])


def _missing_tables(datastore: PostgresDatastore, tables: Sequence[str]) -> list[str]:
    with datastore.transaction(commit=False) as curs:
        curs.execute(
            "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = %s AND tablename = ANY(%s)",
            (datastore.schema, list(tables)),
        )
        found = {row["tablename"] for row in curs.fetchall()}
    return [table for table in tables if table not in found]


def _create_missing(recorder: AppendOnlyPostgresAggregateRecorder | IncidentPostgresRecorder) -> None:
    # The server's role may not run DDL (it has no CREATE on the schema, owns no table), and need
    # not: on tables that exist it starts without touching them. `incident migrate`, run as the
    # tables' owner, is where the DDL of a scaled-out store is run from.
    if _missing_tables(recorder.datastore, list(recorder.append_only_tables)):
        recorder.migrate()


@contextmanager
def _telling_what_to_run(schema: str) -> Iterator[None]:
    try:
        yield
    except ProgrammingError as error:
        if not isinstance(error.__cause__, psycopg.errors.InsufficientPrivilege):
            raise
        raise SchemaNotMigratedError(
            f"{error}: this role may not use or create the tables of schema {schema!r}; "
            "their owner must migrate the store and grant this role a server's privileges"
        ) from error


class AppendOnlyPostgresAggregateRecorder(PostgresAggregateRecorder):
    """The snapshot recorder, with UPDATE, DELETE and TRUNCATE refused by the database."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.sql_create_statements.extend(_append_only_statements(datastore.schema, events_table_name))
        self.append_only_tables: Mapping[str, Sequence[str]] = {events_table_name: EVENT_COLUMNS}

    def create_table(self) -> None:
        """Create the table if it is missing (the library calls this at start-up)."""
        _create_missing(self)

    def migrate(self) -> None:
        """Run all of this recorder's DDL (idempotent), as the tables' owner."""
        super().create_table()


class IncidentPostgresRecorder(PostgresApplicationRecorder):
    """The incident log on PostgreSQL: append-only, with command receipts in the same transaction.

    Live tailing is the library's LISTEN/NOTIFY subscription.
    """

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.receipts_table = events_table_name.removesuffix("_events") + "_command_receipts"
        self.check_identifier_length(self.receipts_table)
        schema = Identifier(datastore.schema)
        receipts = Identifier(self.receipts_table)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0}.{1} (command_id text PRIMARY KEY, "
                "fingerprint text NOT NULL, incident_id uuid NOT NULL, version bigint NOT NULL)"
            ).format(schema, receipts)
        )
        self.sql_create_statements.extend(_append_only_statements(datastore.schema, events_table_name))
        self.sql_create_statements.extend(_composed(postgres_triggers(datastore.schema, self.receipts_table)))
        self.sql_create_statements.extend(
            _composed(
                [
                    postgres_serialising_function(datastore.schema),
                    postgres_serialising_trigger(datastore.schema, events_table_name),
                ]
            )
        )
        # The library locks the table IN EXCLUSIVE MODE on every insert, which PostgreSQL allows only
        # a role that may UPDATE, DELETE or TRUNCATE it. A transaction-scoped advisory lock on a key
        # of this table needs no privilege and keeps what the table lock is for: it is taken before
        # the insert draws its notification ids and held until the transaction ends, so appends
        # commit in the order of their ids and a tailer never passes over an id that commits later.
        # (The table's serialising trigger takes the same lock, for any writer: a lock held twice by
        # one transaction is just held.) The lock timeout still bounds the wait.
        self.lock_table_statements = [
            SQL("SET LOCAL lock_timeout = '{0}s'").format(datastore.lock_timeout),
            SQL("SELECT pg_advisory_xact_lock({0})").format(
                append_lock_key(datastore.schema, events_table_name)
            ),
        ]
        self.append_only_tables: Mapping[str, Sequence[str]] = {
            events_table_name: EVENT_COLUMNS,
            self.receipts_table: RECEIPT_COLUMNS,
        }
        self._insert_receipt = SQL("INSERT INTO {0}.{1} VALUES (%s, %s, %s, %s)").format(schema, receipts)
        self._select_receipt = SQL("SELECT * FROM {0}.{1} WHERE command_id = %s").format(schema, receipts)
        self._select_position = SQL(
            "SELECT notification_id FROM {0}.{1} WHERE originator_id = %s AND originator_version = %s"
        ).format(schema, Identifier(events_table_name))

    def create_table(self) -> None:
        """Create the tables if one is missing (the library calls this at start-up)."""
        _create_missing(self)

    def migrate(self) -> None:
        """Run all of this recorder's DDL (idempotent), as the tables' owner."""
        super().create_table()

    def _insert_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],  # noqa: ARG002  (the library's signature)
        **kwargs: Any,
    ) -> None:
        # Runs inside the library's insert transaction, before the events: a duplicate command id and
        # a version conflict both surface as IntegrityError and roll back everything.
        receipt: CommandReceipt | None = kwargs.get("receipt")
        if receipt is not None:
            # A nested pipeline block syncs on exit, so a reused command id raises its unique
            # violation here (an IntegrityError) rather than aborting the pipeline later.
            with curs.connection.pipeline():
                curs.execute(
                    self._insert_receipt,
                    (receipt.command_id, receipt.fingerprint, receipt.incident_id, receipt.version),
                    prepare=True,
                )

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        return IncidentPostgresSubscription(recorder=self, gt=gt, topics=topics)

    def receipt(self, command_id: str) -> CommandReceipt | None:
        """The receipt of an earlier command with this id, if there was one."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select_receipt, (command_id,), prepare=True)
            row = curs.fetchone()
        if row is None:
            return None
        return CommandReceipt(row["command_id"], row["fingerprint"], row["incident_id"], row["version"])

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        """The notification id (log position) of one stored event."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select_position, (originator_id, version), prepare=True)
            row = curs.fetchone()
        return None if row is None else int(row["notification_id"])


class IncidentPostgresSubscription(PostgresSubscription):
    """The library's LISTEN/NOTIFY subscription, without its start-up blind spot.

    The library pulls what is stored while, in another thread, it starts to LISTEN: a commit that
    lands after that first pull but before LISTEN takes effect sends a NOTIFY nobody hears, and the
    tail would sit on it until the next write. Here the tail pulls again once LISTEN is in effect,
    and every few seconds besides, so nothing committed is left waiting.
    """

    _thread_error: BaseException | None

    def _listen(self) -> None:
        try:
            with self._recorder.datastore.get_connection() as conn:
                conn.execute(SQL("LISTEN {0}").format(Identifier(self._recorder.channel_name)))
                self._has_been_notified.set()
                next_poll = time.monotonic() + SAFETY_POLL_SECONDS
                while not self._has_been_stopped and not self._thread_error:
                    for _ in conn.notifies(timeout=0.1, stop_after=1):
                        self._has_been_notified.set()
                    if time.monotonic() >= next_poll:
                        self._has_been_notified.set()
                        next_poll = time.monotonic() + SAFETY_POLL_SECONDS
        except BaseException as error:
            if self._thread_error is None:
                self._thread_error = error
            self.stop()


class IncidentPostgresFactory(PostgresFactory):
    """Builds the append-only PostgreSQL recorders."""

    aggregate_recorder_class = AppendOnlyPostgresAggregateRecorder
    application_recorder_class = IncidentPostgresRecorder

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        with _telling_what_to_run(self.datastore.schema):
            return super().aggregate_recorder(purpose)

    def application_recorder(self) -> ApplicationRecorder:
        with _telling_what_to_run(self.datastore.schema):
            return super().application_recorder()
