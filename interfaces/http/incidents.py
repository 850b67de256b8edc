"""The incident API: report, every command of both kinds, read one incident and its history."""

from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Header, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from application.access.policy import CommandAccess, check_may_send, check_read, check_report
from application.access.principal import Principal
from application.incident_desk import CommandFor, CommandResult
from domain.commands import Command, commands_of
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.errors import InvalidInputError
from domain.incident import Incident
from domain.incident_type import IncidentType
from domain.organisation import UnitKind
from domain.personal import sees_personal_data
from interfaces.http.auth import CurrentPrincipal
from interfaces.http.command_models import (
    COMMAND_ID_EXAMPLE,
    COMMAND_ID_PATTERN,
    COMMAND_MODELS,
    INCIDENT_TYPES,
    REPORT_MODELS,
    Envelope,
    command_fields,
)
from interfaces.http.past_state import (
    FromVersion,
    IncidentStateOut,
    PastQuery,
    ToVersion,
    past_query,
    state_of,
    state_view,
    version_window,
)
from interfaces.http.services import services
from interfaces.http.views import (
    CommandOut,
    HistoryOut,
    history_view,
    incident_view,
)
from interfaces.services import Services

ModelT = TypeVar("ModelT", bound=BaseModel)
router = APIRouter(prefix="/api/v1", tags=["incidents"])
App = Annotated[Services, Depends(services)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        pattern=COMMAND_ID_PATTERN,
        description="Same as the body's command_id: a replay returns the first result.",
        examples=[COMMAND_ID_EXAMPLE],
    ),
]
IfMatch = Annotated[
    str | None,
    Header(description='The version the command expects, e.g. "5" (from the ETag).', examples=['"5"']),
]
VERSION_DIGITS = 18
PLURAL = {kind: kind.plural for kind in IncidentType}
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing, unknown or revoked token"},
    403: {"description": "Outside the token's role or scope"},
    404: {"description": "No such incident"},
    409: {"description": "A rule refused it, or a version / command-id conflict"},
    413: {"description": "Body too large"},
    422: {"description": "Invalid input; `field` names it"},
}


def etag(version: int) -> str:
    return f'"{version}"'


def _expected_version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    # ASCII digits only ("²" is a digit to str.isdigit but not to int()), and few enough to be a
    # version a 64-bit store column can hold (and far below int()'s 4300-digit limit).
    if not (text.isascii() and text.isdigit() and len(text) <= VERSION_DIGITS):
        raise InvalidInputError(f'If-Match must be a version such as "5", not {if_match!r}', field="If-Match")
    return int(text)


def _command_id(body: BaseModel, idempotency_key: str | None) -> str | None:
    in_body: str | None = getattr(body, "command_id", None)
    if in_body and idempotency_key and in_body != idempotency_key:
        raise InvalidInputError("Idempotency-Key and command_id differ; send one of them", field="command_id")
    return in_body or idempotency_key


def _reveals_personal(principal: Principal) -> bool:
    # Those who answer the customer see how to reach them; auditors check records, not people.
    return sees_personal_data(principal.role)


def _answer(result: CommandResult, response: Response) -> CommandOut:
    response.headers["ETag"] = etag(result.version)
    return CommandOut(
        incident_id=result.incident_id,
        version=result.version,
        position=result.position,
        replayed=result.replayed,
    )


def _report(
    kind: IncidentType, body: BaseModel, principal: Principal, app: Services, idempotency_key: str | None
) -> CommandResult:
    fields = command_fields(body)
    outlet = fields["outlet"]
    unit = app.organisation.get(outlet)
    if unit is None or unit.kind is not UnitKind.OUTLET:
        raise InvalidInputError(f"outlet {outlet!r} is not an outlet of the organisation", field="outlet")
    check_report(principal, kind, outlet, app.organisation, level=fields.get("level"))
    report = app.desk.report_complaint if kind is IncidentType.COMPLAINT else app.desk.report_emergency
    return report(
        actor=principal.actor,
        occurred_at=getattr(body, "occurred_at", None),
        incident_id=getattr(body, "incident_id", None),
        command_id=_command_id(body, idempotency_key),
        **fields,
    )


def _act(
    incident_id: UUID,
    command: Command[Incident] | CommandFor,
    envelope: BaseModel,
    principal: Principal,
    app: Services,
    idempotency_key: str | None,
    if_match: str | None,
) -> CommandResult:
    # The desk loads the incident once and runs the access check on it before the command.
    return app.desk.act(
        incident_id,
        command,
        actor=principal.actor,
        occurred_at=getattr(envelope, "occurred_at", None),
        command_id=_command_id(envelope, idempotency_key),
        expected_version=_expected_version(if_match),
        authorise=CommandAccess(principal, app.organisation),
    )


def _parsed(model: type[ModelT], body: dict[str, Any]) -> ModelT:
    """The body as `model` validates it, a refusal naming the first field it finds wrong."""
    try:
        return model.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise InvalidInputError(
            f"{field}: {first['msg']}" if field else first["msg"], field=field or "body"
        ) from None


