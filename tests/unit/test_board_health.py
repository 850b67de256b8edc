"""The boards' health in pure terms: the backoff, the one-line reason, stalls, and what a 503 says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import StatementError

from interfaces.boards.health import Backoff, BoardFailure, BoardStatus, StallWatch, describe

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def test_the_backoff_doubles_from_one_second_to_a_minute_and_starts_again_after_a_reset() -> None:
    backoff = Backoff()
    assert [backoff.next() for _ in range(9)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    backoff.reset()
    assert backoff.next() == 1


def test_a_reason_names_the_error_on_one_printable_line_without_sql_parameters() -> None:
    wrapped = StatementError(
        "bind failed",
        "INSERT INTO office_board ...",
        {"summary": "客户 13800138000"},
        OverflowError("date value out of range"),
    )
    assert describe(wrapped) == "OverflowError: date value out of range"
    assert describe(ValueError("a\x00b\nsecond line")) == "ValueError: a\\x00b"
    assert describe(RuntimeError()) == "RuntimeError"
    assert len(describe(ValueError("x" * 1000))) == 300


def test_boards_behind_the_log_are_stalled_only_once_they_have_not_moved_for_the_limit() -> None:
    now = [T0]
    watch = StallWatch(lambda: now[0], seconds=10)
    assert watch.stalled_since(5, 9) is None
    now[0] += timedelta(seconds=9)
    assert watch.stalled_since(5, 9) is None
    now[0] += timedelta(seconds=1)
    assert watch.stalled_since(5, 9) == T0
    assert watch.stalled_since(6, 9) is None  # it moved: a new count
    assert watch.stalled_since(9, 9) is None  # caught up


def test_a_read_out_of_reach_is_told_where_the_boards_are_stuck_and_why() -> None:
    failure = BoardFailure(
        since=T0, reason="OverflowError: date value out of range", stuck_at=42, board="office_board"
    )
    message = BoardStatus(position=41, head=57, failure=failure).why_not(50)
    assert message == (
        "the boards are stuck at position 42 (office_board) since 2026-11-02T09:30:00+00:00: "
        "OverflowError: date value out of range (they show the log up to position 41 of 57); "
        "position 50 cannot be reached until that is fixed"
    )
    assert [failure.blocks(p) for p in (41, 42, 50)] == [False, True, True]
    assert BoardStatus(position=3, head=5).as_json() == {"position": 3, "head": 5, "stale": None}
