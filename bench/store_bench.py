"""Append throughput on the embedded SQLite store: ceiling, library save, and full commands.

The ceiling is plain `sqlite3` appending one row per transaction with the same durability
(WAL, synchronous=FULL: every commit is on disk before it returns). Everything else is a ratio to it.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eventsourcing.application import Application

from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from bench.report import Figure, measure, table
from domain.complaint import Complaint
from domain.values import Actor, Category, Channel, Role, Stamp

N = int(os.environ.get("BENCH_EVENTS", "2000"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
TELLER = Actor(id="bench-teller", role=Role.BRANCH, unit="OUT-001", name="bench")


def now() -> datetime:
    return datetime.now(UTC)


def stamp() -> Stamp:
    moment = now()
    return Stamp(actor=TELLER, occurred_at=moment, recorded_at=moment)


def raw_sqlite_ceiling(path: Path) -> Figure:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, topic TEXT, "
        "state BLOB, PRIMARY KEY (originator_id, originator_version))"
    )
    state = b'{"text":"' + b"x" * 200 + b'"}'
    originator = uuid.uuid4().hex

    def run() -> None:
        for version in range(1, N + 1):
            conn.execute("BEGIN")
            conn.execute("INSERT INTO stored_events VALUES (?,?,?,?)", (originator, version, "t", state))
            conn.execute("COMMIT")

    figure = measure("raw sqlite3 append (ceiling)", N, run)
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    conn.close()
    return figure


def reported_complaint() -> Complaint:
    return Complaint.report(
        incident_id=uuid.uuid4(),
        stamp=stamp(),
        outlet="OUT-001",
        channel=Channel.WALK_IN,
        category=Category.SERVICE_QUALITY,
        summary="bench",
    )


def library_save(path: Path) -> Figure:
    """The library's own SQLite recorder: save() of one event, nothing else."""
    app: Application[uuid.UUID] = IncidentDesk(
        {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
    )
    complaint = reported_complaint()
    app.save(complaint)

    def run() -> None:
        for _ in range(N):
            complaint.add_note(stamp(), text="note")
            app.save(complaint)

    figure = measure("library save() of one event", N, run)
    app.close()
    return figure


def naive_commands(path: Path) -> Figure:
    """Load from the store, check, save: no cache, no batching (the library's defaults)."""
    desk = IncidentDesk(
        {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "AGGREGATE_CACHE_MAXSIZE": "",
        }
    )
    complaint = reported_complaint()
    desk.save(complaint)

    def run() -> None:
        for _ in range(N):
            incident = desk.get_incident(complaint.id)
            incident.add_note(stamp(), text="note")
            desk.save(incident)

    figure = measure("naive load-check-save command", N, run)
    desk.close()
    return figure


def complaint_fields() -> dict[str, Any]:
    return {
        "outlet": "OUT-001",
        "channel": Channel.WALK_IN,
        "category": Category.SERVICE_QUALITY,
        "summary": "bench",
    }


def desk_commands(path: Path, threads: int) -> Figure:
    """Full commands through the desk (receipt check, cached load, rules, append), from `threads` callers."""
    desk = IncidentDesk(store_env(f"sqlite:///{path}"))
    incidents = [
        desk.report_complaint(actor=TELLER, occurred_at=now(), **complaint_fields()).incident_id
        for _ in range(threads)
    ]
    per_thread = N // threads

    def caller(incident_id: uuid.UUID) -> None:
        for _ in range(per_thread):
            desk.act(
                incident_id,
                Complaint.add_note(text="note"),
                actor=TELLER,
                occurred_at=now(),
                command_id=uuid.uuid4().hex,
            )

    def run() -> None:
        workers = [threading.Thread(target=caller, args=(i,)) for i in incidents]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    label = "desk command, 1 caller" if threads == 1 else f"desk command, {threads} concurrent callers"
    figure = measure(label, per_thread * threads, run)
    desk.close()
    return figure


def main() -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        folder = Path(tmp)
        ceiling = raw_sqlite_ceiling(folder / "raw.db")
        figures = [
            library_save(folder / "library.db"),
            naive_commands(folder / "naive.db"),
            desk_commands(folder / "desk1.db", threads=1),
            desk_commands(folder / "desk8.db", threads=THREADS),
        ]
    print(table(f"SQLite append, {N} events, durable commits", ceiling, figures))


if __name__ == "__main__":
    main()
