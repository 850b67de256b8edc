"""How one process hears that another revoked a token: a marker file beside SQLite, LISTEN/NOTIFY on PostgreSQL.

A signal only says "some token was revoked": a process that hears it forgets every token it had
verified and asks the store again. `seen()` is cheap enough for every request (a counter that grows
with each revocation heard), or None while the signal cannot be trusted (PostgreSQL's listening
connection is down or silent): then nothing may be served from memory.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg import sql
from sqlalchemy import Connection, Engine, func, select, text

from application.failure import describe
from application.store.database_url import STORE_WAIT_SECONDS

log = logging.getLogger(__name__)

# A file's mtime is only as fine as the kernel's clock tick (a few ms): within this long of its last
# change, two changes may share one mtime, so the marker's content is read instead of trusted unchanged.
RACY_MTIME_SECONDS = 1.0
# PostgreSQL: the listening connection proves it is alive (SELECT 1) every LISTENER_PING_SECONDS;
# silent for LISTENER_TRUSTED_SECONDS (a peer gone without a reset, a starved thread) it is not
# trusted; down, it reconnects every LISTENER_RETRY_SECONDS. It looks up from its wait for
# notifications every LISTENER_WAKE_SECONDS, so a closing server does not wait on it.
LISTENER_PING_SECONDS = 1.0
LISTENER_TRUSTED_SECONDS = 3.0
LISTENER_RETRY_SECONDS = 0.5
LISTENER_WAKE_SECONDS = 0.2


class RevocationSignal(Protocol):
    """What a token registry needs to hear revocations by other processes, and to announce its own."""

    def seen(self) -> int | None:
        """A number that grows whenever a revocation is heard; None while no memory may be trusted."""

    def announce_in(self, conn: Connection, token_id: str) -> None:
        """Inside the revoking transaction (PostgreSQL: the notification goes out when it commits)."""

    def announce_after(self, token_id: str) -> None:
        """After the revocation has committed (SQLite: the marker changes only once the row has)."""

    def close(self) -> None: ...


def signal_for(engine: Engine) -> RevocationSignal:
    """The signal every process on this engine's store shares."""
    if engine.url.get_backend_name() == "sqlite":
        database = engine.url.database or ""
        if database in ("", ":memory:"):
            return Unheard()  # one connection's private database: no other process to tell
        return MarkerFile(Path(os.path.abspath(f"{database}.token-revocations")))
    return PostgresNotifications(engine)


class Unheard:
    """No other process can share the store: revocations need no telling."""

    def seen(self) -> int | None:
        return 0

    def announce_in(self, conn: Connection, token_id: str) -> None:
        pass

    def announce_after(self, token_id: str) -> None:
        pass

    def close(self) -> None:
        pass


_UNSEEN = object()


class MarkerFile:
    """SQLite: each revocation replaces a small file beside the database with a fresh random content.

    `seen()` is one stat() (a few µs); the content is read only when the stat changed, or while the
    file is too new for its mtime to tell two changes apart.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stat: object = _UNSEEN
        self._content: bytes | None = None
        self._count = 0

    def seen(self) -> int | None:
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            stat: tuple[int, int, int] | None = None  # nothing was ever revoked here
            if self._stat is None:
                return self._count
        else:
            stat = (found.st_ino, found.st_mtime_ns, found.st_size)
            racy = time.time_ns() - found.st_mtime_ns < RACY_MTIME_SECONDS * 1e9
            if stat == self._stat and not racy:
                return self._count
        content = self._read()
        with self._lock:
            if stat != self._stat or content != self._content:
                self._stat, self._content = stat, content
                self._count += 1
            return self._count

    def announce_in(self, conn: Connection, token_id: str) -> None:
        pass

    def announce_after(self, token_id: str) -> None:
        # Written aside and renamed over: a reader sees the old content or the new, never half of one.
        aside = self.path.with_name(f"{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        try:
            aside.write_bytes(secrets.token_bytes(16))
            os.replace(aside, self.path)
        except OSError as error:
            aside.unlink(missing_ok=True)
            log.warning(
                "token %s is revoked, but other processes could not be told (%s): they refuse it "
                "once their memory of it expires",
                token_id,
                error,
            )

    def close(self) -> None:
        pass

    def _read(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None


class PostgresNotifications:
    """PostgreSQL: a revocation notifies a channel of its schema; one connection per process listens.

    The listener starts with the first `seen()` (a CLI that only revokes never opens it). It is
    trusted only while it is connected and has shown itself alive within LISTENER_TRUSTED_SECONDS;
    each time it (re)connects the count grows, since what was notified meanwhile was not heard.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._channel: str | None = None
        self._lock = threading.Lock()
        self._count = 0
        self._alive_at: float | None = None  # monotonic; None while not listening
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._warned = False

    def seen(self) -> int | None:
        if self._thread is None:
            self._start()
        alive_at = self._alive_at
        if alive_at is None or time.monotonic() - alive_at > LISTENER_TRUSTED_SECONDS:
            return None
        return self._count

    def announce_in(self, conn: Connection, token_id: str) -> None:
        channel = self._channel or self._channel_of(conn)
        conn.execute(select(func.pg_notify(channel, token_id)))

    def announce_after(self, token_id: str) -> None:
        pass

    def close(self) -> None:
        self._stopped.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(LISTENER_WAKE_SECONDS + STORE_WAIT_SECONDS + 1)

    def _channel_of(self, conn: Connection) -> str:
        # Channels are per database, not per schema: each schema (a deployment, a test) has its own.
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        self._channel = "incident_token_revoked_" + hashlib.sha256(str(schema).encode()).hexdigest()[:24]
        return self._channel

    def _start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stopped.is_set():
                self._thread = threading.Thread(target=self._listen, name="token-revocations", daemon=True)
                self._thread.start()

    def _listen(self) -> None:
        while not self._stopped.is_set():
            try:
                self._listen_once()
            except Exception as error:  # the store is away: distrust memory, and try again
                if not self._warned:
                    log.warning(
                        "not listening for token revocations (%s): every request asks the store",
                        describe(error),
                    )
                self._warned = True
            finally:
                self._alive_at = None
            self._stopped.wait(LISTENER_RETRY_SECONDS)

    def _listen_once(self) -> None:
        with self._engine.connect() as probe:
            channel = self._channel or self._channel_of(probe)
        with psycopg.connect(**self._connect_args(), autocommit=True) as conn:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            with self._lock:
                self._count += 1  # whatever was revoked while nobody listened is forgotten with the rest
            self._alive_at = time.monotonic()
            if self._warned:
                log.info("listening for token revocations again")
                self._warned = False
            while not self._stopped.is_set():
                for _ in conn.notifies(timeout=LISTENER_WAKE_SECONDS):
                    with self._lock:
                        self._count += 1
                if time.monotonic() - self._alive_at >= LISTENER_PING_SECONDS:
                    conn.execute("SELECT 1")
                    self._alive_at = time.monotonic()

    def _connect_args(self) -> dict[str, Any]:
        args: dict[str, Any] = self._engine.url.translate_connect_args(username="user", database="dbname")
        args["connect_timeout"] = STORE_WAIT_SECONDS
        return args
