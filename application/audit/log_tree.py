"""The Merkle tree over the log, kept beside it: its leaves, its perfect subtrees and its checkpoints.

`log_leaves` holds one row per event in tree order (index, the event's position, originator id and
version, its leaf hash); `log_nodes` the root of every perfect subtree above the leaves, written as
the append completes it, so a proof at any size is a few look-ups and never a re-read of the log;
`log_checkpoints` the signed tree heads. These tables are evidence only in so far as they agree with
the log and the signatures: `incident verify` recomputes the leaves from the rows themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from eventsourcing.persistence import ApplicationRecorder
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
    text,
)

from application.audit.frontier import FrontierTree
from application.audit.leaf import PAGE, encode_leaf, stored_rows
from application.audit.merkle import (
    HASH_SIZE,
    Nodes,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
)
from application.audit.signed_note import Checkpoint, sign_checkpoint

metadata = MetaData()
log_leaves = Table(
    "log_leaves",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("position", BigInteger, nullable=False, unique=True),
    Column("originator_id", String(64), nullable=False),
    Column("originator_version", BigInteger, nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
    UniqueConstraint("originator_id", "originator_version"),
)
log_nodes = Table(
    "log_nodes",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)
log_checkpoints = Table(
    "log_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("made_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class RecordedLeaf:
    """What the tree recorded of one event when it was appended."""

    idx: int
    position: int
    originator_id: str
    originator_version: int
    hash: bytes


class LogTree:
    """Appends the log's new rows to the tree, signs checkpoints and answers proofs from the tables."""

    def __init__(self, engine: Engine, origin: str, key: Ed25519PrivateKey) -> None:
        self._engine, self.origin, self._key = engine, origin, key
        self._tree: FrontierTree | None = None
        self._position = 0  # the last position in the tree

    def create_tables(self) -> None:
        """Create the tree's tables where missing (as their owner: `incident migrate`, or SQLite's start)."""
        metadata.create_all(self._engine)

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The key that verifies this tree's checkpoints."""
        return self._key.public_key()

    def forget(self) -> None:
        """Drop what is held in memory: the next use reloads the tree from its tables."""
        self._tree, self._position = None, 0

    @property
    def size(self) -> int:
        """Leaves in the tree."""
        return self._frontier().size

    def extend(self, recorder: ApplicationRecorder, limit: int | None = None) -> int:
        """Append the rows stored after the tree's last position (at most `limit`); how many were."""
        tree, added = self._frontier(), 0
        rows = stored_rows(recorder, after=self._position)
        while limit is None or added < limit:
            page = list(islice(rows, PAGE if limit is None else min(PAGE, limit - added)))
            if not page:
                break
            leaves: list[dict[str, object]] = []
            nodes: list[dict[str, object]] = []
            for row in page:
                completed = tree.append(leaf_hash(encode_leaf(row)))
                leaves.append(
                    {"idx": tree.size - 1, "position": row.position, "originator_id": row.originator_id,
                     "originator_version": row.originator_version, "hash": completed[0][2]}
                )  # fmt: skip
                nodes.extend({"level": level, "idx": i, "hash": h} for level, i, h in completed[1:])
            try:
                with self._engine.begin() as conn:
                    conn.execute(insert(log_leaves), leaves)
                    if nodes:
                        conn.execute(insert(log_nodes), nodes)
            except BaseException:
                self.forget()  # the frontier in memory went ahead of the tables: reload it next time
                raise
            self._position, added = page[-1].position, added + len(page)
        return added

    def checkpoint(self, now: datetime) -> str:
        """Sign the tree at its size, record it unless that size already is, and return the note."""
        tree = self._frontier()
        with self._engine.begin() as conn:
            stored = conn.execute(
                select(log_checkpoints.c.note).where(log_checkpoints.c.size == tree.size)
            ).scalar()
            if stored is not None:
                return str(stored)
            root = tree.root()
            note = sign_checkpoint(Checkpoint(self.origin, tree.size, root), self._key)
            conn.execute(insert(log_checkpoints).values(size=tree.size, root=root, note=note, made_at=now))
        return note

    def latest_checkpoint(self) -> str | None:
        """The note of the largest signed tree, if any."""
        with self._engine.connect() as conn:
            note = conn.execute(
                select(log_checkpoints.c.note).order_by(log_checkpoints.c.size.desc()).limit(1)
            )
            return note.scalar()

    def inclusion(self, idx: int, size: int) -> list[bytes]:
        """The audit path of leaf `idx` in the tree of `size` (ProofError if there is none)."""
        size = self._checked_size(size)
        return inclusion_proof(idx, size, self._nodes_for(lambda nodes: inclusion_proof(idx, size, nodes)))

    def inclusions(self, idxs: Sequence[int], size: int) -> list[list[bytes]]:
        """The audit paths of many leaves in the tree of `size`: their subtrees read in one go.

        An export asks for a page of neighbouring leaves, whose paths share most of their nodes: read
        once for the page, not once for each leaf, they cost a few statements instead of a thousand.
        """
        size = self._checked_size(size)
        nodes = self._nodes_for(lambda found: [inclusion_proof(idx, size, found) for idx in idxs])
        return [inclusion_proof(idx, size, nodes) for idx in idxs]

    def consistency(self, old_size: int, size: int) -> list[bytes]:
        """The proof that the tree of `old_size` is a prefix of the tree of `size`."""
        size = self._checked_size(size)
        return consistency_proof(
            old_size, size, self._nodes_for(lambda nodes: consistency_proof(old_size, size, nodes))
        )

    def leaf_at(self, position: int) -> RecordedLeaf | None:
        """The recorded leaf of the event at a log position."""
        with self._engine.connect() as conn:
            row = conn.execute(select(log_leaves).where(log_leaves.c.position == position)).first()
        return None if row is None else RecordedLeaf(*row)

    def recorded_position_of(self, originator_id: str, originator_version: int) -> int | None:
        """Where the tree recorded an event, if it did."""
        where = (log_leaves.c.originator_id == originator_id) & (
            log_leaves.c.originator_version == originator_version
        )
        with self._engine.connect() as conn:
            return conn.execute(select(log_leaves.c.position).where(where)).scalar()

    def recorded_leaves(self, page: int = PAGE) -> Iterator[RecordedLeaf]:
        """Every recorded leaf in tree order, read a page at a time."""
        after = -1
        while True:
            query = select(log_leaves).where(log_leaves.c.idx > after).order_by(log_leaves.c.idx).limit(page)
            with self._engine.connect() as conn:
                leaves = [RecordedLeaf(*row) for row in conn.execute(query)]
            yield from leaves
            if len(leaves) < page:
                return
            after = leaves[-1].idx

    def leaves_below(
        self,
        size: int,
        first_position: int = 0,
        last_position: int | None = None,
        originator_id: str | None = None,
        page: int = PAGE,
    ) -> Iterator[RecordedLeaf]:
        """The recorded leaves of the tree of `size`, in tree order, optionally between two positions
        (inclusive) or of one originator only, read a page at a time."""
        where = (log_leaves.c.idx < size) & (log_leaves.c.position >= first_position)
        if last_position is not None:
            where &= log_leaves.c.position <= last_position
        if originator_id is not None:
            where &= log_leaves.c.originator_id == originator_id
        after = -1
        while True:
            query = select(log_leaves).where(where & (log_leaves.c.idx > after)).order_by(log_leaves.c.idx)
            with self._engine.connect() as conn:
                leaves = [RecordedLeaf(*row) for row in conn.execute(query.limit(page))]
            yield from leaves
            if len(leaves) < page:
                return
            after = leaves[-1].idx

    def _checked_size(self, size: int) -> int:
        # A proof beyond the recorded tree would ask for nodes nobody wrote: refuse it as no proof.
        if size > self._stored_size():
            raise ProofError(f"the tree has no size {size} yet")
        return size

    def _nodes_for(self, proof: Callable[[Nodes], object]) -> Nodes:
        # Which subtrees a proof needs depends on its sizes only, not on their hashes: a dry run
        # names them, and they are read in two statements instead of one look-up each.
        wanted: set[tuple[int, int]] = set()

        def note(level: int, idx: int) -> bytes:
            wanted.add((level, idx))
            return bytes(HASH_SIZE)

        proof(note)
        # Plain SQL with the integers inline (ours, never a caller's text): building the equivalent
        # expression in SQLAlchemy cost more than the look-ups themselves.
        leaves = ", ".join(str(int(idx)) for level, idx in wanted if level == 0)
        by_level: dict[int, list[int]] = {}
        for level, idx in wanted:
            if level > 0:
                by_level.setdefault(int(level), []).append(int(idx))
        inner = " OR ".join(
            f"(level = {level} AND idx IN ({', '.join(map(str, sorted(idxs)))}))"
            for level, idxs in sorted(by_level.items())
        )
        found: dict[tuple[int, int], bytes] = {}
        with self._engine.connect() as conn:
            if leaves:
                rows = conn.execute(text(f"SELECT idx, hash FROM log_leaves WHERE idx IN ({leaves})"))
                found.update({(0, int(idx)): bytes(h) for idx, h in rows})
            if inner:
                rows = conn.execute(text(f"SELECT level, idx, hash FROM log_nodes WHERE {inner}"))
                found.update({(int(lv), int(idx)): bytes(h) for lv, idx, h in rows})
        return lambda level, idx: found[level, idx]

    def _node(self, level: int, idx: int) -> bytes:
        table, where = (log_leaves, log_leaves.c.idx == idx) if level == 0 else (
            log_nodes, (log_nodes.c.level == level) & (log_nodes.c.idx == idx))  # fmt: skip
        with self._engine.connect() as conn:
            return bytes(conn.execute(select(table.c.hash).where(where)).scalar_one())

    def _stored_size(self) -> int:
        with self._engine.connect() as conn:
            # The largest index, not count(*): a seek on the key, where a count reads every row.
            last = conn.execute(select(func.max(log_leaves.c.idx))).scalar()
        return 0 if last is None else int(last) + 1

    def _frontier(self) -> FrontierTree:
        # Restored once from the tables: one perfect subtree per set bit of the size, largest first.
        if self._tree is None:
            size = self._stored_size()
            frontier, start = [], 0
            for level in range(size.bit_length() - 1, -1, -1):
                if size >> level & 1:
                    frontier.append(self._node(level, start >> level))
                    start += 1 << level
            with self._engine.connect() as conn:
                last = conn.execute(select(func.max(log_leaves.c.position))).scalar()
            self._tree, self._position = FrontierTree(size, frontier), int(last or 0)
        return self._tree
