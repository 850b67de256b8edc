"""A large log of real events, built fast: incidents made by the domain, many saved per transaction."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from eventsourcing.persistence import StoredEvent

from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.incident import Incident
from domain.values import Actor, Category, Channel, EmergencyKind, Level, Role, Stamp


@dataclass(frozen=True)
class BuiltLog:
    """The log's head position after the build, and how many events each outlet got."""

    head: int
    events_at: dict[str, int]


BUILDER = Actor(id="token:big-log", role=Role.OFFICE, unit="HQ", name="log builder")


def build_log(
    database_url: str,
    events: int,
    outlets: list[str],
    *,
    events_per_incident: int = 25,
    note_chars: int = 20,
    incidents_per_commit: int = 40,
) -> BuiltLog:
    """Appends about `events` events (reports, a level change, notes) spread over `outlets` in turn.

    Every event goes through the aggregates' own commands and the real store, as a command's would;
    only the saving is batched (one transaction per `incidents_per_commit` incidents). Notes are
    `note_chars` random Chinese characters: they do not compress, as real notes barely do.
    """
    rng = random.Random(events)
    desk = IncidentDesk(store_env(database_url))
    try:
        made, events_at = 0, dict.fromkeys(outlets, 0)
        while made < events:
            batch = []
            for _ in range(incidents_per_commit):
                outlet = outlets[made // events_per_incident % len(outlets)]
                incident = _incident(outlet, made)
                for _ in range(events_per_incident - 2):
                    incident.add_note(_stamp(), text=_text(rng, note_chars))
                batch.append(incident)
                made += events_per_incident
                events_at[outlet] += events_per_incident
                if made >= events:
                    break
            desk.save(*batch)
        return BuiltLog(int(desk.recorder.max_notification_id() or 0), events_at)
    finally:
        desk.close()


def copy_log(
    database_url: str,
    events: int,
    outlets: list[str],
    *,
    events_per_incident: int = 25,
    per_commit: int = 2_000,
) -> BuiltLog:
    """Appends about `events` events fast: one real incident per outlet and kind, stored again and again.

    The templates are made by the aggregates' own commands and encoded by the desk's own mapper; each
    copy is the same stored events under a new incident id, appended `per_commit` to a transaction
    through the real recorder (its triggers and positions; far larger batches stall psycopg's pipeline
    on PostgreSQL). About 20 times `build_log`'s rate, for logs
    of a million events; every copy decodes as the incident it copies (its notes the same text).
    """
    rng = random.Random(events)
    desk = IncidentDesk(store_env(database_url))
    try:
        templates: list[tuple[str, list[StoredEvent]]] = []
        for outlet in outlets:
            for n in range(2):
                incident = _incident(outlet, n)
                for _ in range(events_per_incident - 2):
                    incident.add_note(_stamp(), text=_text(rng, 20))
                templates.append(
                    (outlet, [desk.mapper.to_stored_event(e) for e in incident.collect_events()])
                )
        made, events_at = 0, dict.fromkeys(outlets, 0)
        batch: list[StoredEvent] = []
        while made < events:
            outlet, stored = templates[made // events_per_incident % len(templates)]
            incident_id = uuid.uuid4()
            batch.extend(StoredEvent(incident_id, e.originator_version, e.topic, e.state) for e in stored)
            made += len(stored)
            events_at[outlet] += len(stored)
            if len(batch) >= per_commit or made >= events:
                desk.recorder.insert_events(batch)
                batch = []
        return BuiltLog(int(desk.recorder.max_notification_id() or 0), events_at)
    finally:
        desk.close()


def _text(rng: random.Random, chars: int) -> str:
    return "".join(chr(c) for c in rng.choices(range(0x4E00, 0x9FA5), k=chars))


def _stamp() -> Stamp:
    now = datetime.now(UTC)
    return Stamp(actor=BUILDER, occurred_at=now, recorded_at=now)


def _incident(outlet: str, n: int) -> Incident:
    if n % 2:
        emergency = Emergency.report(
            incident_id=uuid.uuid4(),
            stamp=_stamp(),
            outlet=outlet,
            kind=EmergencyKind.FIRE,
            level=Level.YELLOW,
            summary="配电箱冒烟",
        )
        emergency.change_level(_stamp(), level=Level.ORANGE, reason="蔓延")
        return emergency
    complaint = Complaint.report(
        incident_id=uuid.uuid4(),
        stamp=_stamp(),
        outlet=outlet,
        channel=Channel.WALK_IN,
        category=Category.SERVICE_QUALITY,
        summary="排队太久",
    )
    complaint.add_note(_stamp(), text="已致电客户")
    return complaint
