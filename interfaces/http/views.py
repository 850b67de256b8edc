"""How an incident and its history look on the wire: plain JSON, bilingual labels, personal data kept back."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from domain.incident import Incident
from domain.incident_type import IncidentType
from domain.labelled import Bilingual
from domain.organisation import Organisation
from domain.plain import event_data, plain

# An IncidentType value, inline in the schema as it always was (not a shared component).
TYPE_SCHEMA: dict[str, Any] = {"enum": [kind.value for kind in IncidentType]}


class Label(BaseModel):
    """A code with its Chinese and English labels."""

    code: str
    zh: str
    en: str


class UnitOut(BaseModel):
    """One unit of the bank's tree."""

    code: str
    kind: str
    name_zh: str
    name_en: str


class IncidentOut(BaseModel):
    """An incident as it stands: where it is, what happened last, what should happen next."""

    incident_id: UUID
    type: str = Field(json_schema_extra=TYPE_SCHEMA)
    version: int
    outlet: str
    outlet_path: list[UnitOut] = Field(description="Head office first, the outlet last.")
    status: Label
    level: Label
    summary: str
    exercise: bool = Field(description="A drill (演练): shown as such everywhere.")
    kind: Label | None = Field(description="The emergency's kind, or the complaint's category.")
    opened_at: datetime
    last_event_at: datetime
    current_step: Label | None
    next_expected_step: Label
    open_actions: list[Label]
    done_actions: list[Label]
    due_at: datetime | None = Field(description="Complaints: the decision deadline; null while paused.")
    overdue: bool
    details: dict[str, Any] = Field(description="Every other field of the incident's state.")


class CommandOut(BaseModel):
    """What a report or command recorded."""

    incident_id: UUID
    version: int = Field(description="The incident's version after the command (also the ETag).")
    position: int = Field(description="The log position of the command's last event.")
    replayed: bool = Field(description="True when this command id was already recorded: nothing new was.")


class EventOut(BaseModel):
    """One stored event of an incident."""

    version: int
    event: str
    occurred_at: datetime
    recorded_at: datetime
    actor: dict[str, Any]
    data: dict[str, Any]


class HistoryOut(BaseModel):
    """Every event of one incident, oldest first."""

    incident_id: UUID
    type: str = Field(json_schema_extra=TYPE_SCHEMA)
    events: list[EventOut]


def _label(member: Bilingual) -> Label:
    return Label(code=member.code, zh=member.zh, en=member.en)


def incident_view(
    incident: Incident, organisation: Organisation, now: datetime, *, reveal_personal: bool
) -> IncidentOut:
    """The incident for a screen: curated fields first, the full state in `details`."""
    state = {k: v for k, v in vars(incident).items() if not k.startswith("_")}
    path = organisation.path(incident.outlet) if incident.outlet in organisation else []
    current_step = incident.current_step
    return IncidentOut(
        incident_id=incident.id,
        type=incident.TYPE.value,
        version=incident.version,
        outlet=incident.outlet,
        outlet_path=[
            UnitOut(code=u.code, kind=u.kind.value, name_zh=u.name_zh, name_en=u.name_en) for u in path
        ],
        status=_label(incident.status),
        level=_label(incident.level),
        summary=incident.summary,
        exercise=incident.exercise,
        kind=_label(incident.kind_label),
        opened_at=incident.opened_at,
        last_event_at=incident.last_event_at,
        current_step=_label(current_step) if current_step else None,
        next_expected_step=_label(incident.next_expected_step),
        open_actions=[_label(a) for a in incident.open_actions],
        done_actions=[_label(a) for a in incident.done_actions],
        due_at=incident.due_at,
        overdue=incident.is_overdue(now),
        details=plain(state, reveal_personal=reveal_personal),
    )


def history_view(
    incident_id: UUID, kind: IncidentType, events: list[Any], *, reveal_personal: bool
) -> HistoryOut:
    """Every stored event, each with who did it, when it happened and when it was recorded."""
    return HistoryOut(
        incident_id=incident_id,
        type=kind.value,
        events=[
            EventOut(
                version=e.originator_version,
                event=type(e).__name__,
                occurred_at=e.occurred_at,
                recorded_at=e.timestamp,
                actor=plain(e.actor, reveal_personal=True),
                data=event_data(e, reveal_personal=reveal_personal),
            )
            for e in events
        ],
    )
