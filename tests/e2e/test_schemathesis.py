"""Schemathesis over the live OpenAPI schema: no input, however malformed, makes the server fail.

Every operation gets positive (schema-valid) and negative (schema-breaking) cases, and every response
goes through these checks:

- `not_a_server_error`: no 5xx, ever (the catch-all handler's 500 `internal_error` included);
- `status_code_conformance`: every status is one the operation documents (the fuzzing phase only
  sends documented methods, so FastAPI's own 405s never show up to make it noisy);
- `content_type_conformance`, `response_headers_conformance`, `response_schema_conformance`:
  what an answer documents (JSON, `CommandOut`, `IncidentOut`, ...) is what it sends;
- `negative_data_rejection`: schema-breaking input is refused with a 4xx, never recorded;
- `error_shape` (ours): every refusal is 401/403/404/409/413/422 as {"error": {"code", "message", "field"}}.

Left out: `positive_data_acceptance`, because the schema cannot say which outlets exist or what a
rule of the domain refuses, so schema-valid input is rightly refused with 409/422 (and the generic
`/commands/{command}` body is any object, checked against the named command's model); and the
stateful checks (`use_after_free`, `ensure_resource_availability`, `ignored_auth`, ...), which need
phases this run does not use.

`schemathesis.pytest.from_fixture` reads `Function._nodeid`, which pytest 9.2 no longer has, so each
operation runs as a subtest of one test, with `APIOperation.as_strategy` and Hypothesis's `@given`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, CheckContext, GenerationMode, HookContext, Response
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from domain.commands import commands_of
from domain.values import Role
from interfaces.http.command_models import COMMAND_MODELS, INCIDENT_TYPES
from interfaces.settings import Settings
from tests.e2e.server import issue_token, running_server

COMPLAINT_ID = UUID("5c1a0000-0000-4000-8000-00000000c0de")
EMERGENCY_ID = UUID("5e1a0000-0000-4000-8000-00000000e1e1")
COMMANDS = sorted({command for commands in COMMAND_MODELS.values() for command in commands})
ERROR_STATUSES = {401, 403, 404, 409, 413, 422}


def error_shape(_context: CheckContext, response: Response, _case: Case[Any]) -> bool | None:
    """Every refusal is one of the API's statuses, as JSON {"error": {"code", "message", "field"}}."""
    if response.status_code < 400:
        return None
    assert response.status_code in ERROR_STATUSES, f"refused with {response.status_code}"
    body = response.json()
    assert isinstance(body, dict), f"not the error shape: {body!r}"
    assert set(body) == {"error"}, f"not the error shape: {body!r}"
    assert set(body["error"]) == {"code", "message", "field"}, f"not the error shape: {body!r}"
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    error_shape,
]


def _is_uuid(value: Any) -> bool:
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True


