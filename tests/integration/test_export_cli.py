"""`incident export`: signs up to the head, writes a file the offline verifier accepts, refuses out of scope."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from application.incident_desk import IncidentDesk
from domain.values import Role
from interfaces.cli.main import cli
from interfaces.settings import Settings
from tests.e2e.server import issue_token
from tests.integration.desk_fixtures import log_length, report_emergency

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_export.py"


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"INCIDENT_DATABASE_URL": database_url, "INCIDENT_SIGNING_KEY_FILE": str(tmp_path / "signing.key")}


def _token(cli_env: dict[str, str], role: Role, unit: str = "") -> str:
    return issue_token(Settings.from_env(cli_env), role, unit)


def _run(cli_env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=cli_env)
    return result.exit_code, result.output


def test_an_export_of_every_event_so_far_verifies_offline(
    desk: IncidentDesk, cli_env: dict[str, str], tmp_path: Path
) -> None:
    first = report_emergency(desk)
    report_emergency(desk)
    size = log_length(desk)
    token = _token(cli_env, Role.AUDITOR)
    out = tmp_path / "all.ndjson"
    code, output = _run(cli_env, "export", "--all", "--token", token, "-o", str(out))
    assert code == 0, output
    assert f"{size} events written" in output
    vkey = _run(cli_env, "key")[1].strip()
    result = subprocess.run(
        [sys.executable, str(TOOL), str(out), "--vkey", vkey], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    one = tmp_path / "one.ndjson"
    assert _run(cli_env, "export", "--incident", str(first), "--token", token, "-o", str(one))[0] == 0
    events = [json.loads(x) for x in one.read_text(encoding="utf-8").splitlines()[1:-1]]
    assert {e["originator_id"] for e in events} == {str(first)}


@pytest.mark.parametrize(
    ("role", "unit", "args"),
    [
        (Role.BRANCH, "BJ-HD-01", ["--all"]),
        (Role.OFFICE, "BJ", ["--unit", "SH"]),
        (Role.ADMIN, "", ["--all"]),
    ],
)
def test_out_of_scope_is_refused_with_a_clear_line(
    desk: IncidentDesk, cli_env: dict[str, str], tmp_path: Path, role: Role, unit: str, args: list[str]
) -> None:
    report_emergency(desk)
    token = _token(cli_env, role, unit)
    code, output = _run(cli_env, "export", *args, "--token", token, "-o", str(tmp_path / "x.ndjson"))
    assert code == 1
    assert "export refused" in output
    assert "may not export" in output


def test_two_scopes_at_once_or_no_token_are_refused(cli_env: dict[str, str], tmp_path: Path) -> None:
    out = str(tmp_path / "x.ndjson")
    code, output = _run(cli_env, "export", "--all", "--unit", "BJ", "-o", out)
    assert code == 1
    assert "exactly one" in output
    code, output = _run(cli_env, "export", "--all", "-o", out)
    assert code == 1
    assert "token" in output
