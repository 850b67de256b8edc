"""The policies on both real stores: each rule fires exactly when it should, once, and never again on replay."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.utils import get_topic

from application.incident_desk import IncidentDesk
from application.outlet_queues import post_queue_reading, queue_state
from application.policies import (
    ComplaintClockPolicy,
    CustomerSurgePolicy,
    PassiveWaitingPolicy,
    Policy,
    PolicyRunner,
    PolicySettings,
    RiskGradingPolicy,
    standard_policies,
)
from application.store.database_url import store_env
from domain.commands import Command
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.errors import InvalidInputError
from domain.organisation import Organisation, Unit, UnitKind
from domain.outlet_queue import OutletQueue, queue_id
from domain.risk_grading import RiskThresholds
from domain.values import (
    Actor,
    Category,
    Channel,
    ComplaintOutcome,
    EmergencyKind,
    Level,
    Role,
    WithdrawalConfirmation,
)
from tests.integration.desk_fixtures import OFFICE, T0, SteppingClock, log_length

HOURS = timedelta(hours=1)
LOBBY = Actor(id="lobby-01", role=Role.BRANCH, unit="BJ-HD-01", name="李经理")


def _unit(code: str, kind: UnitKind, parent: str | None) -> Unit:
    return Unit(code=code, kind=kind, name_zh=f"{code}网点", name_en=f"{code} unit", parent=parent)


ORGANISATION = Organisation(
    [
        _unit("HQ", UnitKind.HEAD_OFFICE, None),
        _unit("BJ", UnitKind.BRANCH, "HQ"),
        _unit("BJ-HD", UnitKind.SUB_BRANCH, "BJ"),
        _unit("BJ-CY", UnitKind.SUB_BRANCH, "BJ"),
        *(_unit(f"BJ-HD-0{n}", UnitKind.OUTLET, "BJ-HD") for n in range(1, 6)),
        *(_unit(f"BJ-CY-0{n}", UnitKind.OUTLET, "BJ-CY") for n in range(1, 4)),
    ]
)


# -- helpers -------------------------------------------------------------------------------


@pytest.fixture
def other_desk(database_url: str, clock: SteppingClock) -> Iterator[IncidentDesk]:
    """A desk of another process on the same store: its own cache, the same clock."""
    desk = IncidentDesk({**store_env(database_url), "CREATE_TABLE": "n"}, clock=clock)
    yield desk
    desk.close()


def run(desk: IncidentDesk, *policies: Policy) -> PolicyRunner:
    """A runner that has read the whole log, including what its own policies recorded."""
    runner = PolicyRunner(desk, policies)
    settle(runner)
    return runner


def settle(runner: PolicyRunner) -> None:
    while runner.catch_up():
        pass


def tick(runner: PolicyRunner) -> None:
    runner.tick()
    settle(runner)


def events_of(desk: IncidentDesk, incident_id: UUID) -> list[Any]:
    return desk.history(incident_id)


def last(desk: IncidentDesk, incident_id: UUID) -> Any:
    return events_of(desk, incident_id)[-1]


def happened(desk: IncidentDesk, at: datetime) -> datetime:
    """`at`, with the server's clock moved on to it if it was behind (a report is never in the future)."""
    clock: SteppingClock = desk.clock  # type: ignore[assignment]
    clock.now = max(clock.now, at)
    return at


def complaint(
    desk: IncidentDesk,
    outlet: str = "BJ-HD-01",
    at: datetime = T0,
    category: Category = Category.SERVICE_QUALITY,
    **fields: Any,
) -> UUID:
    values: dict[str, Any] = {"channel": Channel.WALK_IN, "summary": "柜员态度差 rude teller", **fields}
    actor = Actor(id=f"teller-{outlet}", role=Role.BRANCH, unit=outlet)
    return desk.report_complaint(
        actor=actor, occurred_at=happened(desk, at), outlet=outlet, category=category, **values
    ).incident_id


def emergency(
    desk: IncidentDesk,
    outlet: str = "BJ-HD-01",
    at: datetime = T0,
    kind: EmergencyKind = EmergencyKind.SERVICE_DISRUPTION,
    level: Level = Level.BLUE,
    **fields: Any,
) -> UUID:
    actor = Actor(id=f"head-{outlet}", role=Role.BRANCH, unit=outlet)
    return desk.report_emergency(
        actor=actor,
        occurred_at=happened(desk, at),
        outlet=outlet,
        kind=kind,
        level=level,
        summary="系统故障 outage",
        **fields,
    ).incident_id


