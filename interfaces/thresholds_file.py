"""Reads the bank's thresholds from a TOML or JSON file (`INCIDENT_THRESHOLDS_FILE`), and records them at start.

The file is flat, one key per threshold (domain.thresholds.THRESHOLDS); a key left out keeps its
default. In TOML, leave `red_when_outlets_at_least` out for "red stays the office's" (JSON: null):

    related_window_hours = 24
    related_complaints_for_yellow = 3
    related_outlets_for_orange = 3
    surge_waiting_customers = 15
    surge_wait_minutes = 10
    complaint_idle_hours = 24
    emergency_idle_minutes = 30
    deadline_warning_days = 3
"""

from __future__ import annotations

from pathlib import Path

from application.incident_desk import IncidentDesk
from application.thresholds import ThresholdsDesk
from domain.errors import InvalidInputError
from domain.thresholds import Thresholds, ThresholdValues
from interfaces.settings_file import settings_document

DEFAULTS_SOURCE = "defaults (no INCIDENT_THRESHOLDS_FILE)"


class ThresholdsFileError(ValueError):
    """The thresholds file cannot be read or holds a value outside the rules; the message names the key."""

    def __init__(self, path: Path, problem: str, key: str | None = None) -> None:
        super().__init__(f"{path}: {f'{key}: ' if key else ''}{problem}")
        self.path = path
        self.key = key
        self.problem = problem


def load_thresholds(path: Path | None) -> ThresholdValues:
    """The thresholds in the file at `path` (the defaults for None); raises ThresholdsFileError."""
    if path is None:
        return ThresholdValues()
    document = settings_document(path, ThresholdsFileError)
    if not isinstance(document, dict):
        raise ThresholdsFileError(path, "must be a table (TOML) or an object (JSON) of thresholds")
    try:
        return ThresholdValues.checked(document)
    except InvalidInputError as error:
        raise ThresholdsFileError(path, error.message, error.field) from error


def start_thresholds(desk: IncidentDesk, path: Path | None) -> Thresholds | None:
    """Record the file's thresholds if they are new to the store (domain.thresholds says when).

    Without a file nothing is recorded: the values in force are the defaults, or what an admin set,
    and a fresh store starts with an empty log. An admin's first change records the defaults it changed.
    """
    if path is None:
        return ThresholdsDesk(desk).current()
    values = load_thresholds(path)
    source = str(path) if path is not None else DEFAULTS_SOURCE
    try:
        return ThresholdsDesk(desk).start_from_file(values, source)
    except InvalidInputError as error:
        # The file's change, applied to what the API changed, breaks a rule across keys.
        raise ThresholdsFileError(path or Path(DEFAULTS_SOURCE), error.message, error.field) from error
