"""Notifications on the record: due once per delivery id, settled once, by the system alone."""

from datetime import timedelta

from domain.commands import commands_of
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.errors import AlreadyDoneError, RuleBrokenError
from domain.values import Actor, Role

from .builders import T0, refused, reported_complaint, reported_emergency, stamp

POLICY = Actor(id="policy:notifier", role=Role.SYSTEM, unit="HQ", name="通知 Notifier")


def test_a_due_notification_is_recorded_once_and_settled_once() -> None:
    complaint = reported_complaint()
    complaint.record_notification_due(
        stamp(timedelta(minutes=60), actor=POLICY),
        delivery_id="d1",
        channel="ops",
        rule="red",
        message="红色 Red",
    )
    refused(
        complaint,
        AlreadyDoneError,
        lambda: complaint.record_notification_due(
            stamp(timedelta(minutes=61), actor=POLICY),
            delivery_id="d1",
            channel="ops",
            rule="red",
            message="x",
        ),
    )
    complaint.record_notification_failed(
        stamp(timedelta(minutes=62), actor=POLICY),
        delivery_id="d1",
        channel="ops",
        attempt=1,
        error="500",
        retry_at=T0 + timedelta(minutes=5),
    )
    complaint.record_notification_delivered(
        stamp(timedelta(minutes=63), actor=POLICY), delivery_id="d1", channel="ops", attempt=2, answer="ok"
    )
    events = complaint.collect_events()
    assert [type(e) for e in events[-3:]] == [
        Complaint.NotificationDue,
        Complaint.NotificationFailed,
        Complaint.NotificationDelivered,
    ]
    refused(
        complaint,
        AlreadyDoneError,
        lambda: complaint.record_notification_given_up(
            stamp(timedelta(minutes=64), actor=POLICY), delivery_id="d1", channel="ops", attempts=3, error="x"
        ),
    )


def test_a_notification_never_due_cannot_be_settled() -> None:
    emergency = reported_emergency()
    refused(
        emergency,
        RuleBrokenError,
        lambda: emergency.record_notification_delivered(
            stamp(timedelta(minutes=60), actor=POLICY),
            delivery_id="nope",
            channel="ops",
            attempt=1,
            answer="ok",
        ),
    )
    assert isinstance(Emergency.NotificationDue, type)


def test_only_the_system_records_notifications() -> None:
    for kind in (Complaint, Emergency):
        commands = commands_of(kind)
        for name in (
            "record_notification_due",
            "record_notification_delivered",
            "record_notification_failed",
            "record_notification_given_up",
        ):
            assert commands[name].system, name
