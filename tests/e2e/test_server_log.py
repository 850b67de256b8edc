"""The server's log: one line per request and one per command, with incident, position and duration; JSON when asked; never a token."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token, serve_process, token_secret

REPORT = {"outlet": "BJ-HD-01", "kind": "fire", "level": "yellow", "summary": "配电箱冒烟"}


def _lines(log: Path) -> list[dict[str, Any]]:
    text = log.read_text()
    records = []
    for line in text.splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    return records


def test_json_lines_name_each_request_and_command_and_hold_no_token(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'logged.db'}", run_policies=False)
    token = issue_token(settings, Role.OFFICE, "HQ", "王主任")
    auth = {"Authorization": f"Bearer {token}"}
    log = tmp_path / "server.log"
    with serve_process(settings, tmp_path, log, env={"INCIDENT_LOG_FORMAT": "json"}) as (url, _):
        reported = httpx.post(f"{url}/api/v1/emergencies", json=REPORT, headers=auth).json()
        incident = reported["incident_id"]
        raised = httpx.post(
            f"{url}/api/v1/emergencies/{incident}/change_level",
            json={"level": "orange", "reason": "火势蔓延"},
            headers={**auth, "X-Request-ID": "office-42"},
        )
        assert raised.headers["x-request-id"] == "office-42"
        refused = httpx.post(
            f"{url}/api/v1/emergencies/{incident}/change_level",
            json={"level": "orange", "reason": "再次"},
            headers={**auth, "If-Match": '"1"'},
        )
        assert refused.status_code == 409
        httpx.get(f"{url}/api/v1/boards/office?token={token}", headers=auth)
    records = _lines(log)
    everything = log.read_text()
    # Every log line of the run is JSON (uvicorn's own included); "Serving on" is the CLI's, on stdout.
    lines = [line for line in everything.splitlines() if line.strip() and not line.startswith("Serving on")]
    assert all(line.startswith("{") for line in lines), everything
    assert "color_message" not in everything
    assert token not in everything
    assert token_secret(token) not in everything

    commands = [r for r in records if r["logger"] == "incident.command"]
    assert [(c["command"], c["outcome"]) for c in commands] == [
        ("report_emergency", "recorded"),
        ("change_level", "recorded"),
        ("change_level", "refused:version_conflict"),
    ]
    first, second = commands[0], commands[1]
    assert first["incident_id"] == incident
    assert first["position"] == reported["position"]
    assert second["version"] == 2
    assert second["position"] > first["position"]
    assert all(c["duration_ms"] >= 0 and c["role"] == "office" for c in commands)

    requests = [r for r in records if r["logger"] == "incident.request"]
    posted = [r for r in requests if r["method"] == "POST"]
    assert [r["status"] for r in posted] == [201, 200, 409]
    assert posted[1]["incident_id"] == incident
    assert posted[1]["request_id"] == "office-42"
    assert posted[1]["route"] == "/api/v1/emergencies/{incident_id}/change_level"
    # The command's line carries the id of the request that sent it.
    assert second["request_id"] == "office-42"
    board = next(r for r in requests if r["path"].startswith("/api/v1/boards/office"))
    assert board["path"] == "/api/v1/boards/office?token=[redacted]"
    assert board["status"] == 422


def test_text_is_the_default_and_a_bad_format_is_named(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'plain.db'}", run_policies=False)
    log = tmp_path / "server.log"
    with serve_process(settings, tmp_path, log) as (url, _):
        httpx.get(f"{url}/healthz")
    assert any(
        " incident.request [" in line and "GET /healthz 200 " in line for line in log.read_text().splitlines()
    )

    done = subprocess.run(
        [sys.executable, "-m", "interfaces.cli.main", "serve"],
        cwd=tmp_path,
        env={
            "INCIDENT_LOG_FORMAT": "yaml",
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(Path(__file__).parents[2]),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "INCIDENT_LOG_FORMAT: 'yaml' is not one of text, json" in done.stderr
