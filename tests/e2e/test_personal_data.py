"""Personal data through the public interfaces: masked everywhere but for those who answer the customer,
read in full by an auditor only with a reason that goes on the record."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.server import issue_token
from tests.e2e.test_feed import receive_events, ws_url

OUTLET = "BJ-HD-01"
NAME, PHONE, EMAIL, REFERENCE = "张小明", "13912345678", "xiaoming@example.com", "6222020200112233445"
SECOND_PHONE = "13587654321"
SECRETS = (NAME, PHONE, EMAIL, REFERENCE, SECOND_PHONE)
COMPLAINT = {
    "outlet": OUTLET,
    "channel": "walk_in",
    "category": "service_quality",
    "summary": "客户要求销户 customer wants to close the account",
    "customer_reference": REFERENCE,
    "contact": {"name": NAME, "phone": PHONE, "email": EMAIL},
}
REASON = "投诉复核：核对回访所用联系方式 (review: check the contact used for the follow-up)"


def _client(server: str, settings: Settings, role: Role, unit: str = "") -> httpx.Client:
    token = issue_token(settings, role, unit, f"{role.value} tester")
    return httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token}"}, timeout=30)


@pytest.fixture
def branch(server: str, settings: Settings) -> Iterator[httpx.Client]:
    with _client(server, settings, Role.BRANCH, OUTLET) as client:
        yield client


@pytest.fixture
def auditor(server: str, settings: Settings) -> Iterator[httpx.Client]:
    with _client(server, settings, Role.AUDITOR) as client:
        yield client


def _complaint_not_retained(branch: httpx.Client) -> str:
    incident_id = str(branch.post("/api/v1/complaints", json=COMPLAINT).json()["incident_id"])
    answer = branch.post(
        f"/api/v1/complaints/{incident_id}/attempt_retention",
        json={
            "real_reason": "利率",
            "offer": "优惠",
            "retained": False,
            "second_contact": {"phone": SECOND_PHONE},
        },
    )
    assert answer.status_code == 200, answer.text
    return incident_id


def _every_read(client: httpx.Client, incident_id: str) -> str:
    """What the reader sees of the incident anywhere it is shown: view, history, timeline, boards, list."""
    reads = [
        f"/api/v1/incidents/{incident_id}",
        f"/api/v1/incidents/{incident_id}/history",
        f"/api/v1/incidents/{incident_id}/timeline",
        "/api/v1/boards/office",
        "/api/v1/boards/complaint-stats",
        "/api/v1/incidents?status=open",
    ]
    texts = []
    for path in reads:
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.text)
        texts.append(answer.text)
    return "\n".join(texts)


def test_an_auditor_sees_every_personal_value_masked_and_the_branch_sees_it_in_full(
    branch: httpx.Client, auditor: httpx.Client
) -> None:
    incident_id = _complaint_not_retained(branch)
    seen = _every_read(auditor, incident_id)
    for secret in SECRETS:
        assert secret not in seen, f"{secret} shown to an auditor"
    view = auditor.get(f"/api/v1/incidents/{incident_id}").json()
    assert view["details"]["customer_reference"] == "<personal>"
    assert view["details"]["contact"] == "<personal>"
    retention = auditor.get(f"/api/v1/incidents/{incident_id}/history").json()["events"][-1]
    assert retention["data"]["second_contact"] == "<personal>"
    assert retention["data"]["real_reason"] == "利率"  # only personal values are masked

    own = branch.get(f"/api/v1/incidents/{incident_id}").json()
    assert own["details"]["customer_reference"] == REFERENCE
    assert own["details"]["contact"] == {"name": NAME, "phone": PHONE, "email": EMAIL}
    history = branch.get(f"/api/v1/incidents/{incident_id}/history").json()["events"]
    assert history[-1]["data"]["second_contact"]["phone"] == SECOND_PHONE


def test_the_feed_masks_personal_data_even_for_the_office(
    server: str, settings: Settings, branch: httpx.Client
) -> None:
    office = issue_token(settings, Role.OFFICE, "HQ", "应急办 office")
    start = int(branch.get("/readyz").json()["position"])
    incident_id = _complaint_not_retained(branch)
    until = int(branch.get(f"/api/v1/incidents/{incident_id}/history").json()["events"][-1]["version"])
    assert until == 2
    events = asyncio.run(receive_events(ws_url(server, after=start), office, start + 2))
    text = json.dumps(events, ensure_ascii=False)
    assert "<personal>" in text
    for secret in SECRETS:
        assert secret not in text


def test_an_auditor_reads_in_full_only_with_a_reason_and_the_read_is_recorded(
    branch: httpx.Client, auditor: httpx.Client
) -> None:
    incident_id = _complaint_not_retained(branch)
    path = f"/api/v1/incidents/{incident_id}/personal-data/reveal"

    short = auditor.post(path, json={"reason": "audit"})
    assert short.status_code == 422
    assert short.json()["error"]["field"] == "reason"
    blank = auditor.post(path, json={"reason": " " * 20})
    assert blank.status_code == 422
    assert blank.json()["error"]["field"] == "reason"
    assert len(auditor.get(f"/api/v1/incidents/{incident_id}/history").json()["events"]) == 2

    answer = auditor.post(path, json={"reason": REASON})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["version"] == 3
    assert answer.headers["ETag"] == '"3"'
    assert body["current"]["customer_reference"] == REFERENCE
    assert body["current"]["contact"] == {"name": NAME, "phone": PHONE, "email": EMAIL}
    recorded = {(v["version"], v["field"]): v["value"] for v in body["recorded"]}
    assert recorded[(1, "contact")]["phone"] == PHONE
    assert recorded[(1, "customer_reference")] == REFERENCE
    assert recorded[(2, "second_contact")]["phone"] == SECOND_PHONE

    read = auditor.get(f"/api/v1/incidents/{incident_id}/history").json()["events"][-1]
    assert read["event"] == "PersonalDataRevealed"
    assert read["actor"]["role"] == "auditor"
    assert read["data"] == {"reason": REASON}
    # The branch that owns the complaint sees that it was read, by whom and why.
    assert (
        branch.get(f"/api/v1/incidents/{incident_id}/history").json()["events"][-1]["data"]["reason"]
        == REASON
    )
    # The auditor's ordinary reads stay masked after the reveal.
    assert PHONE not in auditor.get(f"/api/v1/incidents/{incident_id}").text


def test_the_reveal_is_the_auditor_s_alone_and_within_what_exists(
    server: str, settings: Settings, branch: httpx.Client, auditor: httpx.Client
) -> None:
    incident_id = _complaint_not_retained(branch)
    path = f"/api/v1/incidents/{incident_id}/personal-data/reveal"
    for role, unit in ((Role.BRANCH, OUTLET), (Role.OFFICE, "HQ"), (Role.CALL_CENTRE, ""), (Role.ADMIN, "")):
        with _client(server, settings, role, unit) as other:
            # Refused before the body is read: even a body with no reason hears 403.
            assert other.post(path, json={}).status_code == 403, role
    assert (
        auditor.post(
            f"/api/v1/incidents/{'0' * 8}-0000-4000-8000-{'0' * 12}/personal-data/reveal",
            json={"reason": REASON},
        ).status_code
        == 404
    )
    assert len(branch.get(f"/api/v1/incidents/{incident_id}/history").json()["events"]) == 2
    unknown = auditor.post(path, json={"reason": REASON, "unknown": 1})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["field"] == "unknown"


def test_a_retried_reveal_is_recorded_once(branch: httpx.Client, auditor: httpx.Client) -> None:
    incident_id = _complaint_not_retained(branch)
    path = f"/api/v1/incidents/{incident_id}/personal-data/reveal"
    first = auditor.post(path, json={"reason": REASON}, headers={"Idempotency-Key": "reveal-1"})
    again = auditor.post(path, json={"reason": REASON}, headers={"Idempotency-Key": "reveal-1"})
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["replayed"] is True
    assert again.json()["version"] == first.json()["version"]
    events = branch.get(f"/api/v1/incidents/{incident_id}/history").json()["events"]
    assert [e["event"] for e in events].count("PersonalDataRevealed") == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reason=st.text(max_size=3000))
def test_any_reason_is_stored_or_refused_by_name(
    auditor: httpx.Client, branch: httpx.Client, reason: str
) -> None:
    # Generated hostile reasons: each is either recorded as given (NFC) or a 422 naming the reason.
    incident_id = _reported(branch)
    answer = auditor.post(f"/api/v1/incidents/{incident_id}/personal-data/reveal", json={"reason": reason})
    assert answer.status_code in (200, 422), answer.text
    if answer.status_code == 422:
        assert answer.json()["error"]["field"] in ("reason", "body")
        return
    stored = branch.get(f"/api/v1/incidents/{incident_id}/history").json()["events"][-1]
    assert stored["event"] == "PersonalDataRevealed"
    assert stored["data"]["reason"].strip()


_REPORTED: dict[int, str] = {}


def _reported(branch: httpx.Client) -> str:
    # One complaint for all generated reasons of a test run: each reveal is another event on it.
    key = id(branch)
    if key not in _REPORTED:
        _REPORTED[key] = str(branch.post("/api/v1/complaints", json=COMPLAINT).json()["incident_id"])
    return _REPORTED[key]
