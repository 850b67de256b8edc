"""The one follower of the log: batches in order, an undecodable event in its place, a failure after the events before it."""

from __future__ import annotations

import pytest
from eventsourcing.utils import TopicError

from application.incident_desk import IncidentDesk
from application.log_follower import FollowerEndedError, LogFollower
from tests.failing_boards import record_unreadable_event
from tests.integration.ledger import ledger
from tests.integration.test_policies import T0, complaint


def test_batches_hold_every_event_once_in_order_and_no_more_than_asked(database_url: str) -> None:
    app = ledger(database_url)
    app.write("w", 40)
    head = int(app.recorder.max_notification_id() or 0)
    seen: list[int] = []
    with LogFollower(app, after=5, batch_size=7) as follower:
        while follower.position < head:
            batch = follower.next_batch(timeout=5)
            assert len(batch) <= 7
            seen += [logged.position for logged in batch]
    stored = [n.id for n in app.recorder.select_notifications(start=6, limit=1000)]
    assert seen == stored
    app.close()


def test_an_undecodable_event_is_told_in_its_place_after_the_events_before_it(desk: IncidentDesk) -> None:
    before = complaint(desk)
    unreadable = record_unreadable_event(desk)
    complaint(desk, at=T0.replace(hour=11))
    head = int(desk.recorder.max_notification_id() or 0)
    order: list[str] = []

    def told(position: int, topic: str, error: Exception) -> None:
        assert "Vanished" in topic
        assert isinstance(error, TopicError)  # the class is gone, not some other failure in decoding
        order.append(f"undecodable {position}")

    with LogFollower(desk, on_undecodable=told) as follower:
        while follower.position < head:
            order += [f"event {logged.position}" for logged in follower.next_batch(timeout=5)]
    first = desk.receipts.position_of(before, 1)
    assert order == [f"event {first}", f"undecodable {unreadable}", f"event {head}"]


def test_without_a_handler_an_undecodable_event_fails_after_the_events_before_it(desk: IncidentDesk) -> None:
    complaint(desk)
    record_unreadable_event(desk)
    with LogFollower(desk) as follower:
        assert [logged.position for logged in follower.next_batch(timeout=5)] == [1]
        with pytest.raises(TopicError, match="Vanished"):
            follower.next_batch(timeout=5)


def test_a_stopped_follower_ends_its_batches(desk: IncidentDesk) -> None:
    complaint(desk)
    with LogFollower(desk) as follower:
        assert len(follower.next_batch(timeout=5)) == 1
        follower.stop()
        with pytest.raises(FollowerEndedError):
            follower.next_batch(timeout=5)
        assert list(follower.batches()) == []
