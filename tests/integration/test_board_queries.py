"""The boards' queries on both stores: open incidents in a scope, the wall's roll-up, statistics by unit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from application.incident_desk import IncidentDesk
from domain.outlet_queue import OutletQueue
from domain.values import Category, EmergencyKind, Level
from interfaces.boards.leader import LeaderLock
from interfaces.boards.runner import BoardRunner
from interfaces.boards.wiring import make_boards
from interfaces.organisation_file import DEMO_ORGANISATION_PATH, load_organisation
from projections.complaint_groups import grouped_complaint_stats
from projections.open_incidents import open_incidents, wall_units
from tests.integration.desk_fixtures import OFFICE, T0, SteppingClock, complaint_fields, emergency_fields

BOTH = frozenset({"complaint", "emergency"})
BANK = load_organisation(DEMO_ORGANISATION_PATH)
BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def later(clock: SteppingClock) -> None:
    """The desk's clock past every moment the tests report at (T0 and the minutes after)."""
    clock.advance(hours=3)


def projected(desk: IncidentDesk, engine: Engine, database_url: str) -> None:
    runner = BoardRunner(desk, engine, make_boards(desk), LeaderLock(engine, database_url))
    runner.catch_up(until=int(desk.recorder.max_notification_id() or 0))
    runner.stop()


def complaint(desk: IncidentDesk, outlet: str, minutes: int, **fields: Any) -> uuid.UUID:
    at = T0 + timedelta(minutes=minutes)
    found = desk.report_complaint(actor=OFFICE, occurred_at=at, **complaint_fields(outlet=outlet, **fields))
    return found.incident_id


def emergency(desk: IncidentDesk, outlet: str, minutes: int, **fields: Any) -> uuid.UUID:
    at = T0 + timedelta(minutes=minutes)
    found = desk.report_emergency(actor=OFFICE, occurred_at=at, **emergency_fields(outlet=outlet, **fields))
    return found.incident_id


def test_open_incidents_are_those_in_scope_worst_level_first_then_oldest_with_counts(
    desk: IncidentDesk, engine: Engine, database_url: str
) -> None:
    old_blue = complaint(desk, "BJ-HD-01", 0)
    fire = emergency(desk, "BJ-HD-02", 5, level=Level.ORANGE)
    new_blue = complaint(desk, "BJ-CY-01", 10)
    complaint(desk, "SH-PD-01", 1)  # outside the scope asked for
    projected(desk, engine, database_url)
    now = T0 + timedelta(hours=1)
    beijing = {u.code for u in BANK.outlets_under("BJ")}

    with engine.connect() as conn:
        board = open_incidents(conn, outlets=beijing, types=BOTH, now=now)
        complaints = open_incidents(conn, outlets=beijing, types={"complaint"}, now=now)
        orange = open_incidents(conn, outlets=beijing, types=BOTH, now=now, level="orange")

    assert [r["incident_id"] for r in board["incidents"]] == [str(fire), str(old_blue), str(new_blue)]
    assert board["counts"] == {"blue": 2, "yellow": 0, "orange": 1, "red": 0}
    assert board["incidents"][1]["age_seconds"] == 3600
    assert board["overdue"] == 0
    assert [r["type"] for r in complaints["incidents"]] == ["complaint", "complaint"]
    assert [r["incident_id"] for r in orange["incidents"]] == [str(fire)]
    assert all("queue" not in r for r in board["incidents"]), "only a surge shows its queue"


def test_a_surge_on_the_board_shows_its_outlets_queue_as_the_same_position_holds_it(
    desk: IncidentDesk, engine: Engine, database_url: str
) -> None:
    outlet = "GD-TH-01"
    reading = OutletQueue.post_reading(waiting=19, longest_wait_minutes=14.0)
    desk.act_on_queue(outlet, reading, actor=OFFICE, occurred_at=T0)
    surge = emergency(desk, outlet, 1, kind=EmergencyKind.CUSTOMER_SURGE, level=Level.YELLOW)
    opened = OutletQueue.open_surge(emergency_id=surge)
    desk.act_on_queue(outlet, opened, actor=OFFICE, occurred_at=T0 + timedelta(minutes=1))
    projected(desk, engine, database_url)

    with engine.connect() as conn:
        [row] = open_incidents(conn, outlets=[outlet], types=BOTH, now=T0)["incidents"]

    assert row["queue"]["surge_emergency_id"] == str(surge)
    assert row["queue"]["latest_reading"]["waiting"] == 19
    assert [r["waiting"] for r in row["queue"]["episode_readings"]] == [19]


