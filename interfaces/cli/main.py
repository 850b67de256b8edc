"""The `incident` command: the server, its tokens, and the branch client."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import typer
import uvicorn
from uvicorn.supervisors import Multiprocess

from application.store.database_url import DatabaseURLError, redacted
from interfaces.cli import boards, export, log
from interfaces.cli.migrate import migrate
from interfaces.cli.notify import notify
from interfaces.cli.personal_keys import keys
from interfaces.cli.store_faults import STORE_FAULTS, check_store, store_fault_line
from interfaces.cli.tokens import tokens
from interfaces.client.commands import register
from interfaces.client.exit_codes import EXIT_STATUS_HELP, ExitCode
from interfaces.demo_token import demo_office_token
from interfaces.http.app import create_app
from interfaces.http.asgi import APP_FACTORY
from interfaces.notify.settings_file import NotificationsFileError
from interfaces.organisation_file import load_organisation
from interfaces.serving import cannot_listen, uvicorn_config
from interfaces.settings import Settings
from interfaces.version import DISTRIBUTION, product_version
from interfaces.wiring import notification_settings, token_registry

cli = typer.Typer(
    help="Incident command for a bank's branch network 网点应急指挥.",
    epilog=EXIT_STATUS_HELP,
    no_args_is_help=True,
)
cli.add_typer(tokens, name="token")
cli.add_typer(keys, name="keys")
cli.add_typer(notify, name="notify")
cli.command()(boards.project)
cli.command()(boards.rebuild)
cli.command()(migrate)
cli.command()(log.key)
cli.command()(log.checkpoint)
cli.command()(log.verify)
cli.command()(export.export)
register(cli)


@cli.command()
def serve(
    host: str | None = typer.Option(None, help="Address to listen on (default INCIDENT_HOST or 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default INCIDENT_PORT or 8000)."),
    demo_token: bool = typer.Option(
        False, help="Print the demo office token for the whole bank first (kept in var/, reused)."
    ),
    workers: int = typer.Option(
        1, min=1, max=64, help="Server processes on this port (PostgreSQL only; each follows the log once)."
    ),
) -> None:
    """Start the server on the configured store (an SQLite file under ./var/ by default)."""
    settings = Settings.from_env(os.environ)
    host, port = host or settings.host, port or settings.port
    url = f"http://{host}:{port}"
    if workers > 1 and settings.database_url.startswith("sqlite"):
        typer.echo(
            "error: --workers needs PostgreSQL: the embedded SQLite store is one process's "
            "(INCIDENT_DATABASE_URL=postgresql://…, see docs/deploy.md)",
            err=True,
        )
        raise typer.Exit(ExitCode.USAGE)
    if (reason := cannot_listen(host, port)) is not None:
        typer.echo(f"error: {reason}", err=True)
        raise typer.Exit(ExitCode.USAGE)
    try:  # a wrong notifications file is said in one line, before anything starts
        notification_settings(settings, load_organisation(settings.organisation_file))
    except NotificationsFileError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(ExitCode.USAGE) from None
    settings.prepare_storage()
    check_store(settings.database_url)
    if demo_token:
        registry = token_registry(settings)
        demo = demo_office_token(registry, settings.data_folder(), now=datetime.now(UTC))
        root = registry.organisation.root.code
        typer.echo(f"\n  网点应急指挥 Incident command: {url}   (API docs: {url}/docs)")
        kept = "the same one as last time" if demo.reused else "new; the previous demo token is revoked"
        typer.echo(f"  Office token for the whole bank ({root}), {kept}; kept in {demo.path}:\n")
        typer.echo(f"    {demo.token}\n")
        typer.echo(
            "  Other tokens: .venv/bin/incident token create --role branch --unit BJ-HD-01 --name 'teller'"
        )
        typer.echo(
            "  (roles: branch, call_centre, office, auditor, admin; list / revoke with `incident token`)\n"
        )
    typer.echo(
        f"Serving on {url}  (store: {redacted(settings.database_url)})"
        + (f", {workers} worker processes" if workers > 1 else "")
    )
    if workers == 1:
        config = uvicorn_config(create_app(settings), host, port, settings.log_level, settings.log_format)
        uvicorn.Server(config).run()
        return
    # Each worker builds its app from the environment (interfaces/http/asgi.py); they share the socket.
    config = uvicorn_config(APP_FACTORY, host, port, settings.log_level, settings.log_format, workers=workers)
    Multiprocess(config, sockets=[config.bind_socket()]).run()


@cli.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"{DISTRIBUTION} {product_version()}")


def main() -> None:
    """The `incident` command: a store that cannot be used is one line on stderr and exit status 5."""
    try:
        cli()
    except STORE_FAULTS as error:
        typer.echo(store_fault_line(error), err=True)
        raise SystemExit(ExitCode.USAGE if isinstance(error, DatabaseURLError) else ExitCode.STORE) from None


if __name__ == "__main__":
    main()
