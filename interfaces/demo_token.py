"""The one demo office token of `make run`: kept in a file, reused while it is valid, never multiplied."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from application.access.tokens import TokenRegistry
from domain.values import Role

DEMO_TOKEN_NAME = "demo office (make run)"
DEMO_TOKEN_FILE = "demo-office-token"


@dataclass(frozen=True)
class DemoToken:
    token: str
    path: Path
    reused: bool


def demo_office_token(registry: TokenRegistry, folder: Path, *, now: datetime) -> DemoToken:
    """The token kept in `folder`, if it still stands for the whole bank's office; otherwise a new one,
    and every other active demo token revoked, so that each `make run` does not leave another whole-bank
    credential behind."""
    path = folder / DEMO_TOKEN_FILE
    root = registry.organisation.root.code
    kept = path.read_text(encoding="ascii").strip() if path.exists() else ""
    principal = registry.verify(kept) if kept else None
    if principal is not None and principal.role is Role.OFFICE and principal.unit == root:
        return DemoToken(kept, path, reused=True)
    record, token = registry.issue(role=Role.OFFICE, unit=root, name=DEMO_TOKEN_NAME, now=now)
    for other in registry.records():
        if other.name == DEMO_TOKEN_NAME and other.revoked_at is None and other.id != record.id:
            registry.revoke(other.id, now=now)
    folder.mkdir(parents=True, exist_ok=True)
    # Written to a fresh file readable by its owner only, then moved over the old one.
    scratch = path.with_name(path.name + ".new")
    scratch.unlink(missing_ok=True)
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(token + "\n")
    scratch.replace(path)
    return DemoToken(token, path, reused=False)
