"""An incident as it stood: at a version, or at an instant as recorded or as occurred (query and answer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, cast

from fastapi import Query
from pydantic import Field

from domain.errors import InvalidInputError
from domain.incident import Incident
from domain.time_travel import Axis, moment_on, versions_by
from interfaces.http.command_models import Moment
from interfaces.http.views import IncidentOut
from interfaces.services import Services

# Versions are stored in signed 64-bit columns; a larger one is bad input before any read.
MAX_VERSION = 2**62
Version = Annotated[
    int | None,
    Query(ge=1, le=MAX_VERSION, description="The incident as it was after this version (1 is the report)."),
]
FromVersion = Annotated[
    int | None, Query(ge=1, le=MAX_VERSION, description="The history from this version on (included).")
]
ToVersion = Annotated[
    int | None, Query(ge=1, le=MAX_VERSION, description="The history up to this version (included).")
]
AsOf = Annotated[
    Moment | None,
    Query(description="The incident as it stood at this instant, ISO 8601 with its offset."),
]
AxisParam = Annotated[
    Axis | None,
    Query(
        description="With `as_of`: `recorded` (default), the events recorded by then, what the office "
        "could have seen; `occurred`, the events that had happened by then, late reports included."
    ),
]


class IncidentStateOut(IncidentOut):
    """An incident at its head or at a past state; a past state is read-only (no ETag to send back)."""

    head_version: int = Field(description="The incident's version now.")
    past: bool = Field(description="True when this is an earlier state than the head.")
    as_of: datetime | None = Field(description="The instant asked for (UTC), or null.")
    axis: Axis | None = Field(description="as_of's axis, or null.")
    judged_at: datetime | None = Field(
        description="The instant `overdue` is judged at: as_of, or when `version` was recorded; null: now."
    )


@dataclass(frozen=True)
class PastQuery:
    """What the caller asked for: the head, a version, or an instant on an axis (at most one of them)."""

    version: int | None = None
    as_of: datetime | None = None
    axis: Axis | None = None


@dataclass(frozen=True)
class State:
    """The incident at the state asked for, with the head's version and when its clocks are judged."""

    incident: Incident
    head_version: int
    judged_at: datetime | None  # None: now, whenever the answer is made
    query: PastQuery

    @property
    def past(self) -> bool:
        return self.incident.version < self.head_version


def past_query(version: Version = None, as_of: AsOf = None, axis: AxisParam = None) -> PastQuery:
    """The query's version / as_of / axis, refused (422 naming one) when they do not go together."""
    if version is not None and as_of is not None:
        raise InvalidInputError("give version or as_of, not both", field="as_of")
    if axis is not None and as_of is None:
        raise InvalidInputError("axis chooses the clock of as_of: give as_of with it", field="axis")
    if as_of is None:
        return PastQuery(version=version)
    return PastQuery(as_of=utc_instant(as_of), axis=axis or Axis.RECORDED)


def version_window(from_version: int | None, to_version: int | None, head_version: int) -> range | None:
    """The versions a history shows; refused (422) when it starts past the head or ends before it starts."""
    if from_version is None and to_version is None:
        return None
    start, end = from_version or 1, to_version or head_version
    if start > head_version:
        raise InvalidInputError(
            f"from_version {start} is past the head (versions 1 to {head_version})", field="from_version"
        )
    if end < start:
        raise InvalidInputError(f"to_version {end} is before from_version {start}", field="to_version")
    return range(start, end + 1)


def state_of(app: Services, head: Incident, query: PastQuery) -> State:
    """The incident `head` (already loaded and access-checked) at the state `query` asks for."""
    if query.version is not None:
        return _at_version(app, head, query, query.version)
    if query.as_of is not None:
        return _as_of(app, head, query, query.as_of, query.axis or Axis.RECORDED, app.clock())
    return State(head, head.version, None, query)


def _at_version(app: Services, head: Incident, query: PastQuery, wanted: int) -> State:
    if wanted > head.version:
        raise InvalidInputError(
            f"version {wanted} is past this {head.NOUN}'s head (versions 1 to {head.version})",
            field="version",
        )
    if wanted == head.version:
        return State(head, head.version, None, query)
    past = app.desk.get_incident(head.id, version=wanted)
    return State(past, head.version, past.modified_on, query)


def _as_of(
    app: Services, head: Incident, query: PastQuery, instant: datetime, axis: Axis, now: datetime
) -> State:
    events = cast(list[Incident.Event], app.desk.history(head.id))
    count = versions_by(events, instant, axis)
    if count == 0:
        first = moment_on(events[0], axis)
        raise InvalidInputError(
            f"as_of {instant.isoformat()} is before this {head.NOUN} existed "
            f"({axis.value} from {first.isoformat()})",
            field="as_of",
        )
    # The history may be newer than the head loaded a moment before it: it is the head then.
    head_version = max(head.version, len(events))
    incident = head if count == head.version else app.desk.get_incident(head.id, version=count)
    return State(incident, head_version, instant if instant < now else None, query)


def utc_instant(moment: datetime) -> datetime:
    # A moment near year 1 or 9999 may have no UTC equivalent: bad input, not a crash.
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidInputError("as_of is out of range", field="as_of") from None


def state_view(state: State, view: IncidentOut) -> IncidentStateOut:
    """The view of the state, with which state it is."""
    return IncidentStateOut(
        **dict(view),
        head_version=state.head_version,
        past=state.past,
        as_of=state.query.as_of,
        axis=state.query.axis,
        judged_at=state.judged_at,
    )
