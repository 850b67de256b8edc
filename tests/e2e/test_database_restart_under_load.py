"""PostgreSQL restarted under load: servers and projector recover with no operator, clients see only
2xx (or a refusal by rule) and 503 with Retry-After, and nothing acknowledged is lost or doubled.

A throwaway cluster (initdb/pg_ctl, its own port; never the machine's server) holds the log. Two
`incident serve` processes that project nothing and one `incident project` run on it, each server under
`incident simulate --mode storm --record FILE`. The cluster is stopped mid-load (`pg_ctl -m fast`, as
an operator's restart: every session ends), kept down a while, and started again. Then: every attempt
of every command was answered, with a 2xx, a 4xx refusal by rule, or a 503 carrying Retry-After (no
500, no reset connection, no timeout); every acknowledged command is in the store once; both servers
are ready again; the projector caught up to the head by itself and its boards equal a rebuild.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from domain.values import Role
from interfaces.client.sending import read_record
from interfaces.settings import Settings
from interfaces.sql_engine import engine_for
from tests.e2e.processes import ProjectorProcess, ServerProcess, SimulateProcess
from tests.e2e.server import issue_token
from tests.e2e.store_audit import (
    board_tables,
    boards_position,
    check_acknowledged_once,
    log_head,
    read_store,
    refusal_codes,
)
from tests.e2e.test_projector_kill import wait_until
from tests.e2e.test_rebuild_command import rebuild
from tests.throwaway_postgres import ThrowawayPostgres

pytestmark = [pytest.mark.postgres, pytest.mark.soak]

LOAD_SECONDS = float(os.environ.get("INCIDENT_SOAK_SECONDS") or "8")
DOWN_SECONDS = min(10.0, LOAD_SECONDS / 3)
# Refusals by a rule of the bank: two senders taking the same step of one incident, one of them late.
REFUSALS_BY_RULE = {409}


def test_a_database_restart_under_load_is_ridden_out_with_503s_and_nothing_lost_or_doubled(
    throwaway_postgres: ThrowawayPostgres, tmp_path: Path
) -> None:
    database_url = throwaway_postgres.fresh_schema_url()
    settings = Settings(database_url=database_url)
    engine = engine_for(database_url)
    projector = ProjectorProcess(database_url, tmp_path / "project.log", {"INCIDENT_RUN_POLICIES": "no"})
    servers = [ServerProcess(database_url, tmp_path, env={"INCIDENT_RUN_BOARDS": "no"}) for _ in (0, 1)]
    simulations: list[SimulateProcess] = []
    try:
        projector.start()
        for server in servers:
            server.start()
        token = issue_token(settings, Role.OFFICE, "HQ", "模拟 soak")
        options = (
            "--mode",
            "storm",
            "--seconds",
            str(LOAD_SECONDS),
            "--clients",
            "4",
            "--retry-seconds",
            "60",
        )
        simulations = [
            SimulateProcess(server.url, token, tmp_path / f"simulate-{n}.ndjson", *options, "--seed", str(n))
            for n, server in enumerate(servers)
        ]
        for simulation in simulations:
            assert simulation.wait_for(30)
        throwaway_postgres.stop()
        time.sleep(DOWN_SECONDS)  # the outage lasts; the clients keep posting into it
        throwaway_postgres.start()
        summaries = [simulation.finish() for simulation in simulations]

        outcomes = [o for simulation in simulations for o in read_record(simulation.record)]
        attempts = [a for o in outcomes for a in o.attempts]
        seen = Counter(a.status or a.error for a in attempts)
        print(f"{summaries}; attempts {dict(seen)}")
        unexpected = {
            s for s in seen if not (isinstance(s, int) and (200 <= s < 300 or s in REFUSALS_BY_RULE | {503}))
        }
        assert not unexpected, seen
        assert seen[503] > 0, "the clients never met the outage"
        assert all(a.retry_after and int(a.retry_after) >= 1 for a in attempts if a.status == 503)
        assert all((s["errors"], s["unanswered"]) == (0, 0) for s in summaries), summaries
        check_acknowledged_once(read_store(database_url), outcomes, "office:HQ:")
        print(f"refusals by rule: {dict(refusal_codes(outcomes))}")

        for server in servers:  # no operator: the same processes serve again
            assert httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200
        head = log_head(database_url)
        wait_until(lambda: boards_position(engine) >= head, 60, "the projector never caught up by itself")
        assert projector.alive()
        projector.stop()
        projected = board_tables(engine)
        rebuilt = rebuild(database_url, batch=500)
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert board_tables(engine) == projected
    finally:
        if not throwaway_postgres.running():
            throwaway_postgres.start()
        for simulation in simulations:
            simulation.kill()
        for server in servers:
            server.kill()
        projector.kill()
        engine.dispose()