def replay_records_nothing(desk: IncidentDesk, *policies: Policy) -> None:
    """Fresh policies fed the same log from 0 (and ticked) record nothing at all."""
    length = log_length(desk)
    runner = run(desk, *policies)
    tick(runner)
    assert log_length(desk) == length


def level_of(desk: IncidentDesk, incident_id: UUID) -> Level:
    return desk.get_incident(incident_id).level


# -- the complaint clock -------------------------------------------------------------------


def test_the_owner_is_warned_three_days_before_the_due_time_and_once(
    desk: IncidentDesk, clock: SteppingClock
) -> None:
    complaint_id = complaint(desk)
    runner = run(desk, ComplaintClockPolicy(desk, PolicySettings()))
    due = T0 + timedelta(days=15)
    clock.now = due - timedelta(days=3) - timedelta(seconds=1)
    length = log_length(desk)
    tick(runner)
    assert log_length(desk) == length
    clock.now = due - timedelta(days=3)
    tick(runner)
    warned = last(desk, complaint_id)
    assert isinstance(warned, Complaint.DeadlineWarned)
    assert warned.due_at == due
    assert warned.actor.role is Role.SYSTEM
    assert warned.actor.id == "policy:complaint-clock"
    assert log_length(desk) == length + 1
    clock.advance(hours=1)
    tick(runner)
    assert log_length(desk) == length + 1
    replay_records_nothing(desk, ComplaintClockPolicy(desk, PolicySettings()))


def test_an_overdue_complaint_is_escalated_to_the_office_once_its_due_time_has_passed(
    desk: IncidentDesk, clock: SteppingClock
) -> None:
    complaint_id = complaint(desk)
    runner = run(desk, ComplaintClockPolicy(desk, PolicySettings()))
    due = T0 + timedelta(days=15)
    clock.now = due
    tick(runner)  # the warning (three days late, but before the due time passed)
    length = log_length(desk)
    clock.now = due + timedelta(seconds=1)
    tick(runner)
    escalated = last(desk, complaint_id)
    assert isinstance(escalated, Complaint.Escalated)
    assert escalated.level is None
    assert "overdue" in escalated.reason
    assert "超过处理时限" in escalated.reason
    assert log_length(desk) == length + 1
    clock.advance(days=2)
    tick(runner)
    assert log_length(desk) == length + 1
    replay_records_nothing(desk, ComplaintClockPolicy(desk, PolicySettings()))


def test_an_extension_moves_the_warning_and_the_escalation_to_the_new_due_time(
    desk: IncidentDesk, clock: SteppingClock
) -> None:
    complaint_id = complaint(desk)
    runner = run(desk, ComplaintClockPolicy(desk, PolicySettings()))
    clock.now = T0 + timedelta(days=12)
    tick(runner)
    desk.act(complaint_id, Complaint.extend_deadline(reason="复杂案件"), actor=OFFICE, occurred_at=None)
    settle(runner)
    clock.now = T0 + timedelta(days=16)  # past the old due time, well before the new one
    length = log_length(desk)
    tick(runner)
    assert log_length(desk) == length
    clock.now = T0 + timedelta(days=27)
    tick(runner)
    warned = last(desk, complaint_id)
    assert isinstance(warned, Complaint.DeadlineWarned)
    assert warned.due_at == T0 + timedelta(days=30)
    warnings = [e for e in events_of(desk, complaint_id) if isinstance(e, Complaint.DeadlineWarned)]
    assert len(warnings) == 2


def test_a_paused_or_closed_complaint_is_neither_warned_nor_escalated(
    desk: IncidentDesk, clock: SteppingClock
) -> None:
    paused = complaint(desk)
    desk.act(paused, Complaint.pause_clock(reason="送人民银行鉴定"), actor=OFFICE, occurred_at=None)
    withdrawn = complaint(desk)
    desk.act(
        withdrawn,
        Complaint.record_withdrawal(confirmed_by=WithdrawalConfirmation.PHONE),
        actor=OFFICE,
        occurred_at=None,
    )
    desk.act(
        withdrawn,
        Complaint.close(outcome=ComplaintOutcome.WITHDRAWN, summary="撤回"),
        actor=OFFICE,
        occurred_at=None,
    )
    runner = run(desk, ComplaintClockPolicy(desk, PolicySettings()))
    length = log_length(desk)
    for days in (12, 20, 40):
        clock.now = T0 + timedelta(days=days)
        tick(runner)
    assert log_length(desk) == length


