"""kill -9 under load: every command a client was told was stored is stored once, and every retry replays.

Twelve branch clients post reports and notes as fast as the server takes them, each under its own
idempotency keys; the server is killed with SIGKILL in the middle, and started again. Each client
resends whatever it has no answer for — under a new token of the same person, as a branch client does
after signing in again — until it gets one. Then: no answer was a 409 or a 500, every command
acknowledged is in the log exactly once, nothing is in the log that no client sent, and the boards show
every open incident. `INCIDENT_SOAK_SECONDS` lengthens the load (make soak).
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.processes import ServerProcess
from tests.e2e.server import issue_token

CLIENTS = 12
OUTLETS = [f"BJ-HD-0{n}" for n in range(1, 5)]
LOAD_SECONDS = float(os.environ.get("INCIDENT_SOAK_SECONDS", "1.5"))


@dataclass
class Command:
    path: str
    body: dict[str, object]
    key: str
    answer: dict[str, object] | None = None
    statuses: list[int] = field(default_factory=list)
    attempts: int = 0


@dataclass
class Branch:
    """One branch client: its person, its outlet, what it sent, and what it still has to resend."""

    name: str
    outlet: str
    token: str
    sent: list[Command] = field(default_factory=list)
    incidents: list[str] = field(default_factory=list)

    def next_command(self, rng: random.Random) -> Command:
        key = f"{self.name}-{len(self.sent)}-{uuid.uuid4().hex[:8]}"
        if not self.incidents or rng.random() < 0.3:
            incident_id = str(uuid.uuid4())
            body: dict[str, object] = {
                "incident_id": incident_id,
                "outlet": self.outlet,
                "channel": "walk_in",
                "category": "service_quality",
                "summary": f"{self.name} 第{len(self.sent)}件",
            }
            return Command("/api/v1/complaints", body, key)
        target = rng.choice(self.incidents)
        return Command(f"/api/v1/complaints/{target}/add_note", {"text": f"跟进 {len(self.sent)}"}, key)

    def send(self, server: str, command: Command) -> bool:
        """True once the command has an answer (2xx or a refusal); False to try again later."""
        command.attempts += 1
        try:
            answer = httpx.post(
                server + command.path,
                json=command.body,
                headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": command.key},
                timeout=5,
            )
        except httpx.TransportError:
            return False
        command.statuses.append(answer.status_code)
        if answer.status_code in (503, 502):
            return False
        if answer.is_success:
            command.answer = answer.json()
            if command.path == "/api/v1/complaints":
                self.incidents.append(str(command.body["incident_id"]))  # notes go to known incidents
        return True


def run_branch(branch: Branch, server: ServerProcess, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    pending: list[Command] = []
    while not stop.is_set():
        command = pending.pop(0) if pending else branch.next_command(rng)
        if command not in branch.sent:
            branch.sent.append(command)
        if not branch.send(server.url, command):
            pending.append(command)
            time.sleep(0.05)
    for command in pending:  # after the load: everything unanswered is resent until answered
        deadline = time.monotonic() + 90  # patience on a loaded machine, not a timing claim
        while not branch.send(server.url, command):
            assert time.monotonic() < deadline, "the server never answered a resent command"
            time.sleep(0.1)


def stored_events(database_url: str) -> int:
    desk = IncidentDesk({**store_env(database_url), "CREATE_TABLE": "n"})
    try:
        return len(desk.recorder.select_notifications(start=1, limit=10**7))
    finally:
        desk.close()


def test_after_a_kill_9_under_load_nothing_acknowledged_is_lost_or_doubled_and_retries_replay(
    database_url: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=database_url)
    server = ServerProcess(database_url, tmp_path)
    server.start()
    branches = [
        Branch(
            f"b{n}",
            OUTLETS[n % len(OUTLETS)],
            issue_token(settings, Role.BRANCH, OUTLETS[n % len(OUTLETS)], f"柜员{n}"),
        )
        for n in range(CLIENTS)
    ]
    stop = threading.Event()
    threads = [threading.Thread(target=run_branch, args=(b, server, stop, n)) for n, b in enumerate(branches)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(LOAD_SECONDS)
        server.kill()  # mid-flight: some commands are stored but unanswered, some never arrived
        for branch in branches:  # the person signs in again: a new token, the same name and outlet
            branch.token = issue_token(settings, Role.BRANCH, branch.outlet, f"柜员{branch.name[1:]}")
        server.start()
        time.sleep(LOAD_SECONDS)
        stop.set()
        for thread in threads:
            thread.join(60)

        commands = [c for b in branches for c in b.sent]
        statuses = Counter(s for c in commands for s in c.statuses)
        assert not {s for s in statuses if s >= 400 and s not in (503, 502)}, statuses
        assert all(c.answer is not None for c in commands), "a command was never acknowledged"
        replayed = [c for c in commands if c.answer and c.answer["replayed"]]
        resent = [c for c in commands if c.attempts > 1]
        print(
            f"{len(commands)} commands acknowledged, {len(resent)} answered only on a resend, "
            f"{len(replayed)} of them replays of a command stored before the kill; statuses {dict(statuses)}"
        )

        office = issue_token(settings, Role.OFFICE, "HQ", "审计")
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {office}"}, timeout=30
        ) as http:
            head = int(http.get("/readyz").json()["position"])
            # Exactly one event per acknowledged command: nothing lost, nothing doubled, nothing extra.
            # (Counted, not read off the head: on PostgreSQL a rolled-back append burns its position.)
            assert stored_events(database_url) == len(commands), (head, len(commands), len(replayed))
            incidents = {
                i
                for b in branches
                for i in b.incidents
                if any(c.body.get("incident_id") == i for c in b.sent)
            }
            for incident_id in random.Random(7).sample(sorted(incidents), min(20, len(incidents))):
                history = http.get(f"/api/v1/incidents/{incident_id}/history").json()["events"]
                notes = [c for c in commands if c.path.endswith(f"{incident_id}/add_note")]
                assert len(history) == 1 + len(notes)
            board = http.get("/api/v1/boards/office", params={"after": head})
            assert board.status_code == 200
            assert {r["incident_id"] for r in board.json()["incidents"]} >= incidents
    finally:
        stop.set()
        server.kill()
