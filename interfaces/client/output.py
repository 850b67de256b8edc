"""What the branch client prints: short bilingual text for people, the server's own JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from domain.incident_type import IncidentType
from domain.labelled import Labelled
from domain.personal import PERSONAL_FIELDS
from domain.time_travel import Axis
from domain.values import EmergencyKind, IncidentStatus, Level
from interfaces.client.api import ClientError
from interfaces.client.outbox import QueuedRequest, RejectedRequest

KIND_LABELS = {kind.value: f"{kind.zh} {kind.en}" for kind in IncidentType}
# Fields `show` prints in its own lines; the rest of the view (and `details`) is left to --json.
SHOWN_FIELDS = frozenset(
    {
        "incident_id", "type", "outlet", "outlet_path", "status", "level", "version", "summary", "kind",
        "current_step", "next_expected_step", "open_actions", "done_actions", "due_at", "overdue",
        "exercise", "opened_at", "last_event_at", "details", "contact",
        "head_version", "past", "as_of", "axis", "judged_at",
    }
)  # fmt: skip


def kind_label(incident_type: str, kind: str) -> str:
    """`火灾 Fire`: the kind (or category) in words where the client knows it, else the type."""
    label = KIND_LABELS.get(incident_type, incident_type)
    if not kind:
        return label
    try:
        named = IncidentType(incident_type).kind_named(kind)
    except ValueError:
        return f"{label} {kind}"
    return f"{named.zh} {named.en}"


def as_json(body: Mapping[str, Any]) -> str:
    """One line of JSON, Chinese left readable."""
    return json.dumps(body, ensure_ascii=False)


def labelled(value: Any, vocabulary: type[Labelled]) -> str:
    """A stored value with its Chinese and English labels, when it is one the client knows."""
    if isinstance(value, Mapping):
        return _step(value)
    try:
        member = vocabulary(value)
    except ValueError:
        return str(value)
    return f"{member.zh} {member.en}"


def written(what: str, body: Mapping[str, Any]) -> str:
    """A report or command the server recorded (or had already recorded: a replay)."""
    lines = [f"{what}", f"  事件编号 Incident: {body.get('incident_id')}"]
    lines.append(f"  版本 Version: {body.get('version')}   日志位置 Position: {body.get('position')}")
    if body.get("replayed"):
        lines.append("  服务器已有此记录，未重复执行 / Already recorded earlier: nothing was applied twice.")
    return "\n".join(lines)


def queued(request: QueuedRequest, waiting: int, reason_zh: str, reason_en: str) -> str:
    """A write the server did not get: where it is now and what to do."""
    return "\n".join(
        [
            f"{reason_zh} / {reason_en}: queued in the outbox ({waiting} waiting).",
            f"  操作 Command: {request.command}   事件编号 Incident: {request.incident_id}",
            f"  指令编号 Command id: {request.command_id}",
            "  网络恢复后请运行 `incident sync` / Run `incident sync` when the network is back.",
        ]
    )


def queued_json(request: QueuedRequest, waiting: int) -> str:
    return as_json(
        {
            "queued": True,
            "incident_id": request.incident_id,
            "command_id": request.command_id,
            "outbox_size": waiting,
        }
    )


def refused(error: ClientError) -> str:
    """The server's refusal, as it said it."""
    field = f" (字段 field: {error.field})" if error.field else ""
    return f"服务器拒绝 / Refused by the server: {error.message}{field}  [{error.status} {error.code}]"


def error_json(status: int | None, code: str, message: str, field: str | None = None) -> str:
    return as_json({"error": {"status": status, "code": code, "message": message, "field": field}})


def incident(body: Mapping[str, Any]) -> str:
    """One incident as it stands: where, how bad, what next, what is still open."""
    kind = str(body.get("type", ""))
    title = f"{KIND_LABELS.get(kind, kind)} {body.get('incident_id')}"
    if body.get("exercise"):
        title += "   【演练 EXERCISE】"
    lines = [title, *_past_state(body)]
    if body.get("kind"):
        label = "类别 Category" if kind == IncidentType.COMPLAINT else "类型 Kind"
        lines.append(f"  {label}: {labelled(body['kind'], EmergencyKind)}")
    lines += [
        f"  网点 Outlet: {_outlet(body)}",
        f"  状态 Status: {labelled(body.get('status'), IncidentStatus)}   "
        f"级别 Level: {labelled(body.get('level'), Level)}   版本 Version: {body.get('version')}",
        f"  摘要 Summary: {body.get('summary')}",
        f"  开始 Opened: {_when(body.get('opened_at'))}   "
        f"最近 Last event: {_when(body.get('last_event_at'))}",
    ]
    if body.get("current_step"):
        lines.append(f"  当前 Current step: {_plain(body['current_step'])}")
    following = body.get("next_expected_step")
    if isinstance(following, Mapping):
        command = following.get("command")
        how = f"   → incident act {str(body.get('incident_id'))[:8]} {command}" if command else ""
        lines.append(f"  下一步 Next step: {following.get('zh', '')} {following.get('en', '')}{how}".rstrip())
    if kind == IncidentType.COMPLAINT:
        lines.append(f"  期限 Due: {_due(body)}")
    open_actions = list(body.get("open_actions") or [])
    if open_actions:
        lines.append(f"  待办 Open actions ({len(open_actions)}):")
        lines += [f"    - {_plain(action)}" for action in open_actions]
    if body.get("done_actions"):
        lines.append(f"  已办 Done actions: {len(body['done_actions'])}")
    lines += [
        f"  {name}: {_plain(value)}"
        for name, value in body.items()
        if name not in SHOWN_FIELDS and not isinstance(value, (Mapping, list))
    ]
    return "\n".join(lines)


