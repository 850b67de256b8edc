"""The branch client end to end: the `incident` command against the real server, through outages."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from interfaces.cli.main import cli
from interfaces.client.exit_codes import ExitCode
from interfaces.client.outbox import Outbox
from interfaces.settings import Settings
from tests.e2e.server import free_port, running_server

OUTLET = "BJ-HD-01"
RUNNER = CliRunner()


@dataclass
class Branch:
    """The `incident` command as staff at one outlet run it: one token, one outbox file, one server URL."""

    url: str
    token: str
    outbox_path: Path

    def __call__(self, *args: str, url: str | None = None, token: str | None = None) -> Result:
        env = {
            "INCIDENT_URL": url or self.url,
            "INCIDENT_TOKEN": self.token if token is None else token,
            "INCIDENT_OUTBOX": str(self.outbox_path),
        }
        return RUNNER.invoke(cli, list(args), env=env)

    def json(self, *args: str, **options: str) -> Any:
        return json.loads(ok(self(*args, "--json", **options)).stdout)

    def json_queued(self, *args: str, **options: str) -> Any:
        return json.loads(queued(self(*args, "--json", **options)).stdout)

    def report_complaint(self, incident_id: str, *extra: str, url: str | None = None) -> Result:
        return self(
            "report", "complaint", "--id", incident_id, "--outlet", OUTLET, "--channel", "walk_in",
            "--category", "service_quality", "--summary", "ATM 吐出假币 the ATM gave out a counterfeit note",
            *extra, url=url,
        )  # fmt: skip

    def queued(self) -> list[str]:
        with Outbox(self.outbox_path) as box:
            return [request.command for request in box.pending()]


@dataclass
class Server:
    """The real app on a fixed port and one SQLite file, so it can be stopped and started again."""

    settings: Settings
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> Any:
        return running_server(self.settings, port=self.port)

    def history(self, incident_id: str, token: str) -> list[dict[str, Any]]:
        """The history straight from the server, without the client (whose reads send the outbox first)."""
        response = httpx.get(
            f"{self.url}/api/v1/incidents/{incident_id}/history", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.text
        events: list[dict[str, Any]] = response.json()["events"]
        return events


def token(settings: Settings, role: str, unit: str) -> str:
    """A token from the lead's own command, printed on its last line."""
    result = RUNNER.invoke(
        cli,
        ["token", "create", "--role", role, "--unit", unit, "--name", f"{role} {unit}"],
        env={"INCIDENT_DATABASE_URL": settings.database_url},
    )
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def queued(result: Result) -> Result:
    """Kept in the outbox, not yet recorded: its own exit status, never 0."""
    assert result.exit_code == ExitCode.QUEUED == 4, result.output
    return result


def closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there: connection refused


def names(events: list[dict[str, Any]]) -> list[str]:
    return [event["event"] for event in events]


def new_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def server(tmp_path: Path) -> Server:
    return Server(Settings(database_url=f"sqlite:///{tmp_path}/i.db"))


@pytest.fixture
def teller(server: Server, tmp_path: Path) -> Branch:
    """A teller's client at the outlet, with a branch token."""
    return Branch(server.url, token(server.settings, "branch", OUTLET), tmp_path / "teller.sqlite3")


@pytest.fixture
def office(server: Server, tmp_path: Path) -> Branch:
    """The emergency office's client, with a bank-wide office token."""
    return Branch(server.url, token(server.settings, "office", "HQ"), tmp_path / "office.sqlite3")


class FlakyLink:
    """A proxy between the client and the server that passes, drops, or loses the reply of each request.

    `plan` says what happens to each next request: "pass" (the default once the plan is used up),
    "drop" (never reaches the server), "lose_reply" (the server applies it; the answer never arrives)
    or "fail_500" (the server applies it; a gateway answers 500 instead).
    """

    def __init__(self, upstream: str) -> None:
        self.plan: list[str] = []
        link = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                link.handle(self, b"")

            def do_POST(self) -> None:
                link.handle(self, self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.upstream = upstream
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        fate = self.plan.pop(0) if self.plan else "pass"
        if fate == "drop":
            return  # the connection closes with no answer
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "content-length")}
        answer = httpx.request(handler.command, self.upstream + handler.path, headers=headers, content=body)
        if fate == "lose_reply":
            return
        if fate == "fail_500":
            answer = httpx.Response(
                500, json={"error": {"code": "internal", "message": "oops", "field": None}}
            )
        handler.send_response(answer.status_code)
        for name in ("Content-Type", "ETag"):
            if name in answer.headers:
                handler.send_header(name, answer.headers[name])
        handler.send_header("Content-Length", str(len(answer.content)))
        handler.end_headers()
        handler.wfile.write(answer.content)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def link(server: Server) -> Iterator[FlakyLink]:
    proxy = FlakyLink(server.url)
    yield proxy
    proxy.close()


