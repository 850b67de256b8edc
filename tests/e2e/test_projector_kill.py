"""kill -9 of the leading `incident project` under load: the standby takes over, and the boards come
out exactly as a rebuild from the log makes them.

On PostgreSQL: two `incident project` processes (one leads under the advisory lock, one stands by),
an `incident serve` process that projects nothing, and `incident simulate --mode storm` posting to it.
The leader is killed with SIGKILL mid-load (once in the suite; under `make soak`, every few seconds,
the killed one started again as the new standby). After each kill the boards must reach a log position
written after the kill, which only the standby can have projected. Once the load ends and the boards
have reached the head, every row of every board table is compared with what `incident rebuild`
(position 0, into fresh tables, swapped in) makes of the same log. Six processes: `make soak` only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from domain.values import Role
from interfaces.settings import Settings
from interfaces.sql_engine import engine_for
from tests.e2e.processes import ProjectorProcess, ServerProcess, SimulateProcess
from tests.e2e.server import issue_token
from tests.e2e.store_audit import board_tables, boards_position, log_head
from tests.e2e.test_rebuild_command import rebuild

pytestmark = [pytest.mark.postgres, pytest.mark.soak]

LOAD_SECONDS = float(os.environ.get("INCIDENT_SOAK_SECONDS") or "4")
SECONDS_BETWEEN_KILLS = 6.0
TAIL_SECONDS = 6.0
# Only the projectors here: the boards alone are under test (policies act on their own, at no known time).
PROJECTOR_ENV = {"INCIDENT_RUN_POLICIES": "no"}


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_the_standby_takes_over_from_a_killed_projector_and_the_boards_equal_a_rebuild(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=postgres_url)
    engine = engine_for(postgres_url)
    projectors = [
        ProjectorProcess(postgres_url, tmp_path / f"project-{n}.log", PROJECTOR_ENV) for n in (0, 1)
    ]
    server = ServerProcess(postgres_url, tmp_path, env={"INCIDENT_RUN_BOARDS": "no"})
    simulation: SimulateProcess | None = None
    try:
        projectors[0].start()  # it takes the lock before it says it is projecting: it leads
        projectors[1].launch()
        server.start()
        projectors[1].wait_started()
        token = issue_token(settings, Role.OFFICE, "HQ", "模拟 soak")
        # The load outlasts the last kill by TAIL_SECONDS: the standby must have new events to project.
        simulation = SimulateProcess(
            server.url, token, tmp_path / "simulate.ndjson", "--mode", "storm", "--seconds",
            str(LOAD_SECONDS + TAIL_SECONDS), "--clients", "6", "--seed", "5",
        )  # fmt: skip
        kills = max(1, int(LOAD_SECONDS // SECONDS_BETWEEN_KILLS))
        started = time.monotonic()
        leader, done = 0, 0
        for kill in range(kills):
            assert simulation.wait_for(simulation.ended() + 40)
            time.sleep(max(0.0, started + (kill + 1) * LOAD_SECONDS / (kills + 1) - time.monotonic()))
            if time.monotonic() - started > LOAD_SECONDS:
                break  # restarts took longer than planned: no load would be left to take over
            projectors[leader].kill()
            killed_at, head_at_kill = time.monotonic(), log_head(postgres_url)
            wait_until(lambda h=head_at_kill: log_head(postgres_url) > h, 30, "the load stopped")
            after_kill = log_head(postgres_url)
            wait_until(
                lambda a=after_kill: boards_position(engine) >= a,
                60,
                "the standby never took over the boards",
            )
            print(
                f"kill {kill + 1}: the standby projected past the kill in {time.monotonic() - killed_at:.2f} s"
            )
            assert projectors[1 - leader].alive()
            projectors[leader].start()  # the killed one comes back as the standby
            leader, done = 1 - leader, done + 1
        assert done >= 1
        summary = simulation.finish()
        head = log_head(postgres_url)
        wait_until(lambda: boards_position(engine) >= head, 60, "the boards never reached the head")
        for projector in projectors:
            projector.stop()
        projected = board_tables(engine)

        rebuilt = rebuild(postgres_url, batch=500)
        assert rebuilt.returncode == 0, rebuilt.stderr
        print(f"{summary['sent']} commands, head {head}; {rebuilt.stdout.strip()}")
        assert sum(len(rows) for name, rows in projected.items() if name != "board_tracking") > 0
        assert board_tables(engine) == projected
    finally:
        if simulation is not None:
            simulation.kill()
        server.kill()
        for projector in projectors:
            projector.kill()
        engine.dispose()
