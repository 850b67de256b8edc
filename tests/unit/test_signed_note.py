"""Checkpoints signed and verified in the C2SP signed-note format."""

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from application.audit.signed_note import (
    Checkpoint,
    NoteError,
    open_checkpoint,
    open_note,
    sign_checkpoint,
    verifier_key,
)

# The example of c2sp.org/signed-note: a key and a note it signed.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    "\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
KEY = Ed25519PrivateKey.generate()
CHECKPOINT = Checkpoint("bank.example/incident-log", 20852163, bytes(range(32)))


def test_the_specs_example_note_verifies_with_its_key() -> None:
    assert open_note(SPEC_NOTE, SPEC_VKEY) == "This is an example message.\n"


def test_a_checkpoint_signed_here_opens_to_itself() -> None:
    note = sign_checkpoint(CHECKPOINT, KEY)
    assert note.startswith(
        "bank.example/incident-log\n20852163\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n\u2014 "
    )
    assert open_checkpoint(note, verifier_key(CHECKPOINT.origin, KEY.public_key())) == CHECKPOINT


def test_the_verifier_key_has_the_signed_note_shape() -> None:
    name, key_id, material = verifier_key(CHECKPOINT.origin, KEY.public_key()).split("+", 2)
    assert (name, len(key_id), len(material)) == (CHECKPOINT.origin, 8, 44)


@pytest.mark.parametrize(
    "forge",
    [
        lambda note: note.replace("20852163", "20852164"),
        lambda note: note.replace("AAEC", "AAED"),
        lambda note: note[:-10] + ("A" if note[-10] != "A" else "B") + note[-9:],
    ],
    ids=["size", "root", "signature"],
)
def test_a_changed_checkpoint_is_refused(forge: Callable[[str], str]) -> None:
    note = sign_checkpoint(CHECKPOINT, KEY)
    with pytest.raises(NoteError):
        open_checkpoint(forge(note), verifier_key(CHECKPOINT.origin, KEY.public_key()))


def test_a_note_signed_by_another_key_is_refused() -> None:
    other = Ed25519PrivateKey.generate()
    with pytest.raises(NoteError, match="no signature"):
        open_checkpoint(sign_checkpoint(CHECKPOINT, other), verifier_key(CHECKPOINT.origin, KEY.public_key()))


def test_a_verifier_key_whose_base64_holds_a_plus_still_opens_notes() -> None:
    key = next(
        k for k in iter(Ed25519PrivateKey.generate, None) if "+" in verifier_key("o", k.public_key())[11:]
    )
    assert open_checkpoint(
        sign_checkpoint(Checkpoint("o", 1, bytes(32)), key), verifier_key("o", key.public_key())
    )
