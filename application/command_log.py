"""One log line per command the desk runs: what, on which incident, its outcome, log position and duration."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from uuid import UUID

from domain.errors import DomainError

log = logging.getLogger("incident.command")


@dataclass
class CommandLine:
    """Filled in by the command as it runs; written out when it ends."""

    command: str
    incident_id: UUID | None
    role: str
    version: int | None = None
    position: int | None = None
    replayed: bool = False

    def done(self, incident_id: UUID, version: int, position: int, replayed: bool) -> None:
        self.incident_id, self.version, self.position, self.replayed = (
            incident_id,
            version,
            position,
            replayed,
        )


@contextmanager
def logged_command(command: str, incident_id: UUID | None, role: str) -> Iterator[CommandLine]:
    """Times the block and logs its outcome: recorded, replayed, refused (the error's code) or failed.

    Names the actor's role, never the actor or a field's value: fields may hold personal data.
    """
    line = CommandLine(command, incident_id, role)
    started = time.perf_counter()
    outcome = "failed"
    try:
        yield line
        outcome = "replayed" if line.replayed else "recorded"
    except DomainError as error:
        outcome = f"refused:{error.code}"
        raise
    finally:
        duration_ms = (time.perf_counter() - started) * 1000
        log.info(
            "%s incident=%s outcome=%s version=%s position=%s %.1f ms",
            command,
            line.incident_id,
            outcome,
            line.version,
            line.position,
            duration_ms,
            extra={
                "command": command,
                "incident_id": str(line.incident_id) if line.incident_id else None,
                "role": role,
                "outcome": outcome,
                "version": line.version,
                "position": line.position,
                "duration_ms": round(duration_ms, 2),
            },
        )
