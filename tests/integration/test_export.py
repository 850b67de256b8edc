"""The log exported as NDJSON on both stores, and checked by the offline verifier with no server."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from application.audit.export import export_lines
from application.audit.log_tree import LogTree
from application.audit.signed_note import open_checkpoint
from interfaces.sql_engine import engine_for
from tests.integration.ledger import Ledger, ledger
from tests.integration.test_log_tree import KEY, ORIGIN, VKEY, tamper

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_export.py"
NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)


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
    tree.extend(app.recorder)
    tree.checkpoint(NOW)
    return tree


def _write(tmp_path: Path, app: Ledger, tree: LogTree, **where: object) -> Path:
    note = tree.latest_checkpoint()
    assert note is not None
    checkpoint = open_checkpoint(note, VKEY)
    leaves = tree.leaves_below(checkpoint.size, **where)  # type: ignore[arg-type]
    path = tmp_path / "export.ndjson"
    lines = export_lines(tree, app.recorder, note, checkpoint, VKEY, {"asked": where}, leaves, NOW)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _verify(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), str(path), "--vkey", VKEY], capture_output=True, text=True
    )


def test_the_whole_log_exports_and_verifies_offline(tmp_path: Path, app: Ledger, tree: LogTree) -> None:
    path = _write(tmp_path, app, tree, page=5)
    result = _verify(path)
    assert result.returncode == 0, result.stderr
    assert "verified: 12 events" in result.stdout
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[-1]) == {"type": "trailer", "count": 12}


def test_a_range_and_one_originator_export_only_their_events(
    tmp_path: Path, app: Ledger, tree: LogTree
) -> None:
    path = _write(tmp_path, app, tree, first_position=3, last_position=7)
    assert "verified: 5 events" in _verify(path).stdout
    events = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()[1:-1]]
    assert [e["position"] for e in events] == [3, 4, 5, 6, 7]
    one = events[0]["originator_id"]
    path = _write(tmp_path, app, tree, originator_id=one)
    events = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()[1:-1]]
    assert {e["originator_id"] for e in events} == {one}
    assert len(events) == 4
    assert _verify(path).returncode == 0


def test_events_after_the_checkpoint_are_left_out(tmp_path: Path, app: Ledger, tree: LogTree) -> None:
    app.write("teller", 2)
    tree.extend(app.recorder)  # in the tree, but no checkpoint signs them yet
    path = _write(tmp_path, app, tree)
    assert "verified: 12 events" in _verify(path).stdout


def test_a_row_altered_in_the_store_fails_on_its_own_line(
    database_url: str, tmp_path: Path, app: Ledger, tree: LogTree
) -> None:
    tamper(database_url, "altered")  # the state of position 5 gains a byte
    result = _verify(_write(tmp_path, app, tree))
    assert result.returncode == 1
    assert "line 6:" in result.stderr
    assert "position 5 does not hash" in result.stderr
