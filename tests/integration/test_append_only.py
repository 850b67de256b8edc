"""The database itself refuses to change or remove what was stored, whoever connects to it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError

from application.store.receipts import CommandReceipt
from tests.conftest import POSTGRES_URL
from tests.integration.ledger import Ledger, Tally, ledger


@contextmanager
def plain_connection(database_url: str) -> Iterator[Any]:
    """A connection that bypasses the application entirely: raw SQL, autocommit."""
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(urlsplit(database_url).path.removeprefix("/"), isolation_level=None)
        try:
            yield conn
        finally:
            conn.close()
    else:
        schema = parse_qs(urlsplit(database_url).query)["schema"][0]
        with psycopg.connect(POSTGRES_URL, autocommit=True, options=f"-c search_path={schema}") as conn:
            yield conn


def tables(database_url: str) -> dict[str, str]:
    if database_url.startswith("sqlite"):
        return {
            "events": "stored_events",
            "snapshots": "stored_snapshots",
            "receipts": "command_receipts",
        }
    return {
        "events": "ledger_events",
        "snapshots": "ledger_snapshots",
        "receipts": "ledger_command_receipts",
    }


def stored_rows(database_url: str, table: str) -> int:
    with plain_connection(database_url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0])


def ledger_with_history(database_url: str) -> Ledger:
    app = ledger(database_url, IS_SNAPSHOTTING_ENABLED="y")
    tally_id = app.write("teller", 3)
    app.take_snapshot(tally_id)
    return app


@pytest.fixture
def app_with_history(database_url: str) -> Iterator[Ledger]:
    app = ledger_with_history(database_url)
    yield app
    app.close()


@pytest.mark.parametrize("table", ["events", "snapshots"])
@pytest.mark.parametrize(
    "statement",
    ["UPDATE {table} SET topic = 'tampered'", "DELETE FROM {table}"],
)
@pytest.mark.usefixtures("app_with_history")
def test_a_plain_sql_connection_cannot_update_or_delete_stored_rows(
    database_url: str, table: str, statement: str
) -> None:
    name = tables(database_url)[table]
    before = stored_rows(database_url, name)
    with (
        plain_connection(database_url) as conn,
        pytest.raises((sqlite3.IntegrityError, psycopg.Error)) as refused,
    ):
        conn.execute(statement.format(table=name))
    assert "append-only" in str(refused.value)
    assert stored_rows(database_url, name) == before > 0


def test_command_receipts_are_append_only_too(database_url: str) -> None:
    app = ledger(database_url)
    tally = Tally.open("call-centre")
    app.save(tally, receipt=CommandReceipt("cmd-1", "fingerprint", tally.id, 1))
    app.close()
    name = tables(database_url)["receipts"]
    assert stored_rows(database_url, name) == 1
    with (
        plain_connection(database_url) as conn,
        pytest.raises((sqlite3.IntegrityError, psycopg.Error)) as refused,
    ):
        conn.execute(f"DELETE FROM {name}")
    assert "append-only" in str(refused.value)


@pytest.mark.postgres
def test_postgres_refuses_truncating_the_log(postgres_url: str) -> None:
    ledger_with_history(postgres_url).close()
    with plain_connection(postgres_url) as conn, pytest.raises(psycopg.Error, match="append-only"):
        conn.execute("TRUNCATE ledger_events")
    assert stored_rows(postgres_url, "ledger_events") == 4


def test_appending_still_works_beside_the_triggers(database_url: str, app_with_history: Ledger) -> None:
    before = stored_rows(database_url, tables(database_url)["events"])
    app_with_history.write("lobby", 2)
    assert stored_rows(database_url, tables(database_url)["events"]) == before + 3


# SQLite: `INSERT OR REPLACE` deletes the row it collides with without firing the DELETE trigger.
# Each table, the column a forger would change, and the columns it stores.
SQLITE_TABLES = {
    "stored_events": ("topic", ["originator_id", "originator_version", "topic", "state"]),
    "stored_snapshots": ("topic", ["originator_id", "originator_version", "topic", "state"]),
    "command_receipts": ("fingerprint", ["command_id", "fingerprint", "incident_id", "version"]),
}
OVERWRITES = {
    "insert or replace": "INSERT OR REPLACE INTO {table} ({columns}) SELECT {forged} FROM {table} LIMIT 1",
    "replace": "REPLACE INTO {table} ({columns}) SELECT {forged} FROM {table} LIMIT 1",
    "upsert": (
        "INSERT INTO {table} ({columns}) SELECT {forged} FROM {table} WHERE true "
        "ON CONFLICT DO UPDATE SET {column} = excluded.{column}"
    ),
}


@pytest.fixture
def sqlite_history(sqlite_url: str) -> str:
    """An SQLite store with events, a snapshot and a command receipt in it."""
    app = ledger_with_history(sqlite_url)
    tally = Tally.open("call-centre")
    app.save(tally, receipt=CommandReceipt("cmd-1", "fingerprint", tally.id, 1))
    app.close()
    return sqlite_url


def every_row(database_url: str, table: str) -> list[tuple[Any, ...]]:
    with plain_connection(database_url) as conn:
        return list(conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall())


@pytest.mark.parametrize("table", list(SQLITE_TABLES))
@pytest.mark.parametrize("overwrite", list(OVERWRITES))
def test_sqlite_refuses_to_overwrite_a_stored_row(sqlite_history: str, table: str, overwrite: str) -> None:
    column, columns = SQLITE_TABLES[table]
    forged = ", ".join("'forged'" if c == column else c for c in columns)
    statement = OVERWRITES[overwrite].format(
        table=table, columns=", ".join(columns), forged=forged, column=column
    )
    before = every_row(sqlite_history, table)
    with plain_connection(sqlite_history) as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(statement)
    assert every_row(sqlite_history, table) == before != []


# A new key at a stored row's rowid: REPLACE would remove the stored row and put this one in its place.
NEW_KEY_AT_STORED_ROWID = {
    "stored_events": (
        "INSERT OR REPLACE INTO stored_events (rowid, originator_id, originator_version, topic, state) "
        "SELECT rowid, originator_id, originator_version + 1000, 'forged', state FROM stored_events {which}"
    ),
    "command_receipts": (
        "INSERT OR REPLACE INTO command_receipts (rowid, command_id, fingerprint, incident_id, version) "
        "SELECT rowid, 'forged', 'forged', incident_id, version FROM command_receipts {which}"
    ),
}


@pytest.mark.parametrize("table", list(NEW_KEY_AT_STORED_ROWID))
@pytest.mark.parametrize("which", ["first", "last"])
def test_sqlite_refuses_a_new_row_in_a_stored_rows_place(sqlite_history: str, table: str, which: str) -> None:
    order = "ORDER BY rowid " + ("ASC" if which == "first" else "DESC") + " LIMIT 1"
    before = every_row(sqlite_history, table)
    with plain_connection(sqlite_history) as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(NEW_KEY_AT_STORED_ROWID[table].format(which=order))
    assert every_row(sqlite_history, table) == before != []


def insert_event_at(conn: Any, rowid: int) -> None:
    conn.execute(
        "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
        f"SELECT {rowid}, originator_id, originator_version + {rowid + 1000}, topic, state "
        "FROM stored_events LIMIT 1"
    )


@pytest.mark.parametrize("place", ["-1", "0", "a gap below the end"])
def test_sqlite_refuses_an_event_slipped_in_behind_the_end_of_the_log(
    sqlite_history: str, place: str
) -> None:
    with plain_connection(sqlite_history) as conn:
        if place.isdigit() or place.startswith("-"):
            rowid = int(place)
        else:
            end = int(conn.execute("SELECT max(rowid) FROM stored_events").fetchone()[0])
            insert_event_at(conn, end + 10)  # a jump ahead is still the end of the log
            rowid = end + 5
        before = every_row(sqlite_history, "stored_events")
        with pytest.raises(sqlite3.IntegrityError, match="append-only: rows are added only at the end"):
            insert_event_at(conn, rowid)
    assert every_row(sqlite_history, "stored_events") == before


def test_a_version_conflict_is_still_an_integrity_error(database_url: str) -> None:
    app = ledger(database_url)
    try:
        tally = Tally.open("teller")
        app.save(tally)
        stale = app.repository.get(tally.id)
        tally.add()
        app.save(tally)
        stale.add()
        with pytest.raises(IntegrityError):
            app.save(stale)
        assert app.repository.get(tally.id).count == 1
    finally:
        app.close()


def test_an_sqlite_file_made_before_these_guards_gets_them_when_it_is_next_opened(
    sqlite_history: str,
) -> None:
    with plain_connection(sqlite_history) as conn:
        guards = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND (name LIKE '%_no_replace' "
            "OR name LIKE '%_only_at_end')"
        ).fetchall()
        for (name,) in guards:
            conn.execute(f"DROP TRIGGER {name}")
    assert len(guards) == 5  # replace: events, snapshots, receipts; at the end: events, receipts
    ledger(sqlite_history).close()
    before = every_row(sqlite_history, "stored_events")
    with plain_connection(sqlite_history) as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(
            "INSERT OR REPLACE INTO stored_events SELECT originator_id, originator_version, 'forged', state "
            "FROM stored_events LIMIT 1"
        )
    assert every_row(sqlite_history, "stored_events") == before
