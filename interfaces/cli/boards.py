"""`incident project` (the boards' worker when scaled out) and `incident rebuild`."""

from __future__ import annotations

import os
import signal
import threading

import typer

from application.audit.tree_follower import TreeFollower
from application.incident_desk import utc_now
from application.store.database_url import redacted
from interfaces.boards.rebuild import ProjectorRunningError, RebuildFailedError, rebuild_boards
from interfaces.boards.wiring import make_runner
from interfaces.log_setup import configure_logging
from interfaces.notify.settings_file import NotificationsFileError
from interfaces.organisation_file import load_organisation
from interfaces.schema_version import check_or_stamp
from interfaces.settings import Settings
from interfaces.sql_engine import engine_for
from interfaces.thresholds_file import start_thresholds
from interfaces.wiring import (
    make_delivery_thread,
    make_log_tree,
    make_policy_runner,
    notification_settings,
    open_desk,
    record_notifications,
)


def project() -> None:
    """Project the boards and run the policies until stopped (servers then run with INCIDENT_RUN_BOARDS=no).

    Start as many as you like: one holds the projector lock and works, the others wait to take over.
    """
    settings = Settings.from_env(os.environ)
    configure_logging(settings.log_format, settings.log_level)
    settings.prepare_storage()
    organisation = load_organisation(settings.organisation_file)
    try:
        notifications = notification_settings(settings, organisation)
    except NotificationsFileError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    desk = open_desk(settings)
    engine = engine_for(settings.database_url, durable=False)  # read models only: see engine_for
    check_or_stamp(engine)  # a schema behind this code: refuse, and say to migrate
    runner = make_runner(desk, engine, settings.database_url)
    if settings.run_policies:
        start_thresholds(desk, settings.thresholds_file)
        record_notifications(desk, notifications)
    policies = (
        make_policy_runner(desk, organisation, settings, engine, runner.leader, notifications)
        if settings.run_policies
        else None
    )
    deliveries = (
        make_delivery_thread(desk, notifications, runner.leader, utc_now) if settings.run_policies else None
    )
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    tree_follower = TreeFollower(
        make_log_tree(settings, engine_for(settings.database_url)), desk.recorder, utc_now, runner.leader
    )
    runner.start()
    if policies is not None:
        policies.start()
    if deliveries is not None:
        deliveries.start()
    tree_follower.start()
    typer.echo(
        f"projecting boards and running policies from position {runner.position()} ({redacted(settings.database_url)})"
    )
    stopping.wait()
    tree_follower.stop()
    if deliveries is not None:
        deliveries.stop()
    if policies is not None:
        policies.stop()
    runner.stop()
    desk.close()
    typer.echo(f"stopped at position {runner.position()}")


def rebuild(batch: int = typer.Option(2000, help="Events per transaction.")) -> None:
    """Rebuild every board from the log (stop the server or projector first).

    The new boards are built beside the live ones and swapped in when complete: a rebuild that fails
    leaves the live boards as they were, says why on one line, and exits 1.
    """
    settings = Settings.from_env(os.environ)
    desk = open_desk(settings)
    try:
        report = rebuild_boards(desk, engine_for(settings.database_url), settings.database_url, batch)
    except ProjectorRunningError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    except RebuildFailedError as error:
        typer.echo(f"error: {error}; the live boards were left as they were", err=True)
        raise typer.Exit(1) from None
    finally:
        desk.close()
    typer.echo(
        f"rebuilt the boards from {report.events} events in {report.seconds:.2f} s ({report.rate:,.0f} events/s)"
    )
