"""A board that cannot process an event, on both stores: loud, bounded, and over once the cause is gone."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from sqlalchemy import Engine, select

from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from domain.values import Level
from interfaces.boards.health import Backoff
from interfaces.boards.leader import LeaderLock
from interfaces.boards.rebuild import RebuildFailedError, rebuild_boards
from interfaces.boards.runner import BoardRunner
from interfaces.boards.waiting import TrackingWaiter
from interfaces.boards.wiring import make_boards
from interfaces.sql_engine import engine_for
from projections.board import Board
from projections.board_failure import recorded_failure
from projections.office_board import office_board
from projections.tracking import board_tracking
from tests.conftest import POSTGRES_URL
from tests.failing_boards import (
    NUL_SUMMARY,
    UNKNOWN_TOPIC,
    YEAR_ONE,
    RefusingBoard,
    eventually,
    record_unprojectable_report,
    record_unreadable_event,
    refused_positions,
)
from tests.integration.desk_fixtures import OFFICE, T0, SteppingClock, emergency_fields, log_length
from tests.integration.test_boards import board_rows

RUNNER_LOG = "interfaces.boards.runner"


class RecordingBackoff(Backoff):
    """The real backoff, remembering each delay it chose."""

    def __init__(self) -> None:
        super().__init__(first=0.05, cap=0.4)
        self.delays: list[float] = []

    def next(self) -> float:
        delay = super().next()
        self.delays.append(delay)
        return delay


@pytest.fixture
def runners(desk: IncidentDesk, engine: Engine) -> Iterator[list[BoardRunner]]:
    """Runners of a test, always stopped before the desk and the engine close."""
    del desk, engine
    started: list[BoardRunner] = []
    yield started
    for runner in started:
        runner.stop()


def start(
    runners: list[BoardRunner],
    desk: IncidentDesk,
    engine: Engine,
    database_url: str,
    *extra: Board,
    backoff: Backoff | None = None,
) -> BoardRunner:
    runner = BoardRunner(
        desk,
        engine,
        [*make_boards(desk), *extra],
        LeaderLock(engine, database_url),
        backoff=backoff or Backoff(first=0.05, cap=0.4),
    )
    runners.append(runner)
    runner.start()
    return runner


def report(desk: IncidentDesk, **overrides: Any) -> int:
    return desk.report_emergency(actor=OFFICE, occurred_at=T0, **emergency_fields(**overrides)).position


def office_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return {row.incident_id for row in conn.execute(select(office_board.c.incident_id))}


def tracking(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {row.board: row.position for row in conn.execute(select(board_tracking))}


def failure_row(engine: Engine) -> dict[str, Any] | None:
    with engine.connect() as conn:
        return recorded_failure(conn)


def stuck(runner: BoardRunner, desk: IncidentDesk, attempts: int = 1) -> Any:
    """The runner's failure, once it has made `attempts` attempts."""

    def failure() -> Any:
        found = runner.status(log_length(desk)).failure
        return found if found is not None and found.attempts >= attempts else None

    return eventually(failure, what=f"{attempts} failed attempts")


def test_events_before_one_the_boards_cannot_take_are_on_the_boards_and_the_runner_says_where_it_stuck(
    desk: IncidentDesk,
    engine: Engine,
    database_url: str,
    runners: list[BoardRunner],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger=RUNNER_LOG)
    before = desk.report_emergency(actor=OFFICE, occurred_at=T0, **emergency_fields())
    poison = record_unprojectable_report(desk, occurred_at=YEAR_ONE)
    red_fire = desk.report_emergency(actor=OFFICE, occurred_at=T0, **emergency_fields(level=Level.RED))
    runner = start(runners, desk, engine, database_url)

    failure = stuck(runner, desk)
    assert (failure.stuck_at, failure.board) == (poison, "board_checkpoints")
    assert "OverflowError" in failure.reason
    status = runner.status(red_fire.position)
    assert (status.position, status.head) == (before.position, red_fire.position)
    assert str(before.incident_id) in office_ids(engine)
    assert str(red_fire.incident_id) not in office_ids(engine)  # stale, and saying so
    assert runner.wait_for(before.position, timeout=1)
    started = time.monotonic()
    assert not runner.wait_for(red_fire.position, timeout=30)
    assert time.monotonic() - started < 5  # answered at once, not at the timeout
    # The log line names the position and the reason, and no SQL parameter (a summary is one).
    (line,) = [r.getMessage() for r in caplog.records if r.name == RUNNER_LOG]
    assert f"position {poison} (board_checkpoints): OverflowError" in line
    assert "parameters" not in line
    assert "柜员态度差" not in line


