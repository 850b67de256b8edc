"""`incident export`: the log, a range, a unit or one incident to a file that verifies offline."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn
from uuid import UUID

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from application.audit.tree_follower import TreeFollower
from application.errors import AccessDeniedError, IncidentNotFoundError
from application.incident_desk import utc_now
from domain.errors import InvalidInputError
from interfaces.export_scope import NoEvidenceError, Scope, prepare_export
from interfaces.settings import Settings
from interfaces.wiring import build_services

REFUSED = 1


class _AlwaysLeader:
    held = True  # one command, run by hand: it is the only writer it needs to be


def export(
    output: str = typer.Option("", "-o", "--output", help="The file to write 写入的文件."),
    incident: str = typer.Option("", help="One incident's id."),
    unit: str = typer.Option("", help="A unit: its subtree's incidents."),
    from_position: int = typer.Option(0, "--from", help="First position of a range."),
    to_position: int = typer.Option(0, "--to", help="Last position of a range."),
    everything: bool = typer.Option(False, "--all", help="The whole log."),
    token: str = typer.Option(
        "", envvar="INCIDENT_TOKEN", help="Your token: the export is checked against its scope."
    ),
) -> None:
    """Bring the tree to the head, sign, and export NDJSON with proofs (check: tools/verify_export.py)."""
    if not output:
        _refuse("-o FILE is needed / 需要 -o 文件")
    scope = _scope(incident, unit, from_position, to_position, everything)
    settings = dataclasses.replace(Settings.from_env(os.environ), run_boards=False, run_policies=False)
    services = build_services(settings)
    try:
        principal = services.tokens.verify(token) if token else None
        if principal is None:
            _refuse("a valid token is needed (--token or INCIDENT_TOKEN) / 需要有效令牌")
        if services.log_tree is not None:
            TreeFollower(services.log_tree, services.desk.recorder, utc_now, _AlwaysLeader()).catch_up()
        try:
            found = prepare_export(
                principal,
                services,
                scope,
                from_position or None,
                to_position or None,
                unit or None,
                UUID(incident) if incident else None,
            )
        except (AccessDeniedError, InvalidInputError, IncidentNotFoundError, NoEvidenceError) as error:
            _refuse(str(error))
        written = _write(found.lines, Path(output), found.size if scope == "all" else None)
        typer.echo(f"{written} events written to {output} (tree size {found.size})", err=True)
    finally:
        services.close()


def _scope(incident: str, unit: str, first: int, last: int, everything: bool) -> Scope:
    given: tuple[tuple[Scope, object], ...] = (
        ("incident", incident),
        ("unit", unit),
        ("range", first or last),
        ("all", everything),
    )
    asked = [scope for scope, value in given if value]
    if len(asked) != 1:
        _refuse("give exactly one of --incident, --unit, --from/--to, --all / 请只选一种范围")
    if incident:
        try:
            UUID(incident)
        except ValueError:
            _refuse(f"--incident {incident!r} is not an incident id / 不是事件编号")
    return asked[0]


def _write(lines: Iterator[str], output: Path, expected: int | None) -> int:
    written = 0
    columns = (TextColumn("export 导出"), BarColumn(), MofNCompleteColumn())
    with (
        Progress(*columns, console=Console(stderr=True), transient=True) as progress,
        output.open("w", encoding="utf-8") as handle,
    ):
        task = progress.add_task("export", total=expected)
        for line in lines:
            handle.write(line)
            if line.startswith('{"type":"event"'):
                written += 1
                if written % 256 == 0:
                    progress.update(task, completed=written)
        progress.update(task, completed=written)
    return written


def _refuse(why: str) -> NoReturn:
    typer.echo(f"export refused 导出被拒绝: {why}", err=True)
    raise typer.Exit(REFUSED)