def test_a_complaint_reopened_on_day_20_of_15_is_not_escalated_at_the_next_tick(
    desk: IncidentDesk, clock: SteppingClock
) -> None:
    complaint_id = complaint(desk)
    clock.now = T0 + timedelta(days=2)
    desk.act(
        complaint_id,
        Complaint.record_withdrawal(confirmed_by=WithdrawalConfirmation.PHONE),
        actor=OFFICE,
        occurred_at=None,
    )
    desk.act(
        complaint_id,
        Complaint.close(outcome=ComplaintOutcome.WITHDRAWN, summary="撤回"),
        actor=OFFICE,
        occurred_at=None,
    )
    runner = run(desk, ComplaintClockPolicy(desk, PolicySettings()))
    clock.now = T0 + timedelta(days=20)
    desk.act(complaint_id, Complaint.reopen(reason="客户称并未撤回"), actor=OFFICE, occurred_at=None)
    settle(runner)
    length = log_length(desk)
    clock.advance(minutes=1)
    tick(runner)
    assert log_length(desk) == length  # neither escalated nor warned: its clock restarted at day 20
    assert desk.get_incident(complaint_id).due_at == T0 + timedelta(days=35)  # type: ignore[attr-defined]
    clock.now = T0 + timedelta(days=35, seconds=1)
    tick(runner)
    escalated = last(desk, complaint_id)
    assert isinstance(escalated, Complaint.Escalated)  # and it is held to the restarted clock
    assert "overdue" in escalated.reason


def test_the_warning_lead_is_a_setting(desk: IncidentDesk, clock: SteppingClock) -> None:
    complaint_id = complaint(desk)
    runner = run(desk, ComplaintClockPolicy(desk, PolicySettings(deadline_warning_lead=timedelta(days=5))))
    clock.now = T0 + timedelta(days=10)
    tick(runner)
    assert isinstance(last(desk, complaint_id), Complaint.DeadlineWarned)


# -- passive waiting -----------------------------------------------------------------------


def test_a_complaint_nobody_works_for_a_day_is_flagged_once(desk: IncidentDesk, clock: SteppingClock) -> None:
    complaint_id = complaint(desk)
    runner = run(desk, PassiveWaitingPolicy(desk, PolicySettings()))
    length = log_length(desk)
    clock.now = T0 + timedelta(hours=23, minutes=59)
    tick(runner)
    assert log_length(desk) == length
    clock.now = T0 + timedelta(hours=24)
    tick(runner)
    flagged = last(desk, complaint_id)
    assert isinstance(flagged, Complaint.IdleFlagged)
    assert flagged.idle_since == T0
    assert desk.get_incident(complaint_id).idle_flagged_since == T0
    clock.advance(hours=30)
    tick(runner)
    assert log_length(desk) == length + 1
    replay_records_nothing(desk, PassiveWaitingPolicy(desk, PolicySettings()))


def test_working_the_complaint_clears_the_flag_and_starts_a_new_stretch(
    desk: IncidentDesk, clock: SteppingClock
) -> None:
    complaint_id = complaint(desk)
    runner = run(desk, PassiveWaitingPolicy(desk, PolicySettings()))
    clock.now = T0 + timedelta(hours=25)
    tick(runner)
    desk.act(complaint_id, Complaint.acknowledge(), actor=OFFICE, occurred_at=None)
    settle(runner)
    assert desk.get_incident(complaint_id).idle_flagged_since is None
    clock.advance(hours=23)
    tick(runner)
    assert not isinstance(last(desk, complaint_id), Complaint.IdleFlagged)
    clock.advance(hours=1)
    tick(runner)
    flagged = last(desk, complaint_id)
    assert isinstance(flagged, Complaint.IdleFlagged)
    assert flagged.idle_since == T0 + timedelta(hours=25)


def test_an_open_emergency_nobody_posts_on_for_half_an_hour_is_flagged(
    desk: IncidentDesk, clock: SteppingClock
) -> None:
    open_one = emergency(desk)
    stood_down = emergency(desk, outlet="BJ-HD-02")
    desk.act(
        stood_down,
        Emergency.stand_down(summary="已恢复", waiver_reason="系统已恢复 system back"),
        actor=OFFICE,
        occurred_at=None,
    )
    runner = run(desk, PassiveWaitingPolicy(desk, PolicySettings()))
    length = log_length(desk)
    clock.now = T0 + timedelta(minutes=29)
    tick(runner)
    assert log_length(desk) == length
    clock.now = T0 + timedelta(minutes=30)
    tick(runner)
    assert isinstance(last(desk, open_one), Emergency.IdleFlagged)
    assert log_length(desk) == length + 1  # the stood-down one is not waiting on anyone
    replay_records_nothing(desk, PassiveWaitingPolicy(desk, PolicySettings()))


