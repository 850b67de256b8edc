"""Replaying events and snapshots rebuilds the same incident."""

from uuid import uuid4

from eventsourcing.utils import get_topic

from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.values import (
    Audience,
    Authority,
    ComplaintOutcome,
    EmergencyKind,
    Level,
    Position,
    WithdrawalConfirmation,
)

from .builders import (
    DAY,
    OFFICE,
    POSTED_BRANCH_HEAD,
    POSTED_LOBBY_MANAGER,
    T0,
    minutes,
    replayed,
    reported_complaint,
    resolved_complaint,
    stamp,
)
from .topics import event_topics


def a_complaint_with_every_event() -> Complaint:
    complaint = reported_complaint(level=Level.YELLOW)
    complaint.flag_idle(stamp(minutes(1)), idle_since=complaint.last_event_at)
    complaint.warn_deadline(stamp(minutes(1)), due_at=complaint.clock.started_at + 15 * DAY)
    complaint.acknowledge(stamp(minutes(1)))
    complaint.hand_over(stamp(minutes(1)), to="李经理", reason="移交", to_position=Position.LOBBY_MANAGER)
    complaint.acknowledge(stamp(minutes(2), actor=POSTED_LOBBY_MANAGER))
    complaint.isolate_customer(stamp(minutes(2)), place="理财室")
    complaint.apologise(stamp(minutes(3)))
    complaint.escalate(stamp(minutes(4), actor=OFFICE), reason="媒体关注", level=Level.ORANGE)
    complaint.change_level(stamp(minutes(4), actor=OFFICE), level=Level.YELLOW, reason="已平息")
    complaint.attempt_retention(stamp(minutes(5)), real_reason="不满", offer="专人", retained=True)
    complaint.pause_clock(stamp(DAY), reason="鉴定")
    complaint.resume_clock(stamp(3 * DAY), note="鉴定完成")
    complaint.extend_deadline(stamp(4 * DAY), reason="复杂")
    complaint.approve_second_extension(stamp(4 * DAY, actor=OFFICE), reason="特别复杂")
    complaint.extend_deadline(stamp(4 * DAY), reason="特别复杂", complainant_informed=True)
    complaint.receive_new_facts(stamp(5 * DAY), facts="补充凭证")
    complaint.check_facts(stamp(6 * DAY), founded=True, findings="属实")
    complaint.propose_solution(stamp(6 * DAY), solution="赔偿", promised_by=stamp(9 * DAY).occurred_at)
    complaint.record_customer_response(stamp(6 * DAY), accepted=True, comment="接受")
    complaint.carry_out_solution(stamp(7 * DAY), details="已赔付")
    complaint.follow_up(stamp(8 * DAY), satisfied=True)
    complaint.add_note(stamp(8 * DAY), text="归档")
    complaint.correct_entry(stamp(8 * DAY), corrects_version=2, reason="r", correction="c")
    complaint.close(stamp(8 * DAY), outcome=ComplaintOutcome.RESOLVED, summary="办结")
    complaint.reopen(stamp(9 * DAY), reason="客户再诉")
    complaint.record_withdrawal(stamp(10 * DAY), confirmed_by=WithdrawalConfirmation.WRITTEN, note="撤诉书")
    complaint.record_notification_due(
        stamp(10 * DAY), delivery_id="1:r:c", channel="c", rule="r", message="m"
    )
    complaint.record_notification_failed(
        stamp(10 * DAY), delivery_id="1:r:c", channel="c", attempt=1, error="503", retry_at=T0 + 10 * DAY
    )
    complaint.record_notification_delivered(
        stamp(10 * DAY), delivery_id="1:r:c", channel="c", attempt=2, answer="ok"
    )
    complaint.record_notification_due(
        stamp(10 * DAY), delivery_id="2:r:c", channel="c", rule="r", message="m"
    )
    complaint.record_notification_given_up(
        stamp(10 * DAY), delivery_id="2:r:c", channel="c", attempts=5, error="timeout"
    )
    complaint.reveal_personal_data(stamp(11 * DAY), reason="投诉复核 complaint review")
    return complaint


