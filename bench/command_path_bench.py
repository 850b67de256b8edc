"""The command path's one load: the access check on the desk's own load, against a copied load before it.

Baseline: what a route did before (read a copy of the incident for the access check, then the desk
loaded it again to act). Product: `desk.act(..., authorise=...)`, one load, the check inside. Both run
in one process on one SQLite file (durable commits), in alternating rounds; CPU is the process's own
time per command, which other work on the machine disturbs less than the wall clock.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from application.access.policy import CommandAccess, check_command
from application.access.principal import Principal
from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from domain.complaint import Complaint
from domain.organisation import Organisation
from domain.values import Category, Channel, Role
from interfaces.organisation_file import load_organisation
from interfaces.settings import Settings

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "6"))
PER_ROUND = int(os.environ.get("BENCH_COMMANDS", "300"))
BRANCH = Principal(token_id="bench", name="bench", role=Role.BRANCH, unit="BJ-HD-01")


def paths(desk: IncidentDesk, organisation: Organisation) -> dict[str, Callable[[], None]]:
    incident_id = desk.report_complaint(
        actor=BRANCH.actor,
        occurred_at=None,
        outlet=BRANCH.unit,
        channel=Channel.WALK_IN,
        category=Category.SERVICE_QUALITY,
        summary="bench",
    ).incident_id

    def two_loads() -> None:
        command = Complaint.add_note(text="note")
        check_command(BRANCH, desk.get_incident(incident_id), command, organisation)
        desk.act(incident_id, command, actor=BRANCH.actor, occurred_at=None, command_id=uuid.uuid4().hex)

    def one_load() -> None:
        desk.act(
            incident_id,
            Complaint.add_note(text="note"),
            actor=BRANCH.actor,
            occurred_at=None,
            command_id=uuid.uuid4().hex,
            authorise=CommandAccess(BRANCH, organisation),
        )

    return {"copy for the check, then the command (baseline)": two_loads, "one load, check inside": one_load}


def main() -> None:
    organisation = load_organisation(Settings().organisation_file)
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        desk = IncidentDesk(store_env(f"sqlite:///{Path(tmp) / 'path.db'}"))
        runs = paths(desk, organisation)
        cpu: dict[str, list[float]] = {name: [] for name in runs}
        rate: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(ROUNDS):
            for name, run in runs.items():
                wall, used = time.perf_counter(), time.process_time()
                for _ in range(PER_ROUND):
                    run()
                cpu[name].append((time.process_time() - used) / PER_ROUND * 1e6)
                rate[name].append(PER_ROUND / (time.perf_counter() - wall))
        desk.close()
    baseline = statistics.median(cpu[next(iter(runs))])
    print(f"\n### One command, one load: {ROUNDS} alternating rounds of {PER_ROUND} commands, SQLite\n")
    print("| what | CPU µs/command (median, range) | commands/s (range) | CPU × baseline |")
    print("|---|---:|---:|---:|")
    for name in runs:
        median = statistics.median(cpu[name])
        print(
            f"| {name} | {median:,.0f} ({min(cpu[name]):,.0f}–{max(cpu[name]):,.0f}) | "
            f"{min(rate[name]):,.0f}–{max(rate[name]):,.0f} | {median / baseline:.2f} |"
        )


if __name__ == "__main__":
    main()