# -- risk grading --------------------------------------------------------------------------


def grading(desk: IncidentDesk, settings: PolicySettings | None = None) -> RiskGradingPolicy:
    return RiskGradingPolicy(desk, settings or PolicySettings(), ORGANISATION)


def test_two_related_complaints_at_an_outlet_are_not_yet_related_enough(desk: IncidentDesk) -> None:
    first, second = complaint(desk), complaint(desk, at=T0 + HOURS)
    run(desk, grading(desk))
    assert level_of(desk, first) is level_of(desk, second) is Level.BLUE


def test_the_third_related_complaint_at_an_outlet_within_a_day_raises_all_three_to_yellow(
    desk: IncidentDesk,
) -> None:
    ids = [complaint(desk), complaint(desk, at=T0 + HOURS), complaint(desk, at=T0 + 23 * HOURS)]
    length = log_length(desk)
    run(desk, grading(desk))
    assert log_length(desk) == length + 3
    for incident_id in ids:
        raised = last(desk, incident_id)
        assert isinstance(raised, Complaint.Escalated)
        assert raised.level is Level.YELLOW
        assert "关联性" in raised.reason
        assert "3 related service_quality complaints at BJ-HD-01 within 24h" in raised.reason
        assert raised.actor.id == "policy:risk-grading"
    replay_records_nothing(desk, grading(desk))


def test_complaints_more_than_a_day_apart_are_not_related(desk: IncidentDesk) -> None:
    ids = [complaint(desk), complaint(desk, at=T0 + HOURS), complaint(desk, at=T0 + 25 * HOURS)]
    run(desk, grading(desk))
    assert {level_of(desk, i) for i in ids} == {Level.BLUE}


def test_complaints_of_another_category_or_another_outlet_are_not_related(desk: IncidentDesk) -> None:
    ids = [
        complaint(desk),
        complaint(desk, at=T0 + HOURS),
        complaint(desk, at=T0 + 2 * HOURS, category=Category.BUSINESS_OPERATION),
        complaint(desk, outlet="BJ-HD-02", at=T0 + 3 * HOURS),
    ]
    run(desk, grading(desk))
    assert {level_of(desk, i) for i in ids} == {Level.BLUE}


def test_a_fourth_related_complaint_joins_the_yellow_and_the_first_three_are_not_raised_again(
    desk: IncidentDesk,
) -> None:
    for hour in range(3):
        complaint(desk, at=T0 + hour * HOURS)
    runner = run(desk, grading(desk))
    fourth = complaint(desk, at=T0 + 4 * HOURS)
    length = log_length(desk)
    settle(runner)
    assert log_length(desk) == length + 1
    raised = last(desk, fourth)
    assert raised.level is Level.YELLOW
    assert "4 related" in raised.reason


def test_related_complaints_at_three_outlets_of_a_sub_branch_raise_each_to_orange(desk: IncidentDesk) -> None:
    first = complaint(desk, outlet="BJ-HD-01")
    second = complaint(desk, outlet="BJ-HD-02", at=T0 + HOURS)
    run(desk, grading(desk))
    assert level_of(desk, first) is level_of(desk, second) is Level.BLUE  # two outlets: not yet
    third = complaint(desk, outlet="BJ-HD-03", at=T0 + 20 * HOURS)
    length = log_length(desk)
    run(desk, grading(desk))
    assert log_length(desk) == length + 3
    for incident_id in (first, second, third):
        raised = last(desk, incident_id)
        assert raised.level is Level.ORANGE
        assert "广泛性" in raised.reason
        assert "at 3 outlets of sub-branch BJ-HD (BJ-HD-01, BJ-HD-02, BJ-HD-03) within 24h" in raised.reason
    replay_records_nothing(desk, grading(desk))


def test_related_emergencies_at_three_outlets_of_a_sub_branch_are_changed_to_orange(
    desk: IncidentDesk,
) -> None:
    ids = [emergency(desk, outlet=f"BJ-HD-0{n}", at=T0 + n * HOURS) for n in (1, 2, 3)]
    run(desk, grading(desk))
    for incident_id in ids:
        changed = last(desk, incident_id)
        assert isinstance(changed, Emergency.LevelChanged)
        assert changed.level is Level.ORANGE
        assert changed.previous is Level.BLUE
        assert "service_disruption emergencies at 3 outlets" in changed.reason


