"""Every event type survives the store: written by the desk, read back by a fresh one, unchanged."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from application.incident_desk import IncidentDesk
from domain.commands import Command
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.incident import Incident
from domain.values import (
    Actor,
    Audience,
    Authority,
    ComplaintOutcome,
    CustomerContact,
    EmergencyKind,
    Level,
    Position,
    WithdrawalConfirmation,
)
from tests.integration.desk_fixtures import (
    BRANCH_HEAD,
    OFFICE,
    T0,
    TELLER,
    complaint_fields,
    emergency_fields,
    fresh_desk,
)

COMPLAINT_JOURNEY: list[Command[Complaint]] = [
    Complaint.flag_idle(idle_since=T0),
    Complaint.warn_deadline(due_at=T0 + timedelta(days=15)),
    Complaint.acknowledge(),
    Complaint.isolate_customer(place="贵宾室 VIP room"),
    Complaint.apologise(note="充分道歉"),
    Complaint.check_facts(founded=True, findings="ATM 日志显示出钞异常"),
    Complaint.propose_solution(solution="更换假币", promised_by=T0 + timedelta(hours=2)),
    Complaint.record_customer_response(accepted=False, comment="要求书面道歉"),
    Complaint.propose_solution(solution="更换并书面致歉"),
    Complaint.record_customer_response(accepted=True),
    Complaint.carry_out_solution(details="已更换"),
    Complaint.escalate(reason="客户威胁找媒体", level=Level.YELLOW),
    Complaint.change_level(level=Level.BLUE, reason="经核实为个案"),
    Complaint.extend_deadline(reason="复杂案件 complex case"),
    Complaint.approve_second_extension(reason="需外部鉴定，特别复杂"),
    Complaint.extend_deadline(reason="需外部鉴定", complainant_informed=True),
    Complaint.pause_clock(reason="假币送人民银行鉴定"),
    Complaint.resume_clock(note="鉴定结果已回"),
    Complaint.receive_new_facts(facts="客户提供了取款凭条"),
    Complaint.attempt_retention(real_reason="不信任", offer="专属客户经理", retained=True),
    Complaint.attempt_retention(
        real_reason="利率", offer="优惠", retained=False, second_contact=CustomerContact(phone="13800138000")
    ),
    Complaint.follow_up(satisfied=True, comment="回访满意"),
    Complaint.close(outcome=ComplaintOutcome.RESOLVED, summary="已解决"),
    Complaint.reopen(reason="客户再次来电"),
    Complaint.record_withdrawal(confirmed_by=WithdrawalConfirmation.WRITTEN, note="客户递交撤诉书"),
    Complaint.add_note(text="补充记录"),
    Complaint.correct_entry(corrects_version=3, reason="地点写错", correction="小会议室"),
    Complaint.record_notification_due(
        delivery_id="7:red:office", channel="office", rule="red", message="红色 red"
    ),
    Complaint.record_notification_failed(
        delivery_id="7:red:office", channel="office", attempt=1, error="503", retry_at=T0 + timedelta(hours=1)
    ),
    Complaint.record_notification_delivered(
        delivery_id="7:red:office", channel="office", attempt=2, answer="ok"
    ),
    Complaint.record_notification_due(
        delivery_id="8:red:mail", channel="mail", rule="red", message="红色 red"
    ),
    Complaint.record_notification_given_up(
        delivery_id="8:red:mail", channel="mail", attempts=5, error="timeout"
    ),
    Complaint.reveal_personal_data(reason="审计复核 audit review"),
]

EMERGENCY_JOURNEY: list[Command[Emergency]] = [
    Emergency.flag_idle(idle_since=T0),
    Emergency.raise_level(level=Level.RED, reason="火势蔓延到营业厅"),
    Emergency.change_level(level=Level.ORANGE, reason="火势已控制"),
    Emergency.notify_authority(authority=Authority.FIRE_119, reference="119-接警-0421"),
    Emergency.complete_playbook_action(action="fight_fire", note="灭火器两具"),
    Emergency.isolate_customer(place="门外空地"),
    Emergency.apologise(),
    Emergency.propose_solution(solution="安排至邻近网点办理"),
    Emergency.approve_announcement(audience=Audience.MEDIA, text="情况说明"),
    Emergency.make_announcement(audience=Audience.MEDIA, text="情况说明"),
    Emergency.follow_up(note="回访受影响客户", satisfied=True),
    Emergency.stand_down(summary="火已扑灭", waiver_reason="其余事项移交分行处理"),
    Emergency.close(summary="处置完毕"),
    Emergency.reopen(reason="消防调查需补充材料"),
    Emergency.add_note(text="补充材料已提交"),
    Emergency.correct_entry(corrects_version=2, reason="原因描述有误", correction="火势未到营业厅"),
    Emergency.record_notification_due(
        delivery_id="7:red:office", channel="office", rule="red", message="红色 red"
    ),
    Emergency.record_notification_failed(
        delivery_id="7:red:office", channel="office", attempt=1, error="503", retry_at=T0 + timedelta(hours=1)
    ),
    Emergency.record_notification_delivered(
        delivery_id="7:red:office", channel="office", attempt=2, answer="ok"
    ),
    Emergency.record_notification_due(
        delivery_id="8:red:mail", channel="mail", rule="red", message="红色 red"
    ),
    Emergency.record_notification_given_up(
        delivery_id="8:red:mail", channel="mail", attempts=5, error="timeout"
    ),
    Emergency.reveal_personal_data(reason="审计复核 audit review"),
]


# Handing over needs a second person: (command, who gives it), after the journey above.
COMPLAINT_HANDOVER: list[tuple[Command[Complaint], Actor]] = [
    (
        Complaint.hand_over(to="王主任", reason="移地由网点负责人解释", to_position=Position.BRANCH_HEAD),
        OFFICE,
    ),
    (Complaint.acknowledge(), BRANCH_HEAD),
]
EMERGENCY_HANDOVER: list[tuple[Command[Emergency], Actor]] = [
    (Emergency.take_charge(), BRANCH_HEAD),
    (Emergency.hand_over(to="应急办", reason="事态扩大", to_office=True), BRANCH_HEAD),
    (Emergency.take_charge(), OFFICE),
]


def event_classes(kind: type[Incident]) -> set[type[Any]]:
    """The events a kind of incident records (the library's generated bases are never triggered)."""
    return {
        value
        for name, value in vars(kind).items()
        if isinstance(value, type) and issubclass(value, Incident.Event) and name not in ("Event", "Created")
    }


def act_through(
    desk: IncidentDesk,
    incident_id: UUID,
    journey: Sequence[Command[Incident]],
    handover: Sequence[tuple[Command[Incident], Actor]] = (),
) -> None:
    steps = [*((command, OFFICE) for command in journey), *handover]
    for step, (command, actor) in enumerate(steps, start=1):
        desk.clock.advance(minutes=5)  # type: ignore[attr-defined]
        desk.act(incident_id, command, actor=actor, occurred_at=T0 + timedelta(minutes=step))


def state(incident: Incident) -> dict[str, Any]:
    return {k: v for k, v in vars(incident).items() if k != "_pending_events"}


def test_every_event_type_reloads_from_the_store_unchanged(desk: IncidentDesk, database_url: str) -> None:
    complaint_id = desk.report_complaint(
        actor=TELLER,
        occurred_at=T0,
        **complaint_fields(contact=CustomerContact(name="张三", phone="13800138000", email="")),
    ).incident_id
    act_through(desk, complaint_id, COMPLAINT_JOURNEY, COMPLAINT_HANDOVER)
    emergency_id = desk.report_emergency(
        actor=TELLER, occurred_at=T0, **emergency_fields(kind=EmergencyKind.FIRE, exercise=True)
    ).incident_id
    act_through(desk, emergency_id, EMERGENCY_JOURNEY, EMERGENCY_HANDOVER)

    reader = fresh_desk(database_url)
    for incident_id, kind in ((complaint_id, Complaint), (emergency_id, Emergency)):
        written = desk.history(incident_id)
        read = reader.history(incident_id)
        assert read == written  # every field, every enum and value object, exact types
        assert [type(e) for e in read] == [type(e) for e in written]
        assert {type(e) for e in read} == event_classes(kind), "the journey must cover every event type"
        assert state(reader.get_incident(incident_id)) == state(desk.get_incident(incident_id))
    reader.close()


def test_an_incident_loaded_from_a_snapshot_equals_one_replayed_from_every_event(
    desk: IncidentDesk, database_url: str
) -> None:
    complaint_id = desk.report_complaint(actor=TELLER, occurred_at=T0, **complaint_fields()).incident_id
    act_through(desk, complaint_id, COMPLAINT_JOURNEY[:12])
    desk.take_snapshot(complaint_id)
    act_through(desk, complaint_id, COMPLAINT_JOURNEY[12:])

    from_snapshot = fresh_desk(database_url).get_incident(complaint_id)
    replayed = None
    for event in desk.history(complaint_id):
        replayed = event.mutate(replayed)  # type: ignore[attr-defined]
    assert replayed is not None
    assert state(from_snapshot) == state(replayed)


def test_events_recorded_before_approvals_and_contacts_still_load(desk: IncidentDesk) -> None:
    complaint_id = desk.report_complaint(actor=TELLER, occurred_at=T0, **complaint_fields()).incident_id
    # Up to the first retention attempt: the extensions and a retention, still open.
    first_retention = next(n for n, c in enumerate(COMPLAINT_JOURNEY) if c.name == "attempt_retention")
    act_through(desk, complaint_id, COMPLAINT_JOURNEY[: first_retention + 1])
    written = desk.history(complaint_id)
    extended = next(e for e in reversed(written) if isinstance(e, Complaint.DeadlineExtended))
    retention = next(e for e in written if isinstance(e, Complaint.RetentionAttempted))

    def as_stored_before(event: Any, **old: Any) -> Any:
        # The shape those events had: the free-text approver, the contact as text, no approved_by.
        stored = desk.mapper.to_stored_event(event)
        state = {k: v for k, v in json.loads(stored.state).items() if k != "approved_by"} | old
        return desk.mapper.to_domain_event(dataclasses.replace(stored, state=json.dumps(state).encode()))

    old_extension = as_stored_before(extended, approver="分行副行长 李")
    assert isinstance(old_extension, Complaint.DeadlineExtended)
    assert (old_extension.approver, old_extension.approved_by, old_extension.limit_days) == (
        "分行副行长 李",
        None,
        60,
    )
    old_retention = as_stored_before(retention, second_contact="下周一电话回访")
    assert isinstance(old_retention, Complaint.RetentionAttempted)
    assert old_retention.second_contact == "下周一电话回访"
    replayed = None
    for event in [*written[: written.index(extended)], old_extension]:
        replayed = event.mutate(replayed)
    assert isinstance(replayed, Complaint)
    assert replayed.clock.limit_days == 60


def test_an_announcement_stored_before_approvals_were_commands_still_reads(desk: IncidentDesk) -> None:
    emergency_id = desk.report_emergency(actor=TELLER, occurred_at=T0, **emergency_fields()).incident_id
    desk.act(
        emergency_id,
        Emergency.approve_announcement(audience=Audience.MEDIA, text="情况说明"),
        actor=OFFICE,
        occurred_at=None,
    )
    desk.act(
        emergency_id,
        Emergency.make_announcement(audience=Audience.MEDIA, text="情况说明"),
        actor=TELLER,
        occurred_at=None,
    )
    made = desk.history(emergency_id)[-1]
    # What a version 1 event held: the free-text approver only (as the command took it then).
    stored = desk.mapper.to_stored_event(made)
    old_state = desk.mapper.transcoder.decode(stored.state)
    for newer in ("class_version", "approver", "completes"):
        old_state.pop(newer)
    old_state["approved_by"] = "分行办公室"
    old = desk.mapper.to_domain_event(
        dataclasses.replace(stored, state=desk.mapper.transcoder.encode(old_state))
    )
    assert isinstance(old, Emergency.AnnouncementMade)
    assert (old.approved_by, old.approver, old.completes) == ("分行办公室", None, [])
    assert (made.approved_by, made.approver) == (OFFICE.display_name, OFFICE)  # type: ignore[attr-defined]
