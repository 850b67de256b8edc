"""`incident notify test --channel NAME`: a test message on one channel of the notifications file."""

from __future__ import annotations

import os
from uuid import uuid4

import typer

from interfaces.client.exit_codes import ExitCode
from interfaces.notify.settings_file import NotificationsFileError, load_notifications
from interfaces.notify.webhook import DeliveryError
from interfaces.organisation_file import load_organisation
from interfaces.settings import Settings

notify = typer.Typer(
    help="Notifications out 通知: try a channel of INCIDENT_NOTIFICATIONS_FILE.", no_args_is_help=True
)


def trial_message(board_url: str) -> dict[str, str]:
    """A message shaped as the notifier's (four lines), about no incident."""
    return {
        "incident_id": "",
        "rule": "test",
        "text": "\n".join(
            (
                "【测试】通知渠道测试 · 网点应急指挥",
                "[TEST] Notification channel test · Incident command",
                "这是一条测试消息，与任何事件无关。 This is a test message about no incident.",
                f"{board_url}/" if board_url else "",
            )
        ).rstrip("\n"),
    }


@notify.command("test")
def send_test(
    channel: str = typer.Option(..., "--channel", help="The channel's name in the notifications file."),
) -> None:
    """Send a test message on CHANNEL and print what the receiver answered (exit 1 if it refused)."""
    settings = Settings.from_env(os.environ)
    if settings.notifications_file is None:
        typer.echo("error: INCIDENT_NOTIFICATIONS_FILE is not set: there is no channel to test", err=True)
        raise typer.Exit(ExitCode.USAGE)
    try:
        found = load_notifications(
            settings.notifications_file, os.environ, load_organisation(settings.organisation_file)
        )
    except NotificationsFileError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(ExitCode.USAGE) from None
    target = found.channels.get(channel)
    if target is None:
        known = ", ".join(found.channels) or "none"
        typer.echo(
            f"error: --channel: {channel!r} is not a channel of the file (channels: {known})", err=True
        )
        raise typer.Exit(ExitCode.USAGE)
    delivery_id = f"test:{uuid4()}"
    typer.echo(f"sending {delivery_id} on {channel} ({target.kind}, {target.shown()['target']})")
    try:
        answer = target.send(delivery_id, trial_message(found.board_url))
    except DeliveryError as error:
        typer.echo(f"refused 拒收: {error}", err=True)
        raise typer.Exit(ExitCode.REFUSED) from None
    typer.echo(f"delivered 已送达: {answer}")
