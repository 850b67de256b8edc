"""The branch client's outbox: order kept, nothing lost on reopening, a row leaves only once answered."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from interfaces.client.api import ApiClient, ServerUnreachableError
from interfaces.client.outbox import Outbox, QueuedRequest
from interfaces.client.sync import drain

INCIDENT = str(uuid.uuid4())


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "incident" / "outbox.sqlite3"


@pytest.fixture
def outbox(path: Path) -> Iterator[Outbox]:
    with Outbox(path) as box:
        yield box


def queue(box: Outbox, command: str, **fields: object) -> QueuedRequest:
    command_id = uuid.uuid4().hex
    body = {"command_id": command_id, "occurred_at": "2026-11-02T09:30:00+08:00", **fields}
    path = f"/api/v1/incidents/{INCIDENT}/commands/{command}"
    return box.put("POST", path, body, command_id=command_id, incident_id=INCIDENT)


def commands(requests: list[QueuedRequest]) -> list[str]:
    return [request.command for request in requests]


def test_the_outbox_creates_its_folder_and_starts_empty(path: Path, outbox: Outbox) -> None:
    assert path.exists()
    assert len(outbox) == 0
    assert outbox.pending() == []
    assert outbox.rejected() == []


def test_requests_come_back_oldest_first_exactly_as_queued(outbox: Outbox) -> None:
    first = queue(outbox, "acknowledge")
    queue(outbox, "apologise", note="对不起 sorry")
    queue(outbox, "check_facts", founded=True, findings="the note was genuine")
    pending = outbox.pending()
    assert commands(pending) == ["acknowledge", "apologise", "check_facts"]
    assert pending[0] == first
    assert pending[1].body["note"] == "对不起 sorry"
    assert pending[2].body["founded"] is True
    assert [r.seq for r in pending] == sorted(r.seq for r in pending)


def test_the_queue_survives_closing_and_reopening_the_file(path: Path) -> None:
    with Outbox(path) as box:
        queued = [queue(box, name) for name in ("acknowledge", "apologise", "check_facts")]
    with Outbox(path) as reopened:
        assert reopened.pending() == queued
        assert len(reopened) == 3


def test_reading_the_queue_removes_nothing(outbox: Outbox) -> None:
    queue(outbox, "acknowledge")
    queue(outbox, "apologise")
    assert commands(list(outbox)) == ["acknowledge", "apologise"]
    assert commands(list(outbox)) == ["acknowledge", "apologise"]
    assert len(outbox) == 2


def test_a_request_leaves_only_when_removed_and_the_rest_keep_their_order(outbox: Outbox) -> None:
    first, second, third = (queue(outbox, name) for name in ("acknowledge", "apologise", "check_facts"))
    outbox.remove(second.seq)
    assert outbox.pending() == [first, third]


def test_a_new_request_goes_behind_everything_even_after_the_last_was_removed(outbox: Outbox) -> None:
    first = queue(outbox, "acknowledge")
    last = queue(outbox, "apologise")
    outbox.remove(last.seq)
    again = queue(outbox, "check_facts")
    assert again.seq > last.seq  # sequence numbers are never reused
    assert outbox.pending() == [first, again]


def test_walking_the_queue_sees_requests_added_meanwhile(outbox: Outbox) -> None:
    queue(outbox, "acknowledge")
    seen = []
    for request in outbox:
        seen.append(request.command)
        outbox.remove(request.seq)
        if request.command == "acknowledge":
            queue(outbox, "apologise")
    assert seen == ["acknowledge", "apologise"]


def test_a_rejected_request_is_kept_with_the_servers_answer_and_survives_reopening(path: Path) -> None:
    with Outbox(path) as box:
        refused, kept = queue(box, "apologise"), queue(box, "add_note", text="说明 note")
        box.reject(refused.seq, status=409, code="incident_closed", message="the complaint is closed")
    with Outbox(path) as reopened:
        assert reopened.pending() == [kept]
        [entry] = reopened.rejected()
    assert entry.request == refused
    assert (entry.status, entry.code, entry.message, entry.field) == (
        409,
        "incident_closed",
        "the complaint is closed",
        None,
    )


def test_a_command_id_cannot_be_queued_twice(outbox: Outbox) -> None:
    request = queue(outbox, "acknowledge")
    with pytest.raises(sqlite3.IntegrityError):
        outbox.put("POST", request.path, request.body, command_id=request.command_id, incident_id=INCIDENT)
    assert len(outbox) == 1


def test_the_file_is_in_write_ahead_log_mode(path: Path) -> None:
    Outbox(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_report_is_named_for_people_by_its_kind(outbox: Outbox) -> None:
    report = outbox.put("POST", "/api/v1/emergencies", {}, command_id="c1", incident_id=INCIDENT)
    assert report.command == "report emergency"


# -- draining: a row leaves only once the server has answered it ---------------------------------------


Answer = Callable[[httpx.Request], httpx.Response]


class FakeServer:
    """Answers each request with the next planned answer, and remembers what it was sent."""

    def __init__(self, *plan: Answer) -> None:
        self.plan = list(plan)
        self.received: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.received.append(json.loads(request.content)["command_id"])
        return self.plan.pop(0)(request)

    def api(self) -> ApiClient:
        return ApiClient("http://server.test", "token", transport=httpx.MockTransport(self))


def ok(replayed: bool = False) -> Answer:
    body = {"incident_id": INCIDENT, "version": 2, "position": 9, "replayed": replayed}
    return lambda _: httpx.Response(200, json=body, headers={"ETag": '"2"'})


def error(status: int, code: str, message: str = "refused", field: str | None = None) -> Answer:
    body = {"error": {"code": code, "message": message, "field": field}}
    return lambda _: httpx.Response(status, json=body)


def unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def lost_reply(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def test_draining_sends_oldest_first_and_removes_each_answered_request(outbox: Outbox) -> None:
    queued = [queue(outbox, name) for name in ("acknowledge", "apologise")]
    server = FakeServer(ok(), ok(replayed=True))
    result = drain(outbox, server.api())
    assert server.received == [r.command_id for r in queued]
    assert [request for request, _ in result.sent] == queued
    assert result.is_clear
    assert len(outbox) == 0


def test_draining_up_to_a_request_sends_only_what_was_queued_before_it(outbox: Outbox) -> None:
    earlier, own, later = (queue(outbox, name) for name in ("acknowledge", "apologise", "add_note"))
    server = FakeServer(ok())
    result = drain(outbox, server.api(), before=own.seq)
    assert server.received == [earlier.command_id]
    assert result.is_clear
    assert outbox.pending() == [own, later]


@pytest.mark.parametrize("failure", [unreachable, lost_reply, error(503, "unavailable"), error(502, "bad")])
def test_no_answer_stops_draining_and_keeps_that_request_and_the_rest_in_order(
    outbox: Outbox, failure: Answer
) -> None:
    queued = [queue(outbox, name) for name in ("acknowledge", "apologise", "check_facts")]
    server = FakeServer(ok(), failure)
    result = drain(outbox, server.api())
    assert isinstance(result.stopped_by, ServerUnreachableError)
    assert server.received == [queued[0].command_id, queued[1].command_id]  # the third was never sent
    assert outbox.pending() == queued[1:]
    assert result.left == 2


@pytest.mark.parametrize(("status", "code"), [(409, "incident_closed"), (422, "invalid_input"), (404, "x")])
def test_a_request_refused_for_good_is_set_aside_and_the_rest_go_on(
    outbox: Outbox, status: int, code: str
) -> None:
    refused, after = queue(outbox, "apologise"), queue(outbox, "add_note")
    result = drain(outbox, FakeServer(error(status, code, "closed", "note"), ok()).api())
    assert [(r, e.code) for r, e in result.rejected] == [(refused, code)]
    assert [r for r, _ in result.sent] == [after]
    [entry] = outbox.rejected()
    assert (entry.request, entry.status, entry.code, entry.message, entry.field) == (
        refused,
        status,
        code,
        "closed",
        "note",
    )
    assert len(outbox) == 0


@pytest.mark.parametrize("status", [401, 403, 429, 500])
def test_a_refused_token_or_a_failing_server_stops_draining_and_discards_nothing(
    outbox: Outbox, status: int
) -> None:
    queued = [queue(outbox, name) for name in ("acknowledge", "apologise")]
    result = drain(outbox, FakeServer(error(status, "no")).api())
    assert result.stopped_by is not None
    assert outbox.pending() == queued
    assert outbox.rejected() == []
