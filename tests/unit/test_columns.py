"""The boards' datetime column binds on SQLite exactly the text SQLAlchemy's own DATETIME would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import DateTime
from sqlalchemy.dialects import postgresql, sqlite

from projections.columns import UTCDateTime

MOMENTS = [
    datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
    datetime(2026, 11, 2, 9, 30, 0, 1, tzinfo=UTC),
    datetime(2000, 1, 1, 0, 0, 0, 999_999, tzinfo=timezone(timedelta(hours=14))),
    datetime(2099, 12, 31, 23, 59, 59, 123_456, tzinfo=timezone(timedelta(hours=-12, minutes=-30))),
    datetime(999, 3, 4, 5, 6, 7, 80, tzinfo=UTC),
    datetime(1, 1, 2, 0, 0, tzinfo=timezone(timedelta(hours=8))),
    datetime(2026, 11, 2, 9, 30, 0, 120, tzinfo=UTC),
    datetime(2026, 11, 2, 9, 30, 0, 120, tzinfo=timezone(timedelta(0), "UTC+0")),
    datetime.fromisoformat("2026-11-02T09:30:00.000120+00:00"),
]


def test_a_moment_is_stored_on_sqlite_as_the_text_sqlalchemy_makes_of_it_in_utc() -> None:
    dialect = sqlite.dialect()  # type: ignore[no-untyped-call]
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    theirs = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert ours is not None
    assert theirs is not None
    for moment in MOMENTS:
        assert ours(moment) == theirs(moment.astimezone(UTC).replace(tzinfo=None))
    assert ours(None) is None
    assert ours(MOMENTS[2]) == "1999-12-31 10:00:00.999999"


def test_on_postgresql_a_moment_is_bound_as_a_utc_datetime_without_its_zone() -> None:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert ours is not None
    assert ours(MOMENTS[3]) == datetime(2100, 1, 1, 12, 29, 59, 123_456)
