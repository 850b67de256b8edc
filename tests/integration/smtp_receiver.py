"""A real SMTP server on loopback (aiosmtpd) for the e-mail channel: STARTTLS with its own CA, login."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.server import free_port

USER, PASSWORD = "incident", "smtp-口令"


@dataclass
class Mailbox:
    """What the server received, and how: each message with whether it came over TLS and who logged in."""

    host: str
    port: int
    ca_file: Path
    messages: list[EmailMessage] = field(default_factory=list)
    tls: list[bool] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    refuse: bool = False  # answer DATA with 554


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA): the client trusts it by `ca_file`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp.crt", folder / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802, ARG002 (aiosmtpd's)
        if self.box.refuse:
            return "554 5.7.1 refused on demand"
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.box.messages.append(message)
        self.box.tls.append(session.ssl is not None)
        return "250 2.0.0 queued as T1"


def _authenticator(box: Mailbox) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:  # noqa: ARG001
        if isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        ):
            box.logins.append(USER)
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    return check


def _serve(tmp_path: Path, starttls: bool) -> Iterator[Mailbox]:
    cert, key = _certificate(tmp_path)
    box = Mailbox("127.0.0.1", free_port(), cert)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    options: dict[str, Any] = {"authenticator": _authenticator(box), "auth_require_tls": True}
    if starttls:
        options["tls_context"] = context
    controller = Controller(_Handler(box), hostname=box.host, port=box.port, **options)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[Mailbox]:
    """An SMTP server offering STARTTLS and, over TLS only, login."""
    yield from _serve(tmp_path, starttls=True)


@pytest.fixture
def plain_smtp_server(tmp_path: Path) -> Iterator[Mailbox]:
    """An SMTP server that offers no STARTTLS (and so no login)."""
    yield from _serve(tmp_path, starttls=False)
