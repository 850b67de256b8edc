"""The log's Merkle tree: leaves appended per second beside the log's append rate, proof time at 1M leaves,
`incident verify`'s rate, on an SQLite file in a temporary folder.

- Log append: stored events of ~300 bytes written to the store in batches of BENCH_MERKLE_BATCH.
- Tree append (memory): hashing each leaf and the O(log n) frontier append, no I/O.
- Tree append (stored): `LogTree.extend` reading those rows a page at a time, hashing them and writing
  leaves and completed subtrees beside them, as the follower does.
- Proofs: the tables of a tree of BENCH_MERKLE_PROOF_LEAVES synthetic leaves, written straight from a
  frontier tree (making 1M real events would take the bench minutes); median of inclusion and
  consistency proofs at random indices, each read from the tables.
- Verify: `verify_stored_log` over the stored events against a signed checkpoint.
- Checkpoint lag: a writer appending BENCH_MERKLE_RATE events/s for BENCH_MERKLE_LAG_SECONDS while the
  follower signs every 2 s; sampled every 0.25 s, the events the head is ahead of the latest checkpoint.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import StoredEvent
from sqlalchemy import insert

from application.audit.frontier import FrontierTree
from application.audit.leaf import encode_leaf, stored_rows
from application.audit.log_tree import LogTree, log_leaves, log_nodes
from application.audit.merkle import leaf_hash
from application.audit.signed_note import open_checkpoint, verifier_key
from application.audit.tree_follower import TreeFollower
from application.audit.verify import verify_stored_log
from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from interfaces.sql_engine import engine_for

EVENTS = int(os.environ.get("BENCH_MERKLE_EVENTS", "50000"))
BATCH = int(os.environ.get("BENCH_MERKLE_BATCH", "500"))
PROOF_LEAVES = int(os.environ.get("BENCH_MERKLE_PROOF_LEAVES", "1000000"))
PROOFS = int(os.environ.get("BENCH_MERKLE_PROOFS", "200"))
RATE = int(os.environ.get("BENCH_MERKLE_RATE", "2000"))
LAG_SECONDS = float(os.environ.get("BENCH_MERKLE_LAG_SECONDS", "10"))
ORIGIN = "bench.example/log"
STATE = b'{"summary": "bench", "outlet": "BJ-HD-01", "padding": "' + b"x" * 240 + b'"}'


def _write_log(desk: IncidentDesk) -> float:
    started = time.perf_counter()
    for _ in range(EVENTS // BATCH):
        batch = [
            StoredEvent(uuid.uuid4(), 1, "domain.emergency:Emergency.Reported", STATE) for _ in range(BATCH)
        ]  # fmt: skip
        desk.recorder.insert_events(batch)
    return (EVENTS // BATCH * BATCH) / (time.perf_counter() - started)


def _memory_append_rate(n: int) -> float:
    tree, leaves = FrontierTree(), [os.urandom(32) for _ in range(1000)]
    started = time.perf_counter()
    for i in range(n):
        tree.append(leaf_hash(leaves[i % 1000]))
    return n / (time.perf_counter() - started)


def _synthetic_tree(folder: Path, n: int) -> LogTree:
    engine = engine_for(f"sqlite:///{folder / 'proofs.db'}")
    tree = LogTree(engine, ORIGIN, Ed25519PrivateKey.generate())
    tree.create_tables()
    frontier = FrontierTree()
    leaves: list[dict[str, object]] = []
    nodes: list[dict[str, object]] = []
    with engine.begin() as conn:
        for i in range(n):
            completed = frontier.append(leaf_hash(i.to_bytes(8, "big")))
            leaves.append({"idx": i, "position": i + 1, "originator_id": str(i), "originator_version": 1,
                           "hash": completed[0][2]})  # fmt: skip
            nodes.extend({"level": lv, "idx": j, "hash": h} for lv, j, h in completed[1:])
            if len(leaves) >= 20000:
                conn.execute(insert(log_leaves), leaves)
                conn.execute(insert(log_nodes), nodes)
                leaves, nodes = [], []
        if leaves:
            conn.execute(insert(log_leaves), leaves)
        if nodes:
            conn.execute(insert(log_nodes), nodes)
    return tree


def _median_ms(run: list[float]) -> float:
    return statistics.median(run) * 1000


def _proof_times(tree: LogTree, n: int) -> tuple[float, float]:
    rng, inclusion, consistency = random.Random(1), [], []
    for _ in range(PROOFS):
        idx, old = rng.randrange(n), rng.randrange(1, n)
        started = time.perf_counter()
        tree.inclusion(idx, n)
        inclusion.append(time.perf_counter() - started)
        started = time.perf_counter()
        tree.consistency(old, n)
        consistency.append(time.perf_counter() - started)
    return _median_ms(inclusion), _median_ms(consistency)


class _Leader:
    held = True


def _checkpoint_lag(desk: IncidentDesk, tree: LogTree) -> tuple[float, int]:
    follower = TreeFollower(tree, desk.recorder, lambda: datetime.now(UTC), _Leader())
    follower.start()
    lags: list[int] = []
    started, written = time.perf_counter(), 0
    try:
        while (elapsed := time.perf_counter() - started) < LAG_SECONDS:
            due = int(elapsed * RATE) - written
            if due > 0:
                desk.recorder.insert_events(
                    [
                        StoredEvent(uuid.uuid4(), 1, "domain.emergency:Emergency.Reported", STATE)
                        for _ in range(due)
                    ]
                )
                written += due
            if len(lags) < elapsed * 4:
                note = tree.latest_checkpoint() or "\n0\n"
                lags.append((desk.recorder.max_notification_id() or 0) - int(note.split("\n")[1]))
            time.sleep(0.01)
    finally:
        follower.stop()
    return statistics.median(lags), max(lags)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'incident.db'}"
        desk = IncidentDesk(store_env(url))
        try:
            log_rate = _write_log(desk)
            tree = LogTree(engine_for(url), ORIGIN, Ed25519PrivateKey.generate())
            tree.create_tables()
            started = time.perf_counter()
            added = tree.extend(desk.recorder)
            stored_rate = added / (time.perf_counter() - started)
            note = tree.checkpoint(datetime.now(UTC))
            checkpoint = open_checkpoint(note, verifier_key(ORIGIN, tree.public_key))
            started = time.perf_counter()
            result = verify_stored_log(tree, desk.recorder, checkpoint)
            verify_rate = result.rows_checked / (time.perf_counter() - started)
            assert result.intact, result.problems
            started = time.perf_counter()
            rows = sum(1 for row in stored_rows(desk.recorder) if encode_leaf(row))
            read_rate = rows / (time.perf_counter() - started)
            lag_median, lag_max = _checkpoint_lag(desk, tree)
        finally:
            desk.close()
        memory_rate = _memory_append_rate(200_000)
        started = time.perf_counter()
        proofs = _synthetic_tree(Path(folder), PROOF_LEAVES)
        built = time.perf_counter() - started
        inclusion_ms, consistency_ms = _proof_times(proofs, PROOF_LEAVES)
    print(f"\n### The log's Merkle tree ({EVENTS:,} events, SQLite)\n")
    print("| what | figure |\n|---|---:|")
    print(f"| log append (store, batches of {BATCH}) | {log_rate:,.0f} events/s |")
    print(f"| tree append, in memory (hash + frontier) | {memory_rate:,.0f} leaves/s |")
    print(f"| tree append, stored (`LogTree.extend`: read, hash, write) | {stored_rate:,.0f} leaves/s |")
    print(f"| reading and encoding the rows alone | {read_rate:,.0f} rows/s |")
    print(f"| `incident verify` (re-hash every row, compare records) | {verify_rate:,.0f} rows/s |")
    print(f"| inclusion proof at {PROOF_LEAVES:,} leaves (median of {PROOFS}) | {inclusion_ms:.2f} ms |")
    print(f"| consistency proof at {PROOF_LEAVES:,} leaves (median of {PROOFS}) | {consistency_ms:.2f} ms |")
    print(f"| writing the {PROOF_LEAVES:,}-leaf tree's tables | {built:.1f} s |")
    print(f"| checkpoint lag at {RATE:,} events/s, median / max | {lag_median:,.0f} / {lag_max:,} events |")


if __name__ == "__main__":
    main()