def history(body: Mapping[str, Any]) -> str:
    """Every event of an incident, oldest first: version, when, what, who; late entries and corrections."""
    events: list[Mapping[str, Any]] = list(body.get("events") or [])
    lines = [f"事件历史 History of {body.get('incident_id')} ({len(events)} events)"]
    for event in events:
        actor = event.get("actor") or {}
        late = f"  【补录 LATE +{_gap(event.get('recorded_after_seconds'))}】" if event.get("late") else ""
        lines.append(
            f"  v{event.get('version')}  {_when(event.get('occurred_at'))}  {event.get('event')}"
            f"  — {_who(actor)} ({actor.get('role')}, {actor.get('unit')}){late}"
        )
        if event.get("late"):
            lines.append(f"       记录于 recorded at {_when(event.get('recorded_at'))}")
        data = {k: v for k, v in (event.get("data") or {}).items() if k not in PERSONAL_FIELDS}
        shown = [f"{k}={_plain(v)}" for k, v in data.items() if v not in (None, "")]
        if shown:
            lines.append("       " + ", ".join(shown))
        target = event.get("corrects")
        if isinstance(target, Mapping):
            lines.append(f"       ↑ 更正 corrects v{target.get('version')} {target.get('event')}")
        for fix in event.get("corrections") or []:
            lines.append(
                f"       ↳ 已更正 corrected by v{fix.get('version')} ({_who(fix.get('actor') or {})}, "
                f"{_when(fix.get('recorded_at'))}): {fix.get('correction')}  — 原因 reason: {fix.get('reason')}"
            )
    return "\n".join(lines)


def revealed(body: Mapping[str, Any]) -> str:
    """The personal data an auditor asked for, under the line that says the read is on the record."""
    lines = [
        f"查阅已记录 Read recorded on the incident as v{body.get('version')}"
        + ("（重发 replayed）" if body.get("replayed") else ""),
        "当前 Now:",
    ]
    lines += [f"  {name}: {_plain(value)}" for name, value in (body.get("current") or {}).items()]
    lines.append("各事件所记 As each event recorded it:")
    lines += [
        f"  v{entry.get('version')} {entry.get('event')} {entry.get('field')}: {_plain(entry.get('value'))}"
        for entry in body.get("recorded") or []
    ]
    return "\n".join(lines)


def incident_list(body: Mapping[str, Any]) -> str:
    """A page of incidents, newest first: one line each, then the cursor of the next page if any."""
    rows: list[Mapping[str, Any]] = list(body.get("incidents") or [])
    if not rows:
        lines = ["没有符合条件的事件 / No incident matches."]
    else:
        lines = [f"事件 Incidents: {len(rows)}, newest first (最新在前)"]
    for row in rows:
        drill = "  【演练 EXERCISE】" if row.get("exercise") else ""
        lines.append(
            f"  {_when(row.get('opened_at'))}  {row.get('incident_id')}  {row.get('outlet')}"
            f"  {_plain(row.get('status'))}  {_plain(row.get('level'))}  {_plain(row.get('kind'))}{drill}"
        )
        lines.append(f"      {' '.join(str(row.get('summary') or '').split())}")  # one line each
    if body.get("next"):
        lines.append(f"下一页 Next page: --cursor {body['next']}   (或 or --all)")
    return "\n".join(lines)


def office_board(body: Mapping[str, Any]) -> str:
    """The office board: when it stood (now, or as of a past instant on an axis), then its open incidents."""
    rows: list[Mapping[str, Any]] = list(body.get("incidents") or [])
    if body.get("past"):
        axis = "按发生时间 as occurred" if body.get("axis") == "occurred" else "按记录时间 as recorded"
        lines = [f"办公室看板 Office board as of {_when(body.get('as_of'))} ({axis}): {len(rows)} open"]
    else:
        lines = [f"办公室看板 Office board now: {len(rows)} open"]
    for row in rows:
        drill = "  【演练 EXERCISE】" if row.get("exercise") else ""
        overdue = "  【逾期 OVERDUE】" if row.get("overdue") else ""
        lines.append(
            f"  {_plain(row.get('level'))}  {row.get('incident_id')}  {row.get('outlet')}"
            f"  {_plain(row.get('kind'))}  {_plain(row.get('status'))}{overdue}{drill}"
        )
        lines.append(f"      {' '.join(str(row.get('summary') or '').split())}")
    return "\n".join(lines)


