"""The Merkle tree over the stored log on both stores: proofs from its tables, and tampering found."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from application.audit.leaf import encode_leaf, stored_rows
from application.audit.log_tree import LogTree
from application.audit.merkle import leaf_hash, root_hash, verify_consistency, verify_inclusion
from application.audit.signed_note import Checkpoint, open_checkpoint, verifier_key
from application.audit.tree_follower import TreeFollower
from application.audit.verify import verify_stored_log
from interfaces.sql_engine import engine_for
from tests.integration.ledger import Ledger, ledger
from tests.integration.test_append_only import plain_connection, tables

ORIGIN = "bank.example/incident-log"
KEY = Ed25519PrivateKey.generate()
VKEY = verifier_key(ORIGIN, KEY.public_key())
NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


@pytest.fixture
def app(database_url: str) -> Iterator[Ledger]:
    app = ledger(database_url)
    for writer in ("teller", "lobby", "vault"):
        app.write(writer, 3)  # 4 events each: 12 in all
    yield app
    app.close()


@pytest.fixture
def tree(database_url: str, app: Ledger) -> LogTree:
    tree = LogTree(engine_for(database_url), ORIGIN, KEY)
    tree.create_tables()
    assert tree.extend(app.recorder) == 12
    tree.checkpoint(NOW)
    return tree


def _latest(tree: LogTree) -> Checkpoint:
    note = tree.latest_checkpoint()
    assert note is not None
    return open_checkpoint(note, VKEY)


def test_the_checkpoint_signs_the_root_of_every_stored_row(app: Ledger, tree: LogTree) -> None:
    leaves = [leaf_hash(encode_leaf(row)) for row in stored_rows(app.recorder, page=5)]
    assert _latest(tree) == Checkpoint(ORIGIN, 12, root_hash(leaves))


def test_proofs_from_the_tables_verify_against_signed_checkpoints(app: Ledger, tree: LogTree) -> None:
    old = _latest(tree)
    app.write("teller", 6)
    assert tree.extend(app.recorder, limit=5) == 5
    assert tree.extend(app.recorder) == 2
    tree.checkpoint(NOW)
    new = _latest(tree)
    assert new.size == 19
    leaves = [leaf_hash(encode_leaf(row)) for row in stored_rows(app.recorder)]
    for idx in range(new.size):
        verify_inclusion(idx, new.size, leaves[idx], tree.inclusion(idx, new.size), new.root)
    verify_consistency(old.size, new.size, old.root, new.root, tree.consistency(old.size, new.size))


def test_a_restarted_tree_carries_on_from_its_tables(database_url: str, app: Ledger, tree: LogTree) -> None:
    assert tree.size == 12
    app.write("lobby", 2)
    again = LogTree(engine_for(database_url), ORIGIN, KEY)
    assert again.size == 12
    assert again.extend(app.recorder) == 3
    again.checkpoint(NOW)
    leaves = [leaf_hash(encode_leaf(row)) for row in stored_rows(app.recorder)]
    assert _latest(again) == Checkpoint(ORIGIN, 15, root_hash(leaves))


def test_an_untouched_log_verifies(app: Ledger, tree: LogTree) -> None:
    app.write("late", 1)  # after the checkpoint: not covered, not a finding
    result = verify_stored_log(tree, app.recorder, _latest(tree))
    assert result.intact
    assert result.rows_checked == 12


def _position_column(database_url: str) -> str:
    return "rowid" if database_url.startswith("sqlite") else "notification_id"


TAMPERINGS = {
    "altered": ["UPDATE {table} SET state = state || {byte} WHERE {position} = 5"],
    "removed": ["DELETE FROM {table} WHERE {position} = 5"],
    "inserted": [
        "UPDATE {table} SET {position} = {position} + 1000 WHERE {position} >= 5",
        "UPDATE {table} SET {position} = {position} - 999 WHERE {position} >= 1005",
        "INSERT INTO {table} ({position}, originator_id, originator_version, topic, state) "
        "SELECT 5, originator_id, originator_version + 100, topic, state FROM {table} WHERE {position} = 1",
    ],
    "reordered": [
        "UPDATE {table} SET {position} = 1000 WHERE {position} = 5",
        "UPDATE {table} SET {position} = 5 WHERE {position} = 9",
        "UPDATE {table} SET {position} = 9 WHERE {position} = 1000",
    ],
}


def tamper(database_url: str, kind: str, table: str | None = None) -> None:
    """Tamper with the events table as the database's owner, the append-only triggers out of the way."""
    table, position = table or tables(database_url)["events"], _position_column(database_url)
    byte = "x'00'" if database_url.startswith("sqlite") else "'\\x00'::bytea"
    statements = [s.replace("{byte}", byte) for s in TAMPERINGS[kind]]
    with plain_connection(database_url) as conn:
        if database_url.startswith("sqlite"):
            names = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
            )
            for (name,) in names.fetchall():
                conn.execute(f"DROP TRIGGER {name}")
        else:
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for statement in statements:
            conn.execute(statement.format(table=table, position=position))


@pytest.mark.parametrize("kind", list(TAMPERINGS))
def test_tampering_by_the_owner_is_found_at_its_position(
    database_url: str, app: Ledger, tree: LogTree, kind: str
) -> None:
    tamper(database_url, kind)
    result = verify_stored_log(tree, app.recorder, _latest(tree))
    assert not result.intact
    assert (result.findings[0].position, result.findings[0].kind) == (5, kind)
    assert result.problems  # and the signed root is not reproduced


def test_an_older_checkpoint_an_auditor_kept_is_checked_too(app: Ledger, tree: LogTree) -> None:
    old = _latest(tree)
    forged = Checkpoint(old.origin, old.size, bytes(32))
    app.write("teller", 1)
    tree.extend(app.recorder)
    tree.checkpoint(NOW)
    assert verify_stored_log(tree, app.recorder, _latest(tree), since=old).intact
    result = verify_stored_log(tree, app.recorder, _latest(tree), since=forged)
    assert result.problems == ["the rows do not give the root of the older checkpoint at size 12"]


def test_the_root_is_base64_in_the_note(tree: LogTree) -> None:
    note = tree.latest_checkpoint()
    assert note is not None
    assert base64.b64decode(note.split("\n")[2]) == _latest(tree).root


class _Lock:
    def __init__(self, held: bool) -> None:
        self.held = held


def _wait_for(found: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not found():
        time.sleep(0.02)
    return found()


def test_the_follower_signs_while_the_log_grows_only_while_it_leads(database_url: str, app: Ledger) -> None:
    tree = LogTree(engine_for(database_url), ORIGIN, KEY)
    tree.create_tables()
    lock = _Lock(held=False)
    follower = TreeFollower(tree, app.recorder, lambda: NOW, lock, every_seconds=0.05)
    follower.start()
    try:
        time.sleep(0.3)
        assert tree.latest_checkpoint() is None  # standing by: another worker leads
        lock.held = True
        assert _wait_for(lambda: tree.latest_checkpoint() is not None and _latest(tree).size == 12)
        app.write("lobby", 1)
        assert _wait_for(lambda: _latest(tree).size == 14)
    finally:
        follower.stop()
