"""Personal data stored encrypted: AES-256-GCM per field, bound to its incident, under a named key.

Each value of a field the domain names personal (domain/personal.py), in an event or in a
snapshot, is stored as a sealed envelope `{"kid", "nonce", "ct"}`: the key's id, a fresh 96-bit
nonce and the AES-GCM ciphertext of the value's JSON. The associated data is the incident's id
and the field's name, so a ciphertext moved to another incident or field does not open. The rest
of the event stays in clear: the boards, the Merkle tree and the verifier read it without a key
(the leaf covers the stored bytes, ciphertext included).

Keys rotate by adding one: new values are sealed under the current key, old ones open under the
key they name, so every key that ever sealed must be kept (the log is append-only: nothing is
re-encrypted). A value whose key is not in the ring opens as `withheld(kid)`: the incident still
loads and shows that something is held back (deleting a key is how its data is destroyed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder, Transcoding

from domain.personal import PERSONAL_FIELDS, holds_personal_data

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # the GCM standard nonce; random, so each key seals far fewer than 2**32 values
SEALED_TOPIC = "personal:sealed-v1"


class PersonalDataError(RuntimeError):
    """A sealed value that does not open under the key it names: the stored bytes were altered."""


def withheld(kid: str) -> str:
    """What a value reads as when its key is not in the ring."""
    return f"<personal: key {kid} not held>"


@dataclass(frozen=True)
class Sealed:
    """One personal value as stored: the key's id, the nonce and the ciphertext (tag included)."""

    kid: str
    nonce: bytes
    ciphertext: bytes


@dataclass(frozen=True)
class KeyRing:
    """The deployment's personal-data keys by id, the one that seals now, and the fingerprint key."""

    current: str
    keys: Mapping[str, bytes]
    # Keys the fingerprints of commands (application/fingerprint.py): never rotated, so a retry is
    # recognised across a rotation, and a stored fingerprint cannot be matched against guesses.
    fingerprint_key: bytes

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise ValueError(f"the current personal-data key {self.current!r} is not in the ring")
        for kid, key in self.keys.items():
            if len(key) != KEY_BYTES:
                raise ValueError(f"personal-data key {kid!r} is {len(key)} bytes, not {KEY_BYTES}")
        if len(self.fingerprint_key) < KEY_BYTES:
            raise ValueError(f"the fingerprint key is shorter than {KEY_BYTES} bytes")

    @classmethod
    def generate(cls, kid: str = "k1") -> KeyRing:
        """A new ring of one fresh key."""
        return cls(current=kid, keys={kid: AESGCM.generate_key(256)}, fingerprint_key=os.urandom(KEY_BYTES))

    def rotated(self, kid: str) -> KeyRing:
        """This ring with a fresh key `kid` that seals from now on; the old keys still open."""
        if kid in self.keys:
            raise ValueError(f"the ring already holds a key {kid!r}")
        keys = {**self.keys, kid: AESGCM.generate_key(256)}
        return KeyRing(current=kid, keys=keys, fingerprint_key=self.fingerprint_key)

    def seal(self, plaintext: bytes, associated: bytes) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = AESGCM(self.keys[self.current]).encrypt(nonce, plaintext, associated)
        return Sealed(self.current, nonce, ciphertext)

    def open(self, sealed: Sealed, associated: bytes) -> bytes | None:
        """The plaintext; None if the ring lacks the key; PersonalDataError if it does not open."""
        key = self.keys.get(sealed.kid)
        if key is None:
            return None
        try:
            return AESGCM(key).decrypt(sealed.nonce, sealed.ciphertext, associated)
        except InvalidTag:
            raise PersonalDataError("a sealed personal value does not open") from None

    def keyed_digest(self, data: bytes) -> str:
        return hmac.new(self.fingerprint_key, data, hashlib.sha256).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """The ring as its key file holds it (base64 keys)."""
        return {
            "current": self.current,
            "keys": {kid: _b64(key) for kid, key in self.keys.items()},
            "fingerprint_key": _b64(self.fingerprint_key),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KeyRing:
        """The ring from its key file's JSON; ValueError naming what is wrong."""
        try:
            keys = {str(kid): _unb64(str(key)) for kid, key in dict(data["keys"]).items()}
            return cls(
                current=str(data["current"]), keys=keys, fingerprint_key=_unb64(str(data["fingerprint_key"]))
            )
        except KeyError as missing:
            raise ValueError(f"the personal-data key file has no {missing.args[0]!r}") from None
        except (TypeError, AttributeError, ValueError) as error:
            raise ValueError(f"the personal-data key file is not a key ring: {error}") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode(), validate=True)


