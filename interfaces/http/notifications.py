"""The bank's notification settings at `/api/v1/settings/notifications`: read-only, without any secret.

Rules and channels come from the notifications file (interfaces/notify/settings_file.py), changed by
whoever keeps the deployment's settings and taken up at the next start, which records what changed
(`/history`). Readers are the thresholds'.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from application.access.principal import Principal
from application.errors import AccessDeniedError
from application.notification_rules import NotificationRulesDesk
from application.thresholds import READERS
from domain.notification_rules import NotificationRules
from interfaces.http.auth import CurrentPrincipal
from interfaces.http.services import services
from interfaces.services import Services

router = APIRouter(
    prefix="/api/v1/settings",
    tags=["settings"],
    responses={
        401: {"description": "Missing, unknown or revoked token"},
        403: {"description": "Not a reader (office, auditor, admin)"},
    },
)
App = Annotated[Services, Depends(services)]


class ChannelOut(BaseModel):
    """One channel: its type and where it sends (scheme, host and port only: a robot's key is in its URL)."""

    name: str
    type: str = Field(description="webhook | wecom | dingtalk | email")
    target: str
    secrets: dict[str, str] = Field(description='Where each secret was read from: "env NAME" or "file".')
    details: dict[str, Any] = Field(description="The rest of what the channel shows (never a secret).")


class RuleOut(BaseModel):
    """One rule: which triggers, from which level, in which subtrees, to which channels, how often."""

    name: str
    triggers: list[str]
    min_level: str
    units: list[str] = Field(description="Subtrees of the organisation; empty: the whole bank.")
    channels: list[str]
    window_minutes: float


class NotificationsOut(BaseModel):
    """The notification settings in force (the file they were read from), and the delivery worker's state."""

    file: str | None = Field(description="null: no INCIDENT_NOTIFICATIONS_FILE, nobody is notified.")
    board_url: str
    max_age_hours: float
    channels: list[ChannelOut]
    rules: list[RuleOut]
    delivery: dict[str, Any] | None = Field(
        description="This process's delivery worker (null: it runs in `incident project`)."
    )


class NotificationsEventOut(BaseModel):
    """One recording of the settings: as first read (`loaded`: `added` holds every line) or changed."""

    version: int
    event: str = Field(description="loaded | changed")
    at: datetime
    source: str = Field(description="The file read.")
    removed: list[str]
    added: list[str]


def _reader(principal: Principal) -> None:
    if principal.role not in READERS:
        raise AccessDeniedError(
            f"token {principal.name!r} ({principal.role.value}) may not read the notification settings"
        )


@router.get("/notifications/history", response_model=list[NotificationsEventOut])
async def notifications_history(principal: CurrentPrincipal, app: App) -> list[NotificationsEventOut]:
    """Every start that read new notification settings, oldest first: the lines removed and added."""
    _reader(principal)
    events = await run_in_threadpool(NotificationRulesDesk(app.desk).history)
    return [_history_entry(event) for event in events]


def _history_entry(event: Any) -> NotificationsEventOut:
    loaded = isinstance(event, NotificationRules.Loaded)
    return NotificationsEventOut(
        version=event.originator_version,
        event="loaded" if loaded else "changed",
        at=event.timestamp,
        source=event.source,
        removed=[] if loaded else list(event.removed),
        added=list(event.lines) if loaded else list(event.added),
    )


@router.get("/notifications", response_model=NotificationsOut)
async def read_notifications(principal: CurrentPrincipal, app: App) -> NotificationsOut:
    """Who is told of what and through which channel (中文 and English messages); secrets never shown."""
    _reader(principal)
    shown = app.notifications.shown()
    channels = [
        ChannelOut(
            name=c["name"],
            type=c["type"],
            target=c["target"],
            secrets=c["secrets"],
            details={k: v for k, v in c.items() if k not in ("name", "type", "target", "secrets")},
        )
        for c in shown["channels"]
    ]
    return NotificationsOut(
        file=shown["file"],
        board_url=shown["board_url"],
        max_age_hours=shown["max_age_hours"],
        channels=channels,
        rules=[RuleOut(**rule) for rule in shown["rules"]],
        delivery=app.deliveries.status() if app.deliveries is not None else None,
    )
