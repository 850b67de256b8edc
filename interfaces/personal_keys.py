"""The deployment's personal-data key ring: a JSON file, made on first start, rotated by adding a key.

Every server and the projector of one deployment must read the same file (they seal and open each
other's events). Keep it apart from the database's backups: a stolen backup without it holds only
ciphertext. Losing it loses the personal data, not the log: the log still verifies and loads.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from application.personal_data import KeyRing


class PersonalKeysError(RuntimeError):
    """The key file exists but holds no key ring (the message says what is wrong)."""


def load_or_create_key_ring(path: Path) -> KeyRing:
    """The ring in `path`; a new one written there, readable by its owner only, if absent."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        ring = KeyRing.generate(_new_kid())
        try:
            # O_EXCL: two processes starting together keep one ring, the loser reads the winner's.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_or_create_key_ring(path)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(ring.to_json(), file, indent=2)
        return ring
    return load_key_ring(path)


def load_key_ring(path: Path) -> KeyRing:
    """The ring in `path`; PersonalKeysError naming the file and the fault."""
    try:
        return KeyRing.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as error:
        raise PersonalKeysError(f"{path}: {error}") from None


def rotate_key_ring(path: Path, kid: str | None = None) -> KeyRing:
    """Add a fresh key to the ring in `path` and make it the one that seals; the old keys stay.

    Written to a temporary file and renamed over the old one, so a crash leaves one whole ring.
    Servers read the ring at start: restart them (all of them) to seal under the new key.
    """
    ring = load_key_ring(path).rotated(kid or _new_kid())
    temporary = path.with_name(path.name + ".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump(ring.to_json(), file, indent=2)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    return ring


def _new_kid() -> str:
    # A key's id says when it was made: an operator can tell the keys of a ring apart.
    return datetime.now(UTC).strftime("k%Y%m%dT%H%M%S")
