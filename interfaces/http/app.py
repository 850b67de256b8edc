"""Builds the FastAPI application around one incident desk."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline

from application.incident_desk import Clock, utc_now
from interfaces.feed import endpoint as feed_endpoint
from interfaces.feed.limits import WATCHER_QUEUE
from interfaces.feed.service import Feed
from interfaces.http import (
    boards,
    health,
    incident_commands,
    incident_list,
    incidents,
    log,
    log_export,
    notifications,
    outlets,
    personal_data,
    thresholds,
    timeline,
    vocabulary,
    web,
)
from interfaces.http import metrics as metrics_routes
from interfaces.http.body_check import BodyCheck
from interfaces.http.errors import install_error_handlers
from interfaces.http.metrics import Metrics
from interfaces.http.query_check import refuse_unknown_query
from interfaces.http.request_log import RequestLog
from interfaces.settings import Settings
from interfaces.version import product_version
from interfaces.wiring import build_services

DESCRIPTION = """Complaints (投诉) and branch emergencies (网点突发事件) of a retail bank, event-sourced.

Authenticate with `Authorization: Bearer <token>` (`incident token create`). Every command may carry
an idempotency key (`Idempotency-Key` header or `command_id`) and the version it expects (`If-Match`).
Errors have one shape: `{"error": {"code", "message", "field"}}`."""


def create_app(
    settings: Settings,
    clock: Clock = utc_now,
    heartbeat_seconds: float = 5.0,
    watcher_queue: int = WATCHER_QUEUE,
) -> FastAPI:
    """The product's HTTP application; the store opens at startup and closes at shutdown."""

    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = build_services(settings, clock)
        app.state.feed = Feed.build(app.state.services, settings.feed, heartbeat_seconds, watcher_queue)
        app.state.feed.start()
        metrics.watch(app.state.services, app.state.feed)
        try:
            yield
        finally:
            app.state.feed.stop()  # readers of the log stop before the store closes
            app.state.services.close()

    # /docs and /redoc from assets the package ships (pinned): the office may have no internet.
    app = FastAPIOffline(
        title="Incident command 应急指挥",
        description=DESCRIPTION,
        version=product_version(),
        lifespan=lifespan,
        dependencies=[Depends(refuse_unknown_query)],  # an unknown query parameter is a 422
    )
    install_error_handlers(app)
    app.add_middleware(BodyCheck)
    app.state.metrics = metrics
    # Outermost: a refused body is logged, timed and counted too.
    app.add_middleware(RequestLog, observe=metrics.observe_request)
    app.include_router(health.router)
    app.include_router(metrics_routes.router)
    app.include_router(web.router)
    app.include_router(incident_list.router)
    app.include_router(vocabulary.router)
    app.include_router(incidents.router)
    app.include_router(personal_data.router)
    app.include_router(incident_commands.router)
    app.include_router(timeline.router)
    app.include_router(boards.router)
    app.include_router(outlets.router)
    app.include_router(thresholds.router)
    app.include_router(notifications.router)
    app.include_router(log.router)
    app.include_router(log_export.router)
    app.include_router(feed_endpoint.router)
    return app
