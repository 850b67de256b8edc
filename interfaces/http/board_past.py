"""Where a board is read from: the live boards now, or the log cut at a past instant (`as_of`, `axis`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import Connection

from domain.errors import InvalidInputError
from domain.time_travel import Axis
from interfaces.boards.as_of import boards_as_of
from interfaces.http.board_reads import After, App, wait_for_boards
from interfaces.http.command_models import Moment
from interfaces.http.past_state import AxisParam, utc_instant

BoardAsOf = Annotated[
    Moment | None,
    Query(
        description="The board as it stood at this instant (ISO 8601 with its offset), computed from the "
        "log: on `axis` `recorded` (default) what the office could have seen then, `occurred` what had "
        "happened by then, late reports included."
    ),
]


@dataclass(frozen=True)
class BoardSource:
    """A connection to the boards to read, the instant their clocks are judged at, and what to say of it."""

    conn: Connection
    now: datetime
    answer: dict[str, Any]


@contextmanager
def board_source(
    app: App, after: After, as_of: BoardAsOf, axis: AxisParam, *, complaints: bool = False
) -> Iterator[BoardSource]:
    """The live boards (after waiting for `after`), or the boards as of a past instant on an axis (the
    complaint facts too if `complaints`: the statistics read them, the office board and wall do not)."""
    if axis is not None and as_of is None:
        raise InvalidInputError("axis chooses the clock of as_of: give as_of with it", field="axis")
    if as_of is None:
        freshness = wait_for_boards(app, after)
        with app.engine.connect() as conn:
            yield BoardSource(conn, app.clock(), {**freshness, "past": False, "as_of": None, "axis": None})
        return
    if after is not None:
        raise InvalidInputError(
            "a past board is read from the log itself: give as_of or after", field="after"
        )
    instant, now = utc_instant(as_of), app.clock()
    if instant > now:
        raise InvalidInputError(
            f"as_of {instant.isoformat()} is in the future (now {now.isoformat()})", field="as_of"
        )
    chosen = axis or Axis.RECORDED
    head = app.desk.recorder.max_notification_id() or 0
    engine = boards_as_of(app.desk, app.engine, instant, chosen, head, complaints=complaints)
    try:
        with engine.connect() as conn:
            answer = {
                "past": True,
                "as_of": instant.isoformat(),
                "axis": chosen.value,
                "judged_at": instant.isoformat(),
                "log_position": head,
            }
            yield BoardSource(conn, instant, answer)
    finally:
        engine.dispose()