# -- online --------------------------------------------------------------------------------------------


def test_a_branch_reports_a_complaint_acts_on_it_and_reads_it_back(server: Server, teller: Branch) -> None:
    complaint = new_id()
    with server.up():
        reported = ok(
            teller.report_complaint(complaint, "--contact-name", "张先生", "--contact-phone", "13800000000")
        )
        assert "Complaint reported" in reported.stdout
        assert complaint in reported.stdout
        assert "Version: 1" in reported.stdout

        acts = [
            ("acknowledge",),
            ("isolate-customer", "--place", "贵宾室 VIP room"),
            ("apologise", "--note", "充分道歉 a full apology"),
            ("check-facts", "--founded", "--findings", "the note was counterfeit"),
            # An object field takes JSON; a customer not retained leaves a contact (personal data).
            ("attempt-retention", "--real-reason", "不满", "--offer", "专属经理", "--retained", "no",
             "--second-contact", '{"phone": "13900139000"}'),
        ]  # fmt: skip
        for version, act in enumerate(acts, start=2):
            done = teller("act", complaint, *act)
            assert done.exit_code == 0, done.output
            assert f"Version: {version}" in done.stdout
            assert "Position:" in done.stdout

        shown = teller("show", complaint)
        assert shown.exit_code == 0, shown.output
        assert "投诉 Complaint" in shown.stdout
        assert "给出解决方案 Propose a solution" in shown.stdout  # the next step, in both languages
        assert "13800000000" not in shown.stdout  # personal data stays out of the human view
        assert "13900139000" not in shown.stdout

        history = teller("history", complaint)
        assert history.exit_code == 0, history.output
        order = ["Reported", "Acknowledged", "CustomerIsolated", "Apologised", "FactsChecked"]
        positions = [history.stdout.index(f"v{v}  ") for v in range(1, 6)]
        assert positions == sorted(positions)
        assert all(name in history.stdout for name in order)
        assert teller.queued() == []


def test_json_output_is_exactly_what_the_server_answered(server: Server, teller: Branch) -> None:
    emergency = new_id()
    with server.up():
        reported = teller.json(
            "report", "emergency", "--id", emergency, "--outlet", OUTLET, "--kind", "fire",
            "--level", "orange", "--summary", "营业厅起火 fire in the hall", "--exercise",
        )  # fmt: skip
        assert reported == {"incident_id": emergency, "version": 1, "position": 1, "replayed": False}

        acted = teller.json(
            "act", emergency, "complete-playbook-action", "--action=call_119", "--if-match", "1"
        )
        assert (acted["version"], acted["replayed"]) == (2, False)

        headers = {"Authorization": f"Bearer {teller.token}"}
        for args, path in (("show", ""), ("history", "/history")):
            direct = httpx.get(f"{server.url}/api/v1/incidents/{emergency}{path}", headers=headers).json()
            assert teller.json(args, emergency) == direct
        view = teller.json("show", emergency)
        assert view["type"] == "emergency"
        assert view["exercise"] is True
        assert "call_119" not in [action["code"] for action in view["open_actions"]]


def test_a_refusal_says_what_the_server_said_and_exits_1(server: Server, teller: Branch) -> None:
    complaint = new_id()
    with server.up():
        assert teller.report_complaint(complaint).exit_code == 0
        conflict = teller("act", complaint, "acknowledge", "--if-match", "7")
        assert conflict.exit_code == 1
        assert "version_conflict" in conflict.output

        invalid = teller("act", complaint, "check-facts", "--findings", "x", "--json")
        assert invalid.exit_code == 1
        assert json.loads(invalid.stdout)["error"]["field"] == "founded"

        missing = teller("show", new_id())
        assert missing.exit_code == 1
        assert "404" in missing.output
        assert teller.queued() == []  # refusals are answers: nothing is queued
        assert json.loads(teller("outbox", "--rejected", "--json").stdout) == {"rejected": []}


