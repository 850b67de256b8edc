"""The office board and the timeline show who answers for an incident, a handover, and the posts (both stores)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Engine, select

from application.incident_desk import IncidentDesk
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.values import Actor, EmergencyKind, Position, Role
from interfaces.boards.runner import BoardRunner
from interfaces.boards.wiring import make_runner
from projections.office_board import office_board
from projections.timeline import timeline
from tests.integration.desk_fixtures import (
    BRANCH_HEAD,
    OFFICE,
    T0,
    complaint_fields,
    emergency_fields,
    fresh_desk,
)

LOBBY_MANAGER = Actor(
    id="lobby-1", role=Role.BRANCH, unit="OUT-0101", name="李经理", position=Position.LOBBY_MANAGER
)


@pytest.fixture
def runner(desk: IncidentDesk, engine: Engine, database_url: str) -> Iterator[BoardRunner]:
    runner = make_runner(desk, engine, database_url)
    runner.start()
    yield runner
    runner.stop()


def act(desk: IncidentDesk, incident_id: UUID, command: Any, actor: Actor) -> int:
    at = desk.clock.advance(minutes=1)  # type: ignore[attr-defined]
    return desk.act(incident_id, command, actor=actor, occurred_at=at).position


def board_row(engine: Engine, runner: BoardRunner, incident_id: UUID, position: int) -> dict[str, Any]:
    assert runner.wait_for(position, timeout=10)
    with engine.connect() as conn:
        row = conn.execute(
            select(office_board).where(office_board.c.incident_id == str(incident_id))
        ).mappings()
        return dict(row.one())


def timeline_rows(engine: Engine, incident_id: UUID) -> list[dict[str, Any]]:
    query = select(timeline).where(timeline.c.incident_id == str(incident_id)).order_by(timeline.c.position)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def test_the_board_shows_the_owner_a_pending_handover_and_the_new_owner(
    desk: IncidentDesk, engine: Engine, runner: BoardRunner
) -> None:
    complaint_id = desk.report_complaint(
        actor=LOBBY_MANAGER, occurred_at=T0, **complaint_fields()
    ).incident_id
    act(desk, complaint_id, Complaint.acknowledge(), LOBBY_MANAGER)
    handed = act(
        desk,
        complaint_id,
        Complaint.hand_over(to="王主任", reason="移地由网点负责人解释", to_position=Position.BRANCH_HEAD),
        LOBBY_MANAGER,
    )
    row = board_row(engine, runner, complaint_id, handed)
    assert (row["owner"], row["owner_position"]) == ("李经理", "lobby_manager")
    assert row["handover_to"] == "王主任 (网点负责人)"
    assert row["branch_head_took_charge"] is None  # a complaint has no person in charge

    taken = act(desk, complaint_id, Complaint.acknowledge(), BRANCH_HEAD)
    row = board_row(engine, runner, complaint_id, taken)
    assert (row["owner"], row["owner_position"], row["handover_to"]) == ("王主任", "branch_head", None)

    events = timeline_rows(engine, complaint_id)
    assert [e["event"] for e in events] == ["Reported", "Acknowledged", "HandedOver", "HandoverAccepted"]
    handover = events[2]
    assert (handover["actor_name"], handover["actor_position"]) == ("李经理", "lobby_manager")
    assert handover["data"]["from_person"]["name"] == "李经理"
    assert (handover["data"]["to"], handover["data"]["to_position"]) == ("王主任", "branch_head")
    assert handover["data"]["reason"] == "移地由网点负责人解释"
    accepted = events[3]
    assert (accepted["actor_name"], accepted["actor_position"]) == ("王主任", "branch_head")
    assert accepted["data"]["from_owner"]["name"] == "李经理"


def test_the_board_shows_whether_the_branch_head_took_charge_of_an_emergency(
    desk: IncidentDesk, engine: Engine, runner: BoardRunner
) -> None:
    fields = emergency_fields(kind=EmergencyKind.BANK_RUN)
    emergency_id = desk.report_emergency(actor=LOBBY_MANAGER, occurred_at=T0, **fields).incident_id
    stood_in = act(desk, emergency_id, Emergency.take_charge(), LOBBY_MANAGER)
    row = board_row(engine, runner, emergency_id, stood_in)
    assert (row["owner"], row["owner_position"], row["branch_head_took_charge"]) == (
        "李经理",
        "lobby_manager",
        False,
    )

    act(desk, emergency_id, Emergency.take_charge(), BRANCH_HEAD)
    handed = act(
        desk, emergency_id, Emergency.hand_over(to="应急办", reason="挤兑扩大", to_office=True), BRANCH_HEAD
    )
    row = board_row(engine, runner, emergency_id, handed)
    assert (row["owner"], row["branch_head_took_charge"]) == ("王主任", True)
    assert row["handover_to"] == "应急处理办公室 应急办"

    taken = act(desk, emergency_id, Emergency.take_charge(), OFFICE)
    row = board_row(engine, runner, emergency_id, taken)
    assert (row["owner"], row["owner_position"], row["handover_to"]) == ("应急办", None, None)
    assert row["branch_head_took_charge"] is True
    events = [e["event"] for e in timeline_rows(engine, emergency_id)]
    assert events == ["Reported", "ChargeTaken", "ChargeTaken", "HandedOver", "ChargeTaken"]


def test_a_pending_handover_reloads_from_a_snapshot(desk: IncidentDesk, database_url: str) -> None:
    complaint_id = desk.report_complaint(
        actor=LOBBY_MANAGER, occurred_at=T0, **complaint_fields()
    ).incident_id
    act(desk, complaint_id, Complaint.acknowledge(), LOBBY_MANAGER)
    act(
        desk, complaint_id, Complaint.hand_over(to="应急办", reason="媒体关注", to_office=True), LOBBY_MANAGER
    )
    desk.take_snapshot(complaint_id)
    reader = fresh_desk(database_url)
    try:
        reloaded = reader.get_incident(complaint_id)
        assert reloaded.pending_handover == desk.get_incident(complaint_id).pending_handover
        assert reloaded.pending_handover is not None
        assert reloaded.pending_handover.by == LOBBY_MANAGER
        reader.act(complaint_id, Complaint.acknowledge(), actor=OFFICE, occurred_at=desk.clock())
        assert reader.get_incident(complaint_id).responsible == OFFICE
    finally:
        reader.close()
