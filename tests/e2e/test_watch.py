"""`incident watch` end to end: the real feed printed as JSON lines or a table, through a server restart."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result
from websockets.sync.client import connect

from domain.values import Role
from interfaces.cli.main import cli
from interfaces.client.watch import FeedQuery, WatchState, follow
from interfaces.feed.limits import FeedLimits
from interfaces.settings import Settings
from tests.e2e.server import free_port, issue_token, running_server

RUNNER = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
FIRE = {"outlet": "BJ-HD-01", "kind": "fire", "level": "orange", "summary": "营业厅冒烟 smoke"}
COMPLAINT = {"outlet": "SH-PD-01", "channel": "walk_in", "category": "service_quality", "summary": "排队太久"}


def post(server: str, token: str, path: str, body: dict[str, Any]) -> int:
    """Posts a report or command; returns its log position."""
    answer = httpx.post(f"{server}{path}", json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code in (200, 201), answer.text
    return int(answer.json()["position"])


def report(server: str, token: str, **changes: Any) -> dict[str, Any]:
    answer = httpx.post(
        f"{server}/api/v1/emergencies", json={**FIRE, **changes}, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def by_people(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events people posted (the server's own policies may add theirs, e.g. a risk raise)."""
    return [e for e in events if e["actor"]["role"] != "system"]


def in_order(events: list[dict[str, Any]]) -> list[int]:
    positions = [e["position"] for e in events]
    assert positions == sorted(set(positions)), "no duplicate, in order"
    return positions


def number_after(label: str, text: str) -> int:
    found = re.search(rf"{label} (\d+)", text)
    assert found is not None, text
    return int(found[1])


def watch(server: str, token: str, *args: str, columns: int = 160) -> Result:
    env = {"INCIDENT_URL": server, "INCIDENT_TOKEN": token, "COLUMNS": str(columns), "LINES": "40"}
    return RUNNER.invoke(cli, ["watch", *args], env=env)


