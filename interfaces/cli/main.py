"""The `incident` command: runs the server (and, later, speaks to it as the branch client)."""

from __future__ import annotations

import os

import typer
import uvicorn

from interfaces.http.app import create_app
from interfaces.settings import Settings

cli = typer.Typer(help="Incident command for a bank's branch network 网点应急指挥.", no_args_is_help=True)


@cli.command()
def serve(
    host: str | None = typer.Option(None, help="Address to listen on (default INCIDENT_HOST or 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default INCIDENT_PORT or 8000)."),
) -> None:
    """Start the server on the configured store (an SQLite file under ./var/ by default)."""
    settings = Settings.from_env(os.environ)
    host, port = host or settings.host, port or settings.port
    typer.echo(f"Incident command serving on http://{host}:{port}  (store: {settings.database_url})")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@cli.command()
def version() -> None:
    """Print the version."""
    typer.echo("incident-command 0.1.0")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
