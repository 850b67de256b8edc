"""DDL that makes the database itself refuse to update, delete or replace what was stored."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

REFUSAL = "append-only: stored events are never updated or deleted"
REPLACE_REFUSAL = "append-only: a stored row is never replaced"
END_REFUSAL = "append-only: rows are added only at the end"
# What a writer stores in each append-only table; on PostgreSQL the server's role may insert these
# columns and no others (a notification id comes from its sequence, never from a writer).
EVENT_COLUMNS = ("originator_id", "originator_version", "topic", "state")
RECEIPT_COLUMNS = ("command_id", "fingerprint", "incident_id", "version")


def _abort(message: str, table: str) -> str:
    return f"BEGIN SELECT RAISE(ABORT, '{message} ({table})'); END"


def sqlite_triggers(table: str, key: Sequence[str], *, rowid: bool = True) -> list[str]:
    """Triggers that abort any UPDATE, DELETE or REPLACE of a stored row of an SQLite table.

    `INSERT OR REPLACE` deletes the row it collides with without firing the DELETE trigger (unless
    a connection turns recursive triggers on), so every insert that would collide is refused before
    it happens: on the key, and on the rowid a statement may name. A plain collision (a version
    conflict, a reused command id) still fails as an IntegrityError, only with this message. For a
    rowid table (`rowid=True`; not a WITHOUT ROWID one) a new row must also land at the end: an
    explicit rowid below the last one, or not positive, would put a row where a reader of the log
    has already passed.
    """
    same_key = " AND ".join(f"{column} = NEW.{column}" for column in key)
    collides = f"EXISTS (SELECT 1 FROM {table} WHERE {same_key})"
    if rowid:
        collides += f" OR EXISTS (SELECT 1 FROM {table} WHERE rowid = NEW.rowid)"
    statements = [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb} BEFORE {verb.upper()} ON {table} "
        f"{_abort(REFUSAL, table)}"
        for verb in ("update", "delete")
    ]
    statements.append(
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table} "
        f"WHEN {collides} {_abort(REPLACE_REFUSAL, table)}"
    )
    if rowid:
        statements.append(
            f"CREATE TRIGGER IF NOT EXISTS {table}_only_at_end AFTER INSERT ON {table} "
            f"WHEN NEW.rowid <= 0 OR NEW.rowid < (SELECT max(rowid) FROM {table}) "
            f"{_abort(END_REFUSAL, table)}"
        )
    return statements


def postgres_refusal_function(schema: str) -> str:
    """A trigger function that raises, naming the table that was touched."""
    return (
        f'CREATE OR REPLACE FUNCTION "{schema}".incident_refuse_change() RETURNS trigger '
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"RAISE EXCEPTION '{REFUSAL} (%)', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; "
        "END $$"
    )


def postgres_triggers(schema: str, table: str) -> list[str]:
    """Row triggers refusing UPDATE and DELETE, and a statement trigger refusing TRUNCATE."""
    qualified = f'"{schema}"."{table}"'
    function = f'"{schema}".incident_refuse_change()'
    return [
        f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {qualified} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}",
        f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {qualified} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}",
    ]


def append_lock_key(schema: str, table: str) -> int:
    """The advisory lock (a signed 64-bit key) every append to one table holds until it commits."""
    digest = hashlib.sha256(f"incident-append:{schema}.{table}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def postgres_serialising_function(schema: str) -> str:
    """A statement trigger function that takes the table's append lock (its key is the argument)."""
    return (
        f'CREATE OR REPLACE FUNCTION "{schema}".incident_serialise_appends() RETURNS trigger '
        "LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock(TG_ARGV[0]::bigint); RETURN NULL; END $$"
    )


def postgres_serialising_trigger(schema: str, table: str) -> str:
    """Every INSERT into the log takes its append lock before any row gets a notification id.

    BEFORE STATEMENT triggers fire before the statement produces its first row, so before the
    sequence hands out an id: a writer that does not take the lock itself (another program on the
    same role) is serialised all the same, and cannot commit a lower id after a tailer has passed it.
    """
    key = append_lock_key(schema, table)
    return (
        f'CREATE OR REPLACE TRIGGER {table}_serialise_appends BEFORE INSERT ON "{schema}"."{table}" '
        f"FOR EACH STATEMENT EXECUTE FUNCTION \"{schema}\".incident_serialise_appends('{key}')"
    )