class SealedAsDict(Transcoding):
    """A sealed value in the stored JSON: its key id and base64 nonce and ciphertext."""

    type = Sealed
    name = SEALED_TOPIC

    def encode(self, obj: Sealed) -> dict[str, str]:
        return {"kid": obj.kid, "nonce": _b64(obj.nonce), "ct": _b64(obj.ciphertext)}

    def decode(self, data: dict[str, str]) -> Sealed:
        return Sealed(data["kid"], _unb64(data["nonce"]), _unb64(data["ct"]))


def _associated(originator_id: UUID | str, field: str) -> bytes:
    return f"{originator_id}/{field}".encode()


class PersonalDataMapper(Mapper[UUID]):
    """The library's mapper, sealing personal fields on the way in and opening them on the way out.

    Without a ring (a tool that reads the log but holds no key) nothing is sealed and a sealed value
    reads as withheld: the product's own wiring always gives one (interfaces/personal_keys.py).
    """

    def __init__(self, transcoder: Transcoder, ring: KeyRing | None) -> None:
        super().__init__(transcoder)
        self.ring = ring

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        if self.ring is None:
            return super().to_stored_event(domain_event)
        state = vars(domain_event)
        sealed = self._sealed(state, domain_event.originator_id)
        if sealed is state:
            return super().to_stored_event(domain_event)
        copy = object.__new__(type(domain_event))
        object.__setattr__(copy, "__dict__", sealed)
        return super().to_stored_event(copy)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        event = super().to_domain_event(stored_event)
        state = vars(event)
        opened = self._opened(state, event.originator_id)
        if opened is not state:
            object.__setattr__(event, "__dict__", opened)
        return event

    def _sealed(self, state: dict[str, Any], originator_id: UUID) -> dict[str, Any]:
        ring = cast(KeyRing, self.ring)

        def seal(key: str, value: Any) -> Any:
            if key in PERSONAL_FIELDS and holds_personal_data(value) and not isinstance(value, Sealed):
                return ring.seal(self.transcoder.encode(value), _associated(originator_id, key))
            return KEEP

        return cast(dict[str, Any], _rewritten(state, seal))

    def _opened(self, state: dict[str, Any], originator_id: UUID) -> dict[str, Any]:
        def open_(key: str, value: Any) -> Any:
            return self._open(value, originator_id, key) if isinstance(value, Sealed) else KEEP

        return cast(dict[str, Any], _rewritten(state, open_))

    def _open(self, sealed: Sealed, originator_id: UUID, field: str) -> Any:
        try:
            plaintext = (
                None if self.ring is None else self.ring.open(sealed, _associated(originator_id, field))
            )
        except PersonalDataError:
            raise PersonalDataError(
                f"incident {originator_id}: its sealed {field} does not open under key {sealed.kid} "
                "(the stored bytes were altered, or moved from another incident or field)"
            ) from None
        if plaintext is None:
            return withheld(sealed.kid)
        return self.transcoder.decode(plaintext)


KEEP = object()  # what a rewrite answers for an entry it leaves as it is (and walks into)


def _rewritten(value: Any, rewrite: Callable[[str, Any], Any]) -> Any:
    """`value` with every dict entry that `rewrite(key, item)` replaces, at any depth (an event's state;
    a snapshot holds the incident's state as a nested dict). The same object when nothing changed, so
    most events are not copied."""
    if isinstance(value, dict):
        changed = {}
        for key, item in value.items():
            new = rewrite(str(key), item)
            if new is KEEP:
                new = _rewritten(item, rewrite)
            if new is not item:
                changed[key] = new
        return {**value, **changed} if changed else value
    if isinstance(value, list):
        items = [_rewritten(item, rewrite) for item in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    return value
