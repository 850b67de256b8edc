"""What every request handler needs, built once per app in its lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from application.access.tokens import TokenRegistry
from application.incident_desk import Clock, IncidentDesk
from domain.organisation import Organisation


@dataclass(frozen=True)
class Services:
    """The desk, the token registry, the organisation and the clock of one running app."""

    desk: IncidentDesk
    tokens: TokenRegistry
    organisation: Organisation
    clock: Clock


def services(request: Request) -> Services:
    """FastAPI dependency: the app's services."""
    found: Services = request.app.state.services
    return found
