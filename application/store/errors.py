"""The store's own faults: which failures a long-running reader survives by reconnecting, and a schema not migrated."""

from __future__ import annotations

import sqlite3

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, ProgrammingError


class StoreUnavailableError(Exception):
    """No connection to the database could be had in time: it is down, unreachable or saturated.

    Deliberately not one of the library's OperationalError or InterfaceError: those make its
    recorders try a call ten times over, which would multiply the wait by ten.
    """


class SchemaNotMigratedError(ProgrammingError):
    """This role may not use or create the store's tables: their owner has not migrated the schema for it."""


# A dropped connection, a restarted server, a busy file: retry from the last position.
RECOVERABLE_STORE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    StoreUnavailableError,
    sqlite3.OperationalError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
