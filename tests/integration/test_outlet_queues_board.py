"""The outlet queues' board on both stores: it shows what the queue aggregate holds, event by event or in batches."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Engine

from application.incident_desk import IncidentDesk
from application.outlet_queues import queue_state
from domain.outlet_queue import EPISODE_READINGS_KEPT, OutletQueue
from domain.plain import plain
from interfaces.boards.leader import LeaderLock
from interfaces.boards.runner import BoardRunner
from interfaces.boards.wiring import make_boards
from projections.outlet_queues import no_readings, queue_readings
from tests.integration.desk_fixtures import OFFICE, SteppingClock

OUTLET, OTHER = "BJ-HD-01", "SH-PD-01"


def post(desk: IncidentDesk, clock: SteppingClock, waiting: int, minutes: float = 12.0) -> None:
    at = clock.advance(minutes=1)
    desk.act_on_queue(
        OUTLET,
        OutletQueue.post_reading(waiting=waiting, longest_wait_minutes=minutes),
        actor=OFFICE,
        occurred_at=at,
    )


def surge(desk: IncidentDesk, clock: SteppingClock, emergency_id: uuid.UUID, *, end: bool = False) -> None:
    command = OutletQueue.end_surge if end else OutletQueue.open_surge
    desk.act_on_queue(
        OUTLET, command(emergency_id=emergency_id), actor=OFFICE, occurred_at=clock.advance(minutes=1)
    )


def aggregate_view(desk: IncidentDesk, outlet: str) -> dict[str, Any]:
    """What the queue aggregate itself holds, in the shape readers are shown."""
    queue = queue_state(desk, outlet)
    if queue is None:
        return no_readings()
    return {
        "latest_reading": plain(queue.latest_reading, reveal_personal=False),
        "surge_emergency_id": str(queue.surge_emergency_id) if queue.surge_emergency_id else None,
        "episode_readings": plain(queue.episode_readings, reveal_personal=False),
    }


def projected(desk: IncidentDesk, engine: Engine, database_url: str, batch_size: int) -> dict[str, Any]:
    runner = BoardRunner(desk, engine, make_boards(desk), LeaderLock(engine, database_url))
    runner.catch_up(until=int(desk.recorder.max_notification_id() or 0), batch_size=batch_size)
    runner.stop()
    with engine.connect() as conn:
        return queue_readings(conn, [OUTLET, OTHER])


def test_the_board_shows_each_step_of_a_surge_episode_as_the_queue_holds_it(
    desk: IncidentDesk, clock: SteppingClock, engine: Engine, database_url: str
) -> None:
    emergency_id = uuid.uuid4()
    steps = [
        lambda: post(desk, clock, 3, 2.5),
        lambda: post(desk, clock, 18),
        lambda: surge(desk, clock, emergency_id),
        lambda: post(desk, clock, 22),
        lambda: post(desk, clock, 9, 4.0),
        lambda: surge(desk, clock, emergency_id, end=True),
        lambda: post(desk, clock, 1, 0.5),
    ]
    for step in steps:
        step()
        board = projected(desk, engine, database_url, batch_size=1)
        assert board[OUTLET] == aggregate_view(desk, OUTLET)
    assert board[OTHER] == no_readings(), "an outlet that never posted shows no readings"


def test_during_a_surge_the_board_shows_the_episode_readings_with_the_surge_and_only_the_last_ones_kept(
    desk: IncidentDesk, clock: SteppingClock, engine: Engine, database_url: str
) -> None:
    emergency_id = uuid.uuid4()
    post(desk, clock, 16)
    surge(desk, clock, emergency_id)
    for waiting in range(20, 20 + EPISODE_READINGS_KEPT + 5):
        post(desk, clock, waiting)

    board = projected(desk, engine, database_url, batch_size=500)  # the whole history in one batch

    shown = board[OUTLET]
    assert shown["surge_emergency_id"] == str(emergency_id)
    assert len(shown["episode_readings"]) == EPISODE_READINGS_KEPT
    assert shown["episode_readings"][-1]["waiting"] == 20 + EPISODE_READINGS_KEPT + 4
    assert shown["latest_reading"] == shown["episode_readings"][-1]
    assert shown == aggregate_view(desk, OUTLET)


def test_a_board_projecting_in_batches_goes_on_from_rows_written_in_an_earlier_batch(
    desk: IncidentDesk, clock: SteppingClock, engine: Engine, database_url: str
) -> None:
    emergency_id = uuid.uuid4()
    post(desk, clock, 17)
    surge(desk, clock, emergency_id)
    projected(desk, engine, database_url, batch_size=500)
    post(desk, clock, 25)  # applied to the row the first pass stored, by a new runner
    post(desk, clock, 30)

    board = projected(desk, engine, database_url, batch_size=500)

    assert [r["waiting"] for r in board[OUTLET]["episode_readings"]] == [17, 25, 30]
    assert board[OUTLET] == aggregate_view(desk, OUTLET)