def test_the_runner_backs_off_and_logs_each_failure_once(
    desk: IncidentDesk,
    engine: Engine,
    database_url: str,
    runners: list[BoardRunner],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=RUNNER_LOG)
    report(desk)
    refusing, backoff = RefusingBoard(refuse_from=log_length(desk) + 1), RecordingBackoff()
    poison = report(desk)
    runner = start(runners, desk, engine, database_url, refusing, backoff=backoff)

    stuck(runner, desk, attempts=6)
    assert backoff.delays[:6] == [0.05, 0.1, 0.2, 0.4, 0.4, 0.4]  # doubling up to the cap, never faster
    errors = [r for r in caplog.records if r.name == RUNNER_LOG and r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert f"position {poison} (refusing_board)" in errors[0].getMessage()
    assert "cannot show the event" in errors[0].getMessage()


def test_a_board_fixed_in_place_lets_the_runner_recover_by_itself(
    desk: IncidentDesk,
    engine: Engine,
    database_url: str,
    runners: list[BoardRunner],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=RUNNER_LOG)
    first = report(desk)
    refusing = RefusingBoard(refuse_from=first + 1)
    runner = start(runners, desk, engine, database_url, refusing)
    assert runner.wait_for(first, timeout=10)
    poison = report(desk)
    later = report(desk, level=Level.RED)
    assert stuck(runner, desk).stuck_at == poison
    assert failure_row(engine) is not None

    refusing.refuse_from = None  # the fix
    eventually(lambda: runner.position() >= later, what="recovery")
    assert runner.status(later).failure is None
    # The row is cleared just after the position moves (readers ignore a row the boards have passed).
    eventually(lambda: failure_row(engine) is None, what="the failure row cleared")
    with engine.connect() as conn:
        assert refused_positions(conn) == [first, poison, later]  # each event once, none skipped
    assert any("recovered" in r.getMessage() for r in caplog.records if r.name == RUNNER_LOG)
    assert runner.wait_for(report(desk), timeout=10)  # and it keeps going


def test_another_process_reads_the_failure_from_the_row_beside_the_tracking_table(
    desk: IncidentDesk, engine: Engine, database_url: str, runners: list[BoardRunner]
) -> None:
    server = TrackingWaiter(engine, [board.name for board in make_boards(desk)])
    first = report(desk)
    refusing = RefusingBoard(refuse_from=first + 1)
    runner = start(runners, desk, engine, database_url, refusing)
    poison = report(desk)
    stuck(runner, desk)

    status = server.status(log_length(desk))
    assert status.failure is not None
    assert (status.position, status.failure.stuck_at, status.failure.board) == (
        first,
        poison,
        "refusing_board",
    )
    assert "cannot show the event" in status.failure.reason
    started = time.monotonic()
    assert not server.wait_for(poison, timeout=30)
    assert time.monotonic() - started < 5

    refusing.refuse_from = None  # the runner's next attempt gets past it
    eventually(lambda: server.position() >= poison, what="recovery seen from the database")
    assert server.wait_for(poison, timeout=1)
    assert server.status(log_length(desk)).failure is None


def test_a_runner_restarted_with_a_good_board_recovers_and_clears_the_failure(
    desk: IncidentDesk, engine: Engine, database_url: str, runners: list[BoardRunner]
) -> None:
    first = report(desk)
    broken = start(runners, desk, engine, database_url, RefusingBoard(refuse_from=first + 1))
    poison = report(desk)
    stuck(broken, desk)
    broken.stop()
    assert failure_row(engine) is not None  # a stopped projector's last word stays for the servers

    fixed = start(runners, desk, engine, database_url, RefusingBoard())  # the next release
    assert fixed.wait_for(poison, timeout=15)
    eventually(lambda: failure_row(engine) is None, what="the failure row cleared")
    assert fixed.status(poison).failure is None


def test_boards_nobody_projects_are_reported_stale_once_they_have_not_moved_for_a_while(
    desk: IncidentDesk, engine: Engine, clock: SteppingClock
) -> None:
    server = TrackingWaiter(engine, [board.name for board in make_boards(desk)], now=clock)
    assert server.status(0).failure is None
    head = report(desk)
    assert server.status(head).failure is None  # behind for a moment is normal
    clock.advance(seconds=5)
    assert server.status(head).failure is None
    clock.advance(seconds=6)
    status = server.status(head)
    assert status.failure is not None
    assert status.failure.since == T0
    assert "is their projector running" in status.failure.reason


def test_an_event_that_cannot_be_read_from_the_log_stops_the_boards_there(
    desk: IncidentDesk, engine: Engine, database_url: str, runners: list[BoardRunner]
) -> None:
    before = report(desk)
    unreadable = record_unreadable_event(desk)
    report(desk)
    runner = start(runners, desk, engine, database_url)

    failure = stuck(runner, desk, attempts=2)
    assert failure.stuck_at == unreadable
    assert UNKNOWN_TOPIC in failure.reason
    assert runner.position() == before


def test_a_failed_rebuild_leaves_the_live_boards_and_their_tracking_untouched(
    desk: IncidentDesk, engine: Engine, database_url: str, runners: list[BoardRunner]
) -> None:
    for level in (Level.BLUE, Level.YELLOW, Level.ORANGE):
        report(desk, level=level)
    poison = record_unprojectable_report(desk, occurred_at=YEAR_ONE)
    report(desk, level=Level.RED)
    runner = start(runners, desk, engine, database_url)
    stuck(runner, desk)
    runner.stop()
    live, positions, failure = board_rows(engine), tracking(engine), failure_row(engine)
    assert len(live["office_board"]) == 3

    with pytest.raises(RebuildFailedError, match=f"position {poison} \\(board_checkpoints\\): OverflowError"):
        rebuild_boards(desk, engine, database_url, batch_size=2)

    assert board_rows(engine) == live
    assert tracking(engine) == positions
    assert failure_row(engine) == failure
    assert not shadow_left(database_url)


def test_a_rebuild_swaps_in_complete_boards_and_clears_the_reported_failure(
    desk: IncidentDesk, engine: Engine, database_url: str, runners: list[BoardRunner]
) -> None:
    first = report(desk)
    runner = start(runners, desk, engine, database_url, RefusingBoard(refuse_from=first + 1))
    poison, later = report(desk), report(desk, level=Level.RED)
    stuck(runner, desk)
    runner.stop()
    assert len(board_rows(engine)["office_board"]) == 1

    rebuilt = rebuild_boards(desk, engine, database_url, boards=[*make_boards(desk), RefusingBoard()])

    assert rebuilt.events == 3
    assert len(board_rows(engine)["office_board"]) == 3
    assert set(tracking(engine).values()) == {later}
    with engine.connect() as conn:
        assert refused_positions(conn) == [first, poison, later]
    assert failure_row(engine) is None
    assert not shadow_left(database_url)


def test_a_rebuild_of_a_store_that_never_had_boards_leaves_a_runner_nothing_to_do_again(
    desk: IncidentDesk, engine: Engine, database_url: str, runners: list[BoardRunner]
) -> None:
    for level in (Level.BLUE, Level.RED):
        head = report(desk, level=level)

    rebuild_boards(desk, engine, database_url)  # no board table, no tracking table before this

    assert set(tracking(engine).values()) == {head}
    rebuilt = board_rows(engine)
    runner = start(runners, desk, engine, database_url)
    assert runner.wait_for(head, timeout=10)
    later = report(desk)
    assert runner.wait_for(later, timeout=10)
    assert runner.status(later).failure is None
    assert len(board_rows(engine)["timeline"]) == len(rebuilt["timeline"]) + 1


@pytest.mark.postgres
def test_a_nul_in_a_summary_stops_the_boards_on_postgresql_with_the_reason(postgres_url: str) -> None:
    desk = IncidentDesk(store_env(postgres_url))
    engine = engine_for(postgres_url)
    runner: BoardRunner | None = None
    try:
        before = report(desk)
        poison = record_unprojectable_report(desk, summary=NUL_SUMMARY)
        runner = BoardRunner(
            desk, engine, make_boards(desk), LeaderLock(engine, postgres_url), backoff=Backoff(0.05, 0.4)
        )
        runner.start()
        failure = stuck(runner, desk)
        assert (failure.stuck_at, failure.board) == (poison, "office_board")
        assert "NUL" in failure.reason
        assert runner.position() == before
    finally:
        if runner is not None:
            runner.stop()
        desk.close()
        engine.dispose()


def shadow_left(database_url: str) -> bool:
    """Whether a rebuild left its scratch boards behind (a file beside SQLite, a schema on PostgreSQL)."""
    parts = urlsplit(database_url)
    if parts.scheme == "sqlite":
        return Path(parts.path.removeprefix("/") + ".rebuild").exists()
    schema = parse_qs(parts.query)["schema"][0] + "_rebuild"
    with psycopg.connect(POSTGRES_URL) as conn:
        found = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    return found is not None
