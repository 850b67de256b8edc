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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import StoredEvent
from sqlalchemy import insert, select

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
ROUNDS = int(os.environ.get("BENCH_MERKLE_ROUNDS", "2"))
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


@dataclass
class _Round:
    """One round's figures: each product figure beside the baseline measured just before it."""

    log_append: float = 0.0
    tree_append: float = 0.0
    read_rows: float = 0.0
    verify: float = 0.0
    leaf_read_ms: float = 0.0
    inclusion_ms: float = 0.0
    consistency_ms: float = 0.0
    lag_median: float = 0.0
    lag_max: int = 0


def _log_round(folder: Path, round_: _Round) -> None:
    url = f"sqlite:///{folder / 'incident.db'}"
    desk = IncidentDesk(store_env(url))
    try:
        round_.log_append = _write_log(desk)
        tree = LogTree(engine_for(url), ORIGIN, Ed25519PrivateKey.generate())
        tree.create_tables()
        started = time.perf_counter()
        added = tree.extend(desk.recorder)
        round_.tree_append = added / (time.perf_counter() - started)
        note = tree.checkpoint(datetime.now(UTC))
        checkpoint = open_checkpoint(note, verifier_key(ORIGIN, tree.public_key))
        started = time.perf_counter()
        rows = sum(1 for row in stored_rows(desk.recorder) if encode_leaf(row))
        round_.read_rows = rows / (time.perf_counter() - started)
        started = time.perf_counter()
        result = verify_stored_log(tree, desk.recorder, checkpoint)
        round_.verify = result.rows_checked / (time.perf_counter() - started)
        assert result.intact, result.problems
        round_.lag_median, round_.lag_max = _checkpoint_lag(desk, tree)
    finally:
        desk.close()


def _leaf_read_ms(folder: Path, n: int) -> float:
    # The baseline of a proof: one indexed read of a stored leaf, the least a proof must do.
    rng, times = random.Random(2), []
    with engine_for(f"sqlite:///{folder / 'proofs.db'}").connect() as conn:
        for _ in range(PROOFS):
            idx = rng.randrange(n)
            started = time.perf_counter()
            conn.execute(select(log_leaves.c.hash).where(log_leaves.c.idx == idx)).scalar_one()
            times.append(time.perf_counter() - started)
    return _median_ms(times)


def _spread(values: list[float], fmt: str = ",.0f") -> str:
    low, high = min(values), max(values)
    return f"{low:{fmt}}" if f"{low:{fmt}}" == f"{high:{fmt}}" else f"{low:{fmt}}–{high:{fmt}}"


def main() -> None:
    rounds = [_Round() for _ in range(ROUNDS)]
    with tempfile.TemporaryDirectory() as folder:
        for i, round_ in enumerate(rounds):
            (Path(folder) / f"round{i}").mkdir()
            _log_round(Path(folder) / f"round{i}", round_)
        started = time.perf_counter()
        proofs = _synthetic_tree(Path(folder), PROOF_LEAVES)
        built = time.perf_counter() - started
        for round_ in rounds:
            round_.leaf_read_ms = _leaf_read_ms(Path(folder), PROOF_LEAVES)
            round_.inclusion_ms, round_.consistency_ms = _proof_times(proofs, PROOF_LEAVES)
    memory_rate = _memory_append_rate(200_000)

    def pair(product: str, baseline: str, fmt: str = ",.0f") -> str:
        ours = [getattr(r, product) for r in rounds]
        base = [getattr(r, baseline) for r in rounds]
        ratios = [o / b for o, b in zip(ours, base, strict=True)]
        return f"{_spread(ours, fmt)} | {_spread(base, fmt)} | {_spread(ratios, '.2f')}×"

    print(f"\n### The log's Merkle tree ({EVENTS:,} events, SQLite, {ROUNDS} paired rounds)\n")
    print("| what | figure | baseline | ratio |\n|---|---:|---:|---:|")
    print(
        f"| tree append, stored (read, hash, write), leaves/s vs log append ({BATCH}/batch), events/s | {pair('tree_append', 'log_append')} |"
    )
    print(
        f"| `incident verify`, rows/s vs reading and encoding the rows alone | {pair('verify', 'read_rows')} |"
    )
    print(
        f"| inclusion proof at {PROOF_LEAVES:,} leaves, median ms vs one stored leaf read | {pair('inclusion_ms', 'leaf_read_ms', '.2f')} |"
    )
    print(
        f"| consistency proof at {PROOF_LEAVES:,} leaves, median ms vs one stored leaf read | {pair('consistency_ms', 'leaf_read_ms', '.2f')} |"
    )
    lag = " / ".join(
        f"{r.lag_median:,.0f}–{r.lag_max:,} ({r.lag_median / RATE:.1f}–{r.lag_max / RATE:.1f} s)"
        for r in rounds
    )
    print(
        f"| checkpoint lag at {RATE:,} events/s, median–max events (seconds) behind the head, per round | {lag} | | |"
    )
    print(f"| tree append in memory (hash + frontier), leaves/s | {memory_rate:,.0f} | | |")
    print(f"| writing the {PROOF_LEAVES:,}-leaf tree's tables | {built:.1f} s | | |")


if __name__ == "__main__":
    main()
