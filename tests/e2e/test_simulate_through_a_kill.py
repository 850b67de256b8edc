"""kill -9 of a server under `incident simulate --mode storm`: every acknowledged command is stored once.

The real CLI runs against a server process, which is killed with SIGKILL in the middle of the storm and
started again. The simulator resends what it has no answer for under the command's own key; its
`--record` file lists every command the server acknowledged. Then each acknowledged command is in the
log at the position it was told, every command acknowledged twice was told the same thing, and the log
holds nothing else. `INCIDENT_SOAK_SECONDS` lengthens the storm (make soak).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.processes import ROOT, ServerProcess
from tests.e2e.server import issue_token

STORM_SECONDS = max(4.0, float(os.environ.get("INCIDENT_SOAK_SECONDS", "4")))


def stored(database_url: str) -> dict[tuple[str, int], tuple[int, str]]:
    """Every stored event of the log: (originator id, version) → (position, topic)."""
    desk = IncidentDesk({**store_env(database_url), "CREATE_TABLE": "n"})
    try:
        return {
            (str(n.originator_id), n.originator_version): (n.id, n.topic)
            for n in desk.recorder.select_notifications(start=1, limit=10**7)
        }
    finally:
        desk.close()


def test_a_storm_through_a_kill_9_stores_each_acknowledged_command_once(
    database_url: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=database_url)
    server = ServerProcess(database_url, tmp_path)
    server.start()
    record = tmp_path / "acknowledged.ndjson"
    office = issue_token(settings, Role.OFFICE, "HQ", "演练组")
    simulate = subprocess.Popen(
        [
            *(sys.executable, "-m", "interfaces.cli.main", "simulate", "--mode", "storm"),
            *("--seconds", str(STORM_SECONDS), "--clients", "6", "--seed", "15"),
            *("--patience", "60", "--record", str(record), "--json"),
        ],
        cwd=tmp_path,
        env={**os.environ, "INCIDENT_URL": server.url, "INCIDENT_TOKEN": office, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not record.exists() or len(record.read_bytes().splitlines()) < 20:  # the storm is on
            assert simulate.poll() is None, "the simulator stopped before its storm began"
            assert time.monotonic() < deadline, "the storm never began"
            time.sleep(0.05)
        server.kill()  # mid-storm: some commands stored but unanswered, some never arrived
        server.start()
        out, err = simulate.communicate(timeout=STORM_SECONDS + 90)
        assert simulate.returncode == 0, err.decode()
        summary = json.loads(out)
        # Every command was answered in the end: a refusal by rule at worst, never a server error.
        assert summary["errors"] == 0, summary
        assert not [s for s in summary["by_status"] if int(s) >= 500], summary
        assert summary["resent"] > 0, "the kill left nothing to resend: the test proved nothing"

        told: dict[str, set[tuple[str, int, int]]] = defaultdict(set)
        for line in record.read_text(encoding="utf-8").splitlines():
            ack = json.loads(line)
            told[ack["key"]].add((ack["incident_id"], ack["version"], ack["position"]))
        assert len(told) == summary["accepted"]  # each acknowledged command recorded, once per key
        log = stored(database_url)
        for key, answers in told.items():
            assert len(answers) == 1, f"{key} was told different things: {answers}"
            ((incident_id, version, position),) = answers
            assert (incident_id, version) in log, f"{key} was acknowledged and is not stored"
            assert log[incident_id, version][0] == position, f"{key} is not where it was told"
        # Nothing doubled and nothing unacknowledged: each command of the storm is one event, but for
        # an outlet's first queue reading, which opens the outlet's queue in the same transaction.
        acknowledged = {(i, v) for answers in told.values() for (i, v, _) in answers}
        extra = {at: topic for at, (_, topic) in log.items() if at not in acknowledged}
        openings = {
            (i, v) for (i, v), topic in extra.items() if topic.endswith("OutletQueue.Opened") and v == 1
        }
        assert extra.keys() == openings, f"stored and never acknowledged: {extra}"
        assert all((i, 2) in acknowledged for i, _ in openings), "a queue was opened with no reading"
    finally:
        simulate.kill()
        server.kill()
