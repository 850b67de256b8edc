"""Scaled out on PostgreSQL: two `incident project` workers with the notifications file, servers that
project nothing. The leader sends each notification once; killed, its standby takes over and sends
what comes next, repeating nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token, serve_process
from tests.e2e.test_notifications_in_server import FIRE, history_until, rules_file
from tests.integration.notify_receiver import SECRET, Receiver, receiver

__all__ = ["receiver"]
pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def projector(database_url: str, rules: Path, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`incident project` in a process of its own, once it has started."""
    env = {
        **os.environ,
        "INCIDENT_DATABASE_URL": database_url,
        "INCIDENT_NOTIFICATIONS_FILE": str(rules),
        "TEST_NOTIFY_SECRET": SECRET,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "interfaces.cli.main", "project"],
            cwd=log_path.parent,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while b"projecting boards" not in log_path.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the projector did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.05)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(20)


def test_of_two_projectors_the_leader_sends_once_and_the_standby_takes_over(
    postgres_url: str, tmp_path: Path, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    rules = rules_file(tmp_path, url)
    settings = Settings(database_url=postgres_url, run_boards=False)
    no_boards = {"INCIDENT_RUN_BOARDS": "no"}
    with (
        projector(postgres_url, rules, tmp_path / "first.log") as first,
        projector(postgres_url, rules, tmp_path / "second.log") as second,
        serve_process(settings, tmp_path, tmp_path / "serve.log", no_boards) as (server, _),
    ):
        office = {"Authorization": f"Bearer {issue_token(settings, Role.OFFICE, 'HQ')}"}
        before = httpx.post(f"{server}/api/v1/emergencies", json=FIRE, headers=office).json()["incident_id"]
        history_until(server, office, before, "NotificationDelivered")
        # The first took the lock before it said it was projecting: it leads. Killed outright, its
        # session ends, and the second takes the lock and reads the log again.
        first.kill()
        first.wait(10)
        after = httpx.post(f"{server}/api/v1/emergencies", json=FIRE, headers=office).json()["incident_id"]
        events = history_until(server, office, after, "NotificationDelivered")
        assert second.poll() is None
        assert [e["event"] for e in events].count("NotificationDelivered") == 1
        sent = [headers["X-Incident-Delivery"] for headers, _ in state.received]
        assert [body["incident_id"] for _, body in state.received] == [before, after]
        assert len(set(sent)) == 2
