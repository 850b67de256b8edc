"""Which failures mean the store cannot serve now (503, retry), and how to name an error without its data."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import psycopg
from sqlalchemy import exc as sql

from application.store.errors import RECOVERABLE_STORE_ERRORS

# What the event store (the library, its psycopg pool, SQLite) and the SQLAlchemy engine raise when
# the database is down, unreachable, restarting, saturated or (SQLite) busy with another writer.
STORE_ERRORS: tuple[type[Exception], ...] = (
    *RECOVERABLE_STORE_ERRORS,
    sql.OperationalError,
    sql.InterfaceError,
    sql.DisconnectionError,
    sql.TimeoutError,
)
# SQLite's primary result codes for "another connection holds the lock".
SQLITE_BUSY, SQLITE_LOCKED = 5, 6


def _chain(error: BaseException) -> Iterator[BaseException]:
    # The library wraps the driver's error as its cause; SQLAlchemy keeps it as `orig`.
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        orig = getattr(link, "orig", None)
        link = orig if isinstance(orig, BaseException) else link.__cause__


def store_unavailable(error: BaseException) -> bool:
    """The store could not serve this request now, and a retry may succeed: not a bug.

    Every SQLite OperationalError but busy/locked ("no such table", a corrupt file) is a fault.
    """
    if not isinstance(error, STORE_ERRORS):
        return False
    for link in _chain(error):
        if isinstance(link, sqlite3.OperationalError):
            return link.sqlite_errorcode & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)
    return True


def describe(error: BaseException) -> str:
    """`Type (driver's type): first line of the message` for a log line, without any of the data.

    Only the first line: psycopg puts PostgreSQL's DETAIL (a key's or a failing row's values) on the
    next ones, and SQLAlchemy the statement (its parameters are hidden by the engine).
    """
    driver = next((e for e in _chain(error) if isinstance(e, psycopg.Error | sqlite3.Error)), None)
    named = type(error).__name__
    if driver is not None and driver is not error:
        named = f"{named} ({type(driver).__module__}.{type(driver).__name__})"
    first_line = str(error).strip().split("\n", 1)[0]
    return f"{named}: {first_line}"
