"""How an incident and its history look on the wire: plain JSON, bilingual labels, personal data kept back."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from domain.actors import Actor
from domain.incident import Incident
from domain.incident_type import IncidentType
from domain.labelled import Bilingual
from domain.organisation import Organisation
from domain.plain import event_data, plain
from domain.playbooks import PlaybookAction
from interfaces.http.history_audit import LATE_SECONDS, CorrectionOut, CorrectsOut, HistoryAudit

# An IncidentType value, inline in the schema as it always was (not a shared component).
TYPE_SCHEMA: dict[str, Any] = {"enum": [kind.value for kind in IncidentType]}


class Label(BaseModel):
    """A code with its Chinese and English labels."""

    code: str
    zh: str
    en: str


class StepOut(Label):
    """A step, with the command that takes it (the name a person sends: one vocabulary)."""

    command: str | None = None


class ActionOut(Label):
    """A playbook action, with the branch post the seed gives it to (null: whoever is there)."""

    by_position: Label | None = None


class PersonOut(BaseModel):
    """Who answers for an incident: the complaint's owner, the emergency's person in charge."""

    name: str
    role: Label
    unit: str
    position: Label | None


class HandoverOut(BaseModel):
    """A handover offered and waiting for its receiver to take it up (首问责任制)."""

    by: PersonOut
    to: str = Field(description="The receiver as the giver named them (free text).")
    to_position: Label | None
    to_office: bool
    reason: str
    receiver: str = Field(description="Whom it waits for, as the board shows it.")


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
    current_step: StepOut | None
    next_expected_step: StepOut
    open_actions: list[ActionOut]
    done_actions: list[ActionOut]
    due_at: datetime | None = Field(description="Complaints: the decision deadline; null while paused.")
    overdue: bool
    details: dict[str, Any] = Field(description="Every other field of the incident's state.")
    owner: PersonOut | None = Field(
        default=None,
        description="Who answers for it now: the complaint's owner, the emergency's person in charge.",
    )
    handover: HandoverOut | None = Field(default=None, description="A handover not yet taken up.")
    branch_head_took_charge: bool | None = Field(
        default=None,
        description="Emergencies: whether the branch head has taken charge (null for complaints).",
    )


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
    recorded_after_seconds: float = Field(description="recorded_at − occurred_at (negative: clock ahead).")
    late: bool = Field(description=f"Recorded more than {LATE_SECONDS:.0f} s after it happened (补录).")
    corrections: list[CorrectionOut] = Field(description="Later events correcting this one, oldest first.")
    corrects: CorrectsOut | None = Field(description="For a correction: the event it corrects.")


class HistoryOut(BaseModel):
    """Every event of one incident, oldest first."""

    incident_id: UUID
    type: str = Field(json_schema_extra=TYPE_SCHEMA)
    events: list[EventOut]


def _label(member: Bilingual) -> Label:
    return Label(code=member.code, zh=member.zh, en=member.en)


def _step(member: Bilingual) -> StepOut:
    command = getattr(member, "command", None)
    return StepOut(code=member.code, zh=member.zh, en=member.en, command=command)


def _action(action: PlaybookAction) -> ActionOut:
    post = action.by_position
    return ActionOut(code=action.code, zh=action.zh, en=action.en, by_position=_label(post) if post else None)


def _person(actor: Actor) -> PersonOut:
    post = actor.position
    return PersonOut(
        name=actor.display_name,
        role=_label(actor.role),
        unit=actor.unit,
        position=_label(post) if post else None,
    )


def _handover(incident: Incident) -> HandoverOut | None:
    handover = incident.pending_handover
    if handover is None:
        return None
    post = handover.to_position
    return HandoverOut(
        by=_person(handover.by),
        to=handover.to,
        to_position=_label(post) if post else None,
        to_office=handover.to_office,
        reason=handover.reason,
        receiver=handover.receiver,
    )


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
        current_step=_step(current_step) if current_step else None,
        next_expected_step=_step(incident.next_expected_step),
        open_actions=[_action(a) for a in incident.open_actions],
        done_actions=[_action(a) for a in incident.done_actions],
        due_at=incident.due_at,
        overdue=incident.is_overdue(now),
        details=plain(state, reveal_personal=reveal_personal),
        owner=_person(incident.responsible) if incident.responsible else None,
        handover=_handover(incident),
        branch_head_took_charge=incident.branch_head_took_charge,
    )


def history_view(
    incident_id: UUID,
    kind: IncidentType,
    events: list[Any],
    *,
    reveal_personal: bool,
    shown: range | None = None,
) -> HistoryOut:
    """The stored events (those `shown`, by version), each with who did it, when, and its corrections."""
    audit = HistoryAudit(events)
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
                **audit.fields(e),
            )
            for e in events
            if shown is None or e.originator_version in shown
        ],
    )