def outbox(requests: Iterable[QueuedRequest]) -> str:
    """The queue as it stands, oldest first."""
    requests = list(requests)
    if not requests:
        return "待发队列为空 / The outbox is empty."
    lines = [f"待发队列 Outbox: {len(requests)} waiting, oldest first (按顺序发送 sent in this order)"]
    lines += [
        f"  #{r.seq}  {_when(r.created_at)}  {r.command:<24} incident {r.incident_id}  command id {r.command_id}"
        for r in requests
    ]
    return "\n".join(lines)


def rejected(entries: Iterable[RejectedRequest]) -> str:
    """The requests the server refused for good, with its reasons."""
    entries = list(entries)
    if not entries:
        return "没有被拒绝的指令 / Nothing was rejected."
    lines = [f"被服务器拒绝 Rejected by the server: {len(entries)}"]
    for entry in entries:
        r = entry.request
        lines.append(f"  #{r.seq}  {r.command:<24} incident {r.incident_id}  command id {r.command_id}")
        lines.append(
            f"     {entry.status} {entry.code}: {entry.message}  (rejected at {_when(entry.rejected_at)})"
        )
    return "\n".join(lines)


def request_json(request: QueuedRequest) -> dict[str, Any]:
    return {
        "seq": request.seq,
        "method": request.method,
        "path": request.path,
        "body": request.body,
        "command_id": request.command_id,
        "incident_id": request.incident_id,
        "if_match": request.if_match,
        "created_at": request.created_at,
    }


def rejected_json(entry: RejectedRequest) -> dict[str, Any]:
    return {
        **request_json(entry.request),
        "rejected_at": entry.rejected_at,
        "error": {"status": entry.status, "code": entry.code, "message": entry.message, "field": entry.field},
    }


def sent_line(request: QueuedRequest, body: Mapping[str, Any]) -> str:
    again = "  (已有记录，未重复 already recorded)" if body.get("replayed") else ""
    return (
        f"  已发送 sent      #{request.seq} {request.command:<24} incident {request.incident_id}"
        f" → version {body.get('version')}, position {body.get('position')}{again}"
    )


def rejected_line(request: QueuedRequest, error: ClientError) -> str:
    return (
        f"  被拒绝 REFUSED   #{request.seq} {request.command:<24} incident {request.incident_id}"
        f" → {error.status} {error.code}: {error.message}\n"
        "                   已移入被拒列表 moved to the rejected list (`incident outbox --rejected`)"
    )


def _past_state(body: Mapping[str, Any]) -> list[str]:
    """A line saying which state this is, when a version or an instant was asked for."""
    if not body.get("past") and body.get("as_of") is None:
        return []
    mark = "【过去状态 PAST STATE】" if body.get("past") else "【即当前状态 the current state】"
    where = f"版本 Version {body.get('version')} / 最新 head {body.get('head_version')}"
    if body.get("as_of") is not None:
        where += f"   时点 As of {_when(body['as_of'])} ({labelled(body.get('axis'), Axis)})"
    judged = _when(body["judged_at"]) if body.get("judged_at") else "现在 now"
    return [f"  {mark} {where}", f"  超时判定于 Overdue judged at: {judged}"]


def _who(actor: Mapping[str, Any]) -> str:
    return str(actor.get("name") or actor.get("id") or "?")


def _gap(seconds: Any) -> str:
    """How late an entry was recorded, in the largest whole unit."""
    if not isinstance(seconds, int | float):
        return "?"
    for size, unit in ((86_400, "天 d"), (3_600, "小时 h"), (60, "分 min")):
        if seconds >= size:
            return f"{seconds // size:.0f}{unit}"
    return f"{seconds:.0f}秒 s"


def _step(step: Mapping[str, Any]) -> str:
    # A step reads by the command that takes it, where it has one: the name a person types.
    return f"{step.get('zh', '')} {step.get('en', '')} ({step.get('command') or step.get('code')})".strip()


def _due(body: Mapping[str, Any]) -> str:
    due = body.get("due_at")
    if due is None:
        return "计时暂停 clock paused"
    return f"{_when(due)}   【已超时 OVERDUE】" if body.get("overdue") else _when(due)


def _outlet(body: Mapping[str, Any]) -> str:
    path = body.get("outlet_path") or []
    unit = path[-1] if path and isinstance(path[-1], Mapping) else {}
    names = " ".join(str(unit[key]) for key in ("name_zh", "name_en") if unit.get(key))
    return f"{body.get('outlet')} {names}".strip()


def _when(value: Any) -> str:
    """An ISO time from the server, shown in the branch's local time to the second."""
    if not isinstance(value, str):
        return "-" if value is None else str(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.utcoffset() is None:
        return value
    return moment.astimezone().isoformat(sep=" ", timespec="seconds")


def _plain(value: Any) -> str:
    if isinstance(value, Mapping) and {"zh", "en"} <= value.keys():
        return _step(value)
    if isinstance(value, (Mapping, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
