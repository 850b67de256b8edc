"""`incident keys`: the personal-data key ring at the command line (which keys, and a rotation)."""

from __future__ import annotations

import os
import re
from typing import Annotated

import typer

from interfaces.personal_keys import (
    PersonalKeysError,
    load_or_create_key_ring,
    rotate_key_ring,
)
from interfaces.settings import Settings

keys = typer.Typer(
    help="The personal-data keys 个人信息密钥 (AES-256-GCM; the keys themselves are never printed)."
)
KID = re.compile(r"[A-Za-z0-9_.-]{1,40}")


@keys.command("list")
def list_keys() -> None:
    """List the ring's key ids, the one that seals marked: every key that ever sealed must be kept."""
    settings = Settings.from_env(os.environ)
    settings.prepare_storage()
    try:
        ring = load_or_create_key_ring(settings.personal_keys_path())
    except PersonalKeysError as error:
        raise typer.BadParameter(str(error)) from None
    typer.echo(f"{settings.personal_keys_path()}")
    for kid in ring.keys:
        typer.echo(f"  {kid}{'  ← 加密用 seals new values' if kid == ring.current else ''}")


@keys.command("rotate")
def rotate(
    kid: Annotated[str | None, typer.Option(help="The new key's id (default: k and the time now).")] = None,
) -> None:
    """Add a fresh key that seals from now on; old values stay readable under their own keys.

    Restart every server and the projector afterwards: each reads the ring when it starts.
    """
    if kid is not None and not KID.fullmatch(kid):
        raise typer.BadParameter(f"{kid!r}: letters, digits, '.', '_' or '-', at most 40", param_hint="--kid")
    settings = Settings.from_env(os.environ)
    path = settings.personal_keys_path()
    try:
        ring = rotate_key_ring(path, kid)
    except (PersonalKeysError, ValueError) as error:
        raise typer.BadParameter(str(error)) from None
    typer.echo(f"新密钥 New key {ring.current} seals from now on ({len(ring.keys)} keys in {path}).")
    typer.echo("请重启所有服务进程 Restart every server and the projector to use it.")
