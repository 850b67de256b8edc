"""Past boards started from checkpoints equal past boards replayed from position 0, on both stores.

A varied history (complaints worked and closed, emergencies stood down, queue readings, and late
reports whose occurred time is hours before they were recorded) is projected with a checkpoint every
few positions; at instants across it, on both axes, the boards as of the instant computed from the
checkpoints equal those computed from the whole log by the same rule with no checkpoint to start from.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, Table, create_engine, select
from sqlalchemy.pool import StaticPool

from application.incident_desk import IncidentDesk
from application.outlet_queues import post_queue_reading
from domain.commands import Command
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.errors import DomainError
from domain.time_travel import Axis
from domain.values import ComplaintOutcome, Level, WithdrawalConfirmation
from interfaces.boards.as_of import _plan, boards_as_of
from interfaces.boards.leader import LeaderLock
from interfaces.boards.rebuild import rebuild_boards
from interfaces.boards.runner import BoardRunner
from interfaces.boards.wiring import make_boards
from projections.board_checkpoints import board_checkpoints, event_moments
from projections.board_checkpoints import metadata as checkpoint_metadata
from projections.complaint_facts import complaint_facts
from projections.office_board import office_board
from projections.outlet_queues import outlet_queues
from projections.tracking import metadata as tracking_metadata
from tests.integration.desk_fixtures import OFFICE, T0, SteppingClock, complaint_fields, emergency_fields

EVERY = 7  # positions between checkpoints: many checkpoints in a short history
OUTLETS = ["BJ-HD-01", "BJ-HD-02", "SH-PD-01"]
PAST_TABLES = (office_board, outlet_queues, complaint_facts)


def _history(desk: IncidentDesk, clock: SteppingClock, rng: random.Random, reports: int) -> None:
    """Reports, steps, closes and readings, some of them said to have happened hours before."""
    opened: list[tuple[uuid.UUID, type[Complaint] | type[Emergency], datetime]] = []
    for _ in range(reports):
        clock.advance(minutes=rng.randint(1, 20))
        late = timedelta(minutes=rng.choice([0, 0, 0, 30, 200]))
        outlet = rng.choice(OUTLETS)
        if rng.random() < 0.6:
            found = desk.report_complaint(
                actor=OFFICE, occurred_at=clock.now - late, **complaint_fields(outlet=outlet)
            )
            opened.append((found.incident_id, Complaint, clock.now - late))
        else:
            found = desk.report_emergency(
                actor=OFFICE,
                occurred_at=clock.now - late,
                **emergency_fields(outlet=outlet, level=Level.YELLOW),
            )
            opened.append((found.incident_id, Emergency, clock.now - late))
        if rng.random() < 0.4:
            post_queue_reading(
                desk,
                outlet,
                rng.randint(0, 30),
                rng.uniform(0, 40),
                actor=OFFICE,
                occurred_at=clock.now - late,
            )
        for incident_id, kind, since in rng.sample(opened, min(2, len(opened))):
            clock.advance(minutes=rng.randint(0, 5))
            at = max(since, clock.now - timedelta(minutes=rng.choice([0, 0, 45])))
            for command in _steps(kind, rng):
                try:
                    desk.act(incident_id, command, actor=OFFICE, occurred_at=at)
                except DomainError:
                    break  # not allowed at this step (closed already, say): the history goes on


def _steps(kind: type[Complaint] | type[Emergency], rng: random.Random) -> list[Command[Any]]:
    if kind is Complaint:
        return rng.choice(
            [
                [Complaint.add_note(text="已联系客户")],
                [Command(Complaint, "escalate", {"reason": "督办", "level": Level.ORANGE})],
                [
                    Command(Complaint, "record_withdrawal", {"confirmed_by": WithdrawalConfirmation.PHONE}),
                    Command(
                        Complaint, "close", {"outcome": ComplaintOutcome.WITHDRAWN, "summary": "客户撤回"}
                    ),
                ],
            ]
        )
    return rng.choice(
        [
            [Emergency.add_note(text="现场已控制")],
            [Emergency.stand_down(summary="已恢复", waiver_reason="已恢复 back to normal")],
        ]
    )


def _tables(engine: Engine, tables: Iterable[Table] = PAST_TABLES) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as conn:
        return {
            t.name: [dict(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns)).mappings()]
            for t in tables
        }


@pytest.fixture
def no_checkpoints() -> Iterator[Engine]:
    """A boards database where the checkpoint board never ran: every past board replays from 0."""
    bare = create_engine("sqlite://", poolclass=StaticPool)
    tracking_metadata.create_all(bare)
    yield bare
    bare.dispose()


def test_past_boards_from_checkpoints_equal_past_boards_replayed_from_the_start(
    desk: IncidentDesk, clock: SteppingClock, engine: Engine, database_url: str, no_checkpoints: Engine
) -> None:
    rng = random.Random(20261203)
    _history(desk, clock, rng, reports=40)
    runner = BoardRunner(
        desk, engine, make_boards(desk, checkpoint_every=EVERY), LeaderLock(engine, database_url)
    )
    head = int(desk.recorder.max_notification_id() or 0)
    runner.catch_up(until=head, batch_size=5)
    with engine.connect() as conn:
        assert len(conn.execute(select(board_checkpoints.c.position)).all()) >= head // EVERY - 1
        assert len(conn.execute(select(event_moments.c.position)).all()) == head

    started = 0
    span = clock.now - (T0 - timedelta(hours=4))
    for step in range(24):
        instant = T0 - timedelta(hours=4) + span * (step / 23)
        for axis in Axis:
            with engine.connect() as conn:
                started += _plan(conn, instant, axis, head).start > 0
            fast = boards_as_of(desk, engine, instant, axis, head)
            slow = boards_as_of(desk, no_checkpoints, instant, axis, head)
            try:
                assert _tables(fast) == _tables(slow), (instant, axis)
            finally:
                fast.dispose()
                slow.dispose()
    assert started >= 20  # most instants did start from a checkpoint, not from position 0


def test_a_rebuild_takes_the_same_checkpoints_as_the_live_projector(
    desk: IncidentDesk, clock: SteppingClock, engine: Engine, database_url: str
) -> None:
    _history(desk, clock, random.Random(7), reports=25)
    boards = make_boards(desk, checkpoint_every=EVERY)
    runner = BoardRunner(desk, engine, boards, LeaderLock(engine, database_url))
    runner.catch_up(until=int(desk.recorder.max_notification_id() or 0), batch_size=3)
    live = _tables(engine, checkpoint_metadata.sorted_tables)

    rebuild_boards(
        desk, engine, database_url, batch_size=2000, boards=make_boards(desk, checkpoint_every=EVERY)
    )

    assert live["board_checkpoints"]
    assert live["checkpoint_office_board"]
    assert _tables(engine, checkpoint_metadata.sorted_tables) == live
