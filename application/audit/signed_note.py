"""Checkpoints as C2SP signed notes (c2sp.org/signed-note, c2sp.org/tlog-checkpoint), Ed25519 only.

A checkpoint's text is three lines, the origin, the tree size in decimal and the base64 root hash,
each ending in a newline; then a blank line and one signature line per key:
"— <key name> base64(key id ‖ Ed25519 signature of the text)". The key id is the first 4 bytes
of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key), and the verifier key an auditor keeps is
"<key name>+hex(key id)+base64(0x01 ‖ public key)". The key name is the origin, as the spec advises.
"""

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = b"\x01"
SIGNATURE_PREFIX = "\u2014 "  # em dash, space


class NoteError(ValueError):
    """A note that is malformed, or carries no valid signature by the expected key."""


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head: the log's origin, its size and the root hash at that size."""

    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        """The note text the signature covers."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte key id signed-note recommends for an Ed25519 key."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public_key.public_bytes_raw()).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The public key in signed-note's vkey text: name+hex(id)+base64(0x01 ‖ key)."""
    material = base64.b64encode(ED25519 + public_key.public_bytes_raw()).decode()
    return f"{name}+{key_id(name, public_key).hex()}+{material}"


def sign_checkpoint(checkpoint: Checkpoint, private_key: Ed25519PrivateKey) -> str:
    """The checkpoint as a signed note, signed under its origin as key name."""
    text = checkpoint.text()
    signature = key_id(checkpoint.origin, private_key.public_key()) + private_key.sign(text.encode())
    return f"{text}\n{SIGNATURE_PREFIX}{checkpoint.origin} {base64.b64encode(signature).decode()}\n"


def open_note(note: str, vkey: str) -> str:
    """The text of `note` once a signature by `vkey` verifies on it; NoteError otherwise."""
    name, public_key, wanted_id = _parse_vkey(vkey)
    if any(ord(c) < 0x20 and c != "\n" for c in note) or not note.endswith("\n"):
        raise NoteError("a note is newline-terminated text without control characters")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("a note has no blank line before its signatures")
    text, lines = note[: split + 1], note[split + 2 :].splitlines()
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX) or line.count(" ") != 2:
            raise NoteError(f"not a signature line: {line!r}")
        signer, encoded = line[len(SIGNATURE_PREFIX) :].split(" ")
        signature = _b64(encoded)
        if signer != name or signature[:4] != wanted_id:
            continue  # an unknown key's signature is ignored, as the spec requires
        try:
            public_key.verify(signature[4:], text.encode())
        except InvalidSignature:
            raise NoteError(f"the signature by {name} does not verify") from None
        return text
    raise NoteError(f"the note carries no signature by {name}")


def open_checkpoint(note: str, vkey: str) -> Checkpoint:
    """The checkpoint a signed note commits to, verified against `vkey`."""
    lines = open_note(note, vkey).split("\n")[:-1]
    if len(lines) < 3 or not lines[1].isdigit() or (lines[1] != "0" and lines[1].startswith("0")):
        raise NoteError("a checkpoint's text is its origin, its size and its root hash")
    root = _b64(lines[2])
    if len(root) != 32:
        raise NoteError("a checkpoint's root hash is 32 bytes")
    return Checkpoint(lines[0], int(lines[1]), root)


def _parse_vkey(vkey: str) -> tuple[str, Ed25519PublicKey, bytes]:
    parts = vkey.strip().split("+", 2)  # the base64 key may itself hold a plus
    if len(parts) != 3:
        raise NoteError("a verifier key is name+keyid+key")
    name, hex_id, encoded = parts
    material = _b64(encoded)
    if material[:1] != ED25519 or len(material) != 33:
        raise NoteError("only Ed25519 verifier keys are known here")
    public_key = Ed25519PublicKey.from_public_bytes(material[1:])
    if key_id(name, public_key).hex() != hex_id:
        raise NoteError("the verifier key's id does not match its name and key")
    return name, public_key, bytes.fromhex(hex_id)


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise NoteError(f"not base64: {text!r}") from None
