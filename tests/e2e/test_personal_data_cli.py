"""`incident reveal` and `incident keys`: an auditor's recorded read, and a rotation that loses nothing."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from interfaces.settings import Settings
from tests.e2e.test_branch_client import OUTLET, RUNNER, Branch, Server, cli, ok, token

PHONE = "13912340000"


@pytest.fixture
def box(tmp_path: Path) -> Server:
    """The real app on one SQLite file, with its key ring beside it, started and stopped by the test."""
    return Server(Settings(database_url=f"sqlite:///{tmp_path}/i.db"))


@pytest.fixture
def teller(box: Server, tmp_path: Path) -> Branch:
    return Branch(box.url, token(box.settings, "branch", OUTLET), tmp_path / "teller.sqlite3")


def _complaint(teller: Branch, incident_id: str) -> None:
    ok(teller.report_complaint(incident_id, "--customer-reference", "ACC-778899", "--contact-phone", PHONE))


def test_an_auditor_reveals_with_a_reason_and_the_read_is_in_the_history(
    box: Server, teller: Branch, tmp_path: Path
) -> None:
    auditor = Branch(box.url, token(box.settings, "auditor", ""), tmp_path / "audit.sqlite3")
    incident_id = "5b0c7d4e-1f2a-4b3c-8d9e-0a1b2c3d4e5f"
    with box.up():
        _complaint(teller, incident_id)
        masked = ok(auditor("show", incident_id, "--json")).stdout
        assert PHONE not in masked
        refused = auditor("reveal", incident_id, "--reason", "看看")
        assert refused.exit_code == 1
        assert "reason" in refused.output
        shown = ok(auditor("reveal", incident_id, "--reason", "投诉复核 complaint review of the follow-up"))
        assert PHONE in shown.stdout
        assert "ACC-778899" in shown.stdout
        assert "v2" in shown.stdout  # the read is the incident's second event
        events = box.history(incident_id, teller.token)
        assert events[-1]["event"] == "PersonalDataRevealed"
        assert events[-1]["data"]["reason"] == "投诉复核 complaint review of the follow-up"
        # A branch sees it unasked: the reveal is no command of its desk.
        assert teller("reveal", incident_id, "--reason", "投诉复核 complaint review").exit_code == 1


def test_a_rotated_ring_reads_what_the_old_key_sealed_and_seals_under_the_new_one(
    box: Server, teller: Branch
) -> None:
    env = {"INCIDENT_DATABASE_URL": box.settings.database_url}
    listed = ok(RUNNER.invoke(cli, ["keys", "list"], env=env)).stdout
    path = Path(listed.splitlines()[0])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    old_kid = json.loads(path.read_text())["current"]
    first, second = "6f1e2d3c-4b5a-4987-8a6b-5c4d3e2f1a0b", "7a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d"
    with box.up():
        _complaint(teller, first)
    rotated = ok(RUNNER.invoke(cli, ["keys", "rotate", "--kid", "k-second"], env=env))
    assert "k-second" in rotated.stdout
    assert RUNNER.invoke(cli, ["keys", "rotate", "--kid", "k-second"], env=env).exit_code == 2
    assert RUNNER.invoke(cli, ["keys", "rotate", "--kid", "bad kid!"], env=env).exit_code == 2
    ring = json.loads(path.read_text())
    assert ring["current"] == "k-second"
    assert set(ring["keys"]) == {old_kid, "k-second"}
    with box.up():
        _complaint(teller, second)
        for incident_id in (first, second):
            shown = teller.json("show", incident_id)
            assert shown["details"]["contact"]["phone"] == PHONE
    listed = ok(RUNNER.invoke(cli, ["keys", "list"], env=env)).stdout
    assert "k-second  ←" in listed
    assert ring["keys"]["k-second"] not in listed  # ids only, never a key