def _add_report_route(kind: IncidentType, model: type[BaseModel]) -> None:
    async def report(
        body: Annotated[model, Body()],  # type: ignore[valid-type]
        principal: CurrentPrincipal,
        app: App,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> CommandOut:
        result = await run_in_threadpool(_report, kind, body, principal, app, idempotency_key)
        response.status_code = 200 if result.replayed else 201
        response.headers["Location"] = f"/api/v1/incidents/{result.incident_id}"
        return _answer(result, response)

    router.add_api_route(
        f"/{PLURAL[kind]}",
        report,
        methods=["POST"],
        status_code=201,
        response_model=CommandOut,
        responses=ERRORS,
        summary=f"Report {'an' if kind is IncidentType.EMERGENCY else 'a'} {kind} ({kind.zh}上报)",
        description=model.__doc__ or "",
        operation_id=f"report_{kind}",
        tags=[PLURAL[kind]],
    )


def _may_send(kind: IncidentType, command: str) -> Any:
    """A dependency refusing a role that may never send `command` (403), before the body is read."""

    def may_send(principal: CurrentPrincipal) -> None:
        check_may_send(principal, INCIDENT_TYPES[kind], command)

    return may_send


def _add_command_route(kind: IncidentType, command: str, model: type[BaseModel]) -> None:
    async def act(
        incident_id: UUID,
        body: Annotated[model, Body()],  # type: ignore[valid-type]
        principal: CurrentPrincipal,
        app: App,
        response: Response,
        idempotency_key: IdempotencyKey = None,
        if_match: IfMatch = None,
    ) -> CommandOut:
        given = Command(INCIDENT_TYPES[kind], command, command_fields(body))
        result = await run_in_threadpool(
            _act, incident_id, given, body, principal, app, idempotency_key, if_match
        )
        return _answer(result, response)

    router.add_api_route(
        f"/{PLURAL[kind]}/{{incident_id}}/{command}",
        act,
        methods=["POST"],
        response_model=CommandOut,
        responses=ERRORS,
        summary=f"{command.replace('_', ' ').capitalize()} ({kind})",
        description=model.__doc__ or "",
        operation_id=f"{kind}_{command}",
        tags=[PLURAL[kind]],
        # Dependencies are solved before the body is validated: a sender who may never take the
        # command hears 403 first, not a list of fields to correct.
        dependencies=[Depends(_may_send(kind, command))],
        # The system's own marks (a policy's) are no one's to send: refused, and not shown in /docs.
        include_in_schema=not commands_of(INCIDENT_TYPES[kind])[command].system,
    )


for _kind, _model in REPORT_MODELS.items():
    _add_report_route(_kind, _model)
for _kind, _commands in COMMAND_MODELS.items():
    for _command, _model in _commands.items():
        _add_command_route(_kind, _command, _model)


@router.post(
    "/incidents/{incident_id}/commands/{command}",
    response_model=CommandOut,
    responses=ERRORS,
    tags=["incidents"],
)
async def act_on_incident(
    incident_id: UUID,
    command: str,
    body: Annotated[dict[str, Any], Body()],
    principal: CurrentPrincipal,
    app: App,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> CommandOut:
    """Any command of the incident's kind, for clients that know only the incident id.

    The body is validated against the same model as the kind's own route.
    """
    envelope = _parsed(Envelope, {name: body[name] for name in Envelope.model_fields if name in body})

    def command_for(kind: type[Complaint] | type[Emergency]) -> Command[Incident]:
        model = COMMAND_MODELS[kind.TYPE].get(command)
        if model is None:
            accepted = ", ".join(COMMAND_MODELS[kind.TYPE])
            raise InvalidInputError(
                f"{command!r} is not a {kind.NOUN} command; expected one of: {accepted}", field="command"
            )
        check_may_send(principal, kind, command)  # before the body: see _may_send
        return Command(kind, command, command_fields(_parsed(model, body)))

    result = await run_in_threadpool(
        _act, incident_id, command_for, envelope, principal, app, idempotency_key, if_match
    )
    return _answer(result, response)


@router.get("/incidents/{incident_id}", response_model=IncidentStateOut, responses=ERRORS)
def read_incident(
    incident_id: UUID,
    principal: CurrentPrincipal,
    app: App,
    response: Response,
    query: Annotated[PastQuery, Depends(past_query)],
) -> IncidentStateOut:
    """One incident as it stands (or stood): its step, the next expected step, open playbook actions, due time.

    `version`, or `as_of` with its `axis`, reads a past state: no ETag then, for nothing can be sent
    against it. A version past the head, or an instant before the incident, is a 422 naming it.
    """
    incident = app.desk.get_incident(incident_id)
    check_read(principal, incident.TYPE, incident.outlet, app.organisation)
    state = state_of(app, incident, query)
    if not state.past:
        response.headers["ETag"] = etag(state.incident.version)
    judged_at = state.judged_at or app.clock()
    view = incident_view(
        state.incident, app.organisation, judged_at, reveal_personal=_reveals_personal(principal)
    )
    return state_view(state, view)


@router.get("/incidents/{incident_id}/history", response_model=HistoryOut, responses=ERRORS)
def read_history(
    incident_id: UUID,
    principal: CurrentPrincipal,
    app: App,
    from_version: FromVersion = None,
    to_version: ToVersion = None,
) -> HistoryOut:
    """The stored events of one incident, oldest first: who, when it happened, when it was recorded.

    Each event lists its later corrections, a correction names the event it corrects, and `late` marks
    an entry recorded well after it happened. `from_version` / `to_version` bound it (both included).
    """
    incident = app.desk.get_incident(incident_id)
    kind = incident.TYPE
    check_read(principal, kind, incident.outlet, app.organisation)
    events = app.desk.history(incident_id)
    shown = version_window(from_version, to_version, len(events))
    return history_view(incident_id, kind, events, reveal_personal=_reveals_personal(principal), shown=shown)


assert set(INCIDENT_TYPES) == set(PLURAL)
