"""The store read directly, to check what clients were told against what was kept: receipts and the log."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Engine, select, text

from application.incident_desk import IncidentDesk
from application.store.database_url import store_env
from application.store.sqlite_store import RECEIPTS_TABLE
from interfaces.boards.wiring import make_boards
from interfaces.client.sending import Outcome
from interfaces.sql_engine import engine_for
from projections.tracking import board_tracking


@dataclass(frozen=True)
class StoredLog:
    """Every receipt (stored key → aggregate and version) and every event's position, by (aggregate, version)."""

    receipts: dict[str, tuple[UUID, int]]
    positions: dict[tuple[UUID, int], int]

    def last_versions(self) -> dict[UUID, int]:
        last: dict[UUID, int] = {}
        for aggregate, version in self.positions:
            last[aggregate] = max(version, last.get(aggregate, 0))
        return last


def read_store(database_url: str) -> StoredLog:
    desk = IncidentDesk({**store_env(database_url), "CREATE_TABLE": "n"})
    engine = engine_for(database_url)
    try:
        table = getattr(desk.recorder, "receipts_table", RECEIPTS_TABLE)
        with engine.connect() as conn:
            rows = conn.execute(text(f"SELECT command_id, incident_id, version FROM {table}")).all()
        receipts = {str(key): (UUID(str(aggregate)), int(version)) for key, aggregate, version in rows}
        positions = {
            (UUID(str(n.originator_id)), n.originator_version): n.id
            for n in desk.recorder.select_notifications(start=1, limit=10**7)
        }
        return StoredLog(receipts, positions)
    finally:
        engine.dispose()
        desk.close()


def check_acknowledged_once(stored: StoredLog, outcomes: list[Outcome], key_scope: str) -> None:
    """Every command acknowledged (2xx) is in the store at the position it was told, under its own
    receipt; nothing is stored that no command was acknowledged for; no event is outside a receipt
    (so none was applied twice under another key, or without one).

    `key_scope` is the sender's prefix of stored keys (`role:unit:`).
    """
    accepted = [o for o in outcomes if o.accepted]
    keys = [key_scope + o.command_id for o in accepted]
    assert len(set(keys)) == len(keys), "a command id was acknowledged twice as two commands"
    missing = [o for o in accepted if key_scope + o.command_id not in stored.receipts]
    assert not missing, f"{len(missing)} acknowledged commands are not in the store: {missing[:3]}"
    extra = set(stored.receipts) - set(keys)
    assert not extra, f"{len(extra)} commands stored that no client was told of: {sorted(extra)[:3]}"
    for outcome in accepted:
        aggregate, version = stored.receipts[key_scope + outcome.command_id]
        assert (str(aggregate), version) == (outcome.incident_id, outcome.version), outcome
        assert stored.positions[(aggregate, version)] == outcome.position, outcome
    covered: dict[UUID, int] = {}
    for aggregate, version in stored.receipts.values():
        covered[aggregate] = max(version, covered.get(aggregate, 0))
    assert stored.last_versions() == covered, "the log holds events no acknowledged command recorded"


def log_head(database_url: str) -> int:
    desk = IncidentDesk({**store_env(database_url), "CREATE_TABLE": "n"})
    try:
        return int(desk.recorder.max_notification_id() or 0)
    finally:
        desk.close()


def boards_position(engine: Engine) -> int:
    """The position every board has reached (the lowest), as the projector recorded it."""
    with engine.connect() as conn:
        positions = [int(p) for p in conn.execute(select(board_tracking.c.position)).scalars()]
    return min(positions, default=0)


def board_tables(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every board's tables, each table in its primary key's order (tracking included)."""
    desk_boards = make_boards(cast(IncidentDesk, None))  # only their table definitions are read
    tables = {t.name: t for board in desk_boards for t in board.metadata.sorted_tables}
    tables[board_tracking.name] = board_tracking
    with engine.connect() as conn:
        return {
            name: [dict(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns)).mappings()]
            for name, t in sorted(tables.items())
        }


# What a resend must never be told: that its own first attempt made it a duplicate.
DUPLICATE_CODES = frozenset({"command_id_reused", "incident_exists"})


def refusal_codes(outcomes: list[Outcome]) -> Counter[str | None]:
    """The refusals' error codes; none may say the command was a duplicate of itself."""
    codes = Counter(o.code for o in outcomes if o.outcome == "refused")
    assert not DUPLICATE_CODES & set(codes), codes
    return codes
