"""A branch emergency: its level, playbook checklist, announcements, stand-down and close."""

from uuid import uuid4

import pytest

from domain.commands import commands_of
from domain.emergency import Emergency
from domain.errors import (
    AlreadyDoneError,
    ApprovalRequiredError,
    IncidentClosedError,
    IncidentNotClosedError,
    IncidentStoodDownError,
    InvalidInputError,
    LevelChangeError,
    StandDownRefusedError,
    StepOutOfOrderError,
    UnknownActionError,
)
from domain.values import Actor, Audience, Authority, EmergencyKind, IncidentStatus, Level, Role

from .builders import (
    BRANCH_HEAD,
    DAY,
    OFFICE,
    T0,
    all_actions_done,
    announce,
    closed_emergency,
    minutes,
    refused,
    replayed,
    reported_emergency,
    stamp,
    stood_down_emergency,
)

# What the delivery of notifications records goes on after a close (the record of what was sent
# must be complete).
NOTIFICATIONS = {
    "record_notification_due",
    "record_notification_delivered",
    "record_notification_failed",
    "record_notification_given_up",
} | {"reveal_personal_data"}  # and so does an auditor's read: closed incidents are what audits read


def test_a_reported_emergency_is_open_with_its_kind_level_and_whole_playbook_open() -> None:
    emergency = reported_emergency(EmergencyKind.FIRE, level=Level.ORANGE)
    assert emergency.status is IncidentStatus.OPEN
    assert emergency.kind is EmergencyKind.FIRE
    assert emergency.level is Level.ORANGE
    assert emergency.opened_at == T0
    assert [a.code for a in emergency.open_actions][:2] == ["fight_fire", "call_119"]
    assert emergency.done_actions == []
    assert emergency.next_expected_step.code == "fight_fire"
    assert emergency.exercise is False


def test_a_drill_is_marked_as_an_exercise() -> None:
    assert reported_emergency(exercise=True).exercise is True


def test_an_emergency_needs_a_summary() -> None:
    incident_id = uuid4()
    with pytest.raises(InvalidInputError) as raised:
        reported_emergency(summary="", incident_id=incident_id)
    assert raised.value.field == "summary"
    assert raised.value.incident_id == incident_id


def test_the_level_changes_with_a_reason_and_keeps_the_previous_one() -> None:
    emergency = reported_emergency(level=Level.YELLOW)
    emergency.change_level(stamp(minutes(5), actor=OFFICE), level=Level.RED, reason="火势蔓延")
    emergency.change_level(stamp(minutes(50), actor=OFFICE), level=Level.BLUE, reason="已控制")
    assert emergency.level is Level.BLUE
    events = emergency.collect_events()
    assert [e.previous for e in events if isinstance(e, Emergency.LevelChanged)] == [
        Level.YELLOW,
        Level.RED,
    ]


def test_a_level_change_must_change_the_level() -> None:
    emergency = reported_emergency(level=Level.ORANGE)
    refused(
        emergency,
        LevelChangeError,
        lambda: emergency.change_level(stamp(), level=Level.ORANGE, reason="确认"),
    )


def test_a_level_change_needs_a_reason() -> None:
    emergency = reported_emergency()
    error = refused(
        emergency,
        InvalidInputError,
        lambda: emergency.change_level(stamp(), level=Level.RED, reason=" "),
    )
    assert error.field == "reason"


def test_calling_119_completes_the_fire_playbooks_call_action() -> None:
    emergency = reported_emergency(EmergencyKind.FIRE)
    emergency.notify_authority(stamp(minutes(1)), authority=Authority.FIRE_119, reference="接警")
    assert emergency.authorities_notified == [Authority.FIRE_119]
    assert [a.code for a in emergency.done_actions] == ["call_119"]
    [*_, event] = emergency.collect_events()
    assert isinstance(event, Emergency.AuthorityNotified)
    assert event.completes == ["call_119"]


def test_an_authority_may_be_notified_again_without_listing_it_twice() -> None:
    emergency = reported_emergency(EmergencyKind.ROBBERY)
    emergency.notify_authority(stamp(minutes(1)), authority=Authority.POLICE_110)
    emergency.notify_authority(stamp(minutes(9)), authority=Authority.POLICE_110, reference="再报")
    assert emergency.authorities_notified == [Authority.POLICE_110]
    assert [a.code for a in emergency.done_actions] == ["call_police"]


