"""The desk on PostgreSQL through outages: it gives up within the store's wait, and is served at once after."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from psycopg_pool import ConnectionPool

from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from application.store.errors import StoreUnavailableError
from tests.integration.desk_fixtures import log_length, report_complaint
from tests.throwaway_postgres import ThrowawayPostgres

pytestmark = pytest.mark.postgres

# What a client typically waits for an answer: the desk must have given up before it.
CLIENT_TIMEOUT_SECONDS = 5.0


@pytest.fixture
def cluster(throwaway_postgres: ThrowawayPostgres) -> Iterator[ThrowawayPostgres]:
    yield throwaway_postgres
    if not throwaway_postgres.running():
        throwaway_postgres.start()


@pytest.fixture
def desk(cluster: ThrowawayPostgres) -> Iterator[IncidentDesk]:
    desk = IncidentDesk(store_env(cluster.fresh_schema_url()))
    yield desk
    desk.close()


def pool_of(desk: IncidentDesk) -> ConnectionPool:  # type: ignore[type-arg]
    pool: ConnectionPool = desk.factory.datastore.pool  # type: ignore[attr-defined,type-arg]
    return pool


def test_while_postgres_is_down_a_command_and_a_read_give_up_within_the_store_wait(
    desk: IncidentDesk, cluster: ThrowawayPostgres
) -> None:
    report_complaint(desk)
    cluster.stop()
    for call in (lambda: report_complaint(desk), lambda: log_length(desk)):
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError):
            call()
        # The library's recorders try each call ten times: with its errors, a read took 52 s.
        assert time.monotonic() - started < CLIENT_TIMEOUT_SECONDS
    cluster.start()
    assert log_length(desk) == 1  # the refused command left nothing behind


def test_after_a_quick_restart_the_first_call_is_served_though_every_pooled_connection_died(
    desk: IncidentDesk, cluster: ThrowawayPostgres
) -> None:
    report_complaint(desk)
    pool_of(desk).wait(timeout=10)  # every pooled connection open, idle, and about to die
    cluster.stop()
    cluster.start()
    # Each dead connection failed its check in turn, a second apart and more, past the pool's wait.
    assert log_length(desk) == 1


def test_after_an_outage_the_first_call_once_postgres_is_back_is_served(
    desk: IncidentDesk, cluster: ThrowawayPostgres
) -> None:
    report_complaint(desk)
    cluster.stop()
    failed = 0
    while failed < 2:  # some seconds of outage, with calls in it, as a server sees one
        with pytest.raises(StoreUnavailableError):
            log_length(desk)
        failed += 1
    cluster.start()
    # The pool retried its connections 1, 2, 4, 8 s apart: its next attempt came seconds after the
    # database was back, and a call waiting on it gave up first.
    assert log_length(desk) == 1
