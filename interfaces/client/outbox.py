"""The offline outbox: write requests the server has not yet answered, kept in order in an SQLite file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    body        TEXT NOT NULL,
    command_id  TEXT NOT NULL UNIQUE,
    incident_id TEXT NOT NULL,
    if_match    INTEGER,
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rejected (
    seq         INTEGER PRIMARY KEY,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    body        TEXT NOT NULL,
    command_id  TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    if_match    INTEGER,
    created_at  TEXT NOT NULL,
    rejected_at TEXT NOT NULL,
    status      INTEGER NOT NULL,
    code        TEXT NOT NULL,
    message     TEXT NOT NULL,
    field       TEXT
);
"""
COLUMNS = "seq, method, path, body, command_id, incident_id, if_match, created_at"


@dataclass(frozen=True)
class QueuedRequest:
    """One write request waiting to be sent: `seq` orders the queue, `command_id` makes resending safe."""

    seq: int
    method: str
    path: str
    body: dict[str, Any]
    command_id: str
    incident_id: str
    if_match: int | None
    created_at: str

    @property
    def command(self) -> str:
        """What the request does, for people: "report complaint", "act apologise"."""
        *_, last = self.path.rstrip("/").split("/")
        if "/commands/" in self.path:
            return last
        return {"complaints": "report complaint", "emergencies": "report emergency"}.get(last, last)


@dataclass(frozen=True)
class RejectedRequest:
    """A queued request the server refused for good, kept with the server's answer."""

    request: QueuedRequest
    rejected_at: str
    status: int
    code: str
    message: str
    field: str | None


class Outbox:
    """A durable FIFO of requests: a row leaves only once the server has answered it."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: each statement commits at once, transactions are explicit.
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        # A command the user was told is queued must survive a power cut at the branch.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def __enter__(self) -> Outbox:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def __len__(self) -> int:
        return self.count()

    def count(self, before: int | None = None) -> int:
        """How many requests wait (only those queued before the sequence number `before`, if given)."""
        limit = before if before is not None else 2**63 - 1
        (count,) = self._db.execute("SELECT count(*) FROM outbox WHERE seq < ?", (limit,)).fetchone()
        return int(count)

    def put(
        self,
        method: str,
        path: str,
        body: dict[str, Any],
        *,
        command_id: str,
        incident_id: str,
        if_match: int | None = None,
    ) -> QueuedRequest:
        """Append a request at the end of the queue."""
        created_at = datetime.now(UTC).isoformat()
        text = json.dumps(body, ensure_ascii=False, sort_keys=True)
        cursor = self._db.execute(
            "INSERT INTO outbox (method, path, body, command_id, incident_id, if_match, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (method, path, text, command_id, incident_id, if_match, created_at),
        )
        seq = cursor.lastrowid
        assert seq is not None
        return QueuedRequest(seq, method, path, body, command_id, incident_id, if_match, created_at)

    def pending(self) -> list[QueuedRequest]:
        """Every queued request, oldest first."""
        return [_request(row) for row in self._db.execute(f"SELECT {COLUMNS} FROM outbox ORDER BY seq")]

    def __iter__(self) -> Iterator[QueuedRequest]:
        """The queue, oldest first, read one row at a time so rows removed meanwhile are not revisited."""
        after = 0
        while True:
            row = self._db.execute(
                f"SELECT {COLUMNS} FROM outbox WHERE seq > ? ORDER BY seq LIMIT 1", (after,)
            ).fetchone()
            if row is None:
                return
            request = _request(row)
            after = request.seq
            yield request

    def remove(self, seq: int) -> None:
        """Forget a request the server has answered with success."""
        self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def reject(self, seq: int, *, status: int, code: str, message: str, field: str | None = None) -> None:
        """Move a request the server refused for good to the rejected table, in one transaction."""
        rejected_at = datetime.now(UTC).isoformat()
        with self._transaction():
            self._db.execute(
                f"INSERT OR REPLACE INTO rejected ({COLUMNS}, rejected_at, status, code, message, field)"
                f" SELECT {COLUMNS}, ?, ?, ?, ?, ? FROM outbox WHERE seq = ?",
                (rejected_at, status, code, message, field, seq),
            )
            self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def rejected(self) -> list[RejectedRequest]:
        """Every refused request, oldest first, with what the server said."""
        rows = self._db.execute(
            f"SELECT {COLUMNS}, rejected_at, status, code, message, field FROM rejected ORDER BY seq"
        )
        return [RejectedRequest(_request(row[:8]), *row[8:]) for row in rows]

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def _request(row: tuple[Any, ...]) -> QueuedRequest:
    seq, method, path, body, command_id, incident_id, if_match, created_at = row
    return QueuedRequest(seq, method, path, json.loads(body), command_id, incident_id, if_match, created_at)
