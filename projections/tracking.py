"""Each board's position in the log, written in the same transaction as the board's rows."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Connection, MetaData, String, Table, insert, select, update

metadata = MetaData()
board_tracking = Table(
    "board_tracking",
    metadata,
    Column("board", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
)


class PositionAlreadyProcessedError(RuntimeError):
    """A batch ended at or before the board's position: it was processed already (roll it back)."""


def tracked_position(conn: Connection, board: str) -> int:
    """The last log position the board has processed (0 for a new board)."""
    position = conn.execute(select(board_tracking.c.position).where(board_tracking.c.board == board)).scalar()
    return int(position or 0)


def advance(conn: Connection, board: str, position: int) -> None:
    """Move the board to `position`; refuses to go back or stand still, so nothing is applied twice."""
    moved = conn.execute(
        update(board_tracking)
        .where(board_tracking.c.board == board, board_tracking.c.position < position)
        .values(position=position)
    )
    if moved.rowcount == 1:
        return
    if conn.execute(select(board_tracking.c.position).where(board_tracking.c.board == board)).first() is None:
        conn.execute(insert(board_tracking).values(board=board, position=position))
        return
    raise PositionAlreadyProcessedError(f"board {board} is already at or past position {position}")
