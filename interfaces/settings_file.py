"""A settings file's text, read for a person to fix: the organisation and the thresholds files share it."""

from __future__ import annotations

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
