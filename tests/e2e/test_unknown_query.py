"""An unknown query parameter is refused on every read of the API, never ignored (a misspelt `?as_off=` included)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from domain.values import Role
from interfaces.http.app import create_app
from interfaces.settings import Settings
from tests.e2e.server import issue_token, running_server

OUTLET = "BJ-HD-01"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    """A server on SQLite, an auditor's client, and a real value for each path parameter."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path_factory.mktemp('unknown') / 'incidents.db'}", run_policies=False
    )
    office = {"Authorization": f"Bearer {issue_token(settings, Role.OFFICE, 'HQ', '应急办')}"}
    auditor = {"Authorization": f"Bearer {issue_token(settings, Role.AUDITOR, '', '审计')}"}
    with running_server(settings) as url, httpx.Client(base_url=url, headers=auditor) as client:
        complaint = {
            "outlet": OUTLET,
            "channel": "walk_in",
            "category": "service_quality",
            "summary": "排队太久",
        }
        reported = httpx.post(f"{url}/api/v1/complaints", json=complaint, headers=office).json()
        # The log's reads need a signed checkpoint: the tree's follower signs one within seconds.
        deadline = time.monotonic() + 20
        while client.get("/api/v1/log/checkpoint").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        yield client, {"incident_id": reported["incident_id"], "outlet": OUTLET}


def get_paths() -> list[str]:
    schema = create_app(Settings(database_url="sqlite:///unused.db")).openapi()
    return [path for path, operations in schema["paths"].items() if "get" in operations]


def filled(path: str, values: dict[str, str]) -> str:
    return path.format(**values)


# The reads whose query parameters are required: a value that answers 200 on a one-event log.
REQUIRED: dict[str, dict[str, str]] = {
    "/api/v1/log/proofs/inclusion": {"position": "1", "size": "1"},
    "/api/v1/log/proofs/consistency": {"from": "1", "to": "1"},
    "/api/v1/log/export": {"scope": "all"},
}


def test_the_api_has_reads_to_check() -> None:
    paths = get_paths()
    assert "/api/v1/incidents" in paths
    assert "/api/v1/boards/office" in paths
    assert len(paths) >= 10


@pytest.mark.parametrize("path", get_paths())
def test_every_read_refuses_a_query_parameter_it_does_not_declare(
    api: tuple[httpx.Client, dict[str, str]], path: str
) -> None:
    client, values = api
    given = REQUIRED.get(path, {})
    plain = client.get(filled(path, values), params=given)
    assert plain.status_code == 200, f"the read itself is fine: {plain.text}"

    answer = client.get(filled(path, values), params={**given, "colour": "red"})

    assert answer.status_code == 422, answer.text
    error: dict[str, Any] = answer.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["field"] == "colour"
    assert "colour" in error["message"]


@pytest.mark.parametrize(
    "path", ["/api/v1/boards/office", "/api/v1/boards/wall", "/api/v1/boards/complaint-stats"]
)
def test_a_board_reads_as_of_as_a_past_instant_and_refuses_it_beside_after(
    api: tuple[httpx.Client, dict[str, str]], path: str
) -> None:
    client, _ = api
    past = client.get(path, params={"as_of": "2026-11-02T09:30:00+08:00"})
    assert past.status_code == 200, past.text
    assert past.json()["past"] is True  # read, never quietly ignored
    answer = client.get(path, params={"after": 0, "as_of": "2026-11-02T09:30:00+08:00"})
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "after"


def test_a_declared_parameter_beside_an_unknown_one_does_not_let_it_through(
    api: tuple[httpx.Client, dict[str, str]],
) -> None:
    client, _ = api
    assert client.get("/api/v1/incidents", params={"limit": 5}).status_code == 200
    refused = client.get("/api/v1/incidents", params={"limit": 5, "Limit": 5})
    assert refused.json()["error"]["field"] == "Limit", "names are matched exactly, case included"
    unauthenticated = httpx.get(f"{client.base_url}/api/v1/boards/office", params={"x": "1"})
    assert unauthenticated.status_code == 422, "checked before the token: the request is wrong either way"
