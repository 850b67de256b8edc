"""Fixtures of the integration tests: a desk on each real store, with a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from tests.integration.desk_fixtures import SteppingClock


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
def desk(database_url: str, clock: SteppingClock) -> Iterator[IncidentDesk]:
    desk = IncidentDesk(store_env(database_url), clock=clock)
    yield desk
    desk.close()
