"""An outlet's queue: readings, the second-diversion threshold, and surge episodes."""

import math
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from application.policies.settings import PolicySettings
from domain.errors import AlreadyDoneError, InvalidInputError, StepOutOfOrderError
from domain.outlet_queue import (
    EPISODE_READINGS_KEPT,
    OutletQueue,
    QueueReading,
    queue_id,
)
from domain.playbooks import needs_second_diversion
from domain.values import VALUE_TYPES

from .builders import LOBBY_MANAGER, T0, minutes, refused, replayed, stamp

OUTLET = "BJ-HD-01"


def opened() -> OutletQueue:
    return OutletQueue.open(stamp(actor=LOBBY_MANAGER), outlet=OUTLET)


def read(queue: OutletQueue, waiting: int, longest: float, at: timedelta | None = None) -> None:
    at = minutes(1) if at is None else at
    queue.post_reading(stamp(at, actor=LOBBY_MANAGER), waiting=waiting, longest_wait_minutes=longest)


def test_a_queue_id_is_the_same_for_the_same_outlet_for_ever() -> None:
    assert queue_id(OUTLET) == queue_id(OUTLET) == opened().id
    assert queue_id(OUTLET) != queue_id("BJ-HD-02")
    # Derived ids are stored in the log: the namespace and the derivation never change.
    assert queue_id(OUTLET) == UUID("9d3a26cd-32d5-5b6a-9845-da837d024b9f")


def test_a_reading_is_kept_as_the_latest() -> None:
    queue = opened()
    read(queue, 7, 4.5)
    assert queue.latest_reading == QueueReading(7, 4.5, T0 + minutes(1))
    assert not queue.surge_is_open


@pytest.mark.parametrize(
    ("waiting", "longest", "calls"),
    [
        (14, 30.0, False),  # 14 people: under 15
        (15, 10.0, True),  # 以上 includes the number itself: 15 people and 10 minutes
        (40, 9.9, False),  # 9.9 minutes: under 10
        (15, 9.99, False),
        (16, 10.1, True),
        (0, 0.0, False),
    ],
)
def test_the_surge_threshold_is_the_playbooks_second_diversion(
    waiting: int, longest: float, calls: bool
) -> None:
    assert needs_second_diversion(waiting=waiting, longest_wait_minutes=longest) is calls
    assert PolicySettings().calls_for_surge(waiting, longest) is calls, "the policy's defaults are the seed's"


@pytest.mark.parametrize(
    ("field", "waiting", "longest"),
    [
        ("waiting", -1, 3.0),
        ("waiting", True, 3.0),
        ("waiting", 2.5, 3.0),
        ("longest_wait_minutes", 3, -0.5),
        ("longest_wait_minutes", 3, math.nan),
        ("longest_wait_minutes", 3, math.inf),
    ],
)
def test_a_reading_below_zero_or_not_a_number_is_refused(field: str, waiting: int, longest: float) -> None:
    queue = opened()
    error = refused(queue, InvalidInputError, lambda: read(queue, waiting, longest))
    assert error.field == field


def test_an_episode_shows_its_readings_from_the_one_that_opened_it_until_it_ends() -> None:
    queue = opened()
    read(queue, 3, 2.0, minutes(1))
    read(queue, 18, 12.0, minutes(2))
    surge = uuid4()
    queue.open_surge(stamp(minutes(2)), emergency_id=surge)
    read(queue, 22, 15.0, minutes(7))
    assert queue.surge_is_open
    assert queue.surge_emergency_id == surge
    assert [r.waiting for r in queue.episode_readings] == [18, 22]
    queue.end_surge(stamp(minutes(40)), emergency_id=surge)
    assert not queue.surge_is_open
    assert queue.episode_readings == []
    assert queue.latest_reading is not None
    assert queue.latest_reading.waiting == 22
    assert queue.surges == 1


def test_an_episode_keeps_only_its_latest_readings() -> None:
    queue = opened()
    read(queue, 20, 11.0)
    queue.open_surge(stamp(minutes(1)), emergency_id=uuid4())
    for n in range(EPISODE_READINGS_KEPT + 10):
        read(queue, 20 + n, 11.0, minutes(2 + n))
    assert len(queue.episode_readings) == EPISODE_READINGS_KEPT
    assert queue.episode_readings[-1].waiting == 20 + EPISODE_READINGS_KEPT + 9


def test_one_episode_at_a_time() -> None:
    queue = opened()
    queue.open_surge(stamp(), emergency_id=uuid4())
    refused(queue, AlreadyDoneError, lambda: queue.open_surge(stamp(minutes(1)), emergency_id=uuid4()))


def test_only_the_open_episode_can_end() -> None:
    queue = opened()
    refused(queue, StepOutOfOrderError, lambda: queue.end_surge(stamp(), emergency_id=uuid4()))
    queue.open_surge(stamp(), emergency_id=uuid4())
    refused(queue, StepOutOfOrderError, lambda: queue.end_surge(stamp(minutes(1)), emergency_id=uuid4()))


def test_a_queue_replays_to_the_same_state() -> None:
    queue = opened()
    read(queue, 20, 11.0)
    surge = uuid4()
    queue.open_surge(stamp(minutes(1)), emergency_id=surge)
    read(queue, 25, 13.0, minutes(3))
    again = replayed(queue)
    assert again.latest_reading == QueueReading(25, 13.0, T0 + minutes(3))
    assert again.surge_emergency_id == surge
    assert again.episode_readings == queue.episode_readings


def test_an_event_says_who_posted_it_and_when() -> None:
    queue = opened()
    read(queue, 5, 1.0, minutes(3))
    posted = queue.collect_events()[-1]
    assert posted.actor == LOBBY_MANAGER  # type: ignore[attr-defined]
    assert posted.occurred_at == T0 + minutes(3)  # type: ignore[attr-defined]


def test_the_reading_value_is_transcoded() -> None:
    assert QueueReading in VALUE_TYPES
