"""A rebuild in big batches stores, byte for byte, what the boards stored live, one event at a time."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from typing import Any

from eventsourcing.domain import Aggregate
from sqlalchemy import Engine, Table, delete, inspect

from application.incident_desk import IncidentDesk
from application.outlet_queues import queue_state
from domain.commands import Command
from domain.complaint import Complaint
from domain.contact import CustomerContact
from domain.emergency import Emergency
from domain.errors import DomainError
from domain.outlet_queue import OutletQueue
from domain.values import (
    Actor,
    Audience,
    Authority,
    Category,
    Channel,
    ComplaintOutcome,
    EmergencyKind,
    Level,
    Role,
    WithdrawalConfirmation,
)
from interfaces.boards.leader import LeaderLock
from interfaces.boards.rebuild import rebuild_boards
from interfaces.boards.runner import BoardRunner
from interfaces.boards.wiring import make_boards
from projections.complaint_facts import complaint_facts
from projections.tracking import board_tracking
from tests.integration.desk_fixtures import OFFICE, SteppingClock

OUTLETS = ["BJ-HD-01", "BJ-HD-02", "SH-PD-01", "GD-TH-03"]
Fields = Callable[[Any], dict[str, Any]]  # the fields of a command, from the incident's current state
# A second person of the office, to take up what OFFICE handed over (nobody takes up their own handover).
DEPUTY_ACTS = "__deputy__"  # in a move's fields: the deputy gives it, not OFFICE
DEPUTY = Actor(id="office-2", role=Role.OFFICE, unit="HQ", name="应急办 副主任")
TAKEN_UP = (
    "__taken_up_by_deputy__"  # in a handover's fields: the deputy takes it up at once, with this command
)


def _unsettled(incident: Any) -> str:
    """A notification due and not yet settled (IndexError when there is none: the move is passed over)."""
    for delivery_id in incident.notifications_due:
        if delivery_id not in incident.notifications_settled:
            return str(delivery_id)
    raise IndexError("no notification is due and unsettled")


def _fixed(**fields: Any) -> Fields:
    return lambda _incident: fields


COMPLAINT_MOVES: list[tuple[str, Fields]] = [
    ("acknowledge", _fixed()),
    ("apologise", _fixed(note="道歉 \u202f sorry")),
    ("check_facts", _fixed(founded=True, findings="属实")),
    ("check_facts", _fixed(founded=False, findings='不属实 "quoted"\n second line')),
    ("propose_solution", lambda c: {"solution": "退还手续费", "promised_by": c.last_event_at}),
    ("record_customer_response", _fixed(accepted=True, comment="可以")),
    ("record_customer_response", _fixed(accepted=False)),
    ("carry_out_solution", _fixed(details="已退还")),
    ("follow_up", _fixed(satisfied=True)),
    ("follow_up", _fixed(satisfied=False, comment="不满意")),
    ("escalate", _fixed(reason="客户威胁曝光", level=Level.ORANGE)),
    ("escalate", _fixed(reason="督办")),
    ("approve_second_extension", _fixed(reason="特别复杂")),
    ("extend_deadline", _fixed(reason="情况复杂", complainant_informed=True)),
    ("change_level", _fixed(level=Level.BLUE, reason="经核实为个案")),
    ("change_level", _fixed(level=Level.YELLOW, reason="舆情关注")),
    ("pause_clock", _fixed(reason="外部鉴定")),
    ("resume_clock", _fixed(note="鉴定完成")),
    ("receive_new_facts", _fixed(facts="新证据 🧾")),
    ("attempt_retention", _fixed(real_reason="利率", offer="优惠", retained=True)),
    (
        "attempt_retention",
        _fixed(real_reason="利率", offer="优惠", retained=False, second_contact=CustomerContact(phone="138")),
    ),
    ("record_withdrawal", _fixed(confirmed_by=WithdrawalConfirmation.IN_PERSON, note="当面撤回")),
    ("close", _fixed(outcome=ComplaintOutcome.WITHDRAWN, summary="客户撤回")),
    ("warn_deadline", lambda c: {"due_at": c.due_at or c.received_at}),  # paused: refused
    ("correct_entry", _fixed(corrects_version=1, reason="笔误", correction="改正")),
    ("isolate_customer", _fixed(place="贵宾室")),
    ("flag_idle", lambda c: {"idle_since": c.last_event_at}),
    ("close", _fixed(outcome=ComplaintOutcome.RESOLVED, summary="已解决")),
    ("close", _fixed(outcome=ComplaintOutcome.UNFOUNDED, summary="不属实")),
    ("reopen", _fixed(reason="客户再次投诉")),
    ("add_note", _fixed(text="跟进中 tab\there")),
    ("hand_over", _fixed(to="应急办 副主任", reason="移交上级", to_office=True)),
    ("hand_over", _fixed(to="应急办 副主任", reason="移交上级", to_office=True, **{TAKEN_UP: "acknowledge"})),
    ("acknowledge", lambda _c: {DEPUTY_ACTS: True}),
    (
        "record_notification_due",
        lambda i: {"delivery_id": f"{i.version}:r:c", "channel": "c", "rule": "r", "message": "m"},
    ),
    (
        "record_notification_delivered",
        lambda i: {"delivery_id": _unsettled(i), "channel": "c", "attempt": 1, "answer": "ok"},
    ),
    (
        "record_notification_failed",
        lambda i: {
            "delivery_id": _unsettled(i),
            "channel": "c",
            "attempt": 1,
            "error": "503",
            "retry_at": i.last_event_at,
        },
    ),
    (
        "record_notification_given_up",
        lambda i: {"delivery_id": _unsettled(i), "channel": "c", "attempts": 5, "error": "timeout"},
    ),
    ("reveal_personal_data", _fixed(reason="审计复核 audit review")),
]
# A complaint's handling, last step first: the first one the rules allow is its next step.
HANDLING: list[tuple[str, Fields]] = [
    ("reopen", _fixed(reason="客户再次投诉")),
    ("close", _fixed(outcome=ComplaintOutcome.RESOLVED, summary="已解决")),
    ("follow_up", _fixed(satisfied=True)),
    ("carry_out_solution", _fixed(details="已退还")),
    ("record_customer_response", _fixed(accepted=True)),
    ("propose_solution", _fixed(solution="退还手续费")),
    ("check_facts", _fixed(founded=True, findings="属实")),
    ("acknowledge", _fixed()),
]
EMERGENCY_MOVES: list[tuple[str, Fields]] = [
    ("change_level", _fixed(level=Level.RED, reason="蔓延")),
    ("change_level", _fixed(level=Level.YELLOW, reason="已控制")),
    ("notify_authority", _fixed(authority=Authority.FIRE_119, reference="119-1")),
    ("notify_authority", _fixed(authority=Authority.SUPERIOR_OFFICE)),
    ("complete_playbook_action", lambda e: {"action": e.open_actions[0].code, "note": "完成"}),
    ("isolate_customer", _fixed()),
    ("propose_solution", _fixed(solution="疏散")),
    ("raise_level", _fixed(level=Level.RED, reason="蔓延到营业厅")),
    ("approve_announcement", _fixed(audience=Audience.CUSTOMERS, text="暂停营业")),
    ("make_announcement", _fixed(audience=Audience.CUSTOMERS, text="暂停营业")),
    ("follow_up", _fixed(note="回访", satisfied=True)),
    ("apologise", _fixed(note="致歉")),
    ("correct_entry", lambda e: {"corrects_version": e.version, "reason": "补充", "correction": "更正"}),
    ("flag_idle", lambda e: {"idle_since": e.last_event_at}),
    ("stand_down", _fixed(summary="结束", waiver_reason="其余交由分行")),
    ("close", _fixed(summary="办结")),
    ("reopen", _fixed(reason="复燃")),
    ("add_note", _fixed(text="现场记录")),
    ("take_charge", _fixed()),
    ("hand_over", _fixed(to="应急办 副主任", reason="升级", to_office=True)),
    ("hand_over", _fixed(to="应急办 副主任", reason="升级", to_office=True, **{TAKEN_UP: "take_charge"})),
    ("take_charge", lambda _e: {DEPUTY_ACTS: True}),
    (
        "record_notification_due",
        lambda i: {"delivery_id": f"{i.version}:r:c", "channel": "c", "rule": "r", "message": "m"},
    ),
    (
        "record_notification_delivered",
        lambda i: {"delivery_id": _unsettled(i), "channel": "c", "attempt": 1, "answer": "ok"},
    ),
    (
        "record_notification_failed",
        lambda i: {
            "delivery_id": _unsettled(i),
            "channel": "c",
            "attempt": 1,
            "error": "503",
            "retry_at": i.last_event_at,
        },
    ),
    (
        "record_notification_given_up",
        lambda i: {"delivery_id": _unsettled(i), "channel": "c", "attempts": 5, "error": "timeout"},
    ),
    ("reveal_personal_data", _fixed(reason="审计复核 audit review")),
]


def every_incident_event_type() -> set[str]:
    names = set()
    for kind in (Complaint, Emergency):
        for name, value in vars(kind).items():
            if (
                isinstance(value, type)
                and issubclass(value, Aggregate.Event)
                and name not in ("Event", "Created")
            ):
                names.add(f"{kind.__name__}.{name}")
    return names


def generated_log(desk: IncidentDesk, clock: SteppingClock, commands: int, seed: int) -> set[str]:
    """Reports, every command of both kinds and queue readings at random; returns the event types stored."""
    rng = random.Random(seed)
    surges = random.Random(seed + 1)  # its own draws: the incidents' history stays what the seed made it
    incidents: dict[bool, list[uuid.UUID]] = {True: [], False: []}
    for n in range(commands):
        at = clock.advance(minutes=rng.choice([1, 7, 60, 600]))
        roll = rng.random()
        try:
            if roll < 0.08 or not incidents[True]:
                contact = CustomerContact(name="张三", phone="13800000000") if rng.random() < 0.5 else None
                result = desk.report_complaint(
                    actor=OFFICE,
                    occurred_at=at,
                    outlet=rng.choice(OUTLETS),
                    channel=rng.choice(list(Channel)),
                    category=rng.choice(list(Category)),
                    summary=f"投诉 {n} — “引号” & <b>",
                    contact=contact,
                    exercise=rng.random() < 0.1,
                )
                incidents[True].append(result.incident_id)
            elif roll < 0.12 or not incidents[False]:
                result = desk.report_emergency(
                    actor=OFFICE,
                    occurred_at=at,
                    outlet=rng.choice(OUTLETS),
                    kind=rng.choice(list(EmergencyKind)),
                    level=rng.choice(list(Level)),
                    summary=f"突发 {n}",
                    exercise=rng.random() < 0.1,
                )
                incidents[False].append(result.incident_id)
            elif roll < 0.14:
                fields = {"waiting": rng.randint(0, 30), "longest_wait_minutes": rng.choice([2.5, 12.0])}
                outlet = rng.choice(OUTLETS)
                desk.act_on_queue(outlet, OutletQueue.post_reading(**fields), actor=OFFICE, occurred_at=at)
                surge_move(desk, outlet, at, surges)
                continue  # not an incident's event: only the queues' board takes it
            else:
                is_complaint = roll < 0.65
                moves = COMPLAINT_MOVES if is_complaint else EMERGENCY_MOVES
                # Half the time the complaint's next step of its handling (the first one allowed).
                tried = HANDLING if is_complaint and rng.random() < 0.5 else [rng.choice(moves)]
                act(desk, rng.choice(incidents[is_complaint][-12:]), tried, at)
        except DomainError:
            continue  # a rule refused it
    topics = {n.topic for n in desk.recorder.select_notifications(start=0, limit=1_000_000)}
    return {topic.split(":")[1] for topic in topics}


def surge_move(desk: IncidentDesk, outlet: str, at: Any, rng: random.Random) -> None:
    """Now and then open the queue's surge episode, or end the one that is open (as the surge policy does)."""
    if rng.random() < 0.6:
        return
    queue = queue_state(desk, outlet)
    if queue is not None and queue.surge_emergency_id is not None:
        command = OutletQueue.end_surge(emergency_id=queue.surge_emergency_id)
    else:
        command = OutletQueue.open_surge(emergency_id=uuid.UUID(int=rng.getrandbits(128), version=4))
    desk.act_on_queue(outlet, command, actor=OFFICE, occurred_at=at)


