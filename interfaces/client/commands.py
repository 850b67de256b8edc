"""The branch client's sub-commands of `incident`: report, act, show, history, list, sync, outbox, watch."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, NoReturn

import typer

from domain.incident_type import IncidentType
from domain.time_travel import Axis
from domain.values import Category, Channel, EmergencyKind, Level, Subcategory
from interfaces.client import command_help, output
from interfaces.client.api import (
    ApiClient,
    Body,
    ClientError,
    Reply,
    ServerUnreachableError,
    act_path,
    report_path,
)
from interfaces.client.exit_codes import ExitCode
from interfaces.client.field_types import SYSTEM_MARKS, known_commands, typed_fields
from interfaces.client.outbox import Outbox
from interfaces.client.settings import ClientSettings, MissingTokenError
from interfaces.client.simulate import simulate_command
from interfaces.client.sync import SyncResult, drain
from interfaces.client.watch import watch

UNREACHABLE = ("服务器无法连接，已存入待发队列", "Server unreachable")
BEHIND = ("前面的指令尚未送达，本指令已排在其后", "Earlier commands are still waiting")
SERVER_FAILED = ("服务器暂时出错，已存入待发队列", "The server failed to answer")
NOT_SENT = "本指令未发送，也未排队 / This command was neither sent nor queued."
NOT_RECORDED = "本指令未被记录 / Nothing was recorded."

JsonOption = Annotated[bool, typer.Option("--json", help="Print the server's JSON, for scripts.")]
IdArgument = Annotated[
    str, typer.Argument(metavar="ID", help="The incident's id 事件编号 (a UUID, or its first 4+ characters).")
]
ID_PREFIX = re.compile(r"^[0-9A-Fa-f-]{4,36}$")
IdOption = Annotated[str | None, typer.Option("--id", help="Report under this UUID (default: a new one).")]
OccurredAtOption = Annotated[
    str | None, typer.Option(help="When it happened, ISO 8601 with offset (default: now).")
]

report_app = typer.Typer(help="Report a new complaint or emergency 登记投诉或突发事件.", no_args_is_help=True)


@dataclass(frozen=True)
class Write:
    """A write request as the client will send it, or queue it: ids and time fixed once, up front."""

    what: str
    path: str
    body: Body
    incident_id: str
    if_match: int | None = None

    @property
    def command_id(self) -> str:
        return str(self.body["command_id"])


# -- report ---------------------------------------------------------------------------------------


@report_app.command(IncidentType.COMPLAINT.value)
def report_complaint(
    outlet: Annotated[str, typer.Option(help="Outlet unit code 网点代码, e.g. BJ-HD-01.")],
    channel: Annotated[Channel, typer.Option(help="How it reached the bank 投诉渠道.")],
    category: Annotated[Category, typer.Option(help="What it is about 投诉分类.")],
    summary: Annotated[str, typer.Option(help="What the customer says 投诉内容.")],
    subcategory: Annotated[Subcategory | None, typer.Option(help="Finer kind 细分类.")] = None,
    customer_reference: Annotated[str | None, typer.Option(help="Customer or account reference.")] = None,
    contact_name: Annotated[str | None, typer.Option(help="Complainant's name 联系人.")] = None,
    contact_phone: Annotated[str | None, typer.Option(help="Complainant's phone 电话.")] = None,
    contact_email: Annotated[str | None, typer.Option(help="Complainant's e-mail 邮箱.")] = None,
    level: Annotated[Level | None, typer.Option(help="Warning level 预警级别 (default blue).")] = None,
    exercise: Annotated[bool, typer.Option("--exercise", help="A drill 演练, not a real complaint.")] = False,
    incident_id: IdOption = None,
    occurred_at: OccurredAtOption = None,
    as_json: JsonOption = False,
) -> None:
    """Report a complaint 登记投诉 (queued in the outbox if the server cannot be reached)."""
    contact = {"name": contact_name, "phone": contact_phone, "email": contact_email}
    fields: Body = {
        "outlet": outlet,
        "channel": channel.value,
        "category": category.value,
        "summary": summary,
        "subcategory": subcategory.value if subcategory else None,
        "customer_reference": customer_reference,
        "contact": {k: v for k, v in contact.items() if v} or None,
        "level": level.value if level else None,
        "exercise": exercise or None,
    }
    _write(
        _report(IncidentType.COMPLAINT, "已登记投诉 / Complaint reported", incident_id, occurred_at, fields),
        as_json,
    )


@report_app.command(IncidentType.EMERGENCY.value)
def report_emergency(
    outlet: Annotated[str, typer.Option(help="Outlet unit code 网点代码, e.g. BJ-HD-01.")],
    kind: Annotated[EmergencyKind, typer.Option(help="What is happening 事件类型.")],
    level: Annotated[Level, typer.Option(help="Warning level 预警级别.")],
    summary: Annotated[str, typer.Option(help="What is happening, in a sentence 情况简述.")],
    exercise: Annotated[bool, typer.Option("--exercise", help="A drill 演练, not a real emergency.")] = False,
    incident_id: IdOption = None,
    occurred_at: OccurredAtOption = None,
    as_json: JsonOption = False,
) -> None:
    """Report a branch emergency 上报突发事件 (queued in the outbox if the server cannot be reached)."""
    fields: Body = {
        "outlet": outlet,
        "kind": kind.value,
        "level": level.value,
        "summary": summary,
        "exercise": exercise or None,
    }
    what = "已上报突发事件 / Emergency reported"
    _write(_report(IncidentType.EMERGENCY, what, incident_id, occurred_at, fields), as_json)


def _report(
    kind: IncidentType, what: str, incident_id: str | None, occurred_at: str | None, fields: Body
) -> Write:
    chosen = _incident_id(incident_id) if incident_id else str(uuid.uuid4())
    body: Body = {
        "incident_id": chosen,
        "occurred_at": _occurred_at(occurred_at),
        "command_id": uuid.uuid4().hex,
        **{name: value for name, value in fields.items() if value is not None},
    }
    return Write(what, report_path(kind), body, chosen)


# -- act ------------------------------------------------------------------------------------------


def act(
    ctx: typer.Context,
    incident_id: Annotated[
        str | None,
        typer.Argument(metavar="ID", help="The incident's id 事件编号 (a UUID, or its first 4+ characters)."),
    ] = None,
    command: Annotated[
        str | None, typer.Argument(help="The command; leave it out to list what the incident accepts now.")
    ] = None,
    if_match: Annotated[
        int | None, typer.Option("--if-match", metavar="VERSION", help="Only if still at this version.")
    ] = None,
    as_json: JsonOption = False,
    show_help: Annotated[
        bool,
        typer.Option("--help", "-h", help="This help, or a command's own: `incident act ID COMMAND --help`."),
    ] = False,
) -> None:
    """Act on an incident 处理事件: `incident act ID check_facts --founded --findings "..."`.

    Fields follow the command as `--name value` (`--name=value` if the value starts with --); a `--flag`
    alone means true; dashes become underscores. `incident act ID` lists the commands this token may
    send on it now. Queued in the outbox if the server cannot be reached (exit status 4).
    """
    # `incident act COMMAND --help` works too: a command's help needs no incident.
    if (
        show_help
        and incident_id is not None
        and command is None
        and _command_name(incident_id) in known_commands()
    ):
        incident_id, command = None, incident_id
    if show_help:
        name = _command_name(command) if command is not None else None
        if name is None:
            typer.echo(f"{ctx.get_help()}\n\n{command_help.overview()}")
        else:
            typer.echo(command_help.command_help(_known_command(name, command or "")))
        raise typer.Exit(ExitCode.OK)
    if incident_id is None:
        typer.echo(f"{ctx.get_help()}\n\n{command_help.overview()}")
        raise typer.Exit(ExitCode.USAGE)
    chosen = _incident_id(incident_id)
    if command is None:
        _read(lambda api: api.commands(chosen), command_help.offers, as_json)
        return
    name = _known_command(_command_name(command), command)
    body = typed_fields(name, parse_fields(ctx.args))
    body["occurred_at"] = _occurred_at(body.get("occurred_at"))
    body.setdefault("command_id", uuid.uuid4().hex)
    _write(Write(f"已执行 {name} / Done: {name}", act_path(chosen, name), body, chosen, if_match), as_json)


def _command_name(text: str) -> str:
    return text.strip().replace("-", "_")


def _known_command(name: str, given: str) -> str:
    """The command named, or a usage error (refused here, not queued to be refused at the next sync)."""
    if name in known_commands():
        return name
    if name in SYSTEM_MARKS:
        raise typer.BadParameter(
            f"{given!r} is the system's own mark, set by a policy: no one sends it", param_hint="COMMAND"
        )
    accepted = ", ".join(known_commands())
    raise typer.BadParameter(f"{given!r} is not a command; one of: {accepted}", param_hint="COMMAND")


def parse_fields(args: list[str]) -> Body:
    """`--name value`, `--name=value` and bare `--flag` (true) pairs, names with dashes as underscores."""
    fields: Body = {}
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if not arg.startswith("--") or len(arg) == 2:
            raise typer.BadParameter(f"unexpected {arg!r}: give fields as --name value", param_hint="fields")
        name, has_value, value = arg[2:].partition("=")
        key = name.replace("-", "_")
        if not key.isidentifier():
            raise typer.BadParameter(f"{arg!r} is not a field name", param_hint="fields")
        if key in fields:
            raise typer.BadParameter(f"--{name} is given twice", param_hint="fields")
        if has_value:
            fields[key] = value
        elif rest and not rest[0].startswith("--"):
            fields[key] = rest.pop(0)
        else:
            fields[key] = True
    return fields


# -- show, history ----------------------------------------------------------------------------------


VersionOption = Annotated[int | None, typer.Option(min=1, help="As it was after this version 版本.")]


def show(
    incident_id: IdArgument,
    version: VersionOption = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="As it stood at this instant, ISO 8601 with offset 时点.")
    ] = None,
    axis: Annotated[
        Axis | None,
        typer.Option(help="With --as-of: recorded 按记录时间 (default) or occurred 按发生时间."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Show where an incident stands 查看事件 (or stood: --version, --as-of): status, level, next step, deadline."""
    chosen = _incident_id(incident_id)
    given = {
        "version": None if version is None else str(version),
        "as_of": _moment(as_of, "--as-of"),
        "axis": axis.value if axis else None,
    }
    params = {name: value for name, value in given.items() if value is not None}
    _read(lambda api: api.incident(chosen, params), output.incident, as_json)


