"""Builders for the unit tests: fixed actors and times, reported incidents, refusal checks."""

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate

from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.errors import DomainError
from domain.values import (
    Actor,
    Audience,
    Category,
    Channel,
    ComplaintOutcome,
    CustomerContact,
    EmergencyKind,
    Level,
    Position,
    Role,
    Stamp,
)

E = TypeVar("E", bound=DomainError)
A = TypeVar("A", bound=Aggregate)

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)

BRANCH_HEAD = Actor(id="u-0101-head", role=Role.BRANCH, unit="0101", name="王主任")
LOBBY_MANAGER = Actor(id="u-0101-lobby", role=Role.BRANCH, unit="0101", name="李经理")
CALL_CENTRE = Actor(id="u-95566-07", role=Role.CALL_CENTRE, unit="95566")
OFFICE = Actor(id="u-office-01", role=Role.OFFICE, unit="sub-branch-01", name="赵处长")
# Staff whose tokens carry their post (网点负责人, 大堂经理, 保安) at the same outlet.
POSTED_BRANCH_HEAD = Actor(
    id="token:head0101",
    role=Role.BRANCH,
    unit="0101",
    name="王主任 网点负责人",
    position=Position.BRANCH_HEAD,
)
POSTED_LOBBY_MANAGER = Actor(
    id="token:lobby0101",
    role=Role.BRANCH,
    unit="0101",
    name="李经理 大堂经理",
    position=Position.LOBBY_MANAGER,
)
POSTED_GUARD = Actor(
    id="token:guard0101", role=Role.BRANCH, unit="0101", name="刘师傅 保安", position=Position.SECURITY_GUARD
)
CONTACT = CustomerContact(name="张三", phone="13800138000", email="zhangsan@example.com")


def stamp(
    at: datetime | timedelta = timedelta(0),
    *,
    actor: Actor = BRANCH_HEAD,
    recorded_after: timedelta = timedelta(0),
) -> Stamp:
    """A stamp `at` (an offset from T0, or a time), recorded `recorded_after` later."""
    occurred_at = T0 + at if isinstance(at, timedelta) else at
    return Stamp(actor=actor, occurred_at=occurred_at, recorded_at=occurred_at + recorded_after)


def minutes(n: float) -> timedelta:
    """An offset of `n` minutes."""
    return timedelta(minutes=n)


def reported_complaint(
    *, channel: Channel = Channel.WALK_IN, incident_id: UUID | None = None, **fields: Any
) -> Complaint:
    """A walk-in service complaint received at T0, unless told otherwise."""
    values: dict[str, Any] = {
        "outlet": "0101",
        "category": Category.SERVICE_QUALITY,
        "summary": "顾客称ATM取出假钞，在大厅大声投诉",
        "customer_reference": "6222-****-1234",
        "contact": CONTACT,
    }
    values.update(fields)
    return Complaint.report(
        incident_id=incident_id or uuid4(),
        stamp=values.pop("stamp", stamp()),
        channel=channel,
        **values,
    )


def founded_complaint(*, channel: Channel = Channel.WALK_IN) -> Complaint:
    """A complaint acknowledged and found founded."""
    complaint = reported_complaint(channel=channel)
    complaint.acknowledge(stamp(minutes(1)))
    complaint.check_facts(stamp(minutes(10)), founded=True, findings="ATM 日志显示出钞异常")
    return complaint


def carried_out_complaint() -> Complaint:
    """A founded complaint whose accepted solution was carried out."""
    complaint = founded_complaint()
    complaint.propose_solution(stamp(minutes(20)), solution="当场更换并书面致歉")
    complaint.record_customer_response(stamp(minutes(21)), accepted=True)
    complaint.carry_out_solution(stamp(minutes(25)), details="已更换")
    return complaint


def resolved_complaint() -> Complaint:
    """A founded complaint carried out, followed up and closed as resolved."""
    complaint = carried_out_complaint()
    complaint.follow_up(stamp(DAY), satisfied=True, comment="客户满意")
    complaint.close(stamp(DAY + minutes(5)), outcome=ComplaintOutcome.RESOLVED, summary="已解决")
    return complaint


def unfounded_complaint() -> Complaint:
    """A complaint found unfounded (not yet confirmed with the customer)."""
    complaint = reported_complaint()
    complaint.acknowledge(stamp(minutes(1)))
    complaint.check_facts(stamp(minutes(10)), founded=False, findings="监控显示钞票非本行出钞")
    return complaint


def reported_emergency(
    kind: EmergencyKind = EmergencyKind.FIRE, *, level: Level = Level.ORANGE, **fields: Any
) -> Emergency:
    """An emergency of `kind` reported at T0."""
    values: dict[str, Any] = {"outlet": "0101", "summary": "营业厅后区冒烟起火"}
    values.update(fields)
    return Emergency.report(
        incident_id=values.pop("incident_id", uuid4()),
        stamp=values.pop("stamp", stamp()),
        kind=kind,
        level=level,
        **values,
    )


def all_actions_done(emergency: Emergency) -> Emergency:
    """The emergency with every required action of its playbook done (notices by approved announcements)."""
    for action in emergency.open_actions:
        if not action.audiences:
            emergency.complete_playbook_action(stamp(minutes(5)), action=action.code)
        for audience in action.audiences:
            if action.code in emergency.done_action_codes:
                break
            announce(emergency, audience, "网点暂停营业，请到邻近网点办理", at=minutes(5))
    return emergency


def announce(emergency: Emergency, audience: Audience, text: str, *, at: timedelta = timedelta(0)) -> None:
    """The office approves `text` for `audience` and the branch announces it."""
    emergency.approve_announcement(stamp(at, actor=OFFICE), audience=audience, text=text)
    emergency.make_announcement(stamp(at), audience=audience, text=text)


def stood_down_emergency(kind: EmergencyKind = EmergencyKind.FIRE) -> Emergency:
    """An emergency with every action done, stood down."""
    emergency = all_actions_done(reported_emergency(kind))
    emergency.stand_down(stamp(minutes(60)), summary="火已扑灭，现场移交消防调查")
    return emergency


def closed_emergency() -> Emergency:
    """A stood-down emergency, closed."""
    emergency = stood_down_emergency()
    emergency.close(stamp(DAY), summary="处置完毕")
    return emergency


def state(aggregate: Aggregate) -> dict[str, Any]:
    """A deep copy of the aggregate's state, without its pending events."""
    return copy.deepcopy({k: v for k, v in vars(aggregate).items() if k != "_pending_events"})


def refused(aggregate: Aggregate, error: type[E], command: Callable[[], object]) -> E:
    """Run `command`, expect `error`, and check that nothing was recorded or changed."""
    before = state(aggregate)
    pending = len(aggregate.pending_events)
    with pytest.raises(error) as raised:
        command()
    assert len(aggregate.pending_events) == pending, "a refusal recorded an event"
    assert state(aggregate) == before, "a refusal changed the state"
    assert raised.value.incident_id == aggregate.id
    return raised.value


def replayed(aggregate: A) -> A:
    """The aggregate rebuilt from its collected events (the aggregate's pending list is emptied)."""
    rebuilt = None
    for event in aggregate.collect_events():
        rebuilt = event.mutate(rebuilt)
    assert rebuilt is not None
    return rebuilt