def test_usage_errors_and_a_missing_token_exit_2(teller: Branch) -> None:
    assert teller("act", "not-a-uuid", "acknowledge").exit_code == 2
    assert teller("act", new_id(), "add_note", "stray").exit_code == 2
    misspelt = teller("act", new_id(), "acknowlege")  # refused at once, never queued to fail at sync
    assert misspelt.exit_code == 2
    assert "acknowledge" in misspelt.output
    assert teller.queued() == []
    missing = teller("show", new_id(), token="")
    assert missing.exit_code == 2
    assert "INCIDENT_TOKEN" in missing.output


# -- outages --------------------------------------------------------------------------------------------


def test_an_outage_queues_writes_in_order_and_the_next_command_sends_them_first(
    server: Server, teller: Branch
) -> None:
    complaint, emergency = new_id(), new_id()
    with server.up():
        assert teller.report_complaint(complaint).exit_code == 0

    # The server is down: writes are queued, in order, each keeping the time it was given.
    issued_before = datetime.now().astimezone()
    first = queued(teller("act", complaint, "acknowledge"))
    assert "服务器无法连接" in first.stdout
    assert "queued in the outbox (1 waiting)" in first.stdout
    assert "incident sync" in first.stdout
    queued(teller("act", complaint, "apologise", "--note", "对不起"))
    queued(teller("act", complaint, "check_facts", "--founded", "true", "--findings", "counterfeit"))
    kept = teller.json_queued("act", complaint, "propose-solution", "--solution", "exchange the note")
    assert kept["queued"] is True
    assert (kept["incident_id"], kept["outbox_size"]) == (complaint, 4)
    assert len(kept["command_id"]) == 32
    offline_report = teller(
        "report", "emergency", "--id", emergency, "--outlet", OUTLET, "--kind", "customer_surge",
        "--level", "yellow", "--summary", "客流激增 queue out of the door",
    )  # fmt: skip
    queued(offline_report)
    queued(teller("act", emergency, "complete_playbook_action", "--action", "open_more_counters"))

    # A read is never queued: it fails plainly, with its own exit code.
    read = teller("show", complaint)
    assert read.exit_code == 3
    assert "Server unreachable" in read.output
    assert teller.queued() == [
        "acknowledge", "apologise", "check_facts", "propose_solution", "report emergency",
        "complete_playbook_action",
    ]  # fmt: skip

    with server.up():
        after = teller("act", complaint, "record-customer-response", "--accepted")
        assert after.exit_code == 0, after.output
        assert "Version: 6" in after.stdout  # the five queued before it went first
        assert "Sending the outbox" in after.stderr
        assert teller.queued() == []

        events = server.history(complaint, teller.token)
        assert names(events) == [
            "Reported", "Acknowledged", "Apologised", "FactsChecked", "SolutionProposed", "CustomerResponded",
        ]  # fmt: skip
        assert [event["version"] for event in events] == [1, 2, 3, 4, 5, 6]
        acknowledged = datetime.fromisoformat(events[1]["occurred_at"].replace("Z", "+00:00"))
        assert acknowledged < datetime.fromisoformat(events[1]["recorded_at"].replace("Z", "+00:00"))
        assert abs((acknowledged - issued_before).total_seconds()) < 5  # when it was said, not when synced
        assert names(server.history(emergency, teller.token)) == ["Reported", "PlaybookActionDone"]


def test_a_reply_lost_after_the_server_applied_a_command_is_not_applied_twice(
    server: Server, teller: Branch, link: FlakyLink
) -> None:
    complaint = new_id()
    with server.up():
        link.plan = ["lose_reply"]
        report = queued(teller.report_complaint(complaint, url=link.url))
        assert "queued" in report.stdout  # the client cannot know the server has it

        # The act sends the queued report first (a replay); its reply is lost too, so the act queues behind it.
        link.plan = ["lose_reply"]
        queued(teller("act", complaint, "acknowledge", url=link.url))
        assert teller.queued() == ["report complaint", "acknowledge"]
        assert names(server.history(complaint, teller.token)) == ["Reported"]

        synced = teller("sync", "--json")
        assert synced.exit_code == 0, synced.output
        replies = [entry["reply"] for entry in json.loads(synced.stdout)["sent"]]
        assert [reply["replayed"] for reply in replies] == [True, False]
        assert names(server.history(complaint, teller.token)) == ["Reported", "Acknowledged"]

        link.plan = ["lose_reply"]
        queued(teller("act", complaint, "apologise", url=link.url))
        again = teller("sync")
        assert again.exit_code == 0
        assert "already recorded" in again.stdout
        assert names(server.history(complaint, teller.token)) == ["Reported", "Acknowledged", "Apologised"]


