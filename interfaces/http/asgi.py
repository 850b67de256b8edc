"""The app as uvicorn's workers import it (`incident serve --workers N`): built from the environment."""

from __future__ import annotations

import os

from fastapi import FastAPI

from interfaces.http.app import create_app
from interfaces.settings import Settings


def app_from_env() -> FastAPI:
    """A worker's app: each worker process has its own store pools, feed and one log follower."""
    return create_app(Settings.from_env(os.environ))


APP_FACTORY = f"{__name__}:{app_from_env.__name__}"