def an_emergency_with_every_event() -> Emergency:
    emergency = Emergency.report(
        incident_id=uuid4(),
        stamp=stamp(),
        outlet="0101",
        kind=EmergencyKind.ROBBERY,
        level=Level.RED,
        summary="持刀抢劫",
        exercise=True,
    )
    emergency.flag_idle(stamp(minutes(1)), idle_since=emergency.last_event_at)
    emergency.take_charge(stamp(minutes(1), actor=POSTED_BRANCH_HEAD))
    emergency.hand_over(
        stamp(minutes(1), actor=POSTED_BRANCH_HEAD), to="赵处长", reason="升级", to_office=True
    )
    emergency.take_charge(stamp(minutes(1), actor=OFFICE))
    emergency.notify_authority(stamp(minutes(1)), authority=Authority.POLICE_110, reference="J1")
    emergency.complete_playbook_action(stamp(minutes(2)), action="evacuate_customers")
    emergency.change_level(stamp(minutes(3), actor=OFFICE), level=Level.ORANGE, reason="已控制")
    emergency.isolate_customer(stamp(minutes(4)))
    emergency.apologise(stamp(minutes(5)))
    emergency.propose_solution(stamp(minutes(6)), solution="安排至邻近网点")
    emergency.raise_level(stamp(minutes(6)), level=Level.RED, reason="歹徒持械返回")
    emergency.approve_announcement(stamp(minutes(7), actor=OFFICE), audience=Audience.PUBLIC, text="通报")
    emergency.make_announcement(stamp(minutes(7)), audience=Audience.PUBLIC, text="通报")
    emergency.follow_up(stamp(DAY), note="回访")
    emergency.add_note(stamp(DAY), text="备注")
    emergency.correct_entry(stamp(DAY), corrects_version=3, reason="r", correction="c")
    emergency.stand_down(stamp(DAY), summary="解除", waiver_reason="其余不适用")
    emergency.close(stamp(2 * DAY), summary="结束")
    emergency.reopen(stamp(3 * DAY), reason="复查")
    emergency.record_notification_due(stamp(3 * DAY), delivery_id="1:r:c", channel="c", rule="r", message="m")
    emergency.record_notification_failed(
        stamp(3 * DAY), delivery_id="1:r:c", channel="c", attempt=1, error="503", retry_at=T0 + 3 * DAY
    )
    emergency.record_notification_delivered(
        stamp(3 * DAY), delivery_id="1:r:c", channel="c", attempt=2, answer="ok"
    )
    emergency.record_notification_due(stamp(3 * DAY), delivery_id="2:r:c", channel="c", rule="r", message="m")
    emergency.record_notification_given_up(
        stamp(3 * DAY), delivery_id="2:r:c", channel="c", attempts=5, error="timeout"
    )
    emergency.reveal_personal_data(stamp(4 * DAY), reason="监管检查 regulator's inspection")
    return emergency


def test_replaying_a_complaints_events_rebuilds_the_same_complaint() -> None:
    complaint = a_complaint_with_every_event()
    topics = {get_topic(type(e)) for e in complaint.pending_events}
    assert topics == event_topics(Complaint)
    assert replayed(complaint) == complaint


def test_replaying_an_emergencys_events_rebuilds_the_same_emergency() -> None:
    emergency = an_emergency_with_every_event()
    topics = {get_topic(type(e)) for e in emergency.pending_events}
    assert topics == event_topics(Emergency)
    assert replayed(emergency) == emergency


def test_replaying_the_reported_event_alone_rebuilds_the_report() -> None:
    complaint = reported_complaint()
    [reported] = complaint.collect_events()
    assert isinstance(reported, Complaint.Reported)
    assert Complaint.Reported.mutate(reported, None) == complaint


def test_a_snapshot_rebuilds_the_same_incident() -> None:
    for aggregate in (a_complaint_with_every_event(), an_emergency_with_every_event()):
        aggregate.collect_events()
        snapshot = type(aggregate).Snapshot.take(aggregate)
        assert snapshot.mutate(None) == aggregate


def test_events_applied_to_a_snapshot_continue_it() -> None:
    complaint = resolved_complaint()
    events = complaint.collect_events()
    half = len(events) // 2
    rebuilt = None
    for event in events[:half]:
        rebuilt = event.mutate(rebuilt)
    assert rebuilt is not None
    restored = Complaint.Snapshot.take(rebuilt).mutate(None)
    for event in events[half:]:
        restored = event.mutate(restored)
    assert restored == complaint
