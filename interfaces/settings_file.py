"""A settings file read for a person to fix: the organisation, thresholds and notifications files share it."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path


def settings_text(path: Path, refused: Callable[[Path, str], Exception]) -> str:
    """The file's text; `refused(path, problem)` is raised with what stopped it being read."""
    try:
        # utf-8-sig: files saved by Windows editors start with a byte-order mark that parsers refuse.
        return path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise refused(path, f"cannot be read ({error.strerror or error})") from error
    except UnicodeDecodeError as error:
        raise refused(path, f"is not UTF-8 text (byte {error.start})") from error


def settings_document(path: Path, refused: Callable[[Path, str], Exception]) -> object:
    """The file's document, TOML or JSON by its suffix; `refused(path, problem)` names what is wrong."""
    if path.suffix.lower() == ".json":
        return json_document(path, refused)
    text = settings_text(path, refused)
    if path.suffix.lower() != ".toml":
        raise refused(path, "must be a .toml or a .json file")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise refused(path, f"is not valid TOML: {error}") from error


def json_document(path: Path, refused: Callable[[Path, str], Exception]) -> object:
    """The file's JSON document; `refused(path, problem)` names the line and column it fails at."""
    text = settings_text(path, refused)
    try:
        document: object = json.loads(text)
    except json.JSONDecodeError as error:
        raise refused(
            path, f"is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from error
    return document