def act(desk: IncidentDesk, incident_id: uuid.UUID, moves: list[tuple[str, Fields]], at: Any) -> None:
    for command, fields in moves:
        try:
            incident = desk.get_incident(incident_id)
            given = dict(fields(incident))
            actor = DEPUTY if given.pop(DEPUTY_ACTS, False) else OFFICE
            taken_up = given.pop(TAKEN_UP, None)
            desk.act(incident_id, Command(type(incident), command, given), actor=actor, occurred_at=at)
            if taken_up is not None:
                desk.act(incident_id, Command(type(incident), taken_up, {}), actor=DEPUTY, occurred_at=at)
        except (DomainError, IndexError):  # IndexError: no playbook action left open
            continue
        return


def stored_bytes(engine: Engine, tables: list[Table]) -> dict[str, list[Any]]:
    """Every row of the tables as the database holds it: on PostgreSQL each row's text, on SQLite its values."""
    found: dict[str, list[Any]] = {}
    with engine.connect() as conn:
        for table in tables:
            order = ", ".join(f'"{column.name}"' for column in table.primary_key.columns)
            if conn.dialect.name == "postgresql":
                query = f'SELECT r::text FROM "{table.name}" AS r ORDER BY {order}'
            else:
                query = f'SELECT * FROM "{table.name}" ORDER BY {order}'
            found[table.name] = [tuple(row) for row in conn.exec_driver_sql(query)]
    return found