def test_outlets_of_different_sub_branches_or_a_day_apart_are_not_widespread(desk: IncidentDesk) -> None:
    ids = [
        emergency(desk, outlet="BJ-HD-01"),
        emergency(desk, outlet="BJ-HD-02", at=T0 + HOURS),
        emergency(desk, outlet="BJ-CY-01", at=T0 + 2 * HOURS),
        emergency(desk, outlet="BJ-HD-03", at=T0 + 25 * HOURS),
        emergency(desk, outlet="BJ-HD-04", at=T0 + 3 * HOURS, kind=EmergencyKind.GATHERING),
    ]
    run(desk, grading(desk))
    assert {level_of(desk, i) for i in ids} == {Level.BLUE}


def test_the_media_make_a_complaint_or_an_emergency_at_least_orange_at_once(desk: IncidentDesk) -> None:
    media_complaint = complaint(desk, channel=Channel.MEDIA)
    media_report = emergency(desk, kind=EmergencyKind.MEDIA_REPORT)
    already_red = emergency(desk, outlet="BJ-HD-02", kind=EmergencyKind.MEDIA_REPORT, level=Level.RED)
    run(desk, grading(desk))
    raised = last(desk, media_complaint)
    assert raised.level is Level.ORANGE
    assert "舆情" in raised.reason
    assert "media" in raised.reason
    assert last(desk, media_report).level is Level.ORANGE
    assert len(events_of(desk, already_red)) == 1  # never lowered
    replay_records_nothing(desk, grading(desk))


def test_a_level_is_never_lowered(desk: IncidentDesk) -> None:
    first, second = complaint(desk), complaint(desk, at=T0 + HOURS)
    desk.act(
        first,
        Complaint.escalate(reason="客户威胁找媒体", level=Level.ORANGE),
        actor=OFFICE,
        occurred_at=None,
    )
    third = complaint(desk, at=T0 + 2 * HOURS)
    run(desk, grading(desk))
    assert level_of(desk, first) is Level.ORANGE
    assert level_of(desk, second) is level_of(desk, third) is Level.YELLOW


def test_an_office_that_lowers_a_raised_level_is_not_overruled_by_the_next_related_report(
    desk: IncidentDesk,
) -> None:
    ids = [emergency(desk, outlet=f"BJ-HD-0{n}", at=T0 + n * HOURS) for n in (1, 2, 3)]
    runner = run(desk, grading(desk))
    desk.act(ids[0], Emergency.change_level(level=Level.BLUE, reason="误报"), actor=OFFICE, occurred_at=None)
    emergency(desk, outlet="BJ-HD-04", at=T0 + 4 * HOURS)
    settle(runner)
    assert level_of(desk, ids[0]) is Level.BLUE
    replay_records_nothing(desk, grading(desk))
    assert level_of(desk, ids[0]) is Level.BLUE


def test_an_office_that_lowers_a_complaint_is_not_overruled_for_the_same_evidence(desk: IncidentDesk) -> None:
    ids = [complaint(desk, at=T0 + n * HOURS) for n in range(3)]
    runner = run(desk, grading(desk))
    assert level_of(desk, ids[0]) is Level.YELLOW
    length = log_length(desk)
    lowered = Complaint.change_level(level=Level.BLUE, reason="经核实为三起无关个案")
    desk.act(ids[0], lowered, actor=OFFICE, occurred_at=None)
    settle(runner)
    assert log_length(desk) == length + 1, "the policy answered the lowering with a raise"
    fourth = complaint(desk, at=T0 + 4 * HOURS)  # more of the same: related at the outlet again
    settle(runner)
    assert level_of(desk, ids[0]) is Level.BLUE
    assert level_of(desk, fourth) is Level.YELLOW
    replay_records_nothing(desk, grading(desk))
    assert level_of(desk, ids[0]) is Level.BLUE


