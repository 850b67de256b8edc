"""Queue readings from the outlets (网点客流): posting one, and reading where a queue stands."""

from __future__ import annotations

from datetime import datetime

from application.errors import IncidentNotFoundError
from application.incident_desk import CommandResult, IncidentDesk
from domain.outlet_queue import OutletQueue, queue_id
from domain.values import Actor


def post_queue_reading(
    desk: IncidentDesk,
    outlet: str,
    waiting: int,
    longest_wait_minutes: float,
    *,
    actor: Actor,
    occurred_at: datetime | None,
    command_id: str | None = None,
) -> CommandResult:
    """Record how many customers wait at `outlet` and the longest wait; the surge policy watches these."""
    return desk.act_on_queue(
        outlet,
        OutletQueue.post_reading(waiting=waiting, longest_wait_minutes=longest_wait_minutes),
        actor=actor,
        occurred_at=occurred_at,
        command_id=command_id,
    )


def queue_state(desk: IncidentDesk, outlet: str) -> OutletQueue | None:
    """A copy of `outlet`'s queue as it stands, or None before its first reading."""
    try:
        # Read under the same lock as commands, like an incident.
        found: object = desk.get_aggregate(queue_id(outlet))
    except IncidentNotFoundError:
        return None
    return found if isinstance(found, OutletQueue) else None
