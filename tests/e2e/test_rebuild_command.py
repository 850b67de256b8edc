"""`incident rebuild` as an operator runs it, on both stores: success swaps, failure leaves the boards."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from domain.values import Level
from interfaces.boards.wiring import make_runner
from interfaces.sql_engine import engine_for
from projections.tracking import board_tracking
from tests.failing_boards import YEAR_ONE, record_unprojectable_report
from tests.integration.desk_fixtures import OFFICE, T0, emergency_fields
from tests.integration.test_boards import board_rows

ROOT = Path(__file__).resolve().parents[2]


def rebuild(database_url: str, batch: int = 2) -> subprocess.CompletedProcess[str]:
    """`incident rebuild` as an operator runs it (two events per transaction by default: many batches)."""
    env = {**os.environ, "INCIDENT_DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "interfaces.cli.main", "rebuild", "--batch", str(batch)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_rebuild_that_meets_an_event_no_board_can_take_exits_1_on_one_line_and_keeps_the_boards(
    database_url: str,
) -> None:
    desk = IncidentDesk(store_env(database_url))
    engine = engine_for(database_url)
    try:
        for level in (Level.BLUE, Level.ORANGE, Level.RED):
            head = desk.report_emergency(
                actor=OFFICE, occurred_at=T0, **emergency_fields(level=level)
            ).position
        runner = make_runner(desk, engine, database_url)
        runner.start()
        assert runner.wait_for(head, timeout=20)
        runner.stop()

        assert rebuild(database_url).returncode == 0  # a good log: rebuilt and swapped in
        live = board_rows(engine)
        assert len(live["office_board"]) == 3
        poison = record_unprojectable_report(desk, occurred_at=YEAR_ONE)
        with engine.connect() as conn:
            tracking = conn.execute(select(board_tracking)).all()

        failed = rebuild(database_url)

        assert failed.returncode == 1
        assert failed.stdout == ""
        (line,) = failed.stderr.splitlines()
        assert line.startswith(
            f"error: the rebuild stopped at position {poison} (board_checkpoints): OverflowError"
        )
        assert line.endswith("the live boards were left as they were")
        assert board_rows(engine) == live
        with engine.connect() as conn:
            assert conn.execute(select(board_tracking)).all() == tracking
    finally:
        desk.close()
        engine.dispose()
