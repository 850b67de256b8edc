"""An export of stored events as NDJSON evidence: each row with its leaf hash and inclusion proof.

The first line is the header: the format and its version, what was asked, the signed checkpoint every
proof is against (a C2SP signed note), its verifier key and tree size. Then one line per event, in log
order: its position and leaf index, every stored field the leaf covers (originator id, version,
topic, the state bytes in base64), the leaf hash and the RFC 9162 audit path, both in base64. The last
line is the trailer with the number of events, so a file cut short is told from a complete one.

Only events the checkpoint covers are exported (a later event has no proof against it yet); the header
says where the tree stood. Rows are read a page at a time and each line is yielded as it is made:
memory stays constant however long the log.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.persistence import ApplicationRecorder

from application.audit.leaf import StoredRow, encode_leaf, stored_rows
from application.audit.log_tree import LogTree
from application.audit.merkle import leaf_hash
from application.audit.signed_note import Checkpoint, verifier_key

EXPORT_FORMAT = "incident-log-export"
EXPORT_VERSION = 1


@dataclass(frozen=True)
class ExportScope:
    """Which rows an export holds: a position range, narrowed to some incidents (None: every row)."""

    description: dict[str, Any]
    after: int = 0  # positions after this one
    up_to: int | None = None  # and at most this one
    originators: frozenset[str] | None = None

    def holds(self, row: StoredRow) -> bool:
        return (self.up_to is None or row.position <= self.up_to) and (
            self.originators is None or row.originator_id in self.originators
        )


def export_lines(
    tree: LogTree,
    recorder: ApplicationRecorder,
    checkpoint: Checkpoint,
    note: str,
    scope: ExportScope,
    generated_at: datetime,
    on_event: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """The export's lines, each ending in a newline: header, events, trailer."""
    last_position = tree.position_at(checkpoint.size)
    yield _line(
        {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "scope": scope.description,
            "origin": checkpoint.origin,
            "tree_size": checkpoint.size,
            "last_position": last_position,
            "checkpoint": note,
            "vkey": verifier_key(tree.origin, tree.public_key),
            "generated_at": generated_at.isoformat(),
        }
    )
    count = 0
    up_to = last_position if scope.up_to is None else min(scope.up_to, last_position)
    for row in stored_rows(recorder, after=scope.after):
        if row.position > up_to:
            break
        if not scope.holds(row):
            continue
        yield _line(_event(tree, row, checkpoint.size))
        count += 1
        if on_event is not None:
            on_event(count)
    yield _line({"trailer": True, "events": count})


def _event(tree: LogTree, row: StoredRow, size: int) -> dict[str, Any]:
    recorded = tree.leaf_at(row.position)
    if recorded is None:  # below the checkpoint every row has its leaf; one without was inserted since
        index, proof = None, []
    else:
        index, proof = recorded.idx, tree.inclusion(recorded.idx, size)
    return {
        "position": row.position,
        "leaf_index": index,
        "originator_id": row.originator_id,
        "originator_version": row.originator_version,
        "topic": row.topic,
        "state": _b64(row.state),
        "leaf_hash": _b64(leaf_hash(encode_leaf(row))),
        "inclusion_proof": [_b64(h) for h in proof],
    }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _line(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"
