"""The database itself refuses to change or remove what was stored, whoever connects to it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest

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
