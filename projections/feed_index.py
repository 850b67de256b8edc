"""The feed's index: each incident event's feed message by position, with the outlet, type and level.

Why a table of its own, and why it holds the message text:
- A replay must read only what its watcher may see. The log can only be read in position order
  (the store has no index by outlet), so a replay of one outlet would otherwise decode the whole
  log. Here a replay of a few outlets reads each outlet's rows through the (outlet, position) index
  and merges them; a bank-wide one reads the table in position order. Either way, in pages.
- It holds the message exactly as the feed sends it, so a replay decodes, looks up and serialises
  nothing: it is one indexed read per page. The price is about one feed message (~0.5–6 KB) per
  event on disk, like the timeline board.
- It is a board like the others: written by the board runner, in the same transaction as its
  tracking row, so it is exactly-once and correct across restarts on both stores, and is rebuilt
  from the log by `incident rebuild`. The facts of each incident (type, outlet, drill flag, current
  level) live in a second small table, read per batch, so the board holds nothing in memory.
- A change to the message shape must change the board's name (`feed_index_v2`): a new name starts
  from position 0, so the new table is filled from the whole log.

A replay reads the index up to the index's own tracked position; what the index has not reached
yet the feed reads from the log itself (see interfaces/feed/replay.py).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    Index,
    MetaData,
    Select,
    SmallInteger,
    String,
    Table,
    Text,
    bindparam,
    select,
    update,
)

from domain.level import Level
from projections.board import Board
from projections.bulk import RowWriter
from projections.feed_messages import FeedFacts, encoded, facts_after, joined_feed_text
from projections.logged import Logged
from projections.shared_pass import SharedPass
from projections.tracking import tracked_position

BOARD = "feed_index_v1"
PAGE = 256
# A scan in position order looks at this many positions per page at most, so that one page of a
# replay with a rare filter (min_level=red) is a bounded piece of work however sparse its matches.
SCAN_WINDOW = 20_000
# A scope of at most this many outlets is read outlet by outlet and merged; a wider one in position
# order. With n outlets out of N, merging reads only matching rows but n queries per page; the scan
# reads N/n rows per match. The bank's 60 outlets put the break-even near 8.
MERGE_AT_MOST = 8

metadata = MetaData()
feed_index = Table(
    BOARD,
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("outlet", String(64), nullable=False),
    Column("incident_type", String(16), nullable=False),
    Column("level_rank", SmallInteger, nullable=False),
    Column("text", Text, nullable=False),
    Index(f"{BOARD}_by_outlet", "outlet", "position"),
)
feed_incidents = Table(
    f"{BOARD}_incidents",
    metadata,
    Column("incident_id", String(36), primary_key=True),
    Column("incident_type", String(16), nullable=False),
    Column("outlet", String(64), nullable=False),
    Column("exercise", Boolean, nullable=False),
    Column("level", String(16), nullable=False),
)


class FeedIndexBoard(Board):
    """One row per incident event: its feed message and what a replay filters on."""

    name = BOARD
    metadata = metadata

    def __init__(self, shared: SharedPass | None = None) -> None:
        self.shared = SharedPass() if shared is None else shared
        self._messages = RowWriter(feed_index)
        self._incidents = RowWriter(feed_incidents)

    def apply(self, batch: Sequence[Logged], conn: Connection) -> None:
        found = self.shared.of(batch)
        if not found.events:
            return
        known = _stored_facts(conn, set(found.ids))
        before = dict(known)
        rows = []
        for logged, incident_id, data in zip(found.events, found.ids, found.data(), strict=True):
            event = logged.event
            facts = facts_after(event, known.get(incident_id))
            if facts is None:
                continue  # an event of an incident whose report is not in the log: nothing to label it
            known[incident_id] = facts
            text = joined_feed_text(
                logged.position,
                event,
                facts,
                incident_id=incident_id,
                actor_json=found.actor_json(event),
                data_json=encoded(data),
            )
            rows.append((logged.position, facts.outlet, facts.incident_type, facts.level.rank, text))
        self._store_facts(conn, before, known)
        self._messages.insert(conn, rows)

    def forget(self) -> None:
        self.shared.forget()

    def _store_facts(
        self, conn: Connection, before: dict[str, FeedFacts], after: dict[str, FeedFacts]
    ) -> None:
        new = [(i, *_facts_values(f)) for i, f in after.items() if i not in before]
        changed = [
            {"key": i, "new_level": f.level.value} for i, f in after.items() if i in before and f != before[i]
        ]
        self._incidents.insert(conn, new)
        if changed:
            conn.execute(
                update(feed_incidents)
                .where(feed_incidents.c.incident_id == bindparam("key"))
                .values(level=bindparam("new_level")),
                changed,
            )


def _stored_facts(conn: Connection, ids: set[str]) -> dict[str, FeedFacts]:
    found: dict[str, FeedFacts] = {}
    listed = sorted(ids)
    for start in range(0, len(listed), 500):  # a bounded IN list
        chunk = listed[start : start + 500]
        query = select(feed_incidents).where(feed_incidents.c.incident_id.in_(chunk))
        for row in conn.execute(query).mappings():
            found[row["incident_id"]] = FeedFacts(
                row["incident_type"], row["outlet"], bool(row["exercise"]), Level(row["level"])
            )
    return found


def _facts_values(facts: FeedFacts) -> tuple[str, str, bool, str]:
    """A row of the incidents table after its id: type, outlet, drill flag, level."""
    return (facts.incident_type, facts.outlet, facts.exercise, facts.level.value)


# -- reading it: replays ------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedScope:
    """What one watcher may and wants to see: outlets (None: every one), incident types, lowest level."""

    outlets: frozenset[str] | None
    types: frozenset[str]
    min_rank: int

    def covers(self, outlet: str, incident_type: str, level_rank: int) -> bool:
        return (
            (self.outlets is None or outlet in self.outlets)
            and incident_type in self.types
            and level_rank >= self.min_rank
        )


def indexed_position(engine: Engine) -> int:
    """The last log position the index has processed: every message up to it is in the table."""
    with engine.connect() as conn:
        return tracked_position(conn, BOARD)


def indexed_pages(
    engine: Engine, scope: FeedScope, after: int, until: int, page: int = PAGE
) -> Iterator[list[tuple[int, str]]]:
    """(position, text) of the indexed messages in scope at positions (after, until], in order.

    Each step of the iterator is one bounded piece of work (a few queries) and yields at most
    `page` messages, possibly none; nothing is held between steps but the rows of the page.
    """
    if scope.outlets is not None and len(scope.outlets) <= MERGE_AT_MOST:
        merged = heapq.merge(
            *(_one_outlet(engine, scope, outlet, after, until, page) for outlet in sorted(scope.outlets))
        )
        while chunk := list(itertools.islice(merged, page)):
            yield chunk
        return
    yield from _in_position_order(engine, scope, after, until, page)


def _filtered(query: Select[Any], scope: FeedScope) -> Select[Any]:
    query = query.where(feed_index.c.incident_type.in_(sorted(scope.types)))
    return query.where(feed_index.c.level_rank >= scope.min_rank) if scope.min_rank > 1 else query


def _rows(engine: Engine, query: Select[Any], limit: int) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        found = conn.execute(query.order_by(feed_index.c.position).limit(limit)).all()
    return [(int(row[0]), str(row[1])) for row in found]


def _one_outlet(
    engine: Engine, scope: FeedScope, outlet: str, after: int, until: int, page: int
) -> Iterator[tuple[int, str]]:
    # Each outlet fetches a share of a page at a time: a replay holds about one page in all.
    share = max(16, page // max(1, len(scope.outlets or ())))
    cursor = after
    while cursor < until:
        query = _filtered(
            select(feed_index.c.position, feed_index.c.text).where(
                feed_index.c.outlet == outlet,
                feed_index.c.position > cursor,
                feed_index.c.position <= until,
            ),
            scope,
        )
        rows = _rows(engine, query, share)
        yield from rows
        if len(rows) < share:
            return
        cursor = rows[-1][0]


def _in_position_order(
    engine: Engine, scope: FeedScope, after: int, until: int, page: int
) -> Iterator[list[tuple[int, str]]]:
    cursor = after
    while cursor < until:
        window_end = min(until, cursor + SCAN_WINDOW)
        query = select(feed_index.c.position, feed_index.c.text).where(
            feed_index.c.position > cursor, feed_index.c.position <= window_end
        )
        if scope.outlets is not None:
            # `outlet || ''` keeps the planner off the outlet index (it would walk it and sort):
            # for a wide scope, reading in position order is the cheap way.
            query = query.where(feed_index.c.outlet.concat("").in_(sorted(scope.outlets)))
        rows = _rows(engine, _filtered(query, scope), page)
        yield rows
        cursor = rows[-1][0] if len(rows) == page else window_end