def real_ids_some_of_the_time(
    _: HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[Any]:
    # Random UUIDs all 404: some cases act on the real complaint or emergency, some name a real command.
    # Only a value that is already a valid UUID is swapped, so a malformed id stays malformed.
    if not path_parameters:
        return st.just(path_parameters)
    drawn = {name: st.just(value) for name, value in path_parameters.items()}
    if _is_uuid(path_parameters.get("incident_id")):
        drawn["incident_id"] = st.sampled_from(
            [path_parameters["incident_id"], str(COMPLAINT_ID), str(EMERGENCY_ID)]
        )
    if "command" in path_parameters:
        drawn["command"] = st.sampled_from([path_parameters["command"], *COMMANDS])
    return st.fixed_dictionaries(drawn)


def report_the_real_incidents(url: str, headers: dict[str, str]) -> None:
    complaint = {
        "incident_id": str(COMPLAINT_ID),
        "outlet": "BJ-HD-01",
        "channel": "call_centre_phone",
        "category": "service_quality",
        "summary": "Queue too long",
    }
    emergency = {
        "incident_id": str(EMERGENCY_ID),
        "outlet": "BJ-HD-02",
        "kind": "fire",
        "level": "orange",
        "summary": "Smoke in the lobby",
    }
    for path, body in (("complaints", complaint), ("emergencies", emergency)):
        httpx.post(f"{url}/api/v1/{path}", json=body, headers=headers).raise_for_status()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """One real server on the embedded store for the module, with an office token and two incidents."""
    database: Path = tmp_path_factory.mktemp("schemathesis") / "incidents.db"
    app_settings = Settings(database_url=f"sqlite:///{database}")
    headers = {"Authorization": f"Bearer {issue_token(app_settings, Role.OFFICE, 'HQ')}"}
    with running_server(app_settings) as url:
        report_the_real_incidents(url, headers)
        yield url, headers


@pytest.fixture(scope="module")
def api(live: tuple[str, dict[str, str]]) -> BaseSchema:
    url, headers = live
    config = schemathesis.Config.from_dict({"headers": headers})  # sent with every generated case
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json", headers=headers, config=config)
    schema.hook("flatmap_path_parameters")(real_ids_some_of_the_time)
    return schema


Operation = APIOperation[Any, Any, Any, Any]


def operations(schema: BaseSchema) -> list[Operation]:
    found = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the schema has an invalid operation: {result.err()}"
        found.append(result.ok())
    return found


def fuzz(operation: Operation) -> None:
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @given(case=cases)
    @settings(
        max_examples=20,
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    def one_case(case: Case[Any]) -> None:
        case.call_and_validate(checks=CHECKS)

    one_case()


def test_no_input_makes_the_server_fail(
    api: BaseSchema, live: tuple[str, dict[str, str]], subtests: pytest.Subtests
) -> None:
    for operation in operations(api):
        with subtests.test(msg=operation.label):
            fuzz(operation)
    # Whatever was accepted was also projectable: the boards are not stuck on any of it.
    url, headers = live
    head = httpx.get(f"{url}/readyz").json()["position"]
    board = httpx.get(f"{url}/api/v1/boards/office", params={"after": head}, headers=headers, timeout=30)
    assert board.status_code == 200, board.text
    assert board.json()["stale"] is None
    assert httpx.get(f"{url}/readyz").json()["status"] == "ready"


def test_the_schema_has_every_operation(api: BaseSchema) -> None:
    labels = {operation.label for operation in operations(api)}
    assert {
        "POST /api/v1/complaints",
        "POST /api/v1/emergencies",
        "POST /api/v1/incidents/{incident_id}/commands/{command}",
        "GET /api/v1/incidents/{incident_id}",
        "GET /api/v1/incidents",
    } <= labels
    # Every command a person may send; the system's own marks (a policy's) are not in the schema.
    for kind, plural in (("complaint", "complaints"), ("emergency", "emergencies")):
        sent_by_people = [n for n in COMMAND_MODELS[kind] if not commands_of(INCIDENT_TYPES[kind])[n].system]
        assert len([label for label in labels if f"/{plural}/{{incident_id}}/" in label]) == len(
            sent_by_people
        )


NOTE = f"/api/v1/complaints/{COMPLAINT_ID}/add_note"
CORRECT = f"/api/v1/complaints/{COMPLAINT_ID}/correct_entry"
TOO_WIDE = b'{"corrects_version": ' + b"9" * 5000 + b', "reason": "r", "correction": "c"}'
EDGES = [  # found while fuzzing and probing by hand; each was a 500, a 400 or a 409 before its fix
    pytest.param(NOTE, {"headers": {"If-Match": b"\xb2"}}, id="If-Match with a non-ASCII digit"),
    pytest.param(NOTE, {"headers": {"If-Match": "9" * 5000}}, id="If-Match over int()'s digit limit"),
    pytest.param(NOTE, {"headers": {"If-Match": str(2**64)}}, id="If-Match wider than 64 bits"),
    pytest.param(NOTE, {"json": {"text": "n", "command_id": "key\x00"}}, id="a command id with NUL"),
    pytest.param(NOTE, {"headers": {"Idempotency-Key": ""}}, id="an empty Idempotency-Key"),
    pytest.param(CORRECT, {"content": TOO_WIDE}, id="an integer over json's digit limit"),
    pytest.param(NOTE, {"content": b'{"text": "\xff\xfe"}'}, id="a body that is not UTF-8"),
]


@pytest.mark.parametrize(("path", "request_args"), EDGES)
def test_malformed_edges_are_refused_as_invalid_input(
    live: tuple[str, dict[str, str]], path: str, request_args: dict[str, Any]
) -> None:
    url, headers = live
    sent = {**request_args} if "content" in request_args else {"json": {"text": "n"}, **request_args}
    sent["headers"] = {**headers, "Content-Type": "application/json", **request_args.get("headers", {})}
    response = httpx.post(f"{url}{path}", **sent)
    assert response.status_code == 422, response.text
    assert set(response.json()["error"]) == {"code", "message", "field"}


@pytest.mark.parametrize("board", ["office", "wall", "complaint-stats"])
def test_a_board_position_beyond_the_log_is_refused_at_once(
    live: tuple[str, dict[str, str]], board: str
) -> None:
    url, headers = live
    response = httpx.get(f"{url}/api/v1/boards/{board}", params={"after": 2**62}, headers=headers, timeout=5)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "after"
