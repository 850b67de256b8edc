"""The real server on PostgreSQL, connected as a role that may only read and append the log."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token, running_server, wait_for_board
from tests.roles import Roles, migrated, separate_roles, superuser

pytestmark = pytest.mark.postgres


@pytest.fixture
def roles(postgres_url: str) -> Iterator[Roles]:
    with separate_roles(postgres_url) as roles:
        yield migrated(roles)


def connected_roles(roles: Roles) -> set[str]:
    with superuser() as conn:
        rows = conn.execute(
            "SELECT DISTINCT usename FROM pg_stat_activity WHERE usename IN (%s, %s)",
            (roles.owner, roles.server),
        ).fetchall()
    return {str(name) for (name,) in rows}


def test_the_server_serves_commands_boards_and_policies_as_the_least_privileged_role(roles: Roles) -> None:
    settings = Settings(database_url=roles.server_url)
    office = {"Authorization": f"Bearer {issue_token(settings, Role.OFFICE, 'HQ')}"}
    with running_server(settings) as server, httpx.Client(base_url=server, headers=office) as http:
        complaint = {
            "outlet": "SH-PD-01",
            "channel": "media",
            "category": "service_quality",
            "summary": "记者来访",
        }
        reported = http.post("/api/v1/complaints", json=complaint)
        assert reported.status_code == 201, reported.text
        incident_id = reported.json()["incident_id"]

        acknowledged = http.post(f"/api/v1/complaints/{incident_id}/acknowledge", json={})
        assert acknowledged.status_code == 200, acknowledged.text
        board = http.get("/api/v1/boards/office", params={"after": acknowledged.json()["position"]})
        assert board.status_code == 200
        assert [row["incident_id"] for row in board.json()["incidents"]] == [incident_id]
        found = http.get("/api/v1/incidents", params={"after": acknowledged.json()["position"]})
        assert found.status_code == 200, found.text
        assert [row["incident_id"] for row in found.json()["incidents"]] == [incident_id]

        # The risk-grading policy recorded its raise through the same role, and the board shows it.
        raised = wait_for_board(server, office, lambda b: b["counts"]["orange"] == 1)
        assert "media" in raised["incidents"][0]["level_reason"]
        assert http.get("/readyz").status_code == 200
        assert roles.server in connected_roles(roles)  # its URL names no other role
