"""GET /metrics: what the server counted and where it stands, in the Prometheus text format."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token
from tests.e2e.test_feed import ws_url

OUTLET = "BJ-HD-01"
COMPLAINT = {"outlet": OUTLET, "channel": "walk_in", "category": "service_quality", "summary": "排队太久"}


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def office(server: str, settings: Settings) -> Iterator[httpx.Client]:
    token = issue_token(settings, Role.OFFICE, "HQ", "应急办 office")
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        yield client


def test_requests_and_commands_are_counted_by_route_status_and_outcome(office: httpx.Client) -> None:
    before = _samples(office.get("/metrics").text)
    ids = [office.post("/api/v1/complaints", json=COMPLAINT).json()["incident_id"] for _ in range(3)]
    assert office.post(f"/api/v1/complaints/{ids[0]}/acknowledge", json={}).status_code == 200
    again = office.post(f"/api/v1/complaints/{ids[0]}/acknowledge", json={})
    assert again.status_code == 409
    assert office.get("/no/such/path").status_code == 404
    answer = office.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    after = _samples(answer.text)

    def grew(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert grew("incident_http_requests_total", method="POST", route="/api/v1/complaints", status="201") == 3
    route = "/api/v1/complaints/{incident_id}/acknowledge"
    assert grew("incident_http_requests_total", method="POST", route=route, status="200") == 1
    assert grew("incident_http_requests_total", method="POST", route=route, status="409") == 1
    assert grew("incident_http_requests_total", method="GET", route="<unmatched>", status="404") == 1
    assert (
        grew("incident_http_request_duration_seconds_count", method="POST", route="/api/v1/complaints") == 3
    )
    recorded = {"command": "report_complaint", "role": "office", "outcome": "recorded", "code": ""}
    assert grew("incident_commands_total", **recorded) == 3
    code = again.json()["error"]["code"]
    refused = {"command": "acknowledge", "role": "office", "outcome": "refused", "code": code}
    assert grew("incident_commands_total", **refused) == 1
    assert grew("incident_command_duration_seconds_count", outcome="recorded") == 4
    # No label names an incident: its id is in no series.
    assert not any(incident_id in answer.text for incident_id in ids)


def test_positions_lag_and_the_feed_are_read_when_scraped(
    office: httpx.Client, server: str, settings: Settings
) -> None:
    office.post("/api/v1/complaints", json=COMPLAINT)
    head = int(office.get("/readyz").json()["position"])
    deadline = time.monotonic() + 20
    while True:
        samples = _samples(office.get("/metrics").text)
        if _value(samples, "incident_boards_position") >= head or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert _value(samples, "incident_log_head_position") >= head
    assert _value(samples, "incident_boards_position") >= head
    assert _value(samples, "incident_boards_lag_events") == _value(
        samples, "incident_log_head_position"
    ) - _value(samples, "incident_boards_position")
    assert _value(samples, "incident_boards_leader") == 1
    assert _value(samples, "incident_feed_watchers") == 0

    token = issue_token(settings, Role.OFFICE, "HQ", "watcher")

    async def watching() -> float:
        async with websockets.connect(
            ws_url(server), additional_headers={"Authorization": f"Bearer {token}"}
        ):
            for _ in range(100):
                found = _value(_samples(office.get("/metrics").text), "incident_feed_watchers")
                if found:
                    return found
                await asyncio.sleep(0.05)
        return 0

    assert asyncio.run(watching()) == 1


def test_only_those_who_run_or_oversee_the_service_read_the_metrics(server: str, settings: Settings) -> None:
    assert httpx.get(f"{server}/metrics").status_code == 401
    for role, unit, allowed in (
        (Role.BRANCH, OUTLET, False),
        (Role.CALL_CENTRE, "", False),
        (Role.AUDITOR, "", True),
        (Role.ADMIN, "", True),
    ):
        token = issue_token(settings, role, unit)
        answer = httpx.get(f"{server}/metrics", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == (200 if allowed else 403), role
