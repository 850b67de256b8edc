"""Builders shared by the desk's integration tests: actors, a fixed clock, reported incidents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from application.incident_desk import IncidentDesk
from application.personal_data import KeyRing
from application.store.database_url import store_env
from domain.values import Actor, Category, Channel, EmergencyKind, Level, Position, Role

TELLER = Actor(id="teller-7", role=Role.BRANCH, unit="OUT-0101", name="王丽")
OFFICE = Actor(id="office-1", role=Role.OFFICE, unit="HQ", name="应急办")
BRANCH_HEAD = Actor(
    id="head-1", role=Role.BRANCH, unit="OUT-0101", name="王主任", position=Position.BRANCH_HEAD
)
T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
# The suite's personal-data keys: every desk of the integration tests seals as the product does.
PERSONAL_KEYS = KeyRing.generate("test-k1")


class SteppingClock:
    """The server's clock in tests: starts at a fixed time and moves only when told."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def complaint_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "outlet": "OUT-0101",
        "channel": Channel.WALK_IN,
        "category": Category.SERVICE_QUALITY,
        "summary": "ATM 吐出假币 — customer says the ATM gave out a counterfeit note",
    }
    return {**fields, **overrides}


def emergency_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "outlet": "OUT-0101",
        "kind": EmergencyKind.FIRE,
        "level": Level.ORANGE,
        "summary": "机房冒烟 smoke from the server room",
    }
    return {**fields, **overrides}


def fresh_desk(database_url: str) -> IncidentDesk:
    """Another desk on the same store: no cache shared, everything read back from the database."""
    return IncidentDesk(
        {**store_env(database_url), "AGGREGATE_CACHE_MAXSIZE": "", "CREATE_TABLE": "n"},
        personal_keys=PERSONAL_KEYS,
    )


def report_complaint(desk: IncidentDesk, **overrides: Any) -> UUID:
    return desk.report_complaint(actor=TELLER, occurred_at=T0, **complaint_fields(**overrides)).incident_id


def report_emergency(desk: IncidentDesk, **overrides: Any) -> UUID:
    return desk.report_emergency(actor=TELLER, occurred_at=T0, **emergency_fields(**overrides)).incident_id


def log_length(desk: IncidentDesk) -> int:
    return int(desk.recorder.max_notification_id() or 0)
