"""Retries always replay: a stored command sent again answers its first result, whoever's token carries it.

A branch client on a bad network resends what it did not see answered — after a lost reply, a server
crash, or with a token rotated meanwhile. If a retry were answered 409, the client would believe a
stored command was refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from domain.values import Role
from interfaces.settings import Settings
from tests.e2e.processes import ServerProcess
from tests.e2e.server import issue_token

OUTLET, OTHER_OUTLET = "BJ-HD-01", "BJ-HD-02"
COMPLAINT = {"outlet": OUTLET, "channel": "walk_in", "category": "service_quality", "summary": "ATM 吞卡"}
PERSON = "王丽 大堂经理"


def client(server: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def head(http: httpx.Client) -> int:
    return int(http.get("/readyz").json()["position"])


@pytest.fixture
def lobby(server: str, settings: Settings) -> Iterator[httpx.Client]:
    with client(server, issue_token(settings, Role.BRANCH, OUTLET, PERSON)) as http:
        yield http


EMERGENCY = {"outlet": OUTLET, "kind": "fire", "level": "orange", "summary": "营业厅冒烟"}


@pytest.mark.parametrize(("path", "report"), [("complaints", COMPLAINT), ("emergencies", EMERGENCY)])
def test_a_report_without_an_incident_id_retried_under_its_key_replays_the_first(
    lobby: httpx.Client, path: str, report: dict[str, str]
) -> None:
    key = {"Idempotency-Key": f"report-{uuid.uuid4()}"}
    first = lobby.post(f"/api/v1/{path}", json=report, headers=key)
    assert first.status_code == 201
    length = head(lobby)
    again = lobby.post(f"/api/v1/{path}", json=report, headers=key)
    assert again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    assert again.headers["Location"] == first.headers["Location"]
    assert head(lobby) == length


def test_a_command_retried_under_a_rotated_token_of_the_same_person_replays(
    server: str, settings: Settings, lobby: httpx.Client
) -> None:
    incident_id = lobby.post("/api/v1/complaints", json=COMPLAINT).json()["incident_id"]
    key = {"Idempotency-Key": f"ack-{incident_id}"}
    first = lobby.post(f"/api/v1/complaints/{incident_id}/acknowledge", json={}, headers=key)
    assert first.status_code == 200
    with client(server, issue_token(settings, Role.BRANCH, OUTLET, PERSON)) as rotated:
        again = rotated.post(f"/api/v1/complaints/{incident_id}/acknowledge", json={}, headers=key)
    assert again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}


def test_another_branch_s_key_is_its_own_and_reveals_nothing(
    server: str, settings: Settings, lobby: httpx.Client
) -> None:
    key = {"Idempotency-Key": "report-1"}  # a key two branches' clients may well both choose
    mine = lobby.post("/api/v1/complaints", json=COMPLAINT, headers=key)
    assert mine.status_code == 201
    with client(server, issue_token(settings, Role.BRANCH, OTHER_OUTLET, "李强 柜员")) as other:
        theirs = other.post("/api/v1/complaints", json={**COMPLAINT, "outlet": OTHER_OUTLET}, headers=key)
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["incident_id"] != mine.json()["incident_id"]
    assert mine.json()["incident_id"] not in theirs.text


def test_the_same_key_for_a_different_command_is_still_refused(lobby: httpx.Client) -> None:
    key = {"Idempotency-Key": f"note-{uuid.uuid4()}"}
    incident_id = lobby.post("/api/v1/complaints", json=COMPLAINT).json()["incident_id"]
    assert lobby.post(
        f"/api/v1/complaints/{incident_id}/add_note", json={"text": "一"}, headers=key
    ).is_success
    other = lobby.post(f"/api/v1/complaints/{incident_id}/add_note", json={"text": "二"}, headers=key)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "command_id_reused"


# -- after a crash --------------------------------------------------------------------------------


def test_commands_stored_before_a_kill_9_replay_after_the_restart_under_a_new_token(
    database_url: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=database_url)
    server = ServerProcess(database_url, tmp_path)
    server.start()
    try:
        sent: list[tuple[str, dict[str, object], dict[str, str], dict[str, object]]] = []
        with client(server.url, issue_token(settings, Role.BRANCH, OUTLET, PERSON)) as before:
            for n in range(20):
                key = {"Idempotency-Key": f"crash-{n}-{uuid.uuid4()}"}
                body = {**COMPLAINT, "summary": f"第{n}件"}
                answer = before.post("/api/v1/complaints", json=body, headers=key)
                assert answer.status_code == 201
                sent.append(("/api/v1/complaints", body, key, answer.json()))
        server.kill()
        server.start()
        with client(server.url, issue_token(settings, Role.BRANCH, OUTLET, PERSON)) as after:
            length = head(after)
            for path, body, key, first in sent:
                again = after.post(path, json=body, headers=key)
                assert again.status_code == 200, again.text
                assert again.json() == {**first, "replayed": True}
            assert head(after) == length
    finally:
        server.kill()
