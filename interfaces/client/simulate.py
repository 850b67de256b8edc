"""`incident simulate`: branch activity through the public API, a lively demo board or a storm of load."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from interfaces.client.activity import RETRY_SECONDS, Mode, simulate
from interfaces.client.exit_codes import ExitCode
from interfaces.client.sending import Tally
from interfaces.client.settings import ClientSettings, MissingTokenError


def simulate_command(
    mode: Annotated[
        str, typer.Option(help="gentle: a lively demo board; storm: a regional outage and a bank-run rumour.")
    ] = "gentle",
    seconds: Annotated[float, typer.Option("--seconds", min=1, max=24 * 3600, help="How long to run.")] = 60,
    clients: Annotated[int, typer.Option(min=1, max=500, help="Concurrent senders (connections).")] = 8,
    unit: Annotated[str | None, typer.Option(help="Only the outlets under this unit 机构.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the random choices (a repeatable run).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    retry_seconds: Annotated[
        float,
        typer.Option(
            "--retry-seconds",
            min=0,
            max=24 * 3600,
            help="Resend a command that got no answer (or a 502/503/504) under its command id for so long.",
        ),
    ] = RETRY_SECONDS,
    record: Annotated[
        Path | None,
        typer.Option(
            "--record",
            dir_okay=False,
            help="Append each command's outcome to this file (NDJSON: command id, status, position, attempts).",
        ),
    ] = None,
) -> None:
    """Simulate branch activity 模拟网点业务 through the HTTP API (an office token: INCIDENT_TOKEN).

    Reports, every complaint step and playbook action as the product offers them, queue readings,
    drills and late reports; then a summary: sent, accepted, refused by rule, errors, latency.
    A command without an answer is resent under the same command id: applied once, or replayed.
    """
    if mode not in ("gentle", "storm"):
        raise typer.BadParameter(f"{mode!r}: gentle or storm", param_hint="--mode")
    settings = ClientSettings.from_env(os.environ)
    try:
        token = settings.require_token()
    except MissingTokenError as error:
        raise typer.BadParameter(str(error), param_hint="INCIDENT_TOKEN") from None
    console = Console(stderr=True)
    columns = [TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=True, disable=as_json) as progress:
        task = progress.add_task(f"模拟 {mode}", total=seconds)

        def shown(tally: Tally, elapsed: float) -> None:
            what = f"模拟 {mode}: {tally.sent} sent, {tally.accepted} ok, {tally.refused} refused, {tally.errors} errors"
            progress.update(task, completed=min(elapsed, seconds), description=what)

        try:
            tally = asyncio.run(
                simulate(
                    settings.url,
                    token,
                    mode_of(mode),
                    seconds,
                    clients,
                    seed,
                    unit,
                    shown,
                    retry_seconds=retry_seconds,
                    record=record,
                )
            )
        except httpx.HTTPStatusError as error:
            typer.echo(
                f"服务器拒绝 / Refused: {error.response.status_code} {error.response.text[:200]}", err=True
            )
            raise typer.Exit(ExitCode.REFUSED) from None
        except httpx.HTTPError as error:
            typer.echo(f"无法连接 / Cannot reach {settings.url}: {error}", err=True)
            raise typer.Exit(ExitCode.UNREACHABLE) from None
        except ValueError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(ExitCode.USAGE) from None
    summary = tally.as_json()
    if as_json:
        typer.echo(json.dumps({"mode": mode, "seconds": seconds, "clients": clients, **summary}))
        return
    typer.echo(
        f"{mode}, {seconds:g} s, {clients} senders: {summary['sent']} commands sent 已发送, "
        f"{summary['accepted']} accepted 已受理, {summary['refused']} refused by rule 被规则拒绝, "
        f"{summary['errors']} errors 错误 ({summary['unanswered']} unanswered 无应答), "
        f"{summary['resent']} resent 重发; latency p50 {summary['p50_ms']} ms, p99 {summary['p99_ms']} ms"
    )


def mode_of(text: str) -> Mode:
    return "storm" if text == "storm" else "gentle"
