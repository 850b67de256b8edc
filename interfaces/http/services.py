"""The FastAPI dependency that hands a request handler the app's services."""

from __future__ import annotations

from fastapi import Request

from interfaces.services import Services


async def services(request: Request) -> Services:
    """FastAPI dependency: the app's services."""
    found: Services = request.app.state.services
    return found
