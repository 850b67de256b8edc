"""The feed's index on both stores: the live feed's messages exactly, across restarts, paged by scope."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import Engine, delete, event, select

from application.incident_desk import IncidentDesk
from application.log_tail import LoggedEvent
from interfaces.boards.wiring import make_runner
from interfaces.feed.incident_index import IncidentIndex
from interfaces.feed.messages import FeedMessage, feed_message
from interfaces.feed.replay import Replays
from interfaces.sql_engine import engine_for
from projections import feed_index as index_module
from projections.feed_index import FeedIndexBoard, FeedScope, feed_index, indexed_pages, indexed_position
from projections.tracking import board_tracking
from tests.integration.test_boards import OUTLETS, random_history

EVERY_TYPE = frozenset({"complaint", "emergency"})


def live_messages(desk: IncidentDesk) -> tuple[IncidentIndex, list[FeedMessage]]:
    """What the live feed makes of the whole log, read in order as its one reader does."""
    index, messages, start = IncidentIndex(), [], 0
    while batch := desk.recorder.select_notifications(start=start, limit=500, inclusive_of_start=False):
        for notification in batch:
            logged = LoggedEvent(notification.id, desk.mapper.to_domain_event(notification))
            index.learn(logged.event)
            message = feed_message(logged, index)
            if message is not None:
                messages.append(message)
        start = batch[-1].id
    return index, messages


def project(desk: IncidentDesk, engine: Engine, database_url: str, until: int, batch_size: int = 7) -> None:
    runner = make_runner(desk, engine, database_url)
    runner.catch_up(until=until, batch_size=batch_size)
    runner.stop()


def indexed(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        return {int(p): str(t) for p, t in conn.execute(select(feed_index.c.position, feed_index.c.text))}


def test_the_index_holds_each_incident_event_as_the_live_feed_sends_it(
    desk: IncidentDesk, engine: Engine, database_url: str
) -> None:
    random_history(desk, 300, seed=8)
    head = int(desk.recorder.max_notification_id() or 0)
    project(desk, engine, database_url, until=head)
    _, messages = live_messages(desk)
    assert any('"event": "LevelChanged"' in m.text for m in messages), "the history changes levels"
    assert indexed(engine) == {m.position: m.text for m in messages}
    assert indexed_position(engine) == head


def test_the_index_picks_up_after_a_restart_with_nothing_lost_or_doubled(
    desk: IncidentDesk, engine: Engine, database_url: str
) -> None:
    random_history(desk, 300, seed=9)
    head = int(desk.recorder.max_notification_id() or 0)
    # The second runner knows nothing in memory: incidents reported before the restart and changed
    # after it are labelled from the facts the first one stored.
    project(desk, engine, database_url, until=head // 2)
    assert indexed_position(engine) == head // 2
    project(desk, engine, database_url, until=head)
    _, messages = live_messages(desk)
    assert indexed(engine) == {m.position: m.text for m in messages}


SCOPES = [
    FeedScope(frozenset({"SH-PD-01"}), EVERY_TYPE, 1),
    FeedScope(frozenset({"BJ-HD-01", "GD-TH-03"}), frozenset({"emergency"}), 1),
    FeedScope(frozenset(OUTLETS), EVERY_TYPE, 3),
    FeedScope(None, frozenset({"complaint"}), 1),
    FeedScope(None, EVERY_TYPE, 4),
]


@pytest.mark.parametrize("merge_at_most", [8, 1], ids=["merged by outlet", "in position order"])
def test_a_replay_pages_exactly_its_scope_in_order_between_two_positions(
    desk: IncidentDesk,
    engine: Engine,
    database_url: str,
    merge_at_most: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    random_history(desk, 250, seed=10)
    head = int(desk.recorder.max_notification_id() or 0)
    project(desk, engine, database_url, until=head)
    _, messages = live_messages(desk)
    monkeypatch.setattr(index_module, "MERGE_AT_MOST", merge_at_most)
    monkeypatch.setattr(index_module, "SCAN_WINDOW", 9)  # many windows, some with no match at all
    after, until = 17, head - 13
    for scope in SCOPES:
        expected = [
            (m.position, m.text)
            for m in messages
            if after < m.position <= until and scope.covers(m.outlet, m.incident_type, m.level_rank)
        ]
        assert expected, f"the history has something for {scope}"
        for page in (1, 5, 256):
            pages = list(indexed_pages(engine, scope, after, until, page=page))
            assert all(len(p) <= page for p in pages)
            assert [row for p in pages for row in p] == expected, (scope, page)


def test_a_replay_reads_what_the_index_has_not_reached_from_the_log(
    desk: IncidentDesk, engine: Engine, database_url: str
) -> None:
    random_history(desk, 250, seed=11)
    head = int(desk.recorder.max_notification_id() or 0)
    project(desk, engine, database_url, until=head // 3)
    index, messages = live_messages(desk)
    replays = Replays(desk, engine, index, threads=1)
    scope = FeedScope(frozenset({"BJ-HD-02", "SH-PD-01"}), EVERY_TYPE, 1)

    async def replay() -> list[tuple[int, str]]:
        return [row async for page in replays.stream(scope, 5, head) for row in page]

    try:
        rows = asyncio.run(replay())
    finally:
        replays.close()
    expected = [
        (m.position, m.text)
        for m in messages
        if m.position > 5 and scope.covers(m.outlet, m.incident_type, m.level_rank)
    ]
    assert rows == expected
    assert any(p > head // 3 for p, _ in rows), "part of it came from the log"


def test_a_replay_of_one_outlet_reads_its_rows_through_the_outlet_index(
    desk: IncidentDesk, sqlite_url: str
) -> None:
    engine = engine_for(sqlite_url)
    random_history(desk, 150, seed=12)
    head = int(desk.recorder.max_notification_id() or 0)
    project(desk, engine, sqlite_url, until=head)
    statements: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("SELECT") and feed_index.name in statement:
            statements.append((statement, parameters))

    scope = FeedScope(frozenset({"SH-PD-01"}), EVERY_TYPE, 1)
    assert list(indexed_pages(engine, scope, 0, head, page=4))
    event.remove(engine, "before_cursor_execute", capture)
    assert statements
    with engine.connect() as conn:
        for statement, parameters in statements:
            plan = " ".join(
                str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            )
            assert f"USING INDEX {feed_index.name}_by_outlet (outlet=?" in plan, plan
            assert "SCAN" not in plan, plan
    engine.dispose()


def test_a_replay_under_way_when_the_index_is_rebuilt_reads_the_rest_from_the_log(
    desk: IncidentDesk, engine: Engine, database_url: str
) -> None:
    random_history(desk, 250, seed=13)
    head = int(desk.recorder.max_notification_id() or 0)
    project(desk, engine, database_url, until=head)
    index, messages = live_messages(desk)
    replays = Replays(desk, engine, index, threads=1, page=16)
    scope = FeedScope(None, EVERY_TYPE, 1)

    async def replay_across_a_rebuild() -> list[tuple[int, str]]:
        rows: list[tuple[int, str]] = []
        async for page in replays.stream(scope, 0, head):
            rows += page
            if len(rows) == len(page):  # after the first page: the index is dropped and starts over
                board = FeedIndexBoard()
                board.drop(engine)
                with engine.begin() as conn:
                    conn.execute(delete(board_tracking).where(board_tracking.c.board == board.name))
                board.create(engine)
        return rows

    try:
        rows = asyncio.run(replay_across_a_rebuild())
    finally:
        replays.close()
    assert len(rows) > 16, "most of it was replayed after the rebuild began"
    assert rows == [(m.position, m.text) for m in messages]
