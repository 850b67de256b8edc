"""The server runs on the HTTP parser and event loop it names, not on whatever happens to be installed."""

import asyncio

import httpx
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from interfaces.serving import uvicorn_config
from tests.e2e.server import serving


def test_the_server_parses_http_with_httptools() -> None:
    config = uvicorn_config(FastAPI(), "127.0.0.1", 0)
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol


def test_requests_are_served_on_uvloop() -> None:
    app = FastAPI()

    @app.get("/loop")
    async def loop() -> str:
        return type(asyncio.get_running_loop()).__module__

    with serving(app) as url:
        assert httpx.get(f"{url}/loop").json().startswith("uvloop")
