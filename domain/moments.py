"""The rule for every moment the bank records: aware, within the era of the bank's records.

A branch may report late — after an outage, from a paper log, days afterwards — and the lateness
itself belongs on the record, so a late report is accepted. But a moment centuries away is a typing
error (year 1, 1970 from a zero timestamp), not a late report; and near the ends of Python's
calendar an offset moves a time outside it (0001-01-01T00:00+14:00 has no UTC equivalent), which no
board can compute with. So:
- every moment lies in [EARLIEST_MOMENT, LATEST_MOMENT), far from the calendar's ends;
- what happened at a branch happened at most MAX_LATENESS before the server recorded it (a year:
  longer than any complaint limit, 60 days, so even a complaint entered after its whole limit had
  run out is still recordable, and shown late), and not after it beyond CLOCK_SKEW_TOLERANCE;
- an entry recorded more than LATE_REPORT_AFTER after it happened is shown late (补录) to auditors.
"""

from datetime import UTC, datetime, timedelta
from uuid import UUID

from domain.errors import InvalidInputError

EARLIEST_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_MOMENT = datetime(2100, 1, 1, tzinfo=UTC)
MAX_LATENESS = timedelta(days=366)
# Branch clients' clocks drift; beyond this, an occurred_at after the server's clock is an error.
CLOCK_SKEW_TOLERANCE = timedelta(minutes=5)
# Within the skew the domain tolerates, a gap between occurred_at and recorded_at may be two clocks
# disagreeing; beyond it no drift explains it: the entry was written after the fact (补录, an outage,
# a paper log), and a history shows it late. One notion of clock error, used both ways.
LATE_REPORT_AFTER = CLOCK_SKEW_TOLERANCE


def recordable_moment(value: datetime, field: str, incident_id: UUID | None = None) -> datetime:
    """The moment itself; refused when naive or outside [EARLIEST_MOMENT, LATEST_MOMENT)."""
    offset = value.utcoffset()
    if offset is None:
        raise InvalidInputError(
            f"{field} must carry a UTC offset (e.g. 2026-12-01T09:30:00+08:00)",
            field=field,
            incident_id=incident_id,
        )
    # Compared without converting: the conversion itself overflows near the calendar's ends.
    naive_utc_floor = EARLIEST_MOMENT.replace(tzinfo=None) + offset
    naive_utc_ceiling = LATEST_MOMENT.replace(tzinfo=None) + offset
    if not naive_utc_floor <= value.replace(tzinfo=None) < naive_utc_ceiling:
        raise InvalidInputError(
            f"{field} {value.isoformat()} is outside the years "
            f"{EARLIEST_MOMENT.year}–{LATEST_MOMENT.year - 1} the bank records",
            field=field,
            incident_id=incident_id,
        )
    return value


def check_occurred_at(occurred_at: datetime, recorded_at: datetime, incident_id: UUID | None = None) -> None:
    """Refuse an occurred_at that is unrecordable, in the future, or more than MAX_LATENESS late."""
    recordable_moment(recorded_at, "recorded_at", incident_id)
    recordable_moment(occurred_at, "occurred_at", incident_id)
    if occurred_at > recorded_at + CLOCK_SKEW_TOLERANCE:
        raise InvalidInputError(
            f"occurred_at {occurred_at.isoformat()} is in the future (recorded at {recorded_at.isoformat()})",
            field="occurred_at",
            incident_id=incident_id,
        )
    if occurred_at < recorded_at - MAX_LATENESS:
        raise InvalidInputError(
            f"occurred_at {occurred_at.isoformat()} is more than {MAX_LATENESS.days} days before it "
            f"was recorded ({recorded_at.isoformat()}): a late report, but not that late",
            field="occurred_at",
            incident_id=incident_id,
        )


def is_late(occurred_at: datetime, recorded_at: datetime) -> bool:
    """True when the entry was recorded more than LATE_REPORT_AFTER after it happened."""
    return recorded_at - occurred_at > LATE_REPORT_AFTER
