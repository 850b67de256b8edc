"""kill -9 of a server under load from `incident simulate`: what it was told was stored is stored, once.

The real `incident simulate --mode storm --record FILE` runs as a process against an `incident serve`
process, which is killed with SIGKILL (once in the suite, every few seconds under `make soak`) and
started again on the same port. Simulate resends each command that got no answer under its own command
id. Afterwards the store is read directly: every command acknowledged with a 2xx has its receipt at the
version and log position the client was told, no receipt is there that no client was told of, and no
event lies outside a receipt (nothing applied twice). `INCIDENT_SOAK_SECONDS` lengthens the load.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

from domain.values import Role
from interfaces.client.sending import read_record
from interfaces.settings import Settings
from tests.e2e.processes import ServerProcess, SimulateProcess
from tests.e2e.server import issue_token
from tests.e2e.store_audit import check_acknowledged_once, read_store, refusal_codes

LOAD_SECONDS = float(os.environ.get("INCIDENT_SOAK_SECONDS", "4"))
SECONDS_BETWEEN_KILLS = 6.0


def test_simulate_through_kill_9_of_its_server_every_acknowledged_command_is_stored_once(
    database_url: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=database_url)
    server = ServerProcess(database_url, tmp_path)
    server.start()
    token = issue_token(settings, Role.OFFICE, "HQ", "模拟 soak")
    record = tmp_path / "simulate.ndjson"
    kills = max(1, int(LOAD_SECONDS // SECONDS_BETWEEN_KILLS))
    simulation = SimulateProcess(
        server.url, token, record, "--mode", "storm", "--seconds", str(LOAD_SECONDS), "--clients", "8",
        "--seed", "11", "--retry-seconds", "60",
    )  # fmt: skip
    try:
        started = time.monotonic()
        for kill in range(kills):
            if not simulation.wait_for(simulation.ended() + 40):  # under load: commands are in flight
                break  # restarts took longer than planned: the run is over
            time.sleep(max(0.0, started + (kill + 1) * LOAD_SECONDS / (kills + 1) - time.monotonic()))
            server.kill()
            server.start()
            print(f"kill {kill + 1}: after {simulation.ended()} commands")
        summary = simulation.finish()
    finally:
        simulation.kill()
        server.kill()

    outcomes = read_record(record)
    attempts = Counter(a.status or a.error for o in outcomes for a in o.attempts)
    print(f"{summary}; attempts {dict(attempts)}")
    assert (summary["errors"], summary["unanswered"]) == (0, 0), summary
    assert not [s for s in attempts if isinstance(s, int) and s >= 500 and s != 503], attempts
    resent = [o for o in outcomes if len(o.attempts) > 1 and o.accepted]
    assert resent, "the kill met no command in flight"
    # A resent report is either applied now (201) or replayed (200): never refused as a duplicate.
    reports = [o for o in resent if o.path.endswith(("/complaints", "/emergencies"))]
    assert all((o.status, o.replayed) in ((201, False), (200, True)) for o in reports), reports
    check_acknowledged_once(read_store(database_url), outcomes, "office:HQ:")
    print(f"refusals by rule: {dict(refusal_codes(outcomes))}")
    print(
        f"{len(outcomes)} commands, {len(resent)} answered only on a resend "
        f"({sum(o.replayed for o in resent)} replays of a command stored before the kill)"
    )