def test_the_wall_rolls_each_open_incident_up_to_every_unit_above_it_and_lists_only_units_in_scope(
    desk: IncidentDesk, engine: Engine, database_url: str
) -> None:
    complaint(desk, "BJ-HD-01", 0)
    emergency(desk, "BJ-HD-02", 1, level=Level.RED)
    complaint(desk, "BJ-CY-01", 2)
    projected(desk, engine, database_url)

    with engine.connect() as conn:
        units = {u["code"]: u for u in wall_units(conn, BANK, outlets=["BJ-HD-01", "BJ-HD-02"], types=BOTH)}
        complaints_only = wall_units(conn, BANK, outlets=["BJ-HD-02"], types={"complaint"})

    assert list(units) == ["HQ", "BJ", "BJ-HD", "BJ-HD-01", "BJ-HD-02"]
    assert units["BJ-HD"]["open"] == 2
    assert units["BJ-HD"]["worst_level"] == "red"
    assert units["HQ"]["counts"] == {"blue": 1, "yellow": 0, "orange": 0, "red": 1}, "BJ-CY-01 is outside"
    assert units["BJ-HD-01"]["worst_level"] == "blue"
    assert [u["worst_level"] for u in complaints_only] == [None, None, None, None]


def test_a_drill_is_listed_and_counted_apart_never_as_a_real_incident(
    desk: IncidentDesk, engine: Engine, database_url: str
) -> None:
    drill = emergency(desk, "BJ-HD-01", 0, kind=EmergencyKind.ROBBERY, level=Level.RED, exercise=True)
    real = complaint(desk, "BJ-HD-01", 1)
    projected(desk, engine, database_url)

    with engine.connect() as conn:
        board = open_incidents(conn, outlets=["BJ-HD-01", "BJ-HD-02"], types=BOTH, now=T0)
        units = {u["code"]: u for u in wall_units(conn, BANK, outlets=["BJ-HD-01", "BJ-HD-02"], types=BOTH)}

    assert [(r["incident_id"], r["exercise"]) for r in board["incidents"]] == [
        (str(drill), True),
        (str(real), False),
    ]
    assert board["counts"] == {"blue": 1, "yellow": 0, "orange": 0, "red": 0}
    assert board["exercises"]["counts"] == {"blue": 0, "yellow": 0, "orange": 0, "red": 1}
    for code in ("HQ", "BJ-HD", "BJ-HD-01"):
        assert (units[code]["worst_level"], units[code]["open"]) == ("blue", 1), (
            "a red drill is no red outlet"
        )
        assert units[code]["exercises"] == {
            "worst_level": "red",
            "counts": {"blue": 0, "yellow": 0, "orange": 0, "red": 1},
            "open": 1,
        }
    assert units["BJ-HD-02"]["exercises"]["open"] == 0


@pytest.mark.parametrize(
    ("group_by", "groups"),
    [
        ("sub_branch", {"BJ-HD": 2, "BJ-CY": 1, "SH-PD": 1}),
        ("branch", {"BJ": 3, "SH": 1}),
        ("outlet", {"BJ-HD-01": 1, "BJ-HD-02": 1, "BJ-CY-01": 1, "SH-PD-01": 1}),
        ("category", {"service_quality": 3, "business_operation": 1}),
    ],
)
def test_complaint_statistics_group_by_the_unit_of_that_level_of_the_tree(
    desk: IncidentDesk, engine: Engine, database_url: str, group_by: str, groups: dict[str, int]
) -> None:
    for minutes, outlet in enumerate(["BJ-HD-01", "BJ-HD-02", "BJ-CY-01"]):
        complaint(desk, outlet, minutes)
    complaint(desk, "SH-PD-01", 9, category=Category.BUSINESS_OPERATION)
    projected(desk, engine, database_url)
    outlets = {u.code for u in BANK.outlets}

    with engine.connect() as conn:
        found = grouped_complaint_stats(
            conn, BANK, group_by=group_by, outlets=outlets, now=T0, calendar=BEIJING
        )

    assert {g.group: g.received for g in found} == groups


def test_statistics_by_day_count_the_bank_s_calendar_days_whatever_offset_a_client_sent(
    desk: IncidentDesk, engine: Engine, database_url: str
) -> None:
    # Three moments of one Beijing day (2 November), as three clients sent them.
    moments = [
        datetime(2026, 11, 1, 17, 0, tzinfo=UTC),  # 01:00 in Beijing
        datetime(2026, 11, 2, 17, 30, tzinfo=timezone(timedelta(hours=8))),
        datetime(2026, 11, 1, 21, 0, tzinfo=timezone(timedelta(hours=-5))),  # 10:00 in Beijing
    ]
    for at in moments:
        desk.report_complaint(actor=OFFICE, occurred_at=at, **complaint_fields(outlet="BJ-HD-01"))
    projected(desk, engine, database_url)

    with engine.connect() as conn:
        beijing = grouped_complaint_stats(
            conn, BANK, group_by="day", outlets=["BJ-HD-01"], now=T0, calendar=BEIJING
        )
        utc = grouped_complaint_stats(conn, BANK, group_by="day", outlets=["BJ-HD-01"], now=T0, calendar=UTC)

    assert {g.group: g.received for g in beijing} == {"2026-11-02": 3}
    assert {g.group: g.received for g in utc} == {"2026-11-01": 1, "2026-11-02": 2}, "the zone is a setting"
