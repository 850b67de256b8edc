"""Exactly one active projector per database, however many are started: a lock held while running."""

from __future__ import annotations

import fcntl
import hashlib
import threading
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, text

PROJECTOR_LOCK = "incident-board-projector"


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

    @property
    def held(self) -> bool:
        return self._held is not None

    def try_acquire(self) -> bool:
        with self._turn:
            if self._held is not None:
                return True
            if urlsplit(self._url).scheme == "sqlite":
                self._held = self._lock_file()
            else:
                self._held = self._advisory_lock()
            return self._held is not None

    def release(self) -> None:
        with self._turn:
            held, self._held = self._held, None
        if held is None:
            return
        if urlsplit(self._url).scheme == "sqlite":
            fcntl.flock(held, fcntl.LOCK_UN)
            held.close()
        else:
            conn, key = held
            # The pool keeps the session alive after close(): unlock explicitly.
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            conn.commit()
            conn.close()

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
        key = int.from_bytes(hashlib.sha256(PROJECTOR_LOCK.encode()).digest()[:8], "big", signed=True)
        conn = self._engine.connect()
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        # One lock per schema: two deployments in one database do not block each other.
        key ^= int.from_bytes(hashlib.sha256(str(schema).encode()).digest()[:8], "big", signed=True)
        if conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar():
            conn.commit()
            return conn, key
        conn.close()
        return None
