"""The live tail of the log: concurrent writers, one reader, exactly once, in order, resumable."""

from __future__ import annotations

import multiprocessing
import threading
import uuid
from collections.abc import Callable

import psycopg
import pytest

from application.log_tail import LoggedEvent, LogTail
from tests.conftest import POSTGRES_URL
from tests.integration.ledger import Ledger, expected_events, ledger, write_in_another_process

DEADLINE_SECONDS = 60


class Collector:
    """Runs a tail in a thread until it has seen `until` events (or the deadline passes)."""

    def __init__(self, tail: LogTail, until: Callable[[list[LoggedEvent]], bool]) -> None:
        self.tail, self.until, self.seen = tail, until, []
        self.moved = threading.Condition()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for logged in self.tail:
            with self.moved:
                self.seen.append(logged)
                self.moved.notify_all()
            if self.until(self.seen):
                self.tail.stop()

    def wait_for(self, position: int) -> None:
        """Block until the tail has yielded the event at `position`."""
        with self.moved:
            reached = self.moved.wait_for(lambda: bool(self.seen) and self.seen[-1].position >= position, 10)
        assert reached, f"the tail did not reach position {position}"

    def join(self) -> list[LoggedEvent]:
        self.thread.join(DEADLINE_SECONDS)
        self.tail.stop()
        self.thread.join(5)
        assert not self.thread.is_alive(), "the tail did not stop"
        return self.seen


def head(app: Ledger) -> int:
    return int(app.recorder.max_notification_id() or 0)


def counted(seen: list[LoggedEvent]) -> set[tuple[str, int]]:
    return {(e.event.writer, e.event.n) for e in seen if hasattr(e.event, "n")}  # type: ignore[attr-defined]


def assert_exactly_once_in_order(seen: list[LoggedEvent], app: Ledger) -> None:
    positions = [e.position for e in seen]
    assert positions == sorted(set(positions)), "positions must be strictly increasing"
    stored = [n.id for n in app.recorder.select_notifications(start=1, limit=100_000)]
    assert positions == stored, "the tail must yield exactly what the store holds, in its order"


def test_one_tailer_sees_every_event_of_thread_and_process_writers_once_in_order(
    database_url: str,
) -> None:
    app = ledger(database_url)
    threads = {f"thread-{i}": 40 for i in range(4)}
    processes = {f"process-{i}": 40 for i in range(2)}
    expected = expected_events({**threads, **processes})
    total_events = len(expected) + len(threads) + len(processes)  # each tally also has its Opened event
    collector = Collector(LogTail(app), until=lambda seen: len(seen) >= total_events)

    spawn = multiprocessing.get_context("spawn")
    workers = [
        spawn.Process(target=write_in_another_process, args=(database_url, w, n))
        for w, n in processes.items()
    ]
    workers += [threading.Thread(target=app.write, args=(w, n)) for w, n in threads.items()]  # type: ignore[misc]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(DEADLINE_SECONDS)
    assert all(getattr(w, "exitcode", 0) == 0 for w in workers)

    seen = collector.join()
    assert counted(seen) == expected
    assert len(seen) == total_events
    assert_exactly_once_in_order(seen, app)
    app.close()


def test_a_restarted_tailer_resumes_from_its_last_position_without_loss(database_url: str) -> None:
    app = ledger(database_url)
    app.write("before", 30)
    first = Collector(LogTail(app), until=lambda seen: len(seen) >= 20).join()
    resume_from = first[-1].position

    app.write("while-down", 30)
    second = Collector(
        LogTail(app, after=resume_from),
        until=lambda seen: counted(seen) >= expected_events({"while-down": 30}),
    ).join()

    assert next(e.position for e in second) > resume_from
    combined = first + second
    assert counted(combined) == expected_events({"before": 30, "while-down": 30})
    assert_exactly_once_in_order(combined, app)
    app.close()


def test_new_events_reach_a_waiting_tailer_without_a_restart(database_url: str) -> None:
    app = ledger(database_url)
    app.write("early", 1)
    collector = Collector(LogTail(app), until=lambda seen: len(counted(seen)) >= 11)
    collector.wait_for(head(app))  # the tailer has read the whole log: it now waits for what is new
    app.write("late", 10)
    seen = collector.join()
    assert counted(seen) == expected_events({"early": 1, "late": 10})
    assert_exactly_once_in_order(seen, app)
    app.close()


@pytest.mark.postgres
def test_a_lost_postgres_connection_is_recovered_not_fatal(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"tail-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("PGAPPNAME", name)  # libpq labels this test's connections, so only they are cut
    app = ledger(postgres_url)
    app.write("before", 10)
    tail = LogTail(app, retry_seconds=0.1)
    collector = Collector(tail, until=lambda seen: len(counted(seen)) >= 20)
    collector.wait_for(head(app))  # the connection is cut while the tail waits on it

    with psycopg.connect(POSTGRES_URL, autocommit=True, application_name="test-admin") as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchone()
    assert killed is not None
    assert killed[0] >= 1

    app.write("after", 10)
    seen = collector.join()
    assert counted(seen) == expected_events({"before": 10, "after": 10})
    assert tail.reconnections >= 1
    assert_exactly_once_in_order(seen, app)
    app.close()
