"""Stored topics are forever: the list in stored_topics.txt changes only by adding, never by renaming or moving."""

from __future__ import annotations

from .topics import FROZEN, frozen_topics, stored_topics


def test_no_stored_topic_was_renamed_or_removed() -> None:
    missing = sorted(set(frozen_topics()) - set(stored_topics()))
    assert not missing, (
        f"stored topics disappeared: {missing}. Events already in the log name them: keep the class, "
        "or register the old topic with eventsourcing.utils.register_topic(old, new_class)."
    )


def test_every_current_topic_is_in_the_frozen_list() -> None:
    added = sorted(set(stored_topics()) - set(frozen_topics()))
    assert not added, f"new stored topics {added}: add them to {FROZEN.name} (adding is always safe)"
