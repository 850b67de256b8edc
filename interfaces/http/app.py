"""Builds the FastAPI application around one incident desk."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from interfaces.http import health, home
from interfaces.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    """The product's HTTP application; the store opens at startup and closes at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.prepare_storage()
        desk = IncidentDesk(store_env(settings.database_url))
        app.state.desk = desk
        try:
            yield
        finally:
            desk.close()

    app = FastAPI(
        title="Incident command 应急指挥",
        description="Complaints and branch emergencies of a retail bank, event-sourced.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.include_router(health.router)
    app.include_router(home.router)
    return app
