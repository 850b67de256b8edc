"""The bank's thresholds at `/api/v1/settings/thresholds`: read by the office, the auditor and the admin;
changed by the admin alone, with a reason; every change in the history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, Strict, create_model
from starlette.concurrency import run_in_threadpool

from application.access.principal import Principal
from application.errors import AccessDeniedError
from application.thresholds import READERS, ThresholdsDesk
from domain.thresholds import THRESHOLDS, Thresholds, ThresholdValues
from interfaces.http.auth import CurrentPrincipal
from interfaces.http.command_models import Text
from interfaces.http.services import services
from interfaces.services import Services

router = APIRouter(
    prefix="/api/v1/settings",
    tags=["settings"],
    responses={
        401: {"description": "Missing, unknown or revoked token"},
        403: {"description": "Not a reader (office, auditor, admin); a change not by an admin"},
        409: {"description": "The change changes nothing"},
        413: {"description": "Body too large"},
        422: {"description": "Invalid input; `field` names the threshold"},
    },
)
App = Annotated[Services, Depends(services)]


class ThresholdOut(BaseModel):
    """One threshold in force, with its unit, bounds and meaning in both languages."""

    key: str
    value: int | None = Field(description="null: off (only where `optional`)")
    unit: str
    minimum: int
    maximum: int
    optional: bool
    zh: str
    en: str


class ActorOut(BaseModel):
    name: str
    role: str
    unit: str


class ThresholdsOut(BaseModel):
    """The thresholds in force, and when and by whom they were last set."""

    thresholds: list[ThresholdOut]
    version: int = Field(description="The thresholds' version: 0 before they were first recorded.")
    changed_at: datetime | None
    changed_by: ActorOut | None


class ThresholdsEventOut(BaseModel):
    """One entry of the history: the starting values (`loaded`) or a change (old → new, why)."""

    version: int
    event: str = Field(description="loaded | changed")
    at: datetime
    by: ActorOut
    before: dict[str, int | None]
    after: dict[str, int | None]
    reason: str


def _change_fields() -> dict[str, Any]:
    # Bounds come from the domain's table: declared once, shown in /openapi.json, checked again there.
    made: dict[str, Any] = {
        "reason": (Text, Field(min_length=1, description="Why (recorded with the change)."))
    }
    for threshold in THRESHOLDS:
        kind = int | None if threshold.optional else int
        made[threshold.key] = (
            Annotated[kind, Strict(), Field(ge=threshold.minimum, le=threshold.maximum)],
            Field(None, description=f"{threshold.en} ({threshold.unit}). {threshold.zh}"),
        )
    return made


ThresholdsChangeIn: type[BaseModel] = create_model(
    "ThresholdsChangeIn",
    __config__=ConfigDict(extra="forbid"),
    __doc__="The thresholds to change (the keys left out keep their value), and why.",
    **_change_fields(),
)


def _reader(principal: Principal) -> None:
    if principal.role not in READERS:
        raise AccessDeniedError(
            f"token {principal.name!r} ({principal.role.value}) may not read the thresholds"
        )


def _actor(actor: Any) -> ActorOut:
    return ActorOut(name=actor.display_name, role=actor.role.value, unit=actor.unit)


def thresholds_view(current: Thresholds | None) -> ThresholdsOut:
    values = (current.values if current is not None else ThresholdValues()).as_dict()
    return ThresholdsOut(
        thresholds=[
            ThresholdOut(
                key=t.key,
                value=values[t.key],
                unit=t.unit,
                minimum=t.minimum,
                maximum=t.maximum,
                optional=t.optional,
                zh=t.zh,
                en=t.en,
            )
            for t in THRESHOLDS
        ],
        version=current.version if current is not None else 0,
        changed_at=current.changed_at if current is not None else None,
        changed_by=_actor(current.changed_by) if current is not None else None,
    )


def _history_entry(event: Any) -> ThresholdsEventOut:
    if isinstance(event, Thresholds.Loaded):
        kind, before, after, reason = "loaded", {}, event.values, f"starting values: {event.source}"
    else:
        kind, before, after, reason = "changed", event.before, event.after, event.reason
    return ThresholdsEventOut(
        version=event.originator_version,
        event=kind,
        at=event.occurred_at,
        by=_actor(event.actor),
        before=before,
        after=after,
        reason=reason,
    )


@router.get("/thresholds", response_model=ThresholdsOut)
async def read_thresholds(principal: CurrentPrincipal, app: App) -> ThresholdsOut:
    """The thresholds in force: value, unit, bounds and meaning (中文 and English) of each."""
    _reader(principal)
    return thresholds_view(await run_in_threadpool(ThresholdsDesk(app.desk).current))


@router.get("/thresholds/history", response_model=list[ThresholdsEventOut])
async def thresholds_history(principal: CurrentPrincipal, app: App) -> list[ThresholdsEventOut]:
    """Every setting of the thresholds, oldest first: who, when, old → new, why."""
    _reader(principal)
    events = await run_in_threadpool(ThresholdsDesk(app.desk).history)
    return [_history_entry(event) for event in events]


@router.put("/thresholds", response_model=ThresholdsOut)
async def change_thresholds(
    body: ThresholdsChangeIn,  # type: ignore[valid-type]
    principal: CurrentPrincipal,
    app: App,
) -> ThresholdsOut:
    """Change thresholds (admin only), with a reason; the policies follow from the next event on."""
    sent: BaseModel = body
    values = sent.model_dump()
    given = {key: values[key] for key in sent.model_fields_set if key != "reason"}
    desk = ThresholdsDesk(app.desk)

    def change() -> Thresholds | None:
        desk.change(given, reason=values["reason"], actor=principal.actor)
        return desk.current()

    return thresholds_view(await run_in_threadpool(change))