def test_notifying_an_authority_outside_the_playbook_completes_nothing() -> None:
    emergency = reported_emergency(EmergencyKind.CUSTOMER_SURGE)
    emergency.notify_authority(stamp(), authority=Authority.REGULATOR)
    assert emergency.authorities_notified == [Authority.REGULATOR]
    assert emergency.done_actions == []


def test_a_playbook_action_is_done_once() -> None:
    emergency = reported_emergency(EmergencyKind.FIRE)
    emergency.complete_playbook_action(stamp(minutes(1)), action="fight_fire", note="灭火器")
    assert [a.code for a in emergency.done_actions] == ["fight_fire"]
    assert emergency.next_expected_step.code == "call_119"
    error = refused(
        emergency,
        AlreadyDoneError,
        lambda: emergency.complete_playbook_action(stamp(), action="fight_fire"),
    )
    assert error.code == "already_done"


def test_an_action_already_done_by_notifying_the_authority_cannot_be_done_again() -> None:
    emergency = reported_emergency(EmergencyKind.FIRE)
    emergency.notify_authority(stamp(), authority=Authority.FIRE_119)
    refused(
        emergency,
        AlreadyDoneError,
        lambda: emergency.complete_playbook_action(stamp(), action="call_119"),
    )


def test_an_action_from_another_playbook_is_unknown() -> None:
    emergency = reported_emergency(EmergencyKind.CUSTOMER_SURGE)
    error = refused(
        emergency,
        UnknownActionError,
        lambda: emergency.complete_playbook_action(stamp(), action="call_119"),
    )
    assert error.field == "action"
    assert isinstance(error, InvalidInputError)


def test_isolation_apology_solution_and_follow_up_are_recorded() -> None:
    emergency = reported_emergency(EmergencyKind.SERVICE_DISRUPTION)
    emergency.isolate_customer(stamp(minutes(1)), place="贵宾室")
    emergency.apologise(stamp(minutes(2)), note="向等候客户致歉")
    emergency.propose_solution(stamp(minutes(3)), solution="引导至附近网点办理")
    emergency.follow_up(stamp(DAY), note="电话回访", satisfied=True)
    assert emergency.customer_isolated
    assert emergency.apologised
    assert emergency.solution == "引导至附近网点办理"
    assert emergency.followed_up
    assert emergency.satisfied is True


def test_a_solution_and_a_follow_up_need_text() -> None:
    emergency = reported_emergency()
    error = refused(emergency, InvalidInputError, lambda: emergency.propose_solution(stamp(), solution=""))
    assert error.field == "solution"
    error = refused(emergency, InvalidInputError, lambda: emergency.follow_up(stamp(), note=""))
    assert error.field == "note"


@pytest.mark.parametrize("audience", list(Audience))
def test_every_announcement_waits_for_the_superior_office_s_approval(audience: Audience) -> None:
    emergency = reported_emergency(EmergencyKind.SERVICE_DISRUPTION)
    error = refused(
        emergency,
        ApprovalRequiredError,
        lambda: emergency.make_announcement(stamp(), audience=audience, text="系统故障，暂停服务"),
    )
    assert error.code == "approval_required"
    assert "approve_announcement" in error.message


def test_an_approved_announcement_records_who_approved_it() -> None:
    emergency = reported_emergency(EmergencyKind.SERVICE_DISRUPTION)
    emergency.approve_announcement(
        stamp(actor=OFFICE), audience=Audience.CUSTOMERS, text="系统故障，暂停服务"
    )
    approved = emergency.collect_events()[-1]
    assert isinstance(approved, Emergency.AnnouncementApproved)
    assert approved.actor == OFFICE  # the approver is the one who took the approval, by their token
    emergency.make_announcement(stamp(minutes(1)), audience=Audience.CUSTOMERS, text="系统故障，暂停服务")
    made = emergency.collect_events()[-1]
    assert isinstance(made, Emergency.AnnouncementMade)
    assert (made.approver, made.approved_by, made.actor) == (OFFICE, OFFICE.display_name, BRANCH_HEAD)
    assert emergency.announced_to == [Audience.CUSTOMERS]


