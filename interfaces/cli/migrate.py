"""`incident migrate`: create every table of the product as their owner, and grant the server's role."""

from __future__ import annotations

import dataclasses
import os

import typer

from application.store.migration import MigrationError
from interfaces.migration import migrate as run_migration
from interfaces.settings import Settings


def migrate(
    database_url: str = typer.Option(
        "", help="The tables' owner's database URL (default INCIDENT_DATABASE_URL)."
    ),
    server_role: str = typer.Option(
        "",
        help="PostgreSQL: the role servers connect as; it gets SELECT and INSERT on the log, "
        "full DML on the read models, and nothing else.",
    ),
) -> None:
    """Create every table of the product (idempotent); run it before starting servers on PostgreSQL."""
    settings = Settings.from_env(os.environ)
    if database_url:
        settings = dataclasses.replace(settings, database_url=database_url)
    try:
        done = run_migration(settings, server_role or None)
    except MigrationError as error:
        # The refusals of a role are about --server-role: the application names no option, the CLI does.
        hint = " (--server-role)" if server_role else ""
        typer.echo(f"error: {error}{hint}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"log tables (append-only): {', '.join(done.log_tables)}")
    typer.echo(f"read-model tables: {', '.join(done.read_model_tables)}")
    typer.echo(f"schema at revision {done.revision} (alembic_version)")
    if done.granted_to:
        typer.echo(
            f"granted {done.granted_to!r}: SELECT and INSERT on the log tables, "
            "SELECT, INSERT, UPDATE, DELETE on the read-model tables, USAGE on the schema and its sequences"
        )
