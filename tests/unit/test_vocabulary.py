"""Every code a screen prints has its words: commands, events, fields, error codes."""

from __future__ import annotations

import dataclasses

import pytest
from eventsourcing.domain import Aggregate

import application.errors
import domain.errors
from domain.commands import commands_of
from domain.complaint import Complaint
from domain.emergency import Emergency
from domain.plain import EVENT_ENVELOPE
from domain.vocabulary import COMMANDS, ERRORS, EVENTS, FIELD_VALUES, FIELDS

KINDS = (Complaint, Emergency)
NEVER_TRIGGERED = {"Event", "Created"}


def _events(kind: type[Aggregate]) -> list[type[Aggregate.Event]]:
    return [
        value
        for klass in kind.__mro__
        for name, value in vars(klass).items()
        if isinstance(value, type) and issubclass(value, Aggregate.Event) and name not in NEVER_TRIGGERED
    ]


def _error_codes() -> set[str]:
    found: set[str] = set()
    for module in (domain.errors, application.errors):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, domain.errors.DomainError):
                found.add(value.code)
    return found - {"domain_error"}


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_every_command_a_person_may_send_and_each_of_its_fields_has_words(kind: type[Aggregate]) -> None:
    for name, declared in commands_of(kind).items():
        if declared.system:
            continue
        assert name in COMMANDS, name
        missing = [field for field in declared.parameters if field not in FIELDS]
        assert missing == [], f"{name}: {missing}"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_every_event_and_each_field_of_its_data_has_words(kind: type[Aggregate]) -> None:
    for event in _events(kind):
        assert event.__name__ in EVENTS, event.__qualname__
        fields = [f.name for f in dataclasses.fields(event)] if dataclasses.is_dataclass(event) else []
        fields += [name for klass in event.__mro__ for name in getattr(klass, "__annotations__", {})]
        missing = sorted(
            {f for f in fields if f not in FIELDS and f not in EVENT_ENVELOPE} - {"originator_id_type"}
        )
        assert missing == [], f"{event.__qualname__}: {missing}"


def test_every_error_code_has_words() -> None:
    assert sorted(_error_codes() - set(ERRORS)) == []


def test_every_word_has_both_languages_and_every_value_field_is_a_field() -> None:
    for table in (COMMANDS, EVENTS, FIELDS, ERRORS):
        assert all(zh and en and zh != en for zh, en in table.values())
    assert set(FIELD_VALUES) - set(FIELDS) <= {"position", "role"}  # parts of an actor, not fields
