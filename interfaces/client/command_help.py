"""Help for `incident act`, generated from the commands declared on the aggregates: every command, or one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interfaces.client.field_types import declarations, field_type_name, known_commands

COMMON_FIELDS = ("--occurred-at TIME (when it happened; default now)", "--if-match VERSION", "--json")


def _summary(doc: str | None, name: str) -> str:
    return (doc or name).strip().splitlines()[0]


def _kinds(command: str) -> str:
    return "/".join(kind.TYPE.value for kind, _ in declarations(command))


def _fields(command: str) -> list[str]:
    seen: dict[str, tuple[bool, bool]] = {}
    for _, declared in declarations(command):
        for name in declared.parameters:
            required, office = seen.get(name, (True, False))
            seen[name] = (
                required and name in declared.required,
                office or name in declared.office_decision_with,
            )
    lines = []
    for name, (required, office) in seen.items():
        option = f"--{name.replace('_', '-')} {field_type_name(command, name)}".replace(" (flag)", "")
        notes = ["required 必填" if required else "optional 可选"]
        if office:
            notes.append("the office's decision 办公室决定")
        lines.append(f"{option:44} {', '.join(notes)}")
    return lines


def overview() -> str:
    """Every command a person may send, one line each, with its fields."""
    lines = [
        "Commands 指令 (`incident act ID COMMAND --help` for one; `incident act ID` for what it accepts now):"
    ]
    for command in known_commands():
        _, declared = declarations(command)[0]
        lines.append(f"  {command:28} [{_kinds(command)}] {_summary(declared.__doc__, command)}")
        fields = " ".join(f"--{name.replace('_', '-')}" for name in declared.parameters)
        if fields:
            lines.append(f"  {'':28} {fields}")
    return "\n".join(lines)


def command_help(command: str) -> str:
    """One command: what it does, on which kinds, its fields (required or not, and their types), an example."""
    found = declarations(command)
    _, declared = found[0]
    doc = (declared.__doc__ or command).strip()
    example = " ".join(
        f"--{name.replace('_', '-')} {'...' if field_type_name(command, name) != '(flag)' else ''}".rstrip()
        for name in declared.parameters
        if name in declared.required
    )
    lines = [
        f"incident act ID {command}  [{_kinds(command)}]",
        "",
        *[f"  {line.strip()}" for line in doc.splitlines()],
        "",
        "Fields 字段:",
        *([f"  {line}" for line in _fields(command)] or ["  (none)"]),
        "Also 另可: " + ", ".join(COMMON_FIELDS),
        "",
        f"Example 示例: incident act ID {command} {example}".rstrip(),
    ]
    return "\n".join(lines)


def offers(body: Mapping[str, Any]) -> str:
    """The server's list of what the caller may send on the incident now (GET /incidents/{id}/commands)."""
    commands = list(body.get("commands") or [])
    lines = [f"事件 Incident {body.get('incident_id')} ({body.get('type')}, version {body.get('version')}):"]
    if not commands:
        lines.append("  此令牌现在不能对其执行任何指令 / This token may send it nothing now.")
    for offer in commands:
        mark = "→ 下一步 next" if offer.get("next_step") else "  "
        confirm = "  (重要操作 consequential)" if offer.get("confirm") else ""
        lines.append(f"  {mark:12} {offer.get('name'):28} {offer.get('summary', '')}{confirm}")
    lines.append("`incident act ID COMMAND --help` shows a command's fields.")
    return "\n".join(lines)
