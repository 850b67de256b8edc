"""The deployment's Ed25519 key that signs the log's checkpoints: a PEM file, made on first start."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


class SigningKeyError(RuntimeError):
    """The key file exists but holds no Ed25519 private key."""


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The key in `path` (PKCS#8 PEM); a new one written there, readable by its owner only, if absent."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            # O_EXCL: two processes starting together keep one key, the loser reads the winner's.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_or_create_signing_key(path)
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
        return key
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} holds no Ed25519 private key")
    return loaded
