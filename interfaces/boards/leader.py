"""Exactly one active projector per database, however many are started: a lock held while running."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import threading
import time
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, text
from sqlalchemy.exc import InterfaceError, OperationalError

PROJECTOR_LOCK = "incident-board-projector"
# How often a holder of the PostgreSQL lock checks that its session, and so the lock, is still there:
# a database restart ends every session, and a lock it ended may already be another process's.
SESSION_CHECK_SECONDS = 1.0
# A session ended, a server restarting or unreachable (a bug in a statement is not among them).
SESSION_LOST = (OperationalError, InterfaceError)

log = logging.getLogger(__name__)


def advisory_key(schema: str) -> int:
    """The lock's PostgreSQL advisory key: one per schema, so two deployments in one database do not
    block each other."""
    key = int.from_bytes(hashlib.sha256(PROJECTOR_LOCK.encode()).digest()[:8], "big", signed=True)
    return key ^ int.from_bytes(hashlib.sha256(schema.encode()).digest()[:8], "big", signed=True)


class LeaderLock:
    """PostgreSQL: a session advisory lock. SQLite: an exclusive lock on a file beside the database.

    One process's runners (the boards' and the policies') share one instance: whichever asks first
    takes the lock for both; it is held until `release`.
    """

    def __init__(self, engine: Engine, database_url: str) -> None:
        self._engine = engine
        self._url = database_url
        self._held: Any = None
        self._turn = threading.Lock()  # two threads asking at once must not both open a lock
        self._checked_at = 0.0

    @property
    def held(self) -> bool:
        return self._held is not None

    def try_acquire(self) -> bool:
        """Hold the lock (True), taking it if it is free and confirming it is still held if it was."""
        with self._turn:
            if self._held is not None and self._session_lives():
                return True
            if urlsplit(self._url).scheme == "sqlite":
                self._held = self._lock_file()
            else:
                self._held = self._advisory_lock()
            return self._held is not None

    def still_held(self) -> bool:
        """False once the lock is lost (its database session ended): the holder must stop leading."""
        with self._turn:
            return self._held is not None and self._session_lives()

    def release(self) -> None:
        with self._turn:
            held, self._held = self._held, None
        if held is None:
            return
        if urlsplit(self._url).scheme == "sqlite":
            fcntl.flock(held, fcntl.LOCK_UN)
            held.close()
            return
        conn, key = held
        try:
            # The pool keeps the session alive after close(): unlock explicitly.
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            conn.commit()
        except SESSION_LOST:
            conn.invalidate()  # the session is gone, and the lock with it
        conn.close()

    def _session_lives(self) -> bool:
        """Whether the PostgreSQL session holding the lock is alive (checked at most once a second);
        if not, the lock is dropped here too. A file lock cannot be lost while its file is open."""
        if (
            urlsplit(self._url).scheme == "sqlite"
            or time.monotonic() - self._checked_at < SESSION_CHECK_SECONDS
        ):
            return True
        self._checked_at = time.monotonic()
        conn, _ = self._held
        try:
            conn.execute(text("SELECT 1"))
            conn.commit()
            return True
        except SESSION_LOST:
            log.warning("the projector's lock was lost with its database session; taking it again")
            conn.invalidate()
            conn.close()
            self._held = None
            return False

    def _lock_file(self) -> IO[str] | None:
        path = Path(urlsplit(self._url).path.removeprefix("/") + ".projector.lock")
        handle = path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        return handle

    def _advisory_lock(self) -> Any:
        """The lock's (connection, key), or None when another session holds it or the store is down
        (then this process waits as a standby and asks again)."""
        try:
            conn = self._engine.connect()
        except SESSION_LOST as error:
            log.warning(
                "the projector's lock cannot be taken while the store is unavailable: %s",
                type(error).__name__,
            )
            return None
        try:
            key = advisory_key(str(conn.execute(text("SELECT current_schema()")).scalar()))
            if conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar():
                conn.commit()
                self._checked_at = time.monotonic()
                return conn, key
        except SESSION_LOST as error:
            log.warning(
                "the projector's lock cannot be taken while the store is unavailable: %s",
                type(error).__name__,
            )
            conn.invalidate()
        conn.close()
        return None
