"""One log line per command the desk runs: what, on which incident, its outcome, log position and duration."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from uuid import UUID

from domain.errors import DomainError

log = logging.getLogger("incident.command")
# Told of every command as it ends (its name, the actor's role, its outcome, its duration in seconds):
# the server's metrics count them so, whatever the log's level.
CommandObserver = Callable[[str, str, str, float], None]


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
def logged_command(
    command: str, incident_id: UUID | None, role: str, observers: Sequence[CommandObserver] = ()
) -> Iterator[CommandLine]:
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
        seconds = time.perf_counter() - started
        duration_ms = seconds * 1000
        for observe in observers:
            observe(command, role, outcome, seconds)
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