def printed_events(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def office(settings: Settings) -> str:
    return issue_token(settings, Role.OFFICE, "HQ", "应急办 office")


def test_json_once_prints_exactly_the_events_after_the_position_in_order(server: str, office: str) -> None:
    positions = [post(server, office, "/api/v1/emergencies", FIRE) for _ in range(3)]
    positions += [post(server, office, "/api/v1/complaints", COMPLAINT) for _ in range(3)]

    events = printed_events(watch(server, office, "--json", "--once", "--after", str(positions[1])))

    assert min(in_order(events)) > positions[1], "nothing at or before the position"
    assert [e["position"] for e in by_people(events)] == positions[2:]
    assert {e["kind"] for e in events} == {"event"}, "heartbeats are not printed"
    kinds = [e["incident_type"] for e in by_people(events)]
    assert kinds == ["emergency", "complaint", "complaint", "complaint"]


def test_once_returns_at_once_when_nothing_is_newer_than_the_position(server: str, office: str) -> None:
    last = post(server, office, "/api/v1/emergencies", FIRE)
    assert printed_events(watch(server, office, "--json", "--once", "--after", str(last))) == []


def test_filters_narrow_what_is_printed(server: str, office: str) -> None:
    start = post(server, office, "/api/v1/emergencies", FIRE)  # BJ-HD-01, orange
    post(server, office, "/api/v1/emergencies", {**FIRE, "outlet": "SH-PD-01", "level": "blue"})
    post(server, office, "/api/v1/complaints", COMPLAINT)  # SH-PD-01, blue
    post(server, office, "/api/v1/emergencies", {**FIRE, "outlet": "SH-PD-02", "level": "red"})
    post(server, office, "/api/v1/emergencies", {**FIRE, "outlet": "GD-TH-01", "level": "yellow"})

    def seen(*filters: str) -> list[tuple[str, str, str]]:
        # The last event is outside most of these filters: --once still ends once caught up.
        events = printed_events(
            watch(server, office, "--json", "--once", "--after", str(start - 1), *filters)
        )
        return [(e["unit"], e["incident_type"], e["level"]) for e in by_people(events)]

    assert seen("--unit", "SH") == [
        ("SH-PD-01", "emergency", "blue"),
        ("SH-PD-01", "complaint", "blue"),
        ("SH-PD-02", "emergency", "red"),
    ]
    assert seen("--type", "complaint") == [("SH-PD-01", "complaint", "blue")]
    assert seen("--min-level", "orange") == [
        ("BJ-HD-01", "emergency", "orange"),
        ("SH-PD-02", "emergency", "red"),
    ]
    assert seen("--unit", "SH", "--type", "emergency", "--min-level", "red") == [
        ("SH-PD-02", "emergency", "red")
    ]


def test_a_bad_token_exits_1_with_a_clear_message(server: str) -> None:
    refused = watch(server, "forged", "--once")

    assert refused.exit_code == 1
    assert "The feed was refused" in refused.stderr
    assert "unknown or revoked token" in refused.stderr
    assert refused.stdout == "", "no table is drawn for a refused token"


def test_a_refusal_in_json_mode_is_one_json_error(server: str, settings: Settings) -> None:
    admin = issue_token(settings, Role.ADMIN)
    refused = watch(server, admin, "--json", "--once")

    assert refused.exit_code == 1
    error = json.loads(refused.stdout)["error"]
    assert error["status"] == 403
    assert "may not read" in error["message"]


def test_an_unknown_unit_is_refused_with_the_reason(server: str, office: str) -> None:
    refused = watch(server, office, "--once", "--unit", "NOWHERE")

    assert refused.exit_code == 1
    assert "'NOWHERE' is not in the organisation" in refused.stderr


def test_a_token_at_its_feed_limit_exits_1_saying_so(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'limit.db'}", feed=FeedLimits(per_token=1))
    token = issue_token(settings, Role.OFFICE, "HQ")
    with running_server(settings) as server:
        feed = server.replace("http://", "ws://") + "/api/v1/feed"
        with connect(feed, additional_headers={"Authorization": f"Bearer {token}"}) as held:
            held.recv(timeout=10)  # the token's one feed, open elsewhere
            refused = watch(server, token, "--json", "--once")

    assert refused.exit_code == 1
    error = json.loads(refused.stdout)["error"]
    assert error["status"] == 429
    assert "this token is at its limit of 1 open feeds; close one" in error["message"]


def test_a_missing_token_is_a_usage_error(server: str) -> None:
    missing = watch(server, "", "--once")

    assert missing.exit_code == 2
    assert "INCIDENT_TOKEN" in missing.stderr


def test_the_table_shows_each_open_incident_with_its_level_in_words(server: str, office: str) -> None:
    red = report(server, office, outlet="SH-PD-02", level="red", exercise=True)
    orange = report(server, office)
    gone = report(server, office, outlet="GD-TH-01", level="yellow")
    post(server, office, f"/api/v1/emergencies/{gone['incident_id']}/stand_down",
         {"summary": "已扑灭 out", "waiver_reason": "误报 false alarm"})  # fmt: skip
    last = post(server, office, f"/api/v1/emergencies/{gone['incident_id']}/close", {"summary": "结案"})

    shown = watch(server, office, "--once", "--table", "--after", str(red["position"] - 1))

    assert shown.exit_code == 0, shown.output
    text = shown.stdout
    assert "已连接 connected" in text
    assert number_after("位置 position", text) >= last, "the status line says how far it read"
    assert number_after("已收 received", text) >= 5
    assert "未结事件 Open incidents: 2" in text, "a closed incident leaves the table"
    red_line = next(line for line in text.splitlines() if red["incident_id"][:8] in line)
    assert "SH-PD-02" in red_line
    assert "红色 Red" in red_line
    assert "演练 EXERCISE" in red_line
    orange_line = next(line for line in text.splitlines() if orange["incident_id"][:8] in line)
    assert "BJ-HD-01" in orange_line
    assert "橙色 Orange" in orange_line
    assert text.index(red_line) < text.index(orange_line), "worst level first"
    assert gone["incident_id"][:8] not in text


@pytest.mark.parametrize("columns", [80, 120])
def test_the_table_is_readable_at_80_and_120_columns(server: str, office: str, columns: int) -> None:
    fire = report(
        server, office, outlet="BJ-HD-01", level="red", summary="营业厅配电箱冒烟 smoke from the panel"
    )
    post(
        server,
        office,
        f"/api/v1/emergencies/{fire['incident_id']}/add_note",
        {"text": "消防已到 brigade here"},
    )
    shown = watch(server, office, "--once", "--table", columns=columns)
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert all(len(line) <= columns for line in lines), max(lines, key=len)
    row = next(i for i, line in enumerate(lines) if fire["incident_id"][:8] in line)
    following = [i for i, line in enumerate(lines) if i > row and line[:1] != " " and line.strip()]
    block = " ".join(lines[row : following[0] if following else len(lines)])
    assert "红色 Red" in lines[row]
    assert "BJ-HD-01" in lines[row]
    assert "火灾 Fire" in block
    assert "营业厅配电箱冒烟" in block, "the summary tells two fires apart"
    assert "NoteAdded v2" in block, "what happened last"
    assert "(office)" in block, "and who did it"


def test_piped_it_prints_one_plain_line_per_event_with_the_whole_id(server: str, office: str) -> None:
    fire = report(server, office, outlet="BJ-HD-01", level="orange", summary="配电箱冒烟 smoke")
    post(server, office, f"/api/v1/emergencies/{fire['incident_id']}/add_note", {"text": "到场"})
    shown = watch(server, office, "--once", "--after", str(fire["position"] - 1))
    assert shown.exit_code == 0, shown.output
    lines = [line for line in shown.stdout.splitlines() if fire["incident_id"] in line]
    assert len(lines) == 2
    assert "橙色 Orange" in lines[0]
    assert "BJ-HD-01" in lines[0]
    assert "配电箱冒烟 smoke" in lines[0]
    assert "Reported v1" in lines[0]
    assert "NoteAdded v2" in lines[1]
    assert "│" not in shown.stdout, "no table drawn into a pipe"


def test_the_table_drops_an_incident_lowered_below_the_level_asked(server: str, office: str) -> None:
    lowered = report(server, office)
    post(server, office, f"/api/v1/emergencies/{lowered['incident_id']}/change_level",
         {"level": "yellow", "reason": "已控制 under control"})  # fmt: skip
    red = report(server, office, outlet="SH-PD-02", level="red")

    text = watch(server, office, "--once", "--table", "--min-level", "orange").stdout

    assert "未结事件 Open incidents: 1" in text
    assert red["incident_id"][:8] in text
    assert lowered["incident_id"][:8] not in text, "its orange report alone would have kept it"


# -- resuming ------------------------------------------------------------------------------------------


def test_a_watcher_told_to_resume_comes_back_from_its_last_position(sqlite_settings: Settings) -> None:
    office = issue_token(sqlite_settings, Role.OFFICE, "HQ")
    # A queue of one message per watcher: a burst of concurrent writes overflows it, and the feed says 4001.
    with running_server(sqlite_settings, heartbeat_seconds=0.2, watcher_queue=1) as url:
        start = post(url, office, "/api/v1/emergencies", FIRE)
        posted: list[int] = []

        def burst() -> None:
            def ten() -> None:
                posted.extend(post(url, office, "/api/v1/complaints", COMPLAINT) for _ in range(10))

            writers = [threading.Thread(target=ten) for _ in range(8)]
            for writer in writers:
                writer.start()
            for writer in writers:
                writer.join()

        async def watch_through_the_burst() -> tuple[list[dict[str, Any]], WatchState]:
            state, received = WatchState(position=start), []
            writing: asyncio.Future[None] | None = None

            def on_message(_: str, message: dict[str, Any]) -> bool:
                nonlocal writing
                writing = writing or asyncio.ensure_future(asyncio.to_thread(burst))
                if state.take(message):
                    received.append(message)
                return len(by_people(received)) == 80

            await asyncio.wait_for(follow(url, office, FeedQuery(), state, on_message), 60)
            assert writing is not None
            await writing  # the writers may hear back after the watcher got everything
            return received, state

        received, state = asyncio.run(watch_through_the_burst())

    assert state.reconnections > 0, "the feed cut the watcher loose at least once"
    assert min(in_order(received)) > start
    assert [e["position"] for e in by_people(received)] == sorted(posted), "every event once, in order"


# -- a dropped connection --------------------------------------------------------------------------


class WatchProcess:
    """`incident watch --json` in its own process, its stdout read line by line in a thread."""

    def __init__(self, url: str, token: str) -> None:
        env = {**os.environ, "INCIDENT_URL": url, "INCIDENT_TOKEN": token, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "interfaces.cli.main", "watch", "--json"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.events: list[dict[str, Any]] = []
        self.stderr = ""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, position: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not self.events or self.events[-1]["position"] < position:
            assert self.process.poll() is None, "watch exited"
            self.events.append(json.loads(self.lines.get(timeout=max(0.1, deadline - time.monotonic()))))

    def stop(self) -> None:
        self.process.terminate()
        self.stderr = self.process.communicate(timeout=10)[1]


@contextmanager
def watching(url: str, token: str) -> Iterator[WatchProcess]:
    watcher = WatchProcess(url, token)
    try:
        yield watcher
    finally:
        watcher.stop()


def test_a_dropped_connection_resumes_from_the_last_position_without_loss(sqlite_settings: Settings) -> None:
    token, port = issue_token(sqlite_settings, Role.OFFICE, "HQ"), free_port()
    url = f"http://127.0.0.1:{port}"
    posted: list[int] = []

    def post_some(server: str, count: int) -> None:
        posted.extend(post(server, token, "/api/v1/complaints", COMPLAINT) for _ in range(count))

    with watching(url, token) as watcher:
        with running_server(sqlite_settings, port=port, heartbeat_seconds=0.5):
            post_some(url, 5)
            watcher.wait_for(posted[-1])
            post_some(url, 3)  # live, just before the drop
        # While the watcher's server is down, the same log grows through another server.
        with running_server(sqlite_settings, heartbeat_seconds=0.5) as elsewhere:
            post_some(elsewhere, 7)
        with running_server(sqlite_settings, port=port, heartbeat_seconds=0.5):
            post_some(url, 4)  # live again, once the connection is resumed
            watcher.wait_for(posted[-1])

    in_order(watcher.events)
    assert [e["position"] for e in by_people(watcher.events)] == posted, "every event once"
    said = watcher.stderr.splitlines()
    assert any("重新连接中 reconnecting" in line for line in said), watcher.stderr
    assert any("离线 offline" in line for line in said), watcher.stderr
    assert any("已连接 connected" in line and "reconnects 1" in line for line in said), "it says it is back"
