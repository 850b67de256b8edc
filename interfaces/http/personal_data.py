"""An auditor's full read of an incident's personal data: only with a reason, and recorded on the incident."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from application.access.policy import CommandAccess, check_may_send
from application.access.principal import Principal
from domain.complaint import Complaint
from domain.incident import Incident
from domain.personal import MIN_REVEAL_REASON, PERSONAL_FIELDS, holds_personal_data
from domain.plain import plain
from domain.texts import MAX_TEXT_LENGTH
from interfaces.http.auth import CurrentPrincipal
from interfaces.http.incidents import ERRORS, App, IdempotencyKey, etag
from interfaces.services import Services

router = APIRouter(prefix="/api/v1", tags=["incidents"])


class RevealIn(BaseModel):
    """Why the personal data must be read in full: kept on the incident's record with who and when."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=MIN_REVEAL_REASON,
        max_length=MAX_TEXT_LENGTH,
        examples=[
            "投诉复核：核对客户联系方式是否与回访记录一致 (complaint review: check the contact used for the follow-up)"
        ],
    )


class PersonalValueOut(BaseModel):
    """One personal value as an event recorded it."""

    version: int
    event: str
    field: str
    value: Any


class RevealedOut(BaseModel):
    """The personal data in full, and the position of the recorded read that shows it was read."""

    incident_id: UUID
    version: int = Field(description="The incident's version after the read was recorded.")
    position: int
    replayed: bool
    current: dict[str, Any] = Field(description="The incident's personal fields as they stand.")
    recorded: list[PersonalValueOut] = Field(description="Every personal value each event recorded.")


def _may_reveal(principal: CurrentPrincipal) -> None:
    # Before the body: a desk that may never record this read hears 403 first (as on every command).
    check_may_send(principal, Complaint, "reveal_personal_data")


@router.post(
    "/incidents/{incident_id}/personal-data/reveal",
    response_model=RevealedOut,
    responses=ERRORS,
    dependencies=[Depends(_may_reveal)],
    summary="Read the personal data in full, with a reason (个人信息查阅, recorded)",
)
async def reveal_personal_data(
    incident_id: UUID,
    body: Annotated[RevealIn, Body()],
    principal: CurrentPrincipal,
    app: App,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> RevealedOut:
    """Record `PersonalDataRevealed` (who, when, why) on the incident, then answer its personal data.

    For the auditor, who sees personal data masked everywhere else: the desks that answer the
    customer see it already. The read is recorded before anything is shown, so no read goes unrecorded.
    """
    return await run_in_threadpool(
        _reveal, incident_id, body.reason, principal, app, idempotency_key, response
    )


def _reveal(
    incident_id: UUID,
    reason: str,
    principal: Principal,
    app: Services,
    command_id: str | None,
    response: Response,
) -> RevealedOut:
    result = app.desk.act(
        incident_id,
        Incident.reveal_personal_data(reason=reason),
        actor=principal.actor,
        occurred_at=None,
        command_id=command_id,
        authorise=CommandAccess(principal, app.organisation),
    )
    incident = app.desk.get_incident(incident_id)
    events = app.desk.history(incident_id)
    response.headers["ETag"] = etag(result.version)
    return RevealedOut(
        incident_id=incident_id,
        version=result.version,
        position=result.position,
        replayed=result.replayed,
        current={
            name: plain(getattr(incident, name), reveal_personal=True)
            for name in sorted(PERSONAL_FIELDS)
            if hasattr(incident, name)
        },
        recorded=[
            PersonalValueOut(
                version=event.originator_version,
                event=type(event).__name__,
                field=name,
                value=plain(value, reveal_personal=True),
            )
            for event in events
            for name, value in vars(event).items()
            if name in PERSONAL_FIELDS and holds_personal_data(value)
        ],
    )
