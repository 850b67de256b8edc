"""The boards as they stood at a past instant: the log cut at that instant, replayed into fresh boards.

The cut follows the incident's own rule (domain/time_travel.py): on either axis an incident stands at
a prefix of its events in version order, up to the first event after the instant; an event that is
not an incident's (a queue reading, a change of thresholds) stands if it was recorded by then. The
events that stand are replayed, in log order, into the same board classes the live boards use, in an
in-memory SQLite database, and the live boards' queries then read it: one definition of each board,
computed from the log, never from a copy that could drift.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from uuid import UUID

from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import StaticPool

from application.incident_desk import IncidentDesk
from application.log_tail import LoggedEvent
from domain.time_travel import Axis, moment_on
from projections.board import Board
from projections.complaint_facts import ComplaintFactsBoard
from projections.incident_states import Incident
from projections.office_board import OfficeBoard
from projections.outlet_queues import OutletQueuesBoard
from projections.shared_pass import SharedPass

PAGE = 2000  # events read and applied at a time


def boards_as_of(desk: IncidentDesk, instant: datetime, axis: Axis, head: int) -> Engine:
    """An in-memory database holding the office board, the queues and the complaint facts as they stood at `instant`
    on `axis`, from the log up to position `head`. The caller disposes of it."""
    engine = create_engine("sqlite://", poolclass=StaticPool)

    def load(incident_id: UUID, version: int) -> Incident:
        return desk.get_incident(incident_id, version=version)

    shared = SharedPass(load)
    # What the three boards' queries read: the office board, the outlets' queues, the complaint facts.
    boards: list[Board] = [OfficeBoard(shared), OutletQueuesBoard(), ComplaintFactsBoard(shared)]
    for board in boards:
        board.create(engine)
    for batch in _pages(_standing(desk, instant, axis, head)):
        with engine.begin() as conn:
            for board in boards:
                board.apply(batch, conn)
    return engine


def _standing(desk: IncidentDesk, instant: datetime, axis: Axis, head: int) -> Iterator[LoggedEvent]:
    """The log's events that stood at `instant` on `axis`, in log order."""
    cut: set[UUID] = set()  # incidents whose prefix has ended: none of their later events stands
    after = 0
    while after < head:
        notifications = desk.recorder.select_notifications(after, PAGE, stop=head, inclusive_of_start=False)
        if not notifications:
            return
        for notification in notifications:
            event = desk.mapper.to_domain_event(notification)
            if _stands(event, instant, axis, cut):
                yield LoggedEvent(notification.id, event)
        after = notifications[-1].id


def _stands(event: object, instant: datetime, axis: Axis, cut: set[UUID]) -> bool:
    originator = getattr(event, "originator_id", None)
    if not hasattr(event, "occurred_at"):  # not an incident's: it stands once it was recorded
        return bool(getattr(event, "timestamp", instant) <= instant)
    if originator in cut:
        return False
    if moment_on(event, axis) <= instant:  # type: ignore[arg-type]
        return True
    cut.add(originator)  # type: ignore[arg-type]
    return False


def _pages(events: Iterator[LoggedEvent]) -> Iterator[list[LoggedEvent]]:
    page: list[LoggedEvent] = []
    for logged in events:
        page.append(logged)
        if len(page) == PAGE:
            yield page
            page = []
    if page:
        yield page
