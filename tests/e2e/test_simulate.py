"""`incident simulate` against the real server: activity that the product accepts, steps as it offers them."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import httpx
from typer.testing import CliRunner

from domain.values import Role
from interfaces.cli.main import cli
from interfaces.settings import Settings
from tests.e2e.server import issue_token

RUNNER = CliRunner()


def _simulate(server: str, token: str, *args: str) -> dict[str, Any]:
    result = RUNNER.invoke(
        cli, ["simulate", "--json", *args], env={"INCIDENT_URL": server, "INCIDENT_TOKEN": token}
    )
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def _events(server: str, token: str) -> Counter[str]:
    headers = {"Authorization": f"Bearer {token}"}
    listed = httpx.get(f"{server}/api/v1/incidents", params={"limit": "200"}, headers=headers).json()
    found: Counter[str] = Counter()
    for incident in listed["incidents"]:
        history = httpx.get(f"{server}/api/v1/incidents/{incident['incident_id']}/history", headers=headers)
        found.update(event["event"] for event in history.json()["events"])
    return found


def test_a_gentle_run_reports_and_works_incidents_through_their_steps(
    server: str, settings: Settings
) -> None:
    token = issue_token(settings, Role.OFFICE, "HQ", "模拟 simulator")
    summary = _simulate(server, token, "--seconds", "4", "--clients", "3", "--seed", "7")
    assert summary["sent"] > 5
    assert summary["errors"] == 0
    assert summary["accepted"] >= summary["sent"] // 2
    assert summary["p99_ms"] >= summary["p50_ms"] > 0
    events = _events(server, token)
    assert events["Reported"] >= 1
    # The steps came from what the product offered: more than reports were recorded.
    assert sum(n for name, n in events.items() if name != "Reported") >= 1


def test_a_storm_floods_one_region_with_outages(server: str, settings: Settings) -> None:
    token = issue_token(settings, Role.OFFICE, "HQ", "模拟 storm")
    summary = _simulate(server, token, "--mode", "storm", "--seconds", "3", "--clients", "6", "--seed", "3")
    assert summary["sent"] > 20
    assert summary["errors"] == 0
    board = httpx.get(f"{server}/api/v1/boards/office", headers={"Authorization": f"Bearer {token}"}).json()
    kinds = Counter(
        row.get("kind", {}).get("code") for row in board["incidents"] if row["type"] == "emergency"
    )
    assert kinds["service_disruption"] >= 1


def test_without_a_token_it_says_so(server: str) -> None:
    result = RUNNER.invoke(
        cli, ["simulate", "--seconds", "1"], env={"INCIDENT_URL": server, "INCIDENT_TOKEN": ""}
    )
    assert result.exit_code == 2
    assert "INCIDENT_TOKEN" in result.output
