"""What an auditor reads beside each event of a history: its corrections, what it corrects, how late it was."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from domain.incident import Incident
from domain.moments import LATE_REPORT_AFTER, is_late
from domain.plain import plain

LATE_SECONDS = LATE_REPORT_AFTER.total_seconds()


class CorrectionOut(BaseModel):
    """A later correction of this event (the event itself stays as it was recorded)."""

    version: int
    actor: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime
    reason: str
    correction: str


class CorrectsOut(BaseModel):
    """The earlier event a correction points at."""

    version: int
    event: str


class HistoryAudit:
    """The corrections of a whole history, by the version they correct."""

    def __init__(self, events: Sequence[Any]) -> None:
        self._names = {e.originator_version: type(e).__name__ for e in events}
        self._corrections: dict[int, list[CorrectionOut]] = {}
        for event in events:
            if isinstance(event, Incident.EntryCorrected):
                self._corrections.setdefault(event.corrects_version, []).append(_correction(event))

    def fields(self, event: Any) -> dict[str, Any]:
        """The audit fields of one event of the history, as EventOut's keyword arguments."""
        target = event.corrects_version if isinstance(event, Incident.EntryCorrected) else None
        return {
            "recorded_after_seconds": (event.timestamp - event.occurred_at).total_seconds(),
            "late": is_late(event.occurred_at, event.timestamp),
            "corrections": self._corrections.get(event.originator_version, []),
            "corrects": None if target is None else CorrectsOut(version=target, event=self._names[target]),
        }


def _correction(event: Incident.EntryCorrected) -> CorrectionOut:
    return CorrectionOut(
        version=event.originator_version,
        actor=plain(event.actor, reveal_personal=True),
        occurred_at=event.occurred_at,
        recorded_at=event.timestamp,
        reason=event.reason,
        correction=event.correction,
    )
