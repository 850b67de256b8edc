"""End-to-end fixtures: the real app on a real port, on each real store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from interfaces.settings import Settings
from tests.e2e.server import running_server


# The policies act on their own (a risk raise after three related complaints): tests that count what
# a request stored run without them; tests/e2e/test_policies_in_server.py runs them.
@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, run_policies=False)


@pytest.fixture
def sqlite_settings(sqlite_url: str) -> Settings:
    return Settings(database_url=sqlite_url, run_policies=False)


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    # Heartbeats every half second: feed tests wait for the head position, not for a timer.
    with running_server(settings, heartbeat_seconds=0.5) as url:
        yield url