def history(
    incident_id: IdArgument,
    from_version: Annotated[int | None, typer.Option(min=1, help="From this version 起始版本.")] = None,
    to_version: Annotated[int | None, typer.Option(min=1, help="Up to this version 截止版本.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Show the events of an incident, oldest first 事件历史: corrections beside what they correct, late entries marked."""
    chosen = _incident_id(incident_id)
    given = {"from_version": from_version, "to_version": to_version}
    params = {name: str(value) for name, value in given.items() if value is not None}
    _read(lambda api: api.history(chosen, params), output.history, as_json)


def reveal(
    incident_id: IdArgument,
    reason: Annotated[
        str,
        typer.Option(
            help="Why the personal data must be read 查阅理由 (recorded on the incident with who and when).",
            prompt="查阅理由 Reason",
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Read an incident's personal data in full 查阅个人信息 (auditors): the read is recorded first, with the reason."""
    chosen = _incident_id(incident_id)
    _read(lambda api: api.reveal(chosen, reason), output.revealed, as_json)


def list_incidents(
    unit: Annotated[str | None, typer.Option(help="Only under this unit 机构 (its whole subtree).")] = None,
    kind_type: Annotated[IncidentType | None, typer.Option("--type", help="complaint or emergency.")] = None,
    kind: Annotated[
        str | None, typer.Option(help="A complaint's category or an emergency's kind (its code).")
    ] = None,
    level: Annotated[Level | None, typer.Option(help="The warning level.")] = None,
    status: Annotated[
        str | None, typer.Option(help="open (stood down included) or closed.", metavar="[open|closed]")
    ] = None,
    reported_from: Annotated[
        str | None, typer.Option("--from", help="Reported at or after, ISO 8601 with offset.")
    ] = None,
    reported_to: Annotated[
        str | None, typer.Option("--to", help="Reported before, ISO 8601 with offset.")
    ] = None,
    exercise: Annotated[
        bool | None, typer.Option("--exercise/--real", help="Only drills 演练, or only real incidents.")
    ] = None,
    text: Annotated[str | None, typer.Option("--text", help="Words in the summary (any case).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="Incidents per page.")] = 50,
    cursor: Annotated[str | None, typer.Option(help="The next page, as the last one printed it.")] = None,
    every: Annotated[bool, typer.Option("--all", help="Follow the pages to the last one.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Find incidents, open or closed, newest first 查找事件 (within what the token may read)."""
    given = {
        "unit": unit,
        "type": kind_type.value if kind_type else None,
        "kind": kind,
        "level": level.value if level else None,
        "status": status,
        "reported_from": _moment(reported_from, "--from"),
        "reported_to": _moment(reported_to, "--to"),
        "exercise": None if exercise is None else str(exercise).lower(),
        "q": text,
        "limit": str(limit),
        "cursor": cursor,
    }
    params = {name: value for name, value in given.items() if value is not None}
    if every:
        _read(lambda api: api.every_incident(params), output.incident_list, as_json)
    else:
        _read(lambda api: api.incidents(params), output.incident_list, as_json)


def board(
    unit: Annotated[str | None, typer.Option(help="Only under this unit 机构 (its whole subtree).")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The board as it stood then, ISO 8601 with offset 历史看板.")
    ] = None,
    axis: Annotated[
        str | None,
        typer.Option(
            help="With --as-of: recorded (what the office could see then) or occurred (late reports in).",
            metavar="[recorded|occurred]",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The office board 办公室看板: open incidents, worst first; now, or as of a past instant."""
    given = {"unit": unit, "as_of": _moment(as_of, "--as-of"), "axis": axis}
    params = {name: value for name, value in given.items() if value is not None}
    _read(lambda api: api.office_board(params), output.office_board, as_json)


# -- sync, outbox ----------------------------------------------------------------------------------


def sync(as_json: JsonOption = False) -> None:
    """Send the outbox now, oldest first 发送待发队列."""
    settings = ClientSettings.from_env(os.environ)
    with Outbox(settings.outbox_path) as outbox:
        if len(outbox) == 0:
            _echo(output.as_json(_sync_json(SyncResult())) if as_json else output.outbox([]))
            return
        with _api(settings, as_json) as api:
            result = drain(outbox, api)
    if as_json:
        _echo(output.as_json(_sync_json(result)))
    else:
        _echo("\n".join(_sync_lines(result)))
    if isinstance(result.stopped_by, ServerUnreachableError):
        raise typer.Exit(ExitCode.UNREACHABLE)
    if result.stopped_by is not None or result.rejected:
        raise typer.Exit(ExitCode.REFUSED)


def outbox(
    rejected: Annotated[bool, typer.Option("--rejected", help="List what the server refused.")] = False,
    as_json: JsonOption = False,
) -> None:
    """List what is waiting in the outbox 待发队列 (or, with --rejected, what the server refused)."""
    settings = ClientSettings.from_env(os.environ)
    with Outbox(settings.outbox_path) as box:
        if rejected:
            entries = box.rejected()
            text = output.rejected(entries)
            data: Body = {"rejected": [output.rejected_json(entry) for entry in entries]}
        else:
            requests = box.pending()
            text = output.outbox(requests)
            data = {"outbox": [output.request_json(request) for request in requests]}
    _echo(output.as_json(data) if as_json else text)


def register(cli: typer.Typer) -> None:
    """Add the branch client's commands to the `incident` command."""

    cli.add_typer(report_app, name="report")
    # The command's fields are its own (`--founded ...`), and so is --help: a command's help, or the list.
    extra = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}
    cli.command("act", context_settings=extra)(act)
    cli.command("show")(show)
    cli.command("history")(history)
    cli.command("reveal")(reveal)
    cli.command("list")(list_incidents)
    cli.command("board")(board)
    cli.command("sync")(sync)
    cli.command("outbox")(outbox)
    cli.command("watch")(watch)
    cli.command("simulate")(simulate_command)


# -- the two paths every call takes ----------------------------------------------------------------


def _write(write: Write, as_json: bool) -> None:
    """Queue the write first, so that nothing is lost whatever happens next; then send what was queued
    before it, then it. It leaves the outbox once the server has answered it."""
    settings = ClientSettings.from_env(os.environ)
    with Outbox(settings.outbox_path) as box, _api(settings, as_json) as api:
        own = box.put(
            "POST",
            write.path,
            write.body,
            command_id=write.command_id,
            incident_id=write.incident_id,
            if_match=write.if_match,
        )
        before = _drain_first(box, api, until=own.seq)
        if isinstance(before.stopped_by, ClientError) and before.stopped_by.is_auth:
            # The token is wrong: nothing queued before is discarded, and this command is withdrawn.
            box.remove(own.seq)
            _refused(before.stopped_by, as_json, NOT_SENT)
        if before.is_clear:
            try:
                reply = api.send("POST", write.path, write.body, write.if_match)
            except ServerUnreachableError:
                reason = UNREACHABLE
            except ClientError as error:
                if error.is_final or error.is_auth:
                    box.remove(own.seq)
                    _refused(error, as_json, NOT_RECORDED)
                # A 5xx (or 408/429) leaves it unknown whether the command was applied: it stays queued
                # under its command id, so that sending it again is safe.
                reason = (SERVER_FAILED[0], f"{SERVER_FAILED[1]} ({error.status} {error.code})")
            else:
                box.remove(own.seq)
                _echo(output.as_json(reply.body) if as_json else output.written(write.what, reply.body))
                return
        else:
            reason = UNREACHABLE if isinstance(before.stopped_by, ServerUnreachableError) else BEHIND
        waiting = len(box)
    _echo(output.queued_json(own, waiting) if as_json else output.queued(own, waiting, *reason))
    raise typer.Exit(ExitCode.QUEUED)


def _read(fetch: Callable[[ApiClient], Reply], render: Callable[[Body], str], as_json: bool) -> None:
    """Send the outbox first, then read; a read is never queued."""
    settings = ClientSettings.from_env(os.environ)
    with Outbox(settings.outbox_path) as box, _api(settings, as_json) as api:
        before = _drain_first(box, api)
        try:
            if before.stopped_by is not None and not _is_server_failure(before.stopped_by):
                raise before.stopped_by  # the same would happen to the read
            reply = fetch(api)
        except ServerUnreachableError as error:
            _unreachable(error, as_json)
        except ClientError as error:
            _refused(error, as_json)
    _echo(output.as_json(reply.body) if as_json else render(reply.body))
    if before.left:
        _echo(
            f"注意：{before.left} 条指令仍在待发队列，未反映在上面 / Note: {before.left} queued command(s) "
            "are not in what is shown yet.",
            err=True,
        )


def _drain_first(box: Outbox, api: ApiClient, until: int | None = None) -> SyncResult:
    """Send what is queued (before `until`), telling on stderr what became of it."""
    result = drain(box, api, before=until)
    if result.answered or isinstance(result.stopped_by, ClientError):
        _echo("\n".join(_sync_lines(result)), err=True)
    return result


def _sync_lines(result: SyncResult) -> Iterator[str]:
    total = len(result.answered) + result.left
    yield f"发送待发队列 / Sending the outbox ({total} waiting, oldest first):"
    for request, answer in result.answered:
        if isinstance(answer, Reply):
            yield output.sent_line(request, answer.body)
        else:
            yield output.rejected_line(request, answer)
    stop = result.stopped_by
    if isinstance(stop, ServerUnreachableError):
        yield (
            f"网络再次中断，已停止；其余 {result.left} 条按原顺序保留 / The server is unreachable again: "
            f"sync stopped, {result.left} still queued in order. ({stop})"
        )
    elif isinstance(stop, ClientError) and stop.is_auth:
        yield (
            f"令牌被拒绝，已停止，未丢弃任何指令 / The server refused the token ({stop.status} {stop.code}: "
            f"{stop.message}): sync stopped, nothing discarded, {result.left} still queued."
        )
    elif stop is not None:
        yield (
            f"服务器暂时无法处理，已停止 / The server could not take it now ({stop.status} {stop.code}: "
            f"{stop.message}): sync stopped, {result.left} still queued in order."
        )
    else:
        yield "待发指令均已送达 / Every queued command was answered."


def _sync_json(result: SyncResult) -> Body:
    stop = result.stopped_by
    stopped: Body | None = None
    if isinstance(stop, ServerUnreachableError):
        stopped = {"reason": "unreachable", "message": str(stop)}
    elif stop is not None:
        reason = "token_refused" if stop.is_auth else "server_failed"
        stopped = {"reason": reason, "status": stop.status, "code": stop.code, "message": stop.message}
    return {
        "sent": [{**output.request_json(r), "reply": reply.body} for r, reply in result.sent],
        "rejected": [{**output.request_json(r), "error": _error_body(error)} for r, error in result.rejected],
        "left": result.left,
        "stopped": stopped,
    }


# -- small helpers --------------------------------------------------------------------------------


@contextmanager
def _api(settings: ClientSettings, as_json: bool) -> Iterator[ApiClient]:
    try:
        token = settings.require_token()
    except MissingTokenError as error:
        _fail(ExitCode.USAGE, as_json, None, "missing_token", str(error))
    with ApiClient(settings.url, token) as api:
        yield api


def _is_server_failure(error: Exception) -> bool:
    return isinstance(error, ClientError) and not (error.is_final or error.is_auth)


def _incident_id(text: str) -> str:
    """The incident's whole id: as given, or the one incident the token may read whose id starts so.

    `incident watch` shows the first 8 characters; the server completes them (GET /incidents?id=).
    """
    try:
        return str(uuid.UUID(text))
    except ValueError:
        pass
    if not ID_PREFIX.match(text):
        raise typer.BadParameter(
            f"{text!r} is not an incident id (a UUID, or its first 4+ characters)", param_hint="ID"
        )
    settings = ClientSettings.from_env(os.environ)
    with _api(settings, False) as api:
        try:
            found = list(api.incidents({"id": text, "limit": "5"}).body.get("incidents") or [])
        except ServerUnreachableError:
            raise typer.BadParameter(
                f"{text!r} is the start of an id, and the server that could complete it cannot be reached: "
                "give the whole id (离线时请输入完整编号)",
                param_hint="ID",
            ) from None
        except ClientError as error:
            _refused(error, False)
    if len(found) == 1:
        return str(found[0]["incident_id"])
    if not found:
        raise typer.BadParameter(
            f"no incident this token may read has an id starting {text!r}", param_hint="ID"
        )
    starts = ", ".join(str(row["incident_id"]) for row in found)
    raise typer.BadParameter(f"{text!r} starts several ids ({starts}): give more of it", param_hint="ID")


def _occurred_at(text: Any) -> str:
    """Now, in local time with its offset: a command synced later keeps the time it was given."""
    if text is None:
        return datetime.now().astimezone().isoformat(timespec="milliseconds")
    return str(_moment(str(text), "--occurred-at"))


def _moment(text: str | None, hint: str) -> str | None:
    """An ISO 8601 time with its offset, as given; refused (usage error) without one."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 time", param_hint=hint) from None
    if moment.utcoffset() is None:
        raise typer.BadParameter("give the time with its offset, e.g. +08:00", param_hint=hint)
    return moment.isoformat()


def _error_body(error: ClientError) -> Body:
    return {"status": error.status, "code": error.code, "message": error.message, "field": error.field}


def _refused(error: ClientError, as_json: bool, outcome: str = "") -> NoReturn:
    if as_json:
        _fail(ExitCode.REFUSED, True, error.status, error.code, error.message, error.field)
    message = f"{output.refused(error)}\n{outcome}" if outcome else output.refused(error)
    _fail(ExitCode.REFUSED, False, error.status, error.code, message)


def _unreachable(error: ServerUnreachableError, as_json: bool) -> NoReturn:
    message = (
        f"服务器无法连接，无法读取（查询不会排队）/ Server unreachable: cannot read now "
        f"(reads are never queued). ({error})"
    )
    _fail(ExitCode.UNREACHABLE, as_json, None, "server_unreachable", message)


def _fail(
    code: ExitCode, as_json: bool, status: int | None, error: str, message: str, field: str | None = None
) -> NoReturn:
    if as_json:
        _echo(output.error_json(status, error, message, field))
    else:
        _echo(message, err=True)
    raise typer.Exit(code)


def _echo(text: str, err: bool = False) -> None:
    typer.echo(text, err=err)
