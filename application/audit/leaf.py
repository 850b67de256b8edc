"""The leaf of one stored event: every stored field of its row, canonically encoded.

The events table holds, per row, its position (SQLite's rowid, PostgreSQL's notification_id), the
originator id, the originator version, the topic and the state bytes (the event's recorded time is
inside the state: the library keeps no separate column). The leaf is

    b"incident-log-leaf-v1" ‖ u64(position) ‖ u64(version) ‖ field(originator id) ‖ field(topic) ‖ field(state)

where u64 is 8 bytes big-endian, field(x) is u32(len(x)) ‖ x (4 bytes big-endian, then the bytes), the
originator id is its text form in UTF-8 (the stored TEXT on SQLite, the uuid's canonical text on
PostgreSQL), the topic is UTF-8 and the state is the stored bytes as they are (compressed or
encrypted: verifying needs no key). Lengths make the encoding unambiguous, so changing any stored
byte, or moving a row to another position, changes the leaf. Its Merkle leaf hash is
SHA-256(0x00 ‖ leaf) (application.audit.merkle.leaf_hash).
"""

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from eventsourcing.persistence import ApplicationRecorder

LEAF_LABEL = b"incident-log-leaf-v1"
PAGE = 1000  # rows per read: the log is walked in constant memory


@dataclass(frozen=True)
class StoredRow:
    """One row of the events table, as stored."""

    position: int
    originator_id: str
    originator_version: int
    topic: str
    state: bytes


def encode_leaf(row: StoredRow) -> bytes:
    """The canonical bytes of one row (see the module docstring)."""
    return b"".join(
        [
            LEAF_LABEL,
            struct.pack(">QQ", row.position, row.originator_version),
            _field(row.originator_id.encode()),
            _field(row.topic.encode()),
            _field(row.state),
        ]
    )


def _field(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def stored_rows(recorder: ApplicationRecorder, after: int = 0, page: int = PAGE) -> Iterator[StoredRow]:
    """Every row after position `after`, in position order, read a page at a time."""
    while True:
        notifications = recorder.select_notifications(after, page, inclusive_of_start=False)
        for n in notifications:
            yield StoredRow(n.id, str(n.originator_id), n.originator_version, n.topic, _bytes(n.state))
        if len(notifications) < page:
            return
        after = notifications[-1].id


def _bytes(state: bytes | str) -> bytes:
    # SQLite returns a TEXT where a forger's expression turned the BLOB into one: hash what is there.
    return state.encode() if isinstance(state, str) else bytes(state)
