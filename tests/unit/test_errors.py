"""The error hierarchy: two families, stable codes, and the ids and fields they carry."""

import importlib
import pkgutil
import re
from types import ModuleType
from uuid import uuid4

import pytest

import application
import domain
from application import errors as application_errors
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


def errors_defined_in(package: ModuleType) -> list[type[Exception]]:
    """Every exception class a module of `package` defines."""
    found: list[type[Exception]] = []
    for module_info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        module = importlib.import_module(module_info.name)
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, Exception)
            and value.__module__ == module.__name__
        ]
    return found


@pytest.mark.parametrize(("package", "drawing"), [(domain, errors), (application, application_errors)])
def test_every_error_a_layer_defines_is_drawn_in_its_errors_module(
    package: ModuleType, drawing: ModuleType
) -> None:
    assert drawing.__doc__ is not None
    missing = [
        e.__name__ for e in errors_defined_in(package) if not re.search(rf"\b{e.__name__}\b", drawing.__doc__)
    ]
    assert not missing, f"not drawn in {drawing.__name__}: {missing}"


def test_every_refusal_of_both_layers_has_its_own_stable_code() -> None:
    refusals = [
        e for e in errors_defined_in(domain) + errors_defined_in(application) if issubclass(e, DomainError)
    ]
    codes = [e.code for e in refusals]
    assert len(codes) == len(set(codes)), codes
    for code in codes:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", code), code
