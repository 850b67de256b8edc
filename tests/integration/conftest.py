"""Fixtures of the integration tests: a desk on each real store, with a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from interfaces.sql_engine import engine_for
from tests.integration.desk_fixtures import PERSONAL_KEYS, SteppingClock


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
def desk(database_url: str, clock: SteppingClock) -> Iterator[IncidentDesk]:
    desk = IncidentDesk(store_env(database_url), clock=clock, personal_keys=PERSONAL_KEYS)
    yield desk
    desk.close()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test's store, for the boards and the tables beside the log."""
    engine = engine_for(database_url)
    yield engine
    engine.dispose()
