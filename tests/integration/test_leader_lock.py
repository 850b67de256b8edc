"""The projector's lock on PostgreSQL outlives no session: a holder whose session ended knows it has lost
the lock, another process can take it, and letting go of a lost lock is no error."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from interfaces.boards.leader import SESSION_CHECK_SECONDS, LeaderLock, advisory_key
from interfaces.sql_engine import engine_for

pytestmark = pytest.mark.postgres


@pytest.fixture
def engines(postgres_url: str) -> Iterator[tuple[Engine, Engine]]:
    # Two engines: two processes' pools on one schema.
    first, second = engine_for(postgres_url), engine_for(postgres_url)
    yield first, second
    first.dispose()
    second.dispose()


def holders(engine: Engine) -> list[int]:
    """The backends holding this schema's projector lock."""
    with engine.connect() as conn:
        key = advisory_key(str(conn.execute(text("SELECT current_schema()")).scalar()))
        unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
        rows = conn.execute(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
                " AND classid::bigint = :high AND objid::bigint = :low"
            ),
            {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF},
        )
        return [row.pid for row in rows]


def test_a_holder_whose_session_ended_knows_and_another_takes_the_lock(
    engines: tuple[Engine, Engine], postgres_url: str
) -> None:
    first, second = LeaderLock(engines[0], postgres_url), LeaderLock(engines[1], postgres_url)
    assert first.try_acquire()
    assert not second.try_acquire()
    [pid] = holders(engines[1])
    with engines[1].connect() as conn:  # as a database restart would: the session is ended
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    time.sleep(SESSION_CHECK_SECONDS + 0.1)
    assert not first.still_held()
    assert not first.held
    assert second.try_acquire()
    assert not first.try_acquire()  # the standby now: the lock is the other's
    first.release()  # nothing held: nothing to do, no error
    second.release()
    assert holders(engines[1]) == []


def test_letting_go_of_a_lock_whose_session_ended_is_no_error(
    engines: tuple[Engine, Engine], postgres_url: str
) -> None:
    lock = LeaderLock(engines[0], postgres_url)
    assert lock.try_acquire()
    [pid] = holders(engines[1])
    with engines[1].connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    lock.release()  # before it noticed: the unlock fails on the dead session, and is not raised
    assert not lock.held
    assert lock.try_acquire()  # a fresh session takes it again
    lock.release()
    assert holders(engines[1]) == []
