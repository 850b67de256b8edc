"""Notifications end to end on both stores: the notifier records what is due, the worker sends it to a
real loopback receiver and records how it went; retries, giving up, restarts, windows, scope, privacy."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from uuid import UUID

from application.incident_desk import IncidentDesk
from application.policies import PolicyRunner, PolicySettings
from application.policies.complaint_clock import ComplaintClockPolicy
from application.policies.deliveries import Deliveries, logged_after
from application.policies.notifier import IDLE, OVERDUE, RAISED, NotificationRule, NotifierPolicy
from domain.contact import CustomerContact
from domain.incident import Incident
from domain.organisation import Organisation, Unit, UnitKind
from domain.values import Actor, Category, Channel, EmergencyKind, Level, Role
from interfaces.notify.webhook import WebhookChannel
from tests.integration.desk_fixtures import T0, SteppingClock, log_length
from tests.integration.notify_receiver import SECRET, Receiver, receiver

__all__ = ["receiver"]

HEAD = Actor(id="head-BJ-HD-01", role=Role.BRANCH, unit="BJ-HD-01", name="王主任")


def _unit(code: str, kind: UnitKind, parent: str | None) -> Unit:
    return Unit(code=code, kind=kind, name_zh=f"{code}网点", name_en=f"{code} outlet", parent=parent)


ORGANISATION = Organisation(
    [
        _unit("HQ", UnitKind.HEAD_OFFICE, None),
        _unit("BJ", UnitKind.BRANCH, "HQ"),
        _unit("BJ-HD", UnitKind.SUB_BRANCH, "BJ"),
        _unit("BJ-CY", UnitKind.SUB_BRANCH, "BJ"),
        _unit("BJ-HD-01", UnitKind.OUTLET, "BJ-HD"),
        _unit("BJ-CY-01", UnitKind.OUTLET, "BJ-CY"),
    ]
)
RED_ORANGE = NotificationRule(
    name="red-orange", triggers=frozenset({RAISED}), channels=("ops",), min_level=Level.ORANGE
)


def emergency(desk: IncidentDesk, level: Level = Level.RED, outlet: str = "BJ-HD-01") -> UUID:
    actor = Actor(id=f"head-{outlet}", role=Role.BRANCH, unit=outlet)
    return desk.report_emergency(
        actor=actor,
        occurred_at=T0,
        outlet=outlet,
        kind=EmergencyKind.FIRE,
        level=level,
        summary="机房冒烟 smoke",
    ).incident_id


def notifier(desk: IncidentDesk, *rules: NotificationRule) -> PolicyRunner:
    policy = NotifierPolicy(
        desk, PolicySettings(), rules or (RED_ORANGE,), ORGANISATION, base_url="https://board.example"
    )
    runner = PolicyRunner(desk, [policy])
    while runner.catch_up():
        pass
    return runner


def sender(url: str) -> Any:
    channels = {"ops": WebhookChannel("ops", url, SECRET, timeout_seconds=0.5)}

    def send(channel: str, delivery_id: str, payload: Mapping[str, Any]) -> str:
        return channels[channel].send(delivery_id, dict(payload))

    return send


def worker(desk: IncidentDesk, url: str, **options: Any) -> Deliveries:
    deliveries = Deliveries(desk, sender(url), **options)
    for logged in logged_after(desk, 0, limit=100_000):
        deliveries.handle(logged)
    return deliveries


def of_kind(desk: IncidentDesk, incident_id: UUID, kind: type) -> list[Any]:
    return [e for e in desk.history(incident_id) if isinstance(e, kind)]


def test_a_red_emergency_is_delivered_and_the_delivery_is_on_the_record(
    desk: IncidentDesk, clock: SteppingClock, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    incident_id = emergency(desk)
    notifier(desk)
    (due,) = of_kind(desk, incident_id, Incident.NotificationDue)
    assert due.channel == "ops"
    assert due.rule == "red-orange"
    assert due.actor.role is Role.SYSTEM
    assert f"https://board.example/#incident={incident_id}" in due.message
    assert "红色" in due.message
    assert "Red" in due.message
    assert "BJ-HD-01" in due.message
    assert worker(desk, url).run_once(clock()) == 1
    (delivered,) = of_kind(desk, incident_id, Incident.NotificationDelivered)
    assert delivered.delivery_id == due.delivery_id
    assert delivered.answer == "200 ok"
    assert delivered.attempt == 1
    headers, body = state.received[0]
    assert headers["X-Incident-Delivery"] == due.delivery_id
    assert body["incident_id"] == str(incident_id)
    assert body["text"] == due.message
    # Replayed from 0, the notifier records nothing again; a fresh worker has nothing to send.
    length = log_length(desk)
    notifier(desk)
    assert log_length(desk) == length
    assert worker(desk, url).run_once(clock()) == 0
    assert len(state.received) == 1


def test_a_blue_emergency_or_another_subtree_is_not_notified(desk: IncidentDesk) -> None:
    blue = emergency(desk, Level.BLUE)
    elsewhere = emergency(desk, Level.RED, outlet="BJ-CY-01")
    scoped = NotificationRule(
        name="haidian",
        triggers=frozenset({RAISED}),
        channels=("ops",),
        min_level=Level.ORANGE,
        units=("BJ-HD",),
    )
    notifier(desk, scoped)
    assert of_kind(desk, blue, Incident.NotificationDue) == []
    assert of_kind(desk, elsewhere, Incident.NotificationDue) == []
    inside = emergency(desk, Level.ORANGE)
    notifier(desk, scoped)
    assert len(of_kind(desk, inside, Incident.NotificationDue)) == 1


def test_a_raise_within_the_window_is_suppressed_and_after_it_notified_again(
    desk: IncidentDesk, clock: SteppingClock
) -> None:
    incident_id = emergency(desk, Level.ORANGE)
    runner = notifier(desk)
    clock.advance(minutes=5)
    desk.act(incident_id, _raise(Level.RED), actor=HEAD, occurred_at=clock())
    while runner.catch_up():
        pass
    assert len(of_kind(desk, incident_id, Incident.NotificationDue)) == 1  # within 30 minutes
    clock.advance(minutes=40)
    desk.act(incident_id, _raise(Level.ORANGE), actor=HEAD, occurred_at=clock())
    desk.act(incident_id, _raise(Level.RED), actor=HEAD, occurred_at=clock())
    while runner.catch_up():
        pass
    assert len(of_kind(desk, incident_id, Incident.NotificationDue)) == 2


def _raise(level: Level) -> Any:
    from domain.emergency import Emergency

    return Emergency.change_level(level=level, reason="扩散 spreading")


def test_a_receiver_error_is_failed_then_retried_with_backoff_then_delivered(
    desk: IncidentDesk, clock: SteppingClock, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    incident_id = emergency(desk)
    notifier(desk)
    state.failures_left = 2
    deliveries = worker(desk, url, first_retry=timedelta(seconds=30))
    deliveries.run_once(clock())
    (failed,) = of_kind(desk, incident_id, Incident.NotificationFailed)
    assert failed.attempt == 1
    assert "503" in failed.error
    assert failed.retry_at == clock() + timedelta(seconds=30)
    assert deliveries.run_once(clock()) == 0  # not before its time
    clock.advance(seconds=30)
    deliveries.run_once(clock())
    second = of_kind(desk, incident_id, Incident.NotificationFailed)[-1]
    assert second.attempt == 2
    assert second.retry_at == clock() + timedelta(seconds=60)
    clock.advance(seconds=60)
    # A restarted worker learns the attempts from the log and goes on from there.
    worker(desk, url).run_once(clock())
    (delivered,) = of_kind(desk, incident_id, Incident.NotificationDelivered)
    assert delivered.attempt == 3
    assert [h["X-Incident-Delivery"] for h, _ in state.received] == [failed.delivery_id]


def test_a_receiver_that_hangs_is_given_up_after_n_attempts(
    desk: IncidentDesk, clock: SteppingClock, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    state.mode = "hang"
    incident_id = emergency(desk)
    notifier(desk)
    deliveries = worker(desk, url, max_attempts=2, first_retry=timedelta(seconds=1))
    deliveries.run_once(clock())
    clock.advance(seconds=1)
    deliveries.run_once(clock())
    (given_up,) = of_kind(desk, incident_id, Incident.NotificationGivenUp)
    assert given_up.attempts == 2
    assert worker(desk, url).run_once(clock()) == 0  # settled: nothing resent after a restart


def test_a_restart_between_sending_and_recording_resends_the_same_delivery_id(
    desk: IncidentDesk, clock: SteppingClock, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    incident_id = emergency(desk)
    notifier(desk)
    (due,) = of_kind(desk, incident_id, Incident.NotificationDue)
    # The worker sent, then died before it recorded the answer: the log still says "due".
    WebhookChannel("ops", url, SECRET).send(due.delivery_id, {"text": due.message})
    worker(desk, url).run_once(clock())
    assert [h["X-Incident-Delivery"] for h, _ in state.received] == [due.delivery_id, due.delivery_id]
    assert len(of_kind(desk, incident_id, Incident.NotificationDelivered)) == 1


def test_no_personal_data_goes_into_a_message(desk: IncidentDesk) -> None:
    complaint_id = desk.report_complaint(
        actor=HEAD,
        occurred_at=T0,
        outlet="BJ-HD-01",
        channel=Channel.WALK_IN,
        category=Category.SERVICE_QUALITY,
        summary="柜员态度差 rude teller",
        customer_reference="REF-889900",
        contact=CustomerContact(name="张三丰", phone="13912345678", email="zs@example.com"),
    ).incident_id
    idle = NotificationRule(name="idle", triggers=frozenset({IDLE, RAISED}), channels=("ops",))
    notifier(desk, idle)
    (due,) = of_kind(desk, complaint_id, Incident.NotificationDue)
    for personal in ("张三丰", "13912345678", "zs@example.com", "REF-889900", "王主任"):
        assert personal not in due.message


def test_a_complaint_past_its_due_time_is_notified_under_an_overdue_rule(
    desk: IncidentDesk, clock: SteppingClock
) -> None:
    complaint_id = desk.report_complaint(
        actor=HEAD,
        occurred_at=clock(),
        outlet="BJ-HD-01",
        channel=Channel.WALK_IN,
        category=Category.SERVICE_QUALITY,
        summary="排队太久 waited too long",
    ).incident_id
    overdue = NotificationRule(name="overdue", triggers=frozenset({OVERDUE}), channels=("ops",))
    runner = PolicyRunner(
        desk,
        [
            ComplaintClockPolicy(desk, PolicySettings()),
            NotifierPolicy(desk, PolicySettings(), [overdue], ORGANISATION),
        ],
    )
    while runner.catch_up():
        pass
    assert of_kind(desk, complaint_id, Incident.NotificationDue) == []  # reported: not this rule's
    clock.advance(days=16)
    runner.tick()
    while runner.catch_up():
        pass
    (due,) = of_kind(desk, complaint_id, Incident.NotificationDue)
    assert due.rule == "overdue"
    assert "已超时限" in due.message
    assert "Past its due time" in due.message


def test_an_event_older_than_the_notifiers_horizon_is_not_notified(
    desk: IncidentDesk, clock: SteppingClock
) -> None:
    old = emergency(desk)
    clock.advance(hours=25)  # a rules file added a day later: the log's past is not sent
    notifier(desk)
    assert of_kind(desk, old, Incident.NotificationDue) == []
    fresh = emergency(desk)
    notifier(desk)
    assert len(of_kind(desk, fresh, Incident.NotificationDue)) == 1


def test_an_answer_no_reader_could_see_is_recorded_with_escapes_not_refused(
    desk: IncidentDesk, clock: SteppingClock, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    state.hook_answer = "ok\r\n\x00\u202e".encode()
    incident_id = emergency(desk)
    notifier(desk)
    worker(desk, url).run_once(clock())
    (delivered,) = of_kind(desk, incident_id, Incident.NotificationDelivered)
    assert delivered.answer == "200 ok\\r\\n\\x00\\u202e"
    assert worker(desk, url).run_once(clock()) == 0  # settled: not sent again
