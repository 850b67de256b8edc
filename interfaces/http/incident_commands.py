"""What the caller may do on an incident now: the commands, their fields and labels, for forms and the CLI."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from application.access.policy import check_read
from application.commands_now import commands_open_to
from domain.actors import Stamp
from interfaces.http.auth import CurrentPrincipal
from interfaces.http.command_forms import FormField, Words2, command_label, form_fields
from interfaces.http.command_models import COMMAND_MODELS
from interfaces.http.incidents import ERRORS
from interfaces.http.services import services
from interfaces.services import Services

router = APIRouter(prefix="/api/v1", tags=["incidents"])
App = Annotated[Services, Depends(services)]


class CommandOffer(BaseModel):
    """One command the caller may send now."""

    name: str
    label: Words2
    summary: str
    next_step: bool
    confirm: bool
    path: str
    body: dict[str, Any]
    fields: list[FormField]


class CommandsOut(BaseModel):
    incident_id: UUID
    type: str
    version: int
    commands: list[CommandOffer]


@router.get("/incidents/{incident_id}/commands", response_model=CommandsOut, responses=ERRORS)
def commands_now(incident_id: UUID, principal: CurrentPrincipal, app: App, response: Response) -> CommandsOut:
    """The commands this token may take on the incident now, the next expected step first.

    From the same declarations and rules the commands run: the caller's role and scope, and the
    incident's state (a closed incident offers what a closed one accepts). Each comes with the JSON
    schema of its body, its `fields` as a form shows them (the kind of input, words in both
    languages, the choices: a playbook action is one still open) and `confirm` (an office decision:
    ask before sending). Send it with
    `If-Match` set to the ETag given here, so that a change by someone else in between is a conflict.
    """
    incident = app.desk.get_incident(incident_id)
    check_read(principal, incident.TYPE, incident.outlet, app.organisation)
    now = app.clock()
    stamp = Stamp(actor=principal.actor, occurred_at=now, recorded_at=now)
    models = COMMAND_MODELS[incident.TYPE]
    offers = [
        CommandOffer(
            name=found.name,
            label=command_label(found.name),
            summary=(found.declared.__doc__ or found.name).strip().splitlines()[0],
            next_step=found.is_next_step,
            confirm=found.declared.office_decision or bool(found.declared.office_decision_with),
            path=f"/api/v1/{incident.TYPE.plural}/{incident_id}/{found.name}",
            body=models[found.name].model_json_schema(),
            fields=form_fields(models[found.name], incident),
        )
        for found in commands_open_to(principal, incident, app.organisation, stamp)
        if found.name in models
    ]
    response.headers["ETag"] = f'"{incident.version}"'
    return CommandsOut(
        incident_id=incident_id, type=incident.TYPE.value, version=incident.version, commands=offers
    )
