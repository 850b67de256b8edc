"""The ingest bench's baseline: a trivial FastAPI POST with the complaint report's own body, storing nothing.

Served by the product's own uvicorn configuration (same HTTP parser, loop and logging), so the ratio
measures what the product does per request, not a difference of servers.
`INCIDENT_PORT=8001 python -m bench.ingest_baseline`; `INCIDENT_WORKERS=4` serves it from four processes
on one socket, as `incident serve --workers 4` does.
"""

from __future__ import annotations

import os
import uuid
from typing import Annotated

import uvicorn
from fastapi import Body, FastAPI, Response
from uvicorn.supervisors import Multiprocess

from domain.incident_type import IncidentType
from interfaces.http.command_models import REPORT_MODELS
from interfaces.serving import uvicorn_config

ComplaintIn = REPORT_MODELS[IncidentType.COMPLAINT]


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/api/v1/complaints", status_code=201)
    async def report(
        body: Annotated[ComplaintIn, Body()],  # type: ignore[valid-type]  # noqa: ARG001 (validated, then dropped)
        response: Response,
    ) -> dict[str, object]:
        incident_id = uuid.uuid4()
        response.headers["Location"] = f"/api/v1/incidents/{incident_id}"
        return {"incident_id": str(incident_id), "version": 1, "position": 0, "replayed": False}

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app


def main() -> None:
    port, workers = int(os.environ["INCIDENT_PORT"]), int(os.environ.get("INCIDENT_WORKERS") or 1)
    if workers == 1:
        uvicorn.Server(uvicorn_config(create_app(), "127.0.0.1", port)).run()
        return
    # The same supervisor and shared socket as `incident serve --workers N` (interfaces/cli/main.py).
    config = uvicorn_config("bench.ingest_baseline:create_app", "127.0.0.1", port, workers=workers)
    Multiprocess(config, sockets=[config.bind_socket()]).run()


if __name__ == "__main__":
    main()
