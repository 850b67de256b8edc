"""The delivery worker on its thread, under the boards' leader lock, on both stores: of two workers on
one database only the leader sends; when it stops the other takes over, losing and repeating nothing."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Engine

from application.incident_desk import IncidentDesk
from application.policies.deliveries import Deliveries, DeliveryThread
from domain.incident import Incident
from interfaces.boards.leader import LeaderLock
from interfaces.sql_engine import engine_for
from tests.integration.desk_fixtures import SteppingClock, fresh_desk
from tests.integration.notify_receiver import Receiver, receiver
from tests.integration.test_notify_delivery import emergency, notifier, of_kind, sender

__all__ = ["receiver"]


def wait_until(found: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 20
    while not found():
        if time.monotonic() > deadline:
            raise AssertionError(f"never: {what}")
        time.sleep(0.02)


def worker(desk: IncidentDesk, url: str, lock: LeaderLock, clock: SteppingClock) -> DeliveryThread:
    thread = DeliveryThread(Deliveries(desk, sender(url)), clock, lock)
    thread.start()
    return thread


def test_only_the_leader_sends_and_the_standby_takes_over_without_loss_or_repeat(
    desk: IncidentDesk,
    database_url: str,
    engine: Engine,
    clock: SteppingClock,
    receiver: tuple[Receiver, str],
) -> None:
    state, url = receiver
    other_engine, other_desk = engine_for(database_url), fresh_desk(database_url)
    first_lock, second_lock = LeaderLock(engine, database_url), LeaderLock(other_engine, database_url)
    first = worker(desk, url, first_lock, clock)
    wait_until(lambda: first.status()["leading"], "the first worker leads")
    second = worker(other_desk, url, second_lock, clock)
    try:
        before = emergency(desk)
        notifier(desk)
        wait_until(lambda: of_kind(desk, before, Incident.NotificationDelivered) != [], "delivered")
        assert second.status()["leading"] is False
        first.stop()
        first_lock.release()  # the leader's process ends: the standby takes the lock
        wait_until(lambda: second.status()["leading"], "the second worker leads")
        after = emergency(desk)
        notifier(desk)
        wait_until(lambda: of_kind(desk, after, Incident.NotificationDelivered) != [], "delivered after")
        sent = [headers["X-Incident-Delivery"] for headers, _ in state.received]
        assert len(sent) == 2
        assert len(set(sent)) == 2  # the new leader read the log again and sent nothing twice
        assert len(of_kind(desk, before, Incident.NotificationDelivered)) == 1
    finally:
        first.stop()
        second.stop()
        first_lock.release()
        second_lock.release()
        other_desk.close()
        other_engine.dispose()


def test_a_worker_stopped_before_it_sent_leaves_it_to_the_next_start(
    desk: IncidentDesk,
    database_url: str,
    engine: Engine,
    clock: SteppingClock,
    receiver: tuple[Receiver, str],
) -> None:
    state, url = receiver
    incident = emergency(desk)
    notifier(desk)  # due, and no worker running
    lock = LeaderLock(engine, database_url)
    started = worker(desk, url, lock, clock)
    try:
        wait_until(
            lambda: of_kind(desk, incident, Incident.NotificationDelivered) != [], "delivered at start"
        )
    finally:
        started.stop()
        lock.release()
    [(headers, _)] = state.received
    [due] = of_kind(desk, incident, Incident.NotificationDue)
    assert headers["X-Incident-Delivery"] == due.delivery_id
