"""The boards on both stores: live projection, rebuild equality, one projector, read-your-write waits."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select

from application.incident_desk import IncidentDesk
from domain.commands import Command
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.errors import DomainError
from domain.values import Audience, Authority, ComplaintOutcome, EmergencyKind, Level
from interfaces.boards.leader import LeaderLock
from interfaces.boards.rebuild import ProjectorRunningError, rebuild_boards
from interfaces.boards.runner import BoardRunner
from interfaces.boards.wiring import make_boards, make_runner
from projections.complaint_facts import complaint_facts
from projections.office_board import office_board
from projections.timeline import timeline
from tests.integration.desk_fixtures import OFFICE, T0, complaint_fields, emergency_fields

OUTLETS = ["BJ-HD-01", "BJ-HD-02", "SH-PD-01", "GD-TH-03"]
COMPLAINT_MOVES: list[Command[Complaint]] = [
    Complaint.acknowledge(),
    Complaint.apologise(note="道歉"),
    Complaint.check_facts(founded=True, findings="属实"),
    Complaint.check_facts(founded=False, findings="不属实"),
    Complaint.propose_solution(solution="退还手续费"),
    Complaint.record_customer_response(accepted=True),
    Complaint.carry_out_solution(),
    Complaint.follow_up(satisfied=True),
    Complaint.follow_up(satisfied=False),
    Complaint.escalate(reason="客户威胁曝光", level=Level.ORANGE),
    Complaint.change_level(level=Level.BLUE, reason="经核实为个案"),
    Complaint.pause_clock(reason="外部鉴定"),
    Complaint.resume_clock(),
    Complaint.close(outcome=ComplaintOutcome.RESOLVED, summary="已解决"),
    Complaint.close(outcome=ComplaintOutcome.UNFOUNDED, summary="不属实"),
    Complaint.reopen(reason="客户再次投诉"),
    Complaint.add_note(text="跟进中"),
    Complaint.hand_over(to="应急办", reason="移交上级", to_office=True),
]
EMERGENCY_MOVES: list[Command[Emergency]] = [
    Emergency.change_level(level=Level.RED, reason="蔓延"),
    Emergency.change_level(level=Level.YELLOW, reason="已控制"),
    Emergency.notify_authority(authority=Authority.FIRE_119),
    Emergency.notify_authority(authority=Authority.SUPERIOR_OFFICE),
    Emergency.isolate_customer(),
    Emergency.raise_level(level=Level.RED, reason="蔓延到营业厅"),
    Emergency.approve_announcement(audience=Audience.CUSTOMERS, text="暂停营业"),
    Emergency.make_announcement(audience=Audience.CUSTOMERS, text="暂停营业"),
    Emergency.stand_down(summary="结束", waiver_reason="其余交由分行"),
    Emergency.close(summary="办结"),
    Emergency.add_note(text="现场记录"),
    Emergency.take_charge(),
    Emergency.hand_over(to="应急办", reason="升级", to_office=True),
]


def random_history(desk: IncidentDesk, commands: int, seed: int) -> int:
    """A random mix of reports and commands (refused ones are simply refused); returns events stored."""
    rng = random.Random(seed)
    complaints: list[uuid.UUID] = []
    emergencies: list[uuid.UUID] = []
    stored = 0
    for _ in range(commands):
        at = desk.clock.advance(minutes=1)  # type: ignore[attr-defined]
        roll = rng.random()
        if roll < 0.08 or not complaints:
            fields = complaint_fields(outlet=rng.choice(OUTLETS), exercise=rng.random() < 0.1)
            complaints.append(desk.report_complaint(actor=OFFICE, occurred_at=at, **fields).incident_id)
        elif roll < 0.12 or not emergencies:
            kind = rng.choice(list(EmergencyKind))
            fields = emergency_fields(outlet=rng.choice(OUTLETS), kind=kind, level=rng.choice(list(Level)))
            emergencies.append(desk.report_emergency(actor=OFFICE, occurred_at=at, **fields).incident_id)
        else:
            is_complaint = roll < 0.7
            incident_id = rng.choice(complaints if is_complaint else emergencies)
            command = rng.choice(COMPLAINT_MOVES if is_complaint else EMERGENCY_MOVES)
            try:
                desk.act(incident_id, command, actor=OFFICE, occurred_at=at)
            except DomainError:
                continue
        stored += 1
    return stored


def board_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as conn:
        return {
            table.name: [
                dict(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()
            ]
            for table in (office_board, timeline, complaint_facts)
        }


@pytest.fixture
def runners(desk: IncidentDesk, engine: Engine, database_url: str) -> Iterator[list[BoardRunner]]:
    """Board runners for a test, always stopped before the desk closes."""
    del desk, engine, database_url  # requested only so that they are torn down after the runners
    started: list[BoardRunner] = []
    yield started
    for runner in started:
        runner.stop()


def started(runners: list[BoardRunner], desk: IncidentDesk, engine: Engine, database_url: str) -> BoardRunner:
    runner = make_runner(desk, engine, database_url)
    runners.append(runner)
    runner.start()
    return runner


def test_a_rebuilt_board_equals_the_live_one_after_thousands_of_random_commands(
    desk: IncidentDesk, engine: Engine, database_url: str, runners: list[BoardRunner]
) -> None:
    runner = started(runners, desk, engine, database_url)
    stored = random_history(desk, commands=3000, seed=7)
    head = desk.recorder.max_notification_id() or 0
    assert stored > 1500  # thousands of commands, of which the rules refuse some
    assert runner.wait_for(head, timeout=60)
    live = board_rows(engine)
    runner.stop()

    report = rebuild_boards(desk, engine, database_url, batch_size=300)
    assert report.events == len(live["timeline"]) == stored
    rebuilt = board_rows(engine)
    assert rebuilt == live
    assert live["office_board"], "some incidents must still be open"
    assert any(row["closed_at"] for row in live["complaint_facts"])


def test_only_one_projector_works_however_many_are_started(
    desk: IncidentDesk, engine: Engine, database_url: str, runners: list[BoardRunner]
) -> None:
    first = started(runners, desk, engine, database_url)
    second = started(runners, desk, engine, database_url)
    before = random_history(desk, commands=200, seed=3)
    head = desk.recorder.max_notification_id() or 0
    assert first.wait_for(head, timeout=30) or second.wait_for(head, timeout=1)
    with pytest.raises(ProjectorRunningError):
        rebuild_boards(desk, engine, database_url)
    first.stop()  # the standby takes over
    more = random_history(desk, commands=50, seed=4)
    head = desk.recorder.max_notification_id() or 0
    assert second.wait_for(head, timeout=30)
    second.stop()
    timeline_positions = [row["position"] for row in board_rows(engine)["timeline"]]
    assert len(timeline_positions) == len(set(timeline_positions))
    assert len(timeline_positions) == before + more  # every stored event exactly once


def test_waiting_for_a_position_returns_as_soon_as_the_board_has_it(
    desk: IncidentDesk, engine: Engine, database_url: str, runners: list[BoardRunner]
) -> None:
    runner = started(runners, desk, engine, database_url)
    result = desk.report_emergency(actor=OFFICE, occurred_at=T0, **emergency_fields())
    assert runner.wait_for(result.position, timeout=10)
    with engine.connect() as conn:
        ids = [r.incident_id for r in conn.execute(select(office_board.c.incident_id))]
    assert str(result.incident_id) in ids
    assert not runner.wait_for(result.position + 1000, timeout=0.2)


def test_a_batch_processed_twice_is_refused_by_the_tracking_position(
    desk: IncidentDesk, engine: Engine, database_url: str
) -> None:
    desk.report_complaint(actor=OFFICE, occurred_at=T0, **complaint_fields())
    boards = make_boards(desk)
    runner = BoardRunner(desk, engine, boards, LeaderLock(engine, database_url))
    assert runner.catch_up(until=1) == 1
    before = board_rows(engine)
    # Feeding the same event again must change nothing: each board skips what it already has.
    assert runner.catch_up(until=1) == 0
    assert board_rows(engine) == before
