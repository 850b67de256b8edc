"""The log as evidence to take away: NDJSON, each event with its leaf hash and its inclusion proof.

Format "incident-log-export", version 1 (tools/verify_export.py checks it with no server and no
database): a header line (what was asked, the signed checkpoint the proofs are against, the verifier
key, the origin, when), then one event a line in tree order (its leaf index and position, every field
the leaf covers, the state in base64, the leaf hash the tree recorded and its audit path against the
checkpoint), then a trailer with the count of event lines, so a cut-off file shows.

The export ends at the checkpoint: an event the checkpoint does not cover has no proof against it,
and is left out (the CLI brings the tree to the head and signs before it exports; the server's
follower signs as it goes). A stored row is exported as the store holds it now: a row changed since it
was appended fails the verifier on its own line, one gone is a line with `"missing": true`.
Lines are produced a page at a time, so memory does not grow with the log.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice

from eventsourcing.persistence import ApplicationRecorder

from application.audit.leaf import PAGE
from application.audit.log_tree import LogTree, RecordedLeaf
from application.audit.signed_note import Checkpoint

FORMAT, VERSION = "incident-log-export", 1


def export_lines(
    tree: LogTree,
    recorder: ApplicationRecorder,
    note: str,
    checkpoint: Checkpoint,
    vkey: str,
    scope: dict[str, object],
    leaves: Iterable[RecordedLeaf],
    generated_at: datetime,
) -> Iterator[str]:
    """The export's lines, each ending in a newline: header, events, trailer."""
    header = {
        "type": "header",
        "format": FORMAT,
        "version": VERSION,
        "scope": scope,
        "checkpoint": note,
        "tree_size": checkpoint.size,
        "vkey": vkey,
        "origin": checkpoint.origin,
        "generated_at": generated_at.isoformat(),
    }
    yield _line(header)
    count, walk = 0, iter(leaves)
    pages = iter(lambda: tuple(islice(walk, PAGE)), ())
    for page in pages:
        rows = _stored(recorder, page)
        proofs = tree.inclusions([leaf.idx for leaf in page], checkpoint.size)
        for leaf, proof in zip(page, proofs, strict=True):
            yield _line(_event(leaf, rows.get(leaf.position), proof))
            count += 1
    yield _line({"type": "trailer", "count": count})


def _event(leaf: RecordedLeaf, row: _Row | None, proof: list[bytes]) -> dict[str, object]:
    line: dict[str, object] = {"type": "event", "index": leaf.idx, "position": leaf.position}
    if row is None:
        line.update(
            originator_id=leaf.originator_id, originator_version=leaf.originator_version, missing=True
        )
    else:
        line.update(originator_id=row[0], originator_version=row[1], topic=row[2], state=_b64(row[3]))
    line["leaf_hash"] = _b64(leaf.hash)
    line["proof"] = [_b64(h) for h in proof]
    return line


_Row = tuple[str, int, str, bytes]


def _stored(recorder: ApplicationRecorder, page: Sequence[RecordedLeaf]) -> dict[int, _Row]:
    # One range read when the page's positions are close together (the whole log, a range), else one
    # read per event (an incident's events are scattered through the log).
    lo, hi = page[0].position, page[-1].position
    spans = [(lo, hi)] if hi - lo < 2 * len(page) else [(leaf.position, leaf.position) for leaf in page]
    rows: dict[int, _Row] = {}
    for start, stop in spans:
        for n in recorder.select_notifications(start, stop - start + 1, stop=stop):
            state = n.state.encode() if isinstance(n.state, str) else bytes(n.state)
            rows[n.id] = (str(n.originator_id), n.originator_version, n.topic, state)
    return rows


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _line(value: dict[str, object]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"