def test_an_approval_is_of_the_words_and_the_audience_not_of_the_audience_alone() -> None:
    emergency = reported_emergency(EmergencyKind.SERVICE_DISRUPTION)
    emergency.approve_announcement(
        stamp(actor=OFFICE), audience=Audience.CUSTOMERS, text="系统故障，暂停服务"
    )
    refused(
        emergency,
        ApprovalRequiredError,
        lambda: emergency.make_announcement(stamp(), audience=Audience.CUSTOMERS, text="系统故障，明日恢复"),
    )
    refused(
        emergency,
        ApprovalRequiredError,
        lambda: emergency.make_announcement(stamp(), audience=Audience.MEDIA, text="系统故障，暂停服务"),
    )


def test_an_approval_stands_so_the_same_notice_may_be_given_again_but_is_approved_once() -> None:
    emergency = reported_emergency(EmergencyKind.SERVICE_DISRUPTION)
    announce(emergency, Audience.CUSTOMERS, "系统故障，暂停服务")
    emergency.make_announcement(stamp(minutes(30)), audience=Audience.CUSTOMERS, text="系统故障，暂停服务")
    refused(
        emergency,
        AlreadyDoneError,
        lambda: emergency.approve_announcement(
            stamp(actor=OFFICE), audience=Audience.CUSTOMERS, text="系统故障，暂停服务"
        ),
    )


def test_an_approved_announcement_to_customers_does_the_service_disruption_s_notice() -> None:
    emergency = reported_emergency(EmergencyKind.SERVICE_DISRUPTION)
    assert "announce_to_customers" in [a.code for a in emergency.open_actions]
    announce(emergency, Audience.STAFF, "启动应急预案")
    assert "announce_to_customers" in [a.code for a in emergency.open_actions]
    announce(emergency, Audience.CUSTOMERS, "系统故障，暂停服务")
    made = emergency.pending_events[-1]
    assert isinstance(made, Emergency.AnnouncementMade)
    assert made.completes == ["announce_to_customers"]
    assert "announce_to_customers" in emergency.done_action_codes
    assert "announce_to_customers" not in [a.code for a in replayed(emergency).open_actions]


def test_the_fire_s_notice_is_done_once_both_customers_and_media_were_told() -> None:
    emergency = reported_emergency(EmergencyKind.FIRE)
    announce(emergency, Audience.CUSTOMERS, "网点暂停营业")
    assert "notice_to_customers_and_media" in [a.code for a in emergency.open_actions]
    announce(emergency, Audience.MEDIA, "火情已控制，无人员伤亡")
    assert "notice_to_customers_and_media" in emergency.done_action_codes


def test_a_notice_of_the_playbook_is_not_ticked_off_by_hand() -> None:
    emergency = reported_emergency(EmergencyKind.SERVICE_DISRUPTION)
    error = refused(
        emergency,
        StepOutOfOrderError,
        lambda: emergency.complete_playbook_action(stamp(), action="announce_to_customers"),
    )
    assert "approve_announcement" in error.message


def test_an_approval_needs_text_and_an_open_emergency() -> None:
    emergency = reported_emergency()
    error = refused(
        emergency,
        InvalidInputError,
        lambda: emergency.approve_announcement(stamp(actor=OFFICE), audience=Audience.MEDIA, text=" "),
    )
    assert error.field == "text"
    closed = closed_emergency()
    refused(
        closed,
        IncidentClosedError,
        lambda: closed.approve_announcement(stamp(DAY * 2, actor=OFFICE), audience=Audience.MEDIA, text="x"),
    )


def test_a_branch_raises_its_emergency_s_level_with_a_reason() -> None:
    emergency = reported_emergency(level=Level.YELLOW)
    emergency.raise_level(stamp(minutes(2)), level=Level.RED, reason="火势蔓延到营业厅")
    raised = emergency.collect_events()[-1]
    assert isinstance(raised, Emergency.LevelChanged)  # shown on the boards and feed as any change
    assert (raised.previous, raised.level, raised.actor) == (Level.YELLOW, Level.RED, BRANCH_HEAD)
    assert (emergency.level, emergency.level_reason) == (Level.RED, "火势蔓延到营业厅")


