"""The log export: events/s and peak traced memory of `export_lines` over a stored log, beside a plain
walk of the rows (the baseline: reading and re-hashing, no proofs), and the offline verifier's rate.

An SQLite file in a temporary folder holds BENCH_EXPORT_EVENTS events of ~300 bytes; the tree is
extended and signed once. ROUNDS paired runs (baseline, then export) give the median and spread.
Memory: the export's peak allocation (tracemalloc) at a quarter of the log and at the whole log: a
constant-memory export shows the same peak at both sizes.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import StoredEvent

from application.audit.export import export_lines
from application.audit.leaf import encode_leaf, stored_rows
from application.audit.log_tree import LogTree
from application.audit.merkle import leaf_hash
from application.audit.signed_note import open_checkpoint, verifier_key
from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from interfaces.sql_engine import engine_for

EVENTS = int(os.environ.get("BENCH_EXPORT_EVENTS", "20000"))
ROUNDS = int(os.environ.get("BENCH_EXPORT_ROUNDS", "3"))
ORIGIN = "bench.example/log"
STATE = b'{"summary": "bench", "outlet": "BJ-HD-01", "padding": "' + b"x" * 240 + b'"}'
NOW = datetime(2026, 12, 3, tzinfo=UTC)


def _export(tree: LogTree, desk: IncidentDesk, note: str, vkey: str, out: Path, last: int | None) -> int:
    checkpoint = open_checkpoint(note, vkey)
    leaves = tree.leaves_below(checkpoint.size, last_position=last)
    with out.open("w", encoding="utf-8") as handle:
        lines = export_lines(tree, desk.recorder, note, checkpoint, vkey, {"scope": "all"}, leaves, NOW)
        handle.writelines(lines)
    return checkpoint.size


def _peak(run: object) -> int:
    tracemalloc.start()
    run()  # type: ignore[operator]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    tool = Path(__file__).resolve().parents[1] / "tools" / "verify_export.py"
    spec = importlib.util.spec_from_file_location("verify_export", tool)
    assert spec is not None
    assert spec.loader is not None
    verifier = importlib.util.module_from_spec(spec)
    sys.modules["verify_export"] = verifier
    spec.loader.exec_module(verifier)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'log.db'}"
        desk = IncidentDesk(store_env(url))
        for _ in range(EVENTS // 500):
            desk.recorder.insert_events(
                [
                    StoredEvent(uuid.uuid4(), 1, "domain.emergency:Emergency.Reported", STATE)
                    for _ in range(500)
                ]
            )
        key = Ed25519PrivateKey.generate()
        tree = LogTree(engine_for(url), ORIGIN, key)
        tree.create_tables()
        tree.extend(desk.recorder)
        note = tree.checkpoint(NOW)
        vkey = verifier_key(ORIGIN, key.public_key())
        out = Path(folder) / "export.ndjson"
        walk, export, verify = [], [], []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            for row in stored_rows(desk.recorder):
                leaf_hash(encode_leaf(row))
            walk.append(EVENTS / (time.perf_counter() - started))
            started = time.perf_counter()
            _export(tree, desk, note, vkey, out, None)
            export.append(EVENTS / (time.perf_counter() - started))
            started = time.perf_counter()
            with out.open(encoding="utf-8") as handle:
                verifier.verify_lines(handle, vkey)
            verify.append(EVENTS / (time.perf_counter() - started))
        quarter = _peak(lambda: _export(tree, desk, note, vkey, out, EVENTS // 4))
        whole = _peak(lambda: _export(tree, desk, note, vkey, out, None))
        size = out.stat().st_size
        desk.close()
    print(f"\n### Export ({EVENTS} events, SQLite, {ROUNDS} paired rounds; median, min–max)\n")
    print("| what | events/s | spread |")
    print("|---|---:|---:|")
    for name, runs in (
        ("walk + re-hash (baseline)", walk),
        ("export_lines", export),
        ("verify_export.py", verify),
    ):
        print(f"| {name} | {statistics.median(runs):,.0f} | {min(runs):,.0f}–{max(runs):,.0f} |")
    print(
        f"\nexport file: {size / EVENTS:.0f} bytes/event; peak traced memory of the export: "
        f"{quarter / 1e6:.2f} MB at {EVENTS // 4} events, {whole / 1e6:.2f} MB at {EVENTS} events"
    )
