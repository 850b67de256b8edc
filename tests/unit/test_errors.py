"""The error hierarchy: two families, stable codes, and the ids and fields they carry."""

import re
from uuid import uuid4

import pytest

from domain import errors
from domain.errors import DomainError, InvalidInputError, RuleBrokenError, StandDownRefusedError

ERROR_CLASSES = [
    value for value in vars(errors).values() if isinstance(value, type) and issubclass(value, DomainError)
]


def test_every_error_but_the_roots_belongs_to_exactly_one_family() -> None:
    for error_class in ERROR_CLASSES:
        if error_class in (DomainError, RuleBrokenError, InvalidInputError):
            continue
        assert issubclass(error_class, RuleBrokenError) != issubclass(error_class, InvalidInputError), (
            error_class
        )


def test_error_codes_are_unique_and_snake_case() -> None:
    codes = [error_class.code for error_class in ERROR_CLASSES]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", code), code


def test_every_error_class_is_drawn_in_the_module_docstring() -> None:
    assert errors.__doc__ is not None
    for error_class in ERROR_CLASSES:
        assert error_class.__name__ in errors.__doc__


@pytest.mark.parametrize("error_class", [c for c in ERROR_CLASSES if not issubclass(c, InvalidInputError)])
def test_an_error_carries_its_message_and_incident_id(error_class: type[DomainError]) -> None:
    incident_id = uuid4()
    if error_class is StandDownRefusedError:
        error: DomainError = StandDownRefusedError("open", open_actions=["call_119"], incident_id=incident_id)
    else:
        error = error_class("refused", incident_id=incident_id)
    assert error.incident_id == incident_id
    assert str(error) == error.message


def test_an_input_error_names_its_field() -> None:
    error = InvalidInputError("summary is required", field="summary")
    assert error.field == "summary"
    assert error.incident_id is None
    assert error.code == "invalid_input"
