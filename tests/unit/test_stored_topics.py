"""Stored topics are forever: this list changes only by adding, never by renaming or moving."""

from __future__ import annotations

from pathlib import Path

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from application.transcodings import domain_transcodings
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.thresholds import Thresholds

FROZEN = Path(__file__).with_name("stored_topics.txt")


def stored_topics() -> list[str]:
    """Every topic that reaches the store: aggregate and event classes, and transcoding names."""
    topics = {get_topic(Complaint), get_topic(Emergency), get_topic(Thresholds)}
    for kind in (Complaint, Emergency, Thresholds):
        for name, value in vars(kind).items():
            if (
                isinstance(value, type)
                and issubclass(value, Aggregate.Event)
                and name not in ("Event", "Created")
            ):
                topics.add(get_topic(value))
    topics |= {f"transcoding {t.name}" for t in domain_transcodings()}
    return sorted(topics)


def test_no_stored_topic_was_renamed_or_removed() -> None:
    frozen = FROZEN.read_text(encoding="utf-8").splitlines()
    current = stored_topics()
    missing = sorted(set(frozen) - set(current))
    assert not missing, (
        f"stored topics disappeared: {missing}. Events already in the log name them: keep the class, "
        "or register the old topic with eventsourcing.utils.register_topic(old, new_class)."
    )


def test_every_current_topic_is_in_the_frozen_list() -> None:
    added = sorted(set(stored_topics()) - set(FROZEN.read_text(encoding="utf-8").splitlines()))
    assert not added, f"new stored topics {added}: add them to {FROZEN.name} (adding is always safe)"
