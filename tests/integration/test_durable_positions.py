"""Durable positions: a restarted policy runner or feed hub takes up where it was, never from position 0.

The policies take their memory back from their checkpoint (and decide exactly as a runner that read
the whole log would); the feed takes its incident facts back from the feed-index board; and of two
workers on one database only the one holding the leader lock runs the policies.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from datetime import timedelta
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from application.incident_desk import IncidentDesk
from application.policies import ComplaintClockPolicy, PolicyRunner, PolicySettings, standard_policies
from application.policies.base import Policy
from application.policies.checkpoint import PolicyCheckpoints
from application.store.database_url import store_env
from domain.complaint import Complaint
from domain.level import Level
from domain.values import Role
from interfaces.boards.leader import LeaderLock
from interfaces.boards.wiring import make_runner
from interfaces.feed.hub import FeedHub, Watch
from interfaces.feed.messages import FeedMessage
from interfaces.sql_engine import engine_for
from projections.feed_index import FeedScope
from tests.integration.desk_fixtures import OFFICE, SteppingClock, fresh_desk
from tests.integration.test_feed_index import live_messages
from tests.integration.test_policies import ORGANISATION, T0, complaint, grading, last, level_of, settle
from tests.integration.test_risk_storm import OUTLETS, deserved

STORM_MONTHS = itertools.count(1)
EVERY_TYPE = frozenset({"complaint", "emergency"})


def head(desk: IncidentDesk) -> int:
    return int(desk.recorder.max_notification_id() or 0)


def checkpointed(desk: IncidentDesk, engine: Engine, *policies: Policy) -> PolicyRunner:
    return PolicyRunner(desk, policies, checkpoints=PolicyCheckpoints(engine))


# -- the policies ------------------------------------------------------------------------------


def test_a_restarted_policy_runner_reads_only_what_came_after_its_checkpoint(
    desk: IncidentDesk, engine: Engine
) -> None:
    for n in range(12):
        complaint(desk, outlet=OUTLETS[n % 4], at=T0 + timedelta(minutes=n))
    first = checkpointed(desk, engine, *standard_policies(desk, ORGANISATION))
    settle(first)
    assert first.read == head(desk)  # no checkpoint yet: the whole log, and what it recorded itself
    stopped_at = first.position
    later = [complaint(desk, outlet="BJ-CY-01", at=T0 + timedelta(hours=1, minutes=n)) for n in range(3)]

    second = checkpointed(desk, engine, *standard_policies(desk, ORGANISATION))
    settle(second)
    assert second.read == head(desk) - stopped_at  # the three reports and the raises they caused
    assert second.read < stopped_at
    assert {level_of(desk, i) for i in later} == {Level.YELLOW}


def test_the_open_incidents_come_back_from_the_checkpoint_and_the_clock_still_warns(
    desk: IncidentDesk, engine: Engine, clock: SteppingClock
) -> None:
    complaint_id = complaint(desk)
    settle(checkpointed(desk, engine, ComplaintClockPolicy(desk, PolicySettings())))

    restarted = checkpointed(desk, engine, ComplaintClockPolicy(desk, PolicySettings()))
    settle(restarted)
    assert restarted.read == 0  # the complaint is known from the checkpoint, not from the log
    clock.now = T0 + timedelta(days=15) - timedelta(days=3)
    restarted.tick()
    warned = last(desk, complaint_id)
    assert isinstance(warned, Complaint.DeadlineWarned)
    assert warned.actor.role is Role.SYSTEM

    again = checkpointed(desk, engine, ComplaintClockPolicy(desk, PolicySettings()))
    settle(again)
    length = head(desk)
    clock.advance(hours=1)
    again.tick()
    assert head(desk) == length  # it remembers the warning it gave: nothing is recorded twice


def test_a_checkpoint_of_other_policies_is_not_taken_and_the_log_is_read_from_0(
    desk: IncidentDesk, engine: Engine
) -> None:
    for n in range(3):
        complaint(desk, at=T0 + timedelta(minutes=n))
    settle(checkpointed(desk, engine, grading(desk)))
    other = checkpointed(desk, engine, ComplaintClockPolicy(desk, PolicySettings()))
    settle(other)
    assert other.read == head(desk)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    storm=st.lists(
        st.tuples(st.integers(min_value=0, max_value=3 * 24 * 60), st.sampled_from(OUTLETS), st.booleans()),
        min_size=1,
        max_size=20,
    )
)
def test_a_storm_graded_across_restarts_from_checkpoints_is_graded_as_if_read_from_0(
    desk: IncidentDesk, engine: Engine, storm: list[tuple[int, str, bool]]
) -> None:
    month = T0 + next(STORM_MONTHS) * timedelta(days=31)
    reports = [(month + timedelta(minutes=m), outlet) for m, outlet, _ in storm]
    runner = checkpointed(desk, engine, grading(desk))
    ids: list[UUID] = []
    for (at, outlet), (*_, restart_after) in zip(reports, storm, strict=True):
        ids.append(complaint(desk, outlet=outlet, at=at))
        if restart_after:
            settle(runner)
            runner = checkpointed(desk, engine, grading(desk))  # a new process: only the checkpoint
    settle(runner)
    assert [level_of(desk, i) for i in ids] == deserved(reports)
    # The same as a runner that reads the whole log: it finds nothing left to do.
    length = head(desk)
    settle(PolicyRunner(desk, [grading(desk)]))
    assert head(desk) == length


# -- one leader ----------------------------------------------------------------------------------


def test_two_workers_never_both_run_the_policies_and_a_standby_takes_over(
    desk: IncidentDesk, engine: Engine, database_url: str
) -> None:
    other_desk = IncidentDesk({**store_env(database_url), "CREATE_TABLE": "n"}, clock=desk.clock)
    locks = [LeaderLock(engine, database_url), LeaderLock(engine, database_url)]
    runners = [
        PolicyRunner(d, [grading(d)], checkpoints=PolicyCheckpoints(engine), leader=lock, tick_seconds=0.05)
        for d, lock in zip([desk, other_desk], locks, strict=True)
    ]
    try:
        assert locks[0].try_acquire()  # the first worker's boards took the lock
        for runner in runners:
            runner.start()
        first = [complaint(desk, at=T0 + timedelta(minutes=n)) for n in range(3)]
        assert runners[0].wait_for(head(desk), timeout=30)
        assert {level_of(desk, i) for i in first} == {Level.YELLOW}
        assert runners[1].read == 0
        assert runners[1].status()["standby"] is True

        runners[0].stop()
        locks[0].release()  # the leader goes
        second = [complaint(desk, outlet="BJ-CY-01", at=T0 + timedelta(hours=2, minutes=n)) for n in range(3)]
        # Its position passes the second reports only once the raises they call for are stored.
        assert runners[1].wait_for(head(desk), timeout=30), "the standby did not take over"
        reader = fresh_desk(database_url)  # the other worker wrote the raises: read them from the store
        assert {level_of(reader, i) for i in second} == {Level.YELLOW}
        reader.close()
        assert locks[1].held
        assert runners[1].read < head(desk)  # it took over from the leader's checkpoint
    finally:
        for runner in runners:
            runner.stop()
        for lock in locks:
            lock.release()
        other_desk.close()


# -- the feed ----------------------------------------------------------------------------------------


def test_a_restarted_feed_hub_follows_from_the_feed_index_and_labels_as_the_live_feed_does(
    desk: IncidentDesk, engine: Engine, database_url: str
) -> None:
    reported = [complaint(desk, outlet=OUTLETS[n % 4], at=T0 + timedelta(minutes=n)) for n in range(6)]
    desk.act(
        reported[0], Complaint.escalate(reason="媒体关注", level=Level.ORANGE), actor=OFFICE, occurred_at=None
    )
    boards = make_runner(desk, engine, database_url)
    boards.catch_up(until=head(desk))
    indexed = head(desk)

    messages = asyncio.run(_watch_a_restarted_hub(desk, engine, reported, until_position=indexed))

    _, expected = live_messages(desk)
    assert [m.text for m in messages] == [m.text for m in expected if m.position > indexed]
    assert any('"level": "orange"' in m.text for m in messages)  # a fact learnt before the restart
    boards.stop()


async def _watch_a_restarted_hub(
    desk: IncidentDesk, engine: Engine, reported: list[UUID], until_position: int
) -> list[FeedMessage]:
    hub = FeedHub(desk, engine)
    hub.start(asyncio.get_running_loop())
    try:
        watch = Watch("t", FeedScope(None, EVERY_TYPE, 1))
        got: list[FeedMessage] = []
        arrived = asyncio.Event()

        def deliver(pending: list[FeedMessage]) -> None:  # as a live connection takes them
            got.extend(pending)
            pending.clear()
            if len(got) >= len(reported):
                arrived.set()

        watch.deliver = deliver
        assert hub.subscribe(watch) == until_position
        for incident_id in reported:
            await asyncio.to_thread(
                desk.act, incident_id, Complaint.add_note(text="回访"), actor=OFFICE, occurred_at=None
            )
        await asyncio.wait_for(arrived.wait(), 30)
        assert len(got) == len(reported)
        assert hub.read == len(reported)  # only what came after the index's position
        return got
    finally:
        await asyncio.to_thread(hub.stop)


def test_a_checkpoint_the_store_could_not_take_is_written_with_the_next_one(
    sqlite_url: str, clock: SteppingClock
) -> None:
    desk = IncidentDesk(store_env(sqlite_url), clock=clock)
    engine = engine_for(sqlite_url)
    try:
        first = complaint(desk)
        runner = checkpointed(desk, engine, grading(desk))
        holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the file past the store's wait
        try:
            settle(runner)  # reads the report, then fails to write its checkpoint, and goes on
        finally:
            holder.rollback()
            holder.close()
        runner.checkpoint()

        restarted = checkpointed(desk, engine, grading(desk))
        later = [complaint(desk, at=T0 + timedelta(hours=h)) for h in (1, 2)]
        settle(restarted)
        assert restarted.read == head(desk) - 1  # all but the first report, which the checkpoint held
        assert {level_of(desk, i) for i in [first, *later]} == {Level.YELLOW}
    finally:
        desk.close()
        engine.dispose()