@pytest.mark.parametrize("level", [Level.BLUE, Level.YELLOW])
def test_a_raise_must_raise_the_level(level: Level) -> None:
    emergency = reported_emergency(level=Level.YELLOW)
    error = refused(
        emergency, LevelChangeError, lambda: emergency.raise_level(stamp(), level=level, reason="x")
    )
    assert "change_level" in error.message


def test_a_raise_needs_a_reason() -> None:
    emergency = reported_emergency(level=Level.YELLOW)
    error = refused(
        emergency, InvalidInputError, lambda: emergency.raise_level(stamp(), level=Level.RED, reason="")
    )
    assert error.field == "reason"


def test_an_announcement_needs_text() -> None:
    emergency = reported_emergency()
    error = refused(
        emergency,
        InvalidInputError,
        lambda: emergency.make_announcement(stamp(), audience=Audience.STAFF, text=""),
    )
    assert error.field == "text"


def test_an_emergency_with_every_action_done_stands_down_without_a_waiver() -> None:
    emergency = all_actions_done(reported_emergency(EmergencyKind.CUSTOMER_SURGE))
    assert emergency.next_expected_step.code == "stand_down"
    emergency.stand_down(stamp(minutes(60)), summary="客流恢复正常")
    assert emergency.status is IncidentStatus.STOOD_DOWN
    assert emergency.stood_down_at == T0 + minutes(60)
    assert emergency.waived_actions == []
    assert emergency.next_expected_step.code == "close"


def test_standing_down_with_open_actions_needs_a_waiver_that_lists_them() -> None:
    emergency = reported_emergency(EmergencyKind.ROBBERY)
    emergency.notify_authority(stamp(minutes(1)), authority=Authority.POLICE_110)
    error = refused(
        emergency,
        StandDownRefusedError,
        lambda: emergency.stand_down(stamp(minutes(30)), summary="嫌疑人已被抓获"),
    )
    assert "protect_scene_and_cctv" in error.message
    assert "call_police" not in error.open_actions
    assert error.open_actions == [a.code for a in emergency.open_actions]
    emergency.stand_down(
        stamp(minutes(30)), summary="嫌疑人已被抓获", waiver_reason="嫌疑人未逃离，无需保护现场"
    )
    assert emergency.waived_actions == error.open_actions
    assert emergency.waiver_reason == "嫌疑人未逃离，无需保护现场"


def test_after_stand_down_the_scene_is_no_longer_worked() -> None:
    emergency = stood_down_emergency()
    s = stamp(minutes(70))
    attempts = [
        lambda: emergency.change_level(s, level=Level.RED, reason="x"),
        lambda: emergency.raise_level(s, level=Level.RED, reason="x"),
        lambda: emergency.notify_authority(s, authority=Authority.FIRE_119),
        lambda: emergency.complete_playbook_action(s, action="fight_fire"),
        lambda: emergency.isolate_customer(s),
        lambda: emergency.stand_down(s, summary="again"),
    ]
    for attempt in attempts:
        error = refused(emergency, IncidentStoodDownError, attempt)
        assert error.code == "incident_stood_down"


def test_after_stand_down_announcements_follow_up_notes_and_corrections_continue() -> None:
    emergency = stood_down_emergency()
    s = stamp(minutes(70))
    emergency.approve_announcement(stamp(minutes(70), actor=OFFICE), audience=Audience.MEDIA, text="火灾通报")
    emergency.make_announcement(s, audience=Audience.MEDIA, text="火灾通报")
    emergency.follow_up(s, note="回访受影响客户")
    emergency.apologise(s, note="致歉")
    emergency.propose_solution(s, solution="赔偿受损物品")
    emergency.add_note(s, text="消防调查报告已收到")
    emergency.correct_entry(s, corrects_version=2, reason="时间有误", correction="应为9:05")
    emergency.close(stamp(DAY), summary="处置完毕")
    assert emergency.is_closed


def test_an_emergency_closes_only_after_stand_down() -> None:
    emergency = reported_emergency()
    error = refused(emergency, StepOutOfOrderError, lambda: emergency.close(stamp(), summary="x"))
    assert "stood down" in error.message


