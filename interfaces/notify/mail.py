"""E-mail over SMTP: STARTTLS whenever the server offers it (or only with it, or never), then login.

The subject is the Chinese headline, the body the bilingual text; the delivery id is in the
`X-Incident-Delivery` header and the Message-ID, so a mail system (or a reader) sees a resend as
the same message. The answer on the record is the server's reply to the message's data.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any, Literal

from interfaces.notify.message import plain, title
from interfaces.notify.webhook import DEFAULT_TIMEOUT_SECONDS, DeliveryError

StartTLS = Literal["auto", "required", "off"]
STARTTLS_MODES: tuple[StartTLS, ...] = ("auto", "required", "off")


@dataclass(frozen=True)
class MailChannel:
    """Messages to `to` from `sender` through the SMTP server at `host:port`."""

    name: str
    host: str
    port: int
    sender: str
    to: tuple[str, ...]
    username: str | None = None
    password: str | None = None
    starttls: StartTLS = "auto"
    ca_file: Path | None = None  # the bank's own CA, if its SMTP server's certificate is signed by it
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    kind = "email"

    def message(self, delivery_id: str, message: Mapping[str, Any]) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = title(message)
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.to)
        mail["Date"] = formatdate(usegmt=True)
        domain = self.sender.rpartition("@")[2] or "incident.invalid"
        mail["Message-ID"] = f"<{delivery_id.replace(':', '.')}@{domain}>"
        mail["X-Incident-Delivery"] = delivery_id
        mail.set_content(plain(message, delivery_id))
        return mail

    def send(self, delivery_id: str, message: Mapping[str, Any]) -> str:
        mail = self.message(delivery_id, message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_seconds) as smtp:
                smtp.ehlo()
                if self.starttls != "off" and smtp.has_extn("starttls"):
                    context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
                    smtp.starttls(context=context)
                    smtp.ehlo()
                elif self.starttls == "required":
                    raise DeliveryError(
                        f"{self.host}:{self.port} does not offer STARTTLS (starttls = required)"
                    )
                if self.username is not None:
                    self._login(smtp, self.username, self.password or "")
                return self._transfer(smtp, mail)
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(f"{error.smtp_code} {_text(error.smtp_error)}") from error
        except smtplib.SMTPRecipientsRefused as error:
            refused = "; ".join(
                f"{who}: {code} {_text(why)}" for who, (code, why) in error.recipients.items()
            )
            raise DeliveryError(f"recipients refused: {refused}") from error
        except (smtplib.SMTPException, ssl.SSLError, OSError) as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from error

    def _login(self, smtp: smtplib.SMTP, username: str, password: str) -> None:
        # smtplib encodes credentials as ASCII; AUTH PLAIN is UTF-8 (RFC 4616), so a password in
        # Chinese works where the server offers it.
        if "plain" in smtp.esmtp_features.get("auth", "").lower().split():
            token = base64.b64encode(b"\0" + username.encode() + b"\0" + password.encode()).decode()
            code, answer = smtp.docmd("AUTH", f"PLAIN {token}")
            if code != 235:
                raise DeliveryError(f"{code} {_text(answer)} (AUTH as {username})")
            return
        smtp.login(username, password)

    def _transfer(self, smtp: smtplib.SMTP, mail: EmailMessage) -> str:
        code, answer = smtp.mail(self.sender)
        if code != 250:
            raise DeliveryError(f"{code} {_text(answer)} (MAIL FROM)")
        refused = []
        for recipient in self.to:
            code, answer = smtp.rcpt(recipient)
            if code not in (250, 251):
                refused.append(f"{recipient}: {code} {_text(answer)}")
        if len(refused) == len(self.to):
            smtp.rset()
            raise DeliveryError(f"recipients refused: {'; '.join(refused)}")
        code, answer = smtp.data(mail.as_bytes())
        if code != 250:
            raise DeliveryError(f"{code} {_text(answer)} (DATA)")
        taken = f"{code} {_text(answer)}"
        return f"{taken}; refused {'; '.join(refused)}" if refused else taken

    def shown(self) -> dict[str, Any]:
        return {
            "target": f"smtp://{self.host}:{self.port}",
            "starttls": self.starttls,
            "sender": self.sender,
            "to": list(self.to),
            "login": self.username is not None,
        }


def _text(answer: bytes | str) -> str:
    return answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