def test_a_server_error_leaves_the_outcome_unknown_so_the_command_is_queued_and_applied_once(
    server: Server, teller: Branch, link: FlakyLink
) -> None:
    complaint = new_id()
    with server.up():
        ok(teller.report_complaint(complaint))
        link.plan = ["fail_500"]  # the server applies the note; a gateway answers 500
        failed = queued(teller("act", complaint, "add-note", "--text", "客户情绪平稳 calm now", url=link.url))
        assert "The server failed to answer (500 internal): queued" in failed.stdout
        assert teller.queued() == ["add_note"]

        synced = ok(teller("sync"))
        assert "already recorded" in synced.stdout
        assert names(server.history(complaint, teller.token)) == ["Reported", "NoteAdded"]


def test_a_network_failure_mid_sync_stops_and_keeps_the_rest_in_order(
    server: Server, teller: Branch, link: FlakyLink
) -> None:
    complaint = new_id()
    with server.up():
        assert teller.report_complaint(complaint).exit_code == 0
        offline = closed_port_url()
        notes = [f"note {n}" for n in range(1, 5)]
        for note in notes:
            queued(teller("act", complaint, "add-note", "--text", note, url=offline))

        link.plan = ["pass", "pass", "drop"]
        stopped = teller("sync", url=link.url)
        assert stopped.exit_code == 3
        assert "sync stopped, 2 still queued in order" in stopped.stdout
        with Outbox(teller.outbox_path) as box:
            assert [request.body["text"] for request in box.pending()] == notes[2:]

        assert teller("sync").exit_code == 0
        events = server.history(complaint, teller.token)
        assert [event["data"]["text"] for event in events[1:]] == notes


def test_a_refused_token_stops_sync_and_discards_nothing(server: Server, teller: Branch) -> None:
    complaint = new_id()
    with server.up():
        assert teller.report_complaint(complaint).exit_code == 0
        queued(teller("act", complaint, "acknowledge", url=closed_port_url()))
        queued(teller("act", complaint, "apologise", url=closed_port_url()))

        refused = teller("sync", token="inc_not_a_real_token")
        assert refused.exit_code == 1
        assert "nothing discarded" in refused.stdout
        write = teller("act", complaint, "add_note", "--text", "x", token="inc_not_a_real_token")
        assert write.exit_code == 1  # not sent, not queued: the token is the problem
        assert teller.queued() == ["acknowledge", "apologise"]
        assert teller("outbox", "--rejected", "--json").stdout.strip() == '{"rejected": []}'

        assert teller("sync").exit_code == 0
        assert names(server.history(complaint, teller.token)) == ["Reported", "Acknowledged", "Apologised"]


def test_a_queued_command_the_server_now_refuses_is_set_aside_and_the_rest_go_through(
    server: Server, teller: Branch, office: Branch
) -> None:
    complaint, emergency = new_id(), new_id()
    with server.up():
        assert teller.report_complaint(complaint).exit_code == 0

        # The branch's link is down; meanwhile the office closes the complaint.
        offline = closed_port_url()
        queued(teller("act", complaint, "apologise", "--note", "sorry", url=offline))
        queued(teller(
            "report", "emergency", "--id", emergency, "--outlet", OUTLET, "--kind", "robbery",
            "--level", "red", "--summary", "抢劫 robbery", "--exercise", url=offline,
        ))  # fmt: skip
        queued(teller("act", complaint, "add-note", "--text", "客户已离开 the customer left", url=offline))
        ok(office("act", complaint, "record-withdrawal", "--confirmed-by", "phone"))
        ok(office("act", complaint, "close", "--outcome", "withdrawn", "--summary", "客户撤回 withdrawn"))

        synced = teller("sync")
        assert synced.exit_code == 1  # something was refused
        refusal = next(line for line in synced.stdout.splitlines() if "REFUSED" in line)
        assert "apologise" in refusal
        assert complaint in refusal
        assert "incident_closed" in refusal
        assert "sent" in synced.stdout
        assert teller.queued() == []

        [rejected] = json.loads(teller("outbox", "--rejected", "--json").stdout)["rejected"]
        assert rejected["path"].endswith(f"/{complaint}/commands/apologise")
        assert (rejected["error"]["status"], rejected["error"]["code"]) == (409, "incident_closed")
        assert "apologise" in teller("outbox", "--rejected").stdout

        assert names(server.history(complaint, teller.token)) == [
            "Reported",
            "WithdrawalRecorded",
            "Closed",
            "NoteAdded",
        ]
        assert names(server.history(emergency, teller.token)) == ["Reported"]
