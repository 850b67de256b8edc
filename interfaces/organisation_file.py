"""Reads the bank's organisation tree from a JSON file: `{"units": [{"code", "kind", ...}, ...]}`."""

from __future__ import annotations

from pathlib import Path

from domain.organisation import Organisation, OrganisationError, Unit, UnitKind
from interfaces.settings_file import json_document

# Beside this module, not the working directory: the server, the CLI and the tests start from anywhere.
DEMO_ORGANISATION_PATH = Path(__file__).resolve().parent / "data" / "demo_organisation.json"

_TEXT_KEYS = ("code", "kind", "name_zh", "name_en")
_KINDS = ", ".join(kind.value for kind in UnitKind)


class OrganisationFileError(ValueError):
    """The organisation file cannot be read or does not describe a valid tree; the message says where."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def load_organisation(path: Path) -> Organisation:
    """The organisation described by the JSON file at `path`; raises OrganisationFileError if malformed."""
    document = json_document(path, OrganisationFileError)
    units = [_unit(path, index, entry) for index, entry in enumerate(_entries(path, document))]
    try:
        return Organisation(units)
    except OrganisationError as error:
        raise OrganisationFileError(path, error.message) from error


def _entries(path: Path, document: object) -> list[object]:
    if not isinstance(document, dict) or "units" not in document:
        raise OrganisationFileError(path, 'must be a JSON object with a "units" list')
    entries = document["units"]
    if not isinstance(entries, list):
        raise OrganisationFileError(path, f'"units" must be a list, not {_json_type(entries)}')
    return entries


def _unit(path: Path, index: int, entry: object) -> Unit:
    if not isinstance(entry, dict):
        raise OrganisationFileError(path, f"units[{index}] must be an object, not {_json_type(entry)}")
    code = entry.get("code")
    # Name the unit by its code when it has a usable one: that is what whoever edits the file searches for.
    where = f"units[{index}] ({code})" if isinstance(code, str) else f"units[{index}]"
    for key in (*_TEXT_KEYS, "parent"):
        if key not in entry:
            raise OrganisationFileError(path, f'{where} has no "{key}"')
    for key in _TEXT_KEYS:
        if not isinstance(entry[key], str):
            raise OrganisationFileError(
                path, f'{where} "{key}" must be a string, not {_json_type(entry[key])}'
            )
    parent = entry["parent"]
    if parent is not None and not isinstance(parent, str):
        raise OrganisationFileError(
            path, f'{where} "parent" must be a unit code or null, not {_json_type(parent)}'
        )
    try:
        kind = UnitKind(entry["kind"])
    except ValueError:
        raise OrganisationFileError(
            path, f'{where} has unknown kind "{entry["kind"]}" (expected one of {_KINDS})'
        ) from None
    return Unit(
        code=entry["code"], kind=kind, name_zh=entry["name_zh"], name_en=entry["name_en"], parent=parent
    )


def _json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for messages written for whoever edits the file."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"