def test_a_lowered_complaint_is_raised_again_only_by_wider_evidence_and_only_once(desk: IncidentDesk) -> None:
    ids = [complaint(desk, at=T0 + n * HOURS) for n in range(3)]
    runner = run(desk, grading(desk))
    desk.act(ids[0], Complaint.change_level(level=Level.BLUE, reason="个案"), actor=OFFICE, occurred_at=None)
    complaint(desk, outlet="BJ-HD-02", at=T0 + 4 * HOURS)
    complaint(desk, outlet="BJ-HD-03", at=T0 + 5 * HOURS)  # now at 3 outlets of the sub-branch
    settle(runner)
    raised = last(desk, ids[0])
    assert isinstance(raised, Complaint.Escalated)
    assert (raised.level, "广泛性" in raised.reason) == (Level.ORANGE, True)
    desk.act(
        ids[0], Complaint.change_level(level=Level.BLUE, reason="仍为个案"), actor=OFFICE, occurred_at=None
    )
    complaint(desk, outlet="BJ-HD-04", at=T0 + 6 * HOURS)
    settle(runner)
    assert level_of(desk, ids[0]) is Level.BLUE


def test_drills_are_not_graded(desk: IncidentDesk) -> None:
    ids = [complaint(desk, at=T0 + n * HOURS, exercise=True) for n in range(3)]
    ids.append(complaint(desk, channel=Channel.MEDIA, exercise=True))
    ids.append(emergency(desk, kind=EmergencyKind.MEDIA_REPORT, exercise=True))
    length = log_length(desk)
    run(desk, grading(desk))
    assert log_length(desk) == length


def test_red_stays_the_offices_unless_a_threshold_allows_it(desk: IncidentDesk) -> None:
    outlets = ["BJ-HD-01", "BJ-HD-02", "BJ-CY-01", "BJ-CY-02"]
    ids = [emergency(desk, outlet=o, at=T0 + n * HOURS) for n, o in enumerate(outlets)]
    run(desk, grading(desk))
    assert {level_of(desk, i) for i in ids} == {Level.BLUE}  # 2 + 2 outlets: no sub-branch has 3
    run(desk, grading(desk, PolicySettings(risk=RiskThresholds(red_when_outlets_at_least=4))))
    assert {level_of(desk, i) for i in ids} == {Level.RED}
    reason = last(desk, ids[0]).reason
    assert "全面性" in reason
    assert "at 4 outlets of branch BJ" in reason


def test_the_thresholds_are_adjustable(desk: IncidentDesk) -> None:
    ids = [complaint(desk), complaint(desk, at=T0 + HOURS)]
    run(desk, grading(desk, PolicySettings(risk=RiskThresholds(related_complaints_for_yellow=2))))
    assert {level_of(desk, i) for i in ids} == {Level.YELLOW}


# -- customer surge ------------------------------------------------------------------------


def post(desk: IncidentDesk, waiting: int, longest: float, outlet: str = "BJ-HD-01") -> None:
    post_queue_reading(desk, outlet, waiting, longest, actor=LOBBY, occurred_at=None)


def surges(desk: IncidentDesk) -> list[UUID]:
    """Every customer-surge emergency in the log, in order."""
    reports = desk.recorder.select_notifications(
        start=1, limit=10_000, topics=[get_topic(Emergency.Reported)]
    )
    events = [desk.mapper.to_domain_event(n) for n in reports]
    return [e.originator_id for e in events if e.kind is EmergencyKind.CUSTOMER_SURGE]  # type: ignore[attr-defined]


def surge_policy(desk: IncidentDesk) -> CustomerSurgePolicy:
    return CustomerSurgePolicy(desk, PolicySettings())


def test_readings_under_the_threshold_open_nothing(desk: IncidentDesk) -> None:
    post(desk, 14, 30.0)  # 14 people
    post(desk, 40, 9.9)  # 9.9 minutes
    length = log_length(desk)
    run(desk, surge_policy(desk))
    assert log_length(desk) == length
    assert surges(desk) == []


def test_a_surge_episode_opens_one_emergency_until_it_is_stood_down(
    desk: IncidentDesk, clock: SteppingClock
) -> None:
    post(desk, 15, 10.0)  # 15 people, 10 minutes: 以上 includes both
    runner = run(desk, surge_policy(desk))
    [first] = surges(desk)
    reported = events_of(desk, first)[0]
    assert isinstance(reported, Emergency.Reported)
    assert reported.kind is EmergencyKind.CUSTOMER_SURGE
    assert reported.level is Level.BLUE
    assert "15" in reported.summary
    assert "10 min" in reported.summary
    assert reported.actor.id == "policy:customer-surge"
    state = queue_state(desk, "BJ-HD-01")
    assert state is not None
    assert state.surge_emergency_id == first

    clock.advance(minutes=5)
    post(desk, 30, 25.0)
    post(desk, 18, 12.0)
    settle(runner)
    assert surges(desk) == [first]  # the same episode: no second emergency
    state = queue_state(desk, "BJ-HD-01")
    assert state is not None
    assert [r.waiting for r in state.episode_readings] == [15, 30, 18]

    clock.advance(minutes=30)
    desk.act(
        first,
        Emergency.stand_down(summary="已分流 diverted", waiver_reason="客流已恢复 back to normal"),
        actor=OFFICE,
        occurred_at=None,
    )
    settle(runner)
    ended = desk.history(queue_id("BJ-HD-01"))[-1]
    assert isinstance(ended, OutletQueue.SurgeEnded)
    assert ended.emergency_id == first
    state = queue_state(desk, "BJ-HD-01")
    assert state is not None
    assert not state.surge_is_open
    assert state.episode_readings == []

    clock.advance(hours=2)
    post(desk, 16, 11.0)
    settle(runner)
    [_, second] = surges(desk)
    assert second != first
    replay_records_nothing(desk, surge_policy(desk))


