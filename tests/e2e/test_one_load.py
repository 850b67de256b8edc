"""One load of the incident per command, on every command route: the access check runs on that load."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from application.incident_desk import IncidentDesk
from domain.values import Role
from interfaces.http.app import create_app
from interfaces.settings import Settings
from tests.e2e.server import issue_token, serving

OUTLET, ELSEWHERE = "BJ-HD-01", "SH-PD-01"
COMPLAINT = {"outlet": OUTLET, "channel": "walk_in", "category": "service_quality", "summary": "排队太久"}
FIRE = {"outlet": OUTLET, "kind": "fire", "level": "orange", "summary": "营业厅后区冒烟"}


class Counted:
    """Counts the calls of a desk's method made by the server's request threads (not the test's)."""

    def __init__(self, method: Callable[..., Any]) -> None:
        self.method = method
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.calls += 1
        return self.method(*args, **kwargs)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[httpx.Client, Counted, Counted]]:
    # Nothing else reads incidents here: no boards, no policies.
    settings = Settings(database_url=f"sqlite:///{tmp_path}/one.db", run_boards=False, run_policies=False)
    app = create_app(settings)
    with serving(app) as url:
        desk: IncidentDesk = app.state.services.desk
        loads = Counted(desk.repository.get)
        reads = Counted(desk.recorder.select_events)
        desk.repository.get = loads  # type: ignore[method-assign]
        desk.recorder.select_events = reads  # type: ignore[method-assign]
        token = issue_token(settings, Role.BRANCH, OUTLET)
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as http:
            yield http, loads, reads


def loads_of(
    world: tuple[httpx.Client, Counted, Counted], path: str, body: dict[str, Any]
) -> tuple[int, int, int]:
    http, loads, reads = world
    before = loads.calls, reads.calls
    answer = http.post(path, json=body)
    return answer.status_code, loads.calls - before[0], reads.calls - before[1]


def test_a_command_loads_its_incident_once_on_the_kind_s_route_and_on_the_generic_route(
    world: tuple[httpx.Client, Counted, Counted],
) -> None:
    http = world[0]
    complaint = http.post("/api/v1/complaints", json=COMPLAINT).json()["incident_id"]
    fire = http.post("/api/v1/emergencies", json=FIRE).json()["incident_id"]
    cases = [
        (f"/api/v1/complaints/{complaint}/acknowledge", {}),
        (f"/api/v1/complaints/{complaint}/add_note", {"text": "已致电客户"}),
        (f"/api/v1/incidents/{complaint}/commands/add_note", {"text": "只知编号 by id only"}),
        (f"/api/v1/emergencies/{fire}/notify_authority", {"authority": "fire_119"}),
        (f"/api/v1/incidents/{fire}/commands/add_note", {"text": "消防已到场"}),
    ]
    for path, body in cases:
        status, loads, reads = loads_of(world, path, body)
        assert status == 200, path
        assert loads == 1, f"{path}: the incident was loaded {loads} times"
        assert reads <= 1, f"{path}: {reads} reads of the store"


def test_a_refused_command_also_loads_once_and_stores_nothing(
    world: tuple[httpx.Client, Counted, Counted],
) -> None:
    http = world[0]
    complaint = http.post("/api/v1/complaints", json=COMPLAINT).json()["incident_id"]
    head = http.get("/readyz").json()["position"]
    for path, body, expected in [
        # By id only, the incident's kind is known once it is loaded: reopening is the office's
        # decision, refused then, before the body is read.
        (f"/api/v1/incidents/{complaint}/commands/reopen", {"reason": "再次来电"}, 403),
        # Nothing to carry out yet: refused by the rule, on the loaded incident.
        (f"/api/v1/complaints/{complaint}/carry_out_solution", {}, 409),
        # A complaint is not an emergency.
        (f"/api/v1/emergencies/{complaint}/add_note", {"text": "x"}, 404),
    ]:
        status, loads, _ = loads_of(world, path, body)
        assert status == expected, path
        assert loads == 1, f"{path}: the incident was loaded {loads} times"
    assert http.get("/readyz").json()["position"] == head


def test_a_command_the_role_may_never_send_is_refused_without_loading_the_incident(
    world: tuple[httpx.Client, Counted, Counted],
) -> None:
    http = world[0]
    complaint = http.post("/api/v1/complaints", json=COMPLAINT).json()["incident_id"]
    head = http.get("/readyz").json()["position"]
    # Closing and reopening are the office's decisions: on the kind's own route a branch is refused
    # whatever the incident, with no read of the store.
    for path, body in [
        (f"/api/v1/complaints/{complaint}/close", {"outcome": "withdrawn", "summary": "撤回"}),
        (f"/api/v1/complaints/{complaint}/reopen", {"reason": "再次来电"}),
    ]:
        status, loads, reads = loads_of(world, path, body)
        assert status == 403, path
        assert (loads, reads) == (0, 0), f"{path}: {loads} loads, {reads} reads"
    assert http.get("/readyz").json()["position"] == head


def test_another_outlet_s_incident_is_refused_after_the_one_load(
    world: tuple[httpx.Client, Counted, Counted], tmp_path: Path
) -> None:
    http = world[0]
    # The branch may not report elsewhere, so its office reports there (same server, same store).
    settings = Settings(database_url=f"sqlite:///{tmp_path}/one.db", run_boards=False, run_policies=False)
    office = {"Authorization": f"Bearer {issue_token(settings, Role.OFFICE, 'HQ')}"}
    elsewhere = http.post("/api/v1/complaints", json={**COMPLAINT, "outlet": ELSEWHERE}, headers=office)
    incident_id = elsewhere.json()["incident_id"]
    status, loads, _ = loads_of(world, f"/api/v1/incidents/{incident_id}/commands/add_note", {"text": "x"})
    assert (status, loads) == (403, 1)