def live_indexes(engine: Engine, tables: list[Table]) -> dict[str, list[Any]]:
    found = inspect(engine)
    return {t.name: sorted(str(i) for i in found.get_indexes(t.name)) for t in tables}


def boards_tables(desk: IncidentDesk) -> list[Table]:
    return [table for board in make_boards(desk) for table in board.metadata.sorted_tables] + [board_tracking]


def project(desk: IncidentDesk, engine: Engine, database_url: str, until: int, batch_size: int) -> None:
    runner = BoardRunner(desk, engine, make_boards(desk), LeaderLock(engine, database_url))
    runner.catch_up(until=until, batch_size=batch_size)
    runner.stop()


def test_a_rebuild_stores_exactly_what_the_boards_stored_event_by_event_for_every_event_type(
    desk: IncidentDesk, clock: SteppingClock, engine: Engine, database_url: str
) -> None:
    # Rounds of random commands until every event type is stored (a new command shifts the draw).
    stored: set[str] = set()
    for seed in range(11, 21):
        stored |= generated_log(desk, clock, commands=500, seed=seed)
        if stored >= every_incident_event_type() | {"OutletQueue.SurgeOpened", "OutletQueue.SurgeEnded"}:
            break
    missing = every_incident_event_type() - stored
    missing |= {"OutletQueue.SurgeOpened", "OutletQueue.SurgeEnded"} - stored
    assert not missing, f"the generated log lacks {sorted(missing)}"
    head = int(desk.recorder.max_notification_id() or 0)
    project(desk, engine, database_url, until=head, batch_size=1)  # as live: one event per transaction
    tables = boards_tables(desk)
    live = stored_bytes(engine, tables)
    assert len(live["timeline"]) > 1000
    assert live["office_board"], "some incidents must still be open"
    assert len(live["incident_catalogue"]) > len(live["office_board"]), "closed incidents stay listed"
    assert live["complaint_facts"]
    assert live["outlet_queues"]

    indexes = live_indexes(engine, tables)
    assert indexes["timeline"], "the timeline is read by incident"

    report = rebuild_boards(desk, engine, database_url, batch_size=2000)

    assert report.events == head
    assert stored_bytes(engine, tables) == live
    assert live_indexes(engine, tables) == indexes, "the shadow's tables lack indexes, the live ones not"


def test_a_board_far_behind_the_others_catches_up_to_what_a_rebuild_stores(
    desk: IncidentDesk, clock: SteppingClock, engine: Engine, database_url: str
) -> None:
    # The boards share one pass over each batch: here the statistics board starts again from 0 while
    # the others are half-way, so it gets runs of events the others have already seen.
    generated_log(desk, clock, commands=600, seed=12)
    head = int(desk.recorder.max_notification_id() or 0)
    project(desk, engine, database_url, until=head // 2, batch_size=50)
    with engine.begin() as conn:
        conn.execute(delete(complaint_facts))
        conn.execute(delete(board_tracking).where(board_tracking.c.board == "complaint_facts"))
    project(desk, engine, database_url, until=head, batch_size=64)
    tables = boards_tables(desk)
    caught_up = stored_bytes(engine, tables)

    rebuild_boards(desk, engine, database_url)

    assert stored_bytes(engine, tables) == caught_up
