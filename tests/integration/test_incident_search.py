"""The incident catalogue and its search on both stores: every incident kept, filters, literal text."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from application.incident_desk import IncidentDesk
from domain.commands import Command
from domain.complaint import Complaint
from domain.values import ComplaintOutcome, Level, WithdrawalConfirmation
from interfaces.boards.leader import LeaderLock
from interfaces.boards.runner import BoardRunner
from interfaces.boards.wiring import make_boards
from projections.incident_catalogue import incident_catalogue
from projections.incident_search import Cursor, IncidentFilter, find_incidents
from tests.integration.desk_fixtures import OFFICE, T0, SteppingClock, complaint_fields, emergency_fields

BOTH = frozenset({"complaint", "emergency"})
HOSTILE_SUMMARIES = [
    "收费 100% 不合理",
    "编号 a_b 错误",
    '客户说 "it\'s wrong" \\ 反斜杠 / 斜杠',
    "Straße STRASSE ẞ",
    "İstanbul ışık Ǆ ǆ",
    "ΣΊΣΥΦΟΣ σίσυφος",
    "收据 🧾 receipt",
    "tab\there\nnext line",
    "[brackets] {braces} ^caret$ .* ESCAPE",
]
# What a query may hold once the API has read it: readable text (domain/texts.py), in NFC.
READABLE = st.characters(exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp"))


def projected(desk: IncidentDesk, engine: Engine, database_url: str) -> None:
    runner = BoardRunner(desk, engine, make_boards(desk), LeaderLock(engine, database_url))
    runner.catch_up(until=int(desk.recorder.max_notification_id() or 0))
    runner.stop()


def complaint(desk: IncidentDesk, outlet: str, minutes: int, **fields: Any) -> str:
    at = T0 + timedelta(minutes=minutes)
    return str(
        desk.report_complaint(
            actor=OFFICE, occurred_at=at, **complaint_fields(outlet=outlet, **fields)
        ).incident_id
    )


def act(desk: IncidentDesk, incident_id: str, minutes: int, command: str, **fields: Any) -> None:
    at = T0 + timedelta(minutes=minutes)
    desk.act(uuid.UUID(incident_id), Command(Complaint, command, fields), actor=OFFICE, occurred_at=at)


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [row["incident_id"] for row in rows]


def test_the_catalogue_keeps_a_closed_incident_as_it_stands_after_its_last_event(
    desk: IncidentDesk, clock: SteppingClock, engine: Engine, database_url: str
) -> None:
    clock.advance(hours=3)
    closed = complaint(desk, "BJ-HD-01", 0)
    act(desk, closed, 1, "escalate", reason="督办", level=Level.YELLOW)
    act(desk, closed, 2, "record_withdrawal", confirmed_by=WithdrawalConfirmation.PHONE)
    act(desk, closed, 3, "close", outcome=ComplaintOutcome.WITHDRAWN, summary="客户撤回")
    fire = str(
        desk.report_emergency(actor=OFFICE, occurred_at=T0, **emergency_fields(outlet="SH-PD-01")).incident_id
    )
    projected(desk, engine, database_url)

    with engine.connect() as conn:
        rows = {r["incident_id"]: dict(r) for r in conn.execute(select(incident_catalogue)).mappings()}

    assert rows[closed]["status"] == "closed"
    assert rows[closed]["level"] == "yellow"
    assert rows[closed]["closed_at"] == T0 + timedelta(minutes=3)
    assert rows[closed]["opened_at"] == T0
    assert rows[closed]["version"] == 4
    assert rows[closed]["kind"] == "service_quality"
    assert rows[fire]["kind"] == "fire"
    assert rows[fire]["type"] == "emergency"


def test_a_search_narrows_by_scope_and_each_filter_and_pages_newest_first(
    desk: IncidentDesk, clock: SteppingClock, engine: Engine, database_url: str
) -> None:
    clock.advance(hours=3)
    first = complaint(desk, "BJ-HD-01", 0)
    second = complaint(desk, "BJ-HD-02", 10)
    third = complaint(desk, "SH-PD-01", 10)
    act(desk, first, 20, "record_withdrawal", confirmed_by=WithdrawalConfirmation.PHONE)
    act(desk, first, 21, "close", outcome=ComplaintOutcome.WITHDRAWN, summary="客户撤回")
    projected(desk, engine, database_url)
    tied = sorted([second, third], reverse=True)  # the same moment: by id, highest first

    with engine.connect() as conn:

        def found(limit: int = 50, after: Cursor | None = None, **criteria: Any) -> list[str]:
            wanted = IncidentFilter(**{"outlets": None, "types": BOTH, **criteria})
            return ids(find_incidents(conn, wanted, limit=limit, after=after)[0])

        assert found() == [*tied, first]
        assert found(outlets=frozenset({"BJ-HD-01", "BJ-HD-02"})) == [second, first]
        assert found(types=frozenset({"emergency"})) == []
        assert found(closed=True) == [first]
        assert found(closed=False) == tied
        assert found(reported_from=T0 + timedelta(minutes=10)) == tied
        assert found(reported_to=T0 + timedelta(minutes=10)) == [first]
        assert found(exercise=True) == []
        page, cursor = find_incidents(conn, IncidentFilter(None, BOTH), limit=1)
        assert ids(page) == tied[:1]
        assert cursor is not None
        assert Cursor.decode(cursor.encode()) == cursor
        assert found(after=cursor) == [tied[1], first]


def test_free_text_matches_literally_regardless_of_case_whatever_the_query(
    desk: IncidentDesk, clock: SteppingClock, engine: Engine, database_url: str
) -> None:
    clock.advance(hours=3)
    summaries = {complaint(desk, "BJ-HD-01", n, summary=s): s for n, s in enumerate(HOSTILE_SUMMARIES)}
    projected(desk, engine, database_url)
    newest_first = list(reversed(summaries))
    parts = [s[i:j] for s in HOSTILE_SUMMARIES for i in range(len(s)) for j in (i + 1, i + 3)]
    queries = st.one_of(
        st.sampled_from(parts),
        st.sampled_from(parts).map(str.swapcase),
        st.text(READABLE, min_size=1, max_size=6),
        st.sampled_from(["%", "_", "%%", "a%b", "/", "//", "\\", "'", '"', "''", "ss", "SS", "σ", "ς"]),
    )

    with engine.connect() as conn:

        @settings(
            max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
        )
        @given(queries)
        def matches_as_python_does(query: str) -> None:
            text = unicodedata.normalize("NFC", query)
            rows, _ = find_incidents(conn, IncidentFilter(None, BOTH, text=text))
            expected = [i for i in newest_first if text.casefold() in summaries[i].casefold()]
            assert ids(rows) == expected

        matches_as_python_does()