def test_closing_needs_a_summary() -> None:
    emergency = stood_down_emergency()
    error = refused(emergency, InvalidInputError, lambda: emergency.close(stamp(DAY), summary=""))
    assert error.field == "summary"


def test_a_closed_emergency_allows_only_notes_corrections_and_reopening() -> None:
    emergency = closed_emergency()
    assert emergency.next_expected_step.code == "done"
    s = stamp(2 * DAY)
    attempts = {
        "change_level": lambda: emergency.change_level(s, level=Level.RED, reason="x"),
        "notify_authority": lambda: emergency.notify_authority(s, authority=Authority.FIRE_119),
        "complete_playbook_action": lambda: emergency.complete_playbook_action(s, action="x"),
        "isolate_customer": lambda: emergency.isolate_customer(s),
        "apologise": lambda: emergency.apologise(s),
        "propose_solution": lambda: emergency.propose_solution(s, solution="x"),
        "make_announcement": lambda: emergency.make_announcement(s, audience=Audience.STAFF, text="x"),
        "follow_up": lambda: emergency.follow_up(s, note="x"),
        "stand_down": lambda: emergency.stand_down(s, summary="x"),
        "close": lambda: emergency.close(s, summary="x"),
        "flag_idle": lambda: emergency.flag_idle(s, idle_since=emergency.last_event_at),
        "take_charge": lambda: emergency.take_charge(s),
        "hand_over": lambda: emergency.hand_over(s, to="赵处长", reason="x", to_office=True),
        "raise_level": lambda: emergency.raise_level(s, level=Level.RED, reason="x"),
        "approve_announcement": lambda: emergency.approve_announcement(s, audience=Audience.STAFF, text="x"),
    }
    assert set(attempts) == set(commands_of(Emergency)) - {
        "add_note",
        "correct_entry",
        "reopen",
        *NOTIFICATIONS,
    }
    for name, attempt in attempts.items():
        error = refused(emergency, IncidentClosedError, attempt)
        assert name in error.message
    emergency.add_note(s, text="归档")
    emergency.correct_entry(s, corrects_version=1, reason="地址有误", correction="0102网点")


def test_a_reopened_emergency_is_worked_again_and_must_stand_down_again() -> None:
    emergency = reported_emergency(EmergencyKind.CUSTOMER_ILL)
    emergency.stand_down(stamp(minutes(30)), summary="客户已送医", waiver_reason="客户已自行离开")
    emergency.close(stamp(DAY), summary="结束")
    emergency.reopen(stamp(2 * DAY), reason="客户家属投诉处置不当")
    assert emergency.status is IncidentStatus.OPEN
    assert emergency.closed_at is None
    assert emergency.stood_down_at is None
    assert emergency.waived_actions == []
    assert emergency.next_expected_step.code == emergency.playbook[0].code
    emergency.change_level(stamp(2 * DAY), level=Level.YELLOW, reason="家属投诉")


def test_only_a_closed_emergency_can_be_reopened() -> None:
    emergency = stood_down_emergency()
    refused(emergency, IncidentNotClosedError, lambda: emergency.reopen(stamp(DAY), reason="x"))


def test_a_report_keeps_the_given_id() -> None:
    incident_id = uuid4()
    assert reported_emergency(incident_id=incident_id).id == incident_id


def test_standing_down_needs_a_summary() -> None:
    emergency = all_actions_done(reported_emergency())
    error = refused(emergency, InvalidInputError, lambda: emergency.stand_down(stamp(), summary=""))
    assert error.field == "summary"


def test_an_announcement_is_approved_by_a_superior_office_only_never_by_the_outlet_itself() -> None:
    emergency = reported_emergency(EmergencyKind.SERVICE_DISRUPTION)
    outlets_own_office = Actor(
        id="u-office-0101", role=Role.OFFICE, unit=emergency.outlet, name="网点 office"
    )
    for approver in (BRANCH_HEAD, outlets_own_office):
        error = refused(
            emergency,
            ApprovalRequiredError,
            lambda approver=approver: emergency.approve_announcement(
                stamp(actor=approver), audience=Audience.CUSTOMERS, text="系统故障，暂停服务"
            ),
        )
        assert approver.unit in error.message
