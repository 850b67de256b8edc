"""The library's SQLite connection pool, with a statement cache that holds more than one statement."""

from __future__ import annotations

import sqlite3

from eventsourcing.persistence import InterfaceError
from eventsourcing.sqlite import SQLITE3_DEFAULT_LOCK_TIMEOUT, SQLiteConnection, SQLiteConnectionPool

# Statements kept prepared per connection (Python's own default). The library connects with
# cached_statements=True, which Python reads as a cache of one: a writer's savepoint, event insert,
# receipt insert and release were each prepared again on every write, the inserts together with
# the programs of their append-only triggers.
STATEMENT_CACHE_SIZE = 128


class StatementCachingPool(SQLiteConnectionPool):
    """Connects as the library does (WAL, rows by name, autocommit), keeping statements prepared."""

    def _create_connection(self) -> SQLiteConnection:
        try:
            conn = sqlite3.connect(
                self.db_name,
                uri=True,
                check_same_thread=False,
                isolation_level=None,
                cached_statements=STATEMENT_CACHE_SIZE,
                timeout=self.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT,
            )
        except (sqlite3.Error, TypeError) as error:
            raise InterfaceError(error) from error
        if not self.is_sqlite_memory_mode and not self.is_journal_mode_wal:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
                self.journal_mode_was_changed_to_wal = True
            self.is_journal_mode_wal = True
        conn.row_factory = sqlite3.Row
        return SQLiteConnection(sqlite_conn=conn, max_age=self.max_age)
