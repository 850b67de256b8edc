"""Re-hash every stored row against a signed checkpoint and name the first position that differs.

The signed root decides whether the log is intact: the rows are re-hashed into a tree and its root at
the checkpoint's size must be the signed one (checking roots alone would pass a row edited on disk).
Where it is not, the recorded leaves (`log_leaves`, written as each event was appended) say where:
walking rows and records together in position order, a row whose bytes changed is *altered*, a row
holding an event recorded at another position is *reordered*, a recorded position with no row is
*removed*, and a row at a position the tree never recorded (below its last) is *inserted*. Rows and
records are read a page at a time: memory stays constant whatever the log's length.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from eventsourcing.persistence import ApplicationRecorder

from application.audit.frontier import FrontierTree
from application.audit.leaf import StoredRow, encode_leaf, stored_rows
from application.audit.log_tree import LogTree, RecordedLeaf
from application.audit.merkle import leaf_hash
from application.audit.signed_note import Checkpoint

MAX_FINDINGS = 20  # enough to see the pattern of a tampering without listing a whole rewritten log


@dataclass(frozen=True)
class Finding:
    """One position where the stored rows disagree with what the tree recorded."""

    position: int
    kind: str  # altered | removed | inserted | reordered
    detail: str

    def __str__(self) -> str:
        return f"position {self.position} {self.kind}: {self.detail}"


@dataclass
class Verification:
    """What `verify_log` found: intact only if the re-hashed rows give every checked root."""

    checkpoint: Checkpoint
    rows_checked: int = 0
    recomputed_root: bytes = b""
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # findings with no single position (roots)

    @property
    def intact(self) -> bool:
        return not self.findings and not self.problems


def verify_stored_log(
    tree: LogTree, recorder: ApplicationRecorder, checkpoint: Checkpoint, since: Checkpoint | None = None
) -> Verification:
    """Every stored row against a checkpoint of this log (and the older one an auditor kept)."""
    return verify_log(
        stored_rows(recorder), tree.recorded_leaves(), checkpoint, tree.recorded_position_of, since
    )


def verify_log(
    rows: Iterable[StoredRow],
    recorded: Iterable[RecordedLeaf],
    checkpoint: Checkpoint,
    recorded_position_of: Callable[[str, int], int | None],
    since: Checkpoint | None = None,
) -> Verification:
    """Check the first `checkpoint.size` rows against its signed root (and `since`'s, at its size)."""
    result, tree = Verification(checkpoint), FrontierTree()
    row_iter, record_iter = iter(rows), _within(iter(recorded), checkpoint.size)
    row, record = next(row_iter, None), next(record_iter, None)
    while record is not None or (row is not None and tree.size < checkpoint.size):
        if record is not None and (row is None or record.position < row.position):
            _found(result, Finding(record.position, "removed", f"{_event(record)} has no row"))
            record = next(record_iter, None)
            continue
        assert row is not None  # the loop's condition: no record left means a row is
        h = leaf_hash(encode_leaf(row))
        if record is None or row.position < record.position:
            if record is not None:  # below a recorded position: slipped in after the fact
                _found(result, Finding(row.position, "inserted", f"{_event(row)} was never in the tree"))
        else:
            if h != record.hash:
                _found(result, _changed(row, record, recorded_position_of))
            record = next(record_iter, None)
        if tree.size < checkpoint.size:
            _check_since(result, tree, since)
            tree.append(h)
            result.rows_checked += 1
        row = next(row_iter, None)
    _check_since(result, tree, since)
    result.recomputed_root = tree.root()
    if tree.size < checkpoint.size:
        result.problems.append(f"the log has {tree.size} rows, fewer than the checkpoint's {checkpoint.size}")
    elif result.recomputed_root != checkpoint.root:
        result.problems.append(f"the rows do not give the signed root at size {checkpoint.size}")
    return result


def _within(records: Iterator[RecordedLeaf], size: int) -> Iterator[RecordedLeaf]:
    # Records beyond the checkpoint are not yet signed for: they prove nothing either way.
    for record in records:
        if record.idx >= size:
            return
        yield record


def _check_since(result: Verification, tree: FrontierTree, since: Checkpoint | None) -> None:
    # The older checkpoint an auditor kept must be this very tree at its size: the log only grew.
    if since is not None and tree.size == since.size and tree.root() != since.root:
        result.problems.append(f"the rows do not give the root of the older checkpoint at size {since.size}")


def _changed(
    row: StoredRow, record: RecordedLeaf, recorded_position_of: Callable[[str, int], int | None]
) -> Finding:
    if (row.originator_id, row.originator_version) == (record.originator_id, record.originator_version):
        return Finding(row.position, "altered", f"the stored bytes of {_event(row)} changed")
    elsewhere = recorded_position_of(row.originator_id, row.originator_version)
    if elsewhere is None:
        return Finding(
            row.position, "inserted", f"{_event(row)}, never in the tree, is where {_event(record)} was"
        )
    return Finding(row.position, "reordered", f"holds {_event(row)}, recorded at position {elsewhere}")


def _event(x: StoredRow | RecordedLeaf) -> str:
    return f"event {x.originator_id} v{x.originator_version}"


def _found(result: Verification, finding: Finding) -> None:
    if len(result.findings) < MAX_FINDINGS:
        result.findings.append(finding)
