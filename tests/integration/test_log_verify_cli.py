"""`incident key`, `incident checkpoint` and `incident verify` on both stores, the log tampered with by its owner."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from application.audit.signed_note import open_checkpoint
from application.incident_desk import IncidentDesk
from interfaces.cli.main import cli
from tests.integration.desk_fixtures import log_length, report_emergency
from tests.integration.test_log_tree import TAMPERINGS, tamper


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"INCIDENT_DATABASE_URL": database_url, "INCIDENT_SIGNING_KEY_FILE": str(tmp_path / "signing.key")}


def run(cli_env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=cli_env)
    return result.exit_code, result.output


def _with_events(desk: IncidentDesk, at_least: int = 12) -> int:
    while log_length(desk) < at_least:
        report_emergency(desk)
    return log_length(desk)


def test_the_key_is_made_once_with_owner_only_permissions(cli_env: dict[str, str]) -> None:
    code, first = run(cli_env, "key")
    assert code == 0
    assert first.startswith("incident.bank.example/log+")
    assert run(cli_env, "key")[1] == first
    assert Path(cli_env["INCIDENT_SIGNING_KEY_FILE"]).stat().st_mode & 0o777 == 0o600


def test_an_untouched_log_verifies_against_its_checkpoint(
    desk: IncidentDesk, cli_env: dict[str, str]
) -> None:
    size = _with_events(desk)
    code, note = run(cli_env, "checkpoint")
    assert code == 0
    assert open_checkpoint(note, run(cli_env, "key")[1]).size == size
    assert run(cli_env, "verify") == (
        0,
        f"intact: {size} rows re-hashed give the signed root at size {size}\n",
    )


def test_verify_without_a_checkpoint_says_there_is_nothing_to_verify(cli_env: dict[str, str]) -> None:
    assert run(cli_env, "verify")[0] == 2


@pytest.mark.parametrize("kind", list(TAMPERINGS))
def test_verify_names_the_position_tampered_with(
    database_url: str, desk: IncidentDesk, cli_env: dict[str, str], kind: str
) -> None:
    _with_events(desk)
    run(cli_env, "checkpoint")
    tamper(database_url, kind, desk.recorder.events_table_name)  # type: ignore[attr-defined]
    code, output = run(cli_env, "verify")
    assert code == 1
    assert output.splitlines()[0].startswith(f"TAMPERED position 5 {kind}: ")


def test_verify_since_a_kept_checkpoint_proves_the_log_only_grew(
    desk: IncidentDesk, cli_env: dict[str, str], tmp_path: Path
) -> None:
    _with_events(desk, 5)
    kept = tmp_path / "kept.note"
    kept.write_text(run(cli_env, "checkpoint")[1])
    _with_events(desk, 9)
    run(cli_env, "checkpoint")
    assert run(cli_env, "verify", "--since", str(kept))[0] == 0
    forged = tmp_path / "forged.note"
    forged.write_text(kept.read_text().replace("\n5\n", "\n4\n"))
    code, output = run(cli_env, "verify", "--since", str(forged))
    assert code == 1
    assert "does not verify" in output
