"""`incident token create | list | revoke`: bearer tokens, managed on the server's own database."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import typer

from application.access.tokens import ISSUABLE_ROLES, TokenError
from domain.values import Position, Role
from interfaces.settings import Settings
from interfaces.wiring import token_registry

tokens = typer.Typer(
    help="Bearer tokens: created and shown once, stored only as a hash.", no_args_is_help=True
)
ROLE_NAMES = ", ".join(r.value for r in ISSUABLE_ROLES)
POSITION_NAMES = ", ".join(f"{p.value} ({p.zh})" for p in Position)


@tokens.command("create")
def create(
    role: str = typer.Option(..., help=f"One of: {ROLE_NAMES}."),
    unit: str = typer.Option("", help="The outlet (branch) or any unit (office) the token acts for."),
    name: str = typer.Option("", help="Who holds it, e.g. '王丽 大堂经理'."),
    position: str = typer.Option("", help=f"Branch tokens: the holder's position, one of: {POSITION_NAMES}."),
) -> None:
    """Create a token; it is printed once, on the last line, and never again."""
    try:
        chosen = Role(role)
        post = Position(position) if position else None
        record, token = token_registry(Settings.from_env(os.environ)).issue(
            role=chosen, unit=unit, name=name, now=datetime.now(UTC), position=post
        )
    except ValueError as error:  # not a role or a position
        typer.echo(f"error: {error} (roles: {ROLE_NAMES}; positions: {POSITION_NAMES})", err=True)
        raise typer.Exit(2) from None
    except TokenError as error:
        typer.echo(
            f"error: {error} (give --{error.field}; roles: {ROLE_NAMES}; positions: {POSITION_NAMES})",
            err=True,
        )
        raise typer.Exit(2) from None
    held = f", position {record.position.value}" if record.position else ""
    typer.echo(
        f"token {record.id} for {record.name!r}: role {record.role.value}, unit {record.unit or '-'}{held}"
    )
    typer.echo("Keep it now; it is stored only as a hash and cannot be shown again:")
    typer.echo(token)


@tokens.command("list")
def list_tokens() -> None:
    """List tokens (never their secrets)."""
    for record in token_registry(Settings.from_env(os.environ)).records():
        state = f"revoked {record.revoked_at:%Y-%m-%d %H:%M}" if record.revoked_at else "active"
        post = record.position.value if record.position else "-"
        typer.echo(
            f"{record.id}  {record.role.value:<11} {record.unit or '-':<12} {post:<16} {state:<24} {record.name}"
        )


@tokens.command("revoke")
def revoke(token_id: str = typer.Argument(..., help="The token's id (from `incident token list`).")) -> None:
    """Revoke a token at once: its next request is refused."""
    try:
        record = token_registry(Settings.from_env(os.environ)).revoke(token_id, now=datetime.now(UTC))
    except TokenError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"revoked {record.id} ({record.name})")