def test_a_surge_the_branch_reported_by_hand_is_the_episodes_emergency(desk: IncidentDesk) -> None:
    by_hand = emergency(desk, kind=EmergencyKind.CUSTOMER_SURGE)
    drill = emergency(desk, kind=EmergencyKind.CUSTOMER_SURGE, exercise=True)
    post(desk, 20, 15.0)
    run(desk, surge_policy(desk))
    state = queue_state(desk, "BJ-HD-01")
    assert state is not None
    assert state.surge_emergency_id == by_hand
    assert surges(desk) == [by_hand, drill]  # nothing new reported


def test_surges_at_different_outlets_are_different_episodes(desk: IncidentDesk) -> None:
    post(desk, 20, 15.0, outlet="BJ-HD-01")
    post(desk, 20, 15.0, outlet="BJ-HD-02")
    run(desk, surge_policy(desk))
    assert len(surges(desk)) == 2


def test_a_reading_posted_twice_under_one_command_id_is_recorded_once(desk: IncidentDesk) -> None:
    first = post_queue_reading(desk, "BJ-HD-01", 5, 2.0, actor=LOBBY, occurred_at=T0, command_id="q-1")
    again = post_queue_reading(desk, "BJ-HD-01", 5, 2.0, actor=LOBBY, occurred_at=T0, command_id="q-1")
    assert again.replayed
    assert (again.version, again.position) == (first.version, first.position)
    assert first.version == 2  # opened with the first reading
    assert queue_state(desk, "BJ-HD-02") is None


def test_a_reading_that_is_not_a_count_or_a_duration_is_refused_and_records_nothing(
    desk: IncidentDesk,
) -> None:
    length = log_length(desk)
    with pytest.raises(InvalidInputError) as refused:
        post_queue_reading(desk, "BJ-HD-01", -3, 2.0, actor=LOBBY, occurred_at=None)
    assert refused.value.field == "waiting"
    with pytest.raises(InvalidInputError) as unknown:
        desk.act_on_queue(
            "BJ-HD-01", Command(OutletQueue, "open_counters", {}), actor=LOBBY, occurred_at=None
        )
    assert unknown.value.field == "command"
    assert log_length(desk) == length
    assert queue_state(desk, "BJ-HD-01") is None


def test_a_queue_loaded_from_its_snapshot_equals_one_replayed_from_every_event(
    desk: IncidentDesk, other_desk: IncidentDesk
) -> None:
    post(desk, 20, 12.0)
    run(desk, surge_policy(desk))
    for n in range(30):  # past the snapshot interval
        post(desk, 20 + n, 12.0 + n / 10)
    assert other_desk.snapshots is not None
    assert [s.originator_version for s in other_desk.snapshots.get(queue_id("BJ-HD-01"))] == [25]
    from_store = queue_state(other_desk, "BJ-HD-01")
    replayed = None
    for event in desk.history(queue_id("BJ-HD-01")):
        replayed = event.mutate(replayed)  # type: ignore[attr-defined]
    assert isinstance(from_store, OutletQueue)
    assert isinstance(replayed, OutletQueue)
    assert vars(from_store) == vars(replayed) | {"_pending_events": []}
    assert len(from_store.episode_readings) == 31
    assert from_store.episode_readings[-1].longest_wait_minutes == pytest.approx(14.9)


# -- all of them together, replayed, and racing --------------------------------------------


