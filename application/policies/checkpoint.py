"""The policies' memory kept beside the boards, with the log position it stands at, in one transaction.

A restarted runner takes its memory back from here and reads the log only after that position.
What it does again for the events after it (a checkpoint is written about once a second, not per
event) records nothing twice: every policy command id is derived from what triggered it.

Each policy's memory is rows of (key, body), written as they change. The checkpoint row carries
the signature of the policies that wrote it (names and memory versions): a runner with another
set, or a policy whose memory changed shape, finds no checkpoint and reads the log from 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import InterfaceError, OperationalError

from application.store.errors import RECOVERABLE_STORE_ERRORS

CHECKPOINT = "policies"
CHUNK = 500  # keys per statement: a bounded IN list

metadata = MetaData()
policy_checkpoint = Table(
    "policy_checkpoint",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("signature", Text, nullable=False),
)
policy_memory = Table(
    "policy_memory",
    metadata,
    Column("policy", String(64), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("body", LargeBinary, nullable=False),
)

Changes = Mapping[str, Mapping[str, bytes | None]]  # policy → key → body (None: forgotten)
# A checkpoint that could not be written for these (the store away, SQLite busy past its wait) is
# written with the next one: the memory it would have saved is still whole.
NOT_WRITTEN_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    *RECOVERABLE_STORE_ERRORS,
)


class CheckpointMovedError(RuntimeError):
    """The stored checkpoint is ahead of the one being written: another runner wrote it."""


@dataclass(frozen=True)
class Checkpoint:
    """The position the memory stands at, and each policy's rows."""

    position: int
    memory: dict[str, list[tuple[str, bytes]]]


class PolicyCheckpoints:
    """Reads and writes the checkpoint of one set of policies (identified by its signature)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        metadata.create_all(engine)  # nothing to do once `incident migrate` has made the tables

    def load(self, signature: str) -> Checkpoint | None:
        """The stored checkpoint of this set of policies, or None (none yet, or another set's)."""
        with self._engine.connect() as conn:
            row = conn.execute(
                select(policy_checkpoint.c.position, policy_checkpoint.c.signature).where(
                    policy_checkpoint.c.name == CHECKPOINT
                )
            ).first()
            if row is None or row.signature != signature:
                return None
            memory: dict[str, list[tuple[str, bytes]]] = {}
            query = select(policy_memory.c.policy, policy_memory.c.key, policy_memory.c.body)
            for policy, key, body in conn.execute(query):
                memory.setdefault(policy, []).append((key, bytes(body)))
        return Checkpoint(int(row.position), memory)

    def save(self, signature: str, position: int, changes: Changes, *, fresh: bool = False) -> None:
        """Write the changed rows and the position in one transaction (`fresh`: drop all rows first).

        Refuses (CheckpointMovedError, all rolled back) to move a checkpoint of the same set back.
        """
        with self._engine.begin() as conn:
            # The first statement writes, so SQLite takes its write lock at once (waiting its turn).
            if not _move(conn, signature, position, fresh):
                raise CheckpointMovedError(f"the policies' checkpoint is past position {position}")
            if fresh:
                conn.execute(delete(policy_memory))
            for policy, rows in changes.items():
                _write(conn, policy, rows, fresh)

    def clear(self) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(policy_checkpoint))
            conn.execute(delete(policy_memory))


def _move(conn: Connection, signature: str, position: int, fresh: bool) -> bool:
    row = policy_checkpoint.c
    query = update(policy_checkpoint).where(row.name == CHECKPOINT)
    if not fresh:
        query = query.where(row.signature == signature, row.position <= position)
    moved = conn.execute(query.values(position=position, signature=signature))
    if moved.rowcount == 1:
        return True
    if conn.execute(select(row.name).where(row.name == CHECKPOINT)).first() is not None:
        return False
    conn.execute(insert(policy_checkpoint).values(name=CHECKPOINT, position=position, signature=signature))
    return True


def _write(conn: Connection, policy: str, rows: Mapping[str, bytes | None], fresh: bool) -> None:
    keys = sorted(rows)
    if not fresh:
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            conn.execute(
                delete(policy_memory).where(policy_memory.c.policy == policy, policy_memory.c.key.in_(chunk))
            )
    kept = [{"policy": policy, "key": key, "body": rows[key]} for key in keys if rows[key] is not None]
    for start in range(0, len(kept), CHUNK):
        conn.execute(insert(policy_memory), kept[start : start + CHUNK])
