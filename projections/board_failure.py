"""The boards' current failure beside their tracking rows, so every process can read it: a row while stuck."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
)

from projections.columns import UTCDateTime

metadata = MetaData()
board_failure = Table(
    "board_failure",
    metadata,
    # One runner feeds every board today; the key leaves room for more.
    Column("runner", String(64), primary_key=True),
    Column("since", UTCDateTime(), nullable=False),
    Column("stuck_at", BigInteger),
    Column("board", String(64)),
    Column("reason", String(500), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("retry_at", UTCDateTime()),
)
RUNNER = "boards"


def record_failure(
    conn: Connection,
    *,
    since: datetime,
    reason: str,
    stuck_at: int | None,
    board: str | None,
    attempts: int,
    retry_at: datetime | None,
) -> None:
    """Replace the runner's failure row with this one."""
    conn.execute(delete(board_failure).where(board_failure.c.runner == RUNNER))
    conn.execute(
        insert(board_failure).values(
            runner=RUNNER,
            since=since,
            reason=reason,
            stuck_at=stuck_at,
            board=board,
            attempts=attempts,
            retry_at=retry_at,
        )
    )


def clear_failure(conn: Connection) -> None:
    conn.execute(delete(board_failure).where(board_failure.c.runner == RUNNER))


def recorded_failure(conn: Connection) -> dict[str, Any] | None:
    """The runner's failure row as a dict, or None while it is healthy."""
    row = conn.execute(select(board_failure).where(board_failure.c.runner == RUNNER)).mappings().first()
    return dict(row) if row else None