def busy_day(desk: IncidentDesk) -> None:
    for hour in range(3):
        complaint(desk, at=T0 + hour * HOURS)
    for n in (2, 3):
        complaint(desk, outlet=f"BJ-HD-0{n}", at=T0 + 4 * HOURS)
    complaint(desk, channel=Channel.MEDIA, outlet="BJ-CY-01")
    emergency(desk, kind=EmergencyKind.FIRE, outlet="BJ-CY-02")
    post(desk, 16, 12.0)


def test_every_policy_fed_the_same_log_again_records_nothing(
    desk: IncidentDesk, clock: SteppingClock, other_desk: IncidentDesk
) -> None:
    busy_day(desk)
    runner = run(desk, *standard_policies(desk, ORGANISATION))
    for hours in (1, 30, 24 * 13, 24 * 16):
        clock.now = T0 + hours * HOURS
        tick(runner)
    length = log_length(desk)
    assert length > 20
    replay_records_nothing(desk, *standard_policies(desk, ORGANISATION))
    # Another process, its cache empty, reading the same log: nothing either.
    replay_records_nothing(other_desk, *standard_policies(other_desk, ORGANISATION))
    assert log_length(desk) == length


def test_two_workers_racing_on_the_same_log_record_each_act_once(
    desk: IncidentDesk, clock: SteppingClock, other_desk: IncidentDesk
) -> None:
    busy_day(desk)
    clock.now = T0 + 24 * 16 * HOURS
    alone = [*standard_policies(desk, ORGANISATION)]
    runners = [
        PolicyRunner(desk, standard_policies(desk, ORGANISATION)),
        PolicyRunner(other_desk, standard_policies(other_desk, ORGANISATION)),
    ]

    failures: list[BaseException] = []

    def work(runner: PolicyRunner) -> None:
        try:
            settle(runner)
            tick(runner)
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [threading.Thread(target=work, args=(r,)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures
    for runner in runners:
        settle(runner)
    length = log_length(desk)
    replay_records_nothing(desk, *alone)
    assert log_length(desk) == length
    assert len(surges(desk)) == 1
    state = queue_state(desk, "BJ-HD-01")
    assert state is not None
    assert state.surges == 1


# -- the runner's thread -------------------------------------------------------------------


def test_the_runner_follows_the_log_live_and_ticks_until_stopped(
    desk: IncidentDesk, clock: SteppingClock
) -> None:
    idle = complaint(desk)
    clock.now = T0 + 25 * HOURS
    runner = PolicyRunner(desk, standard_policies(desk, ORGANISATION), tick_seconds=0.05)
    runner.start()
    try:
        media = complaint(desk, channel=Channel.MEDIA, outlet="BJ-CY-01", at=clock.now)
        assert runner.wait_for(log_length(desk), timeout=20)
        for _ in range(200):
            if level_of(desk, media) is Level.ORANGE and desk.get_incident(idle).idle_flagged_since == T0:
                break
            runner.wait_for(log_length(desk) + 1, timeout=0.1)  # the next event, or the next tick
        assert level_of(desk, media) is Level.ORANGE
        assert desk.get_incident(idle).idle_flagged_since == T0
        assert runner.ticks > 0
    finally:
        runner.stop()
    assert not runner.is_alive()
    assert not [t.name for t in threading.enumerate() if t.name.startswith("policy-")]
    assert runner.restarts == 0


def test_a_runner_that_was_never_started_stops_quietly_and_keeps_no_one_waiting(
    desk: IncidentDesk, caplog: pytest.LogCaptureFixture
) -> None:
    runner = PolicyRunner(desk, [])
    length = log_length(desk)
    with caplog.at_level(logging.INFO):
        runner.stop()
    assert runner.wait_for(length + 1, timeout=0), "a stopped runner must release whoever waits on it"
    assert not caplog.records
    assert not [t.name for t in threading.enumerate() if t.name.startswith("policy-")]
    assert log_length(desk) == length


def test_settings_refuse_thresholds_that_make_no_sense() -> None:
    with pytest.raises(ValueError, match="related_complaints_for_yellow"):
        RiskThresholds(related_complaints_for_yellow=1)
    with pytest.raises(ValueError, match="emergency_idle_after"):
        PolicySettings(emergency_idle_after=timedelta(0))
    with pytest.raises(ValueError, match="red_when_outlets_at_least"):
        RiskThresholds(red_when_outlets_at_least=1)
    defaults = PolicySettings()
    assert defaults.risk.red_when_outlets_at_least is None
    assert defaults.deadline_warning_lead == timedelta(days=3)
    assert (defaults.complaint_idle_after, defaults.emergency_idle_after) == (
        timedelta(hours=24),
        timedelta(minutes=30),
    )
