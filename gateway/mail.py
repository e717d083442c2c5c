"""Sending e-mail: an SMTP server named by ``HRGATE_SMTP_URL``, or ``.eml`` files in an outbox folder.

Transport only: a message goes out whole or one of three typed errors says why not, so the caller can
decide what to record and whether to try again.

- ``TransientMailError``: worth retrying (no connection, a timeout, a 4xx reply such as greylisting).
- ``PermanentMailError``: the server refused for good (5xx on connect, authentication, sender or data;
  STARTTLS missing; a certificate that does not verify).
- ``RecipientRejected`` (a ``PermanentMailError``): the recipient's address was refused (5xx at ``RCPT``):
  the message bounced.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from gateway.settings import Settings

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
_TRUE = {"1", "true", "yes", "on"}


class MailError(Exception):
    """The message was not sent; ``reason`` is fit to show to HR (the server's reply, never a password)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientMailError(MailError):
    """Try again later."""


class PermanentMailError(MailError):
    """Trying again will not help."""


class RecipientRejected(PermanentMailError):
    """The recipient's address was refused: the message bounced."""


class MailTransport(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand ``message`` over for delivery, or raise a ``MailError``."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None
    timeout_seconds: float

    @classmethod
    def from_url(cls, url: str, *, timeout_seconds: float) -> SmtpConfig:
        """``smtp://[user:password@]host[:port][?starttls=true]`` or ``smtps://…`` (TLS from the start)."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError("HRGATE_SMTP_URL must look like smtp://user:password@host:587?starttls=true or smtps://…")
        options = {key.lower(): values[-1] for key, values in parse_qs(parts.query).items()}
        return cls(
            host=parts.hostname,
            port=parts.port or DEFAULT_PORTS[scheme],
            implicit_tls=scheme == "smtps",
            starttls=scheme == "smtp" and options.get("starttls", "").lower() in _TRUE,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            timeout_seconds=float(options.get("timeout", timeout_seconds)),
        )


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode(errors="replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}".strip()


class SmtpTransport:
    """One SMTP session per message (standard library ``smtplib``), with a timeout on every step."""

    def __init__(self, config: SmtpConfig, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self.ssl_context = ssl_context or ssl.create_default_context()

    def send(self, message: EmailMessage) -> None:
        config = self.config
        try:
            if config.implicit_tls:
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    config.host, config.port, timeout=config.timeout_seconds, context=self.ssl_context
                )
            else:
                client = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
            with client:
                client.ehlo()
                if config.starttls:
                    client.starttls(context=self.ssl_context)
                    client.ehlo()
                if config.username:
                    client.login(config.username, config.password or "")
                client.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            text = _reply(code, reply)
            if 500 <= code < 600:
                raise RecipientRejected(f"recipient refused: {text}") from error
            raise TransientMailError(f"recipient deferred: {text}") from error
        except smtplib.SMTPNotSupportedError as error:
            raise PermanentMailError(f"the server does not support what was asked: {error}") from error
        except smtplib.SMTPResponseException as error:
            text = _reply(error.smtp_code, error.smtp_error)
            if 500 <= error.smtp_code < 600:
                raise PermanentMailError(f"server refused: {text}") from error
            raise TransientMailError(f"server deferred: {text}") from error
        except ssl.SSLCertVerificationError as error:
            raise PermanentMailError(f"the server's TLS certificate did not verify: {error.verify_message}") from error
        except (TimeoutError, smtplib.SMTPServerDisconnected, smtplib.SMTPException, OSError) as error:
            raise TransientMailError(f"could not reach the mail server: {type(error).__name__}: {error}") from error


_UNSAFE_FILE_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")


class OutboxTransport:
    """The embedded default: each message becomes ``<outbox>/<Message-ID>.eml`` (open it in any mail program).

    The file name comes from the message's ``Message-ID``, so writing the same message again replaces the
    file instead of adding a second one; the file appears whole (written aside, then renamed).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_for(self, message: EmailMessage) -> Path:
        message_id = str(message["Message-ID"] or "").strip("<>").split("@")[0]
        name = _UNSAFE_FILE_CHARACTERS.sub("-", message_id) or "message"
        return self.folder / f"{name}.eml"

    def send(self, message: EmailMessage) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.path_for(message)
            descriptor, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            with os.fdopen(descriptor, "wb") as file:
                file.write(message.as_bytes())
            os.replace(temporary, target)
        except OSError as error:
            raise TransientMailError(f"could not write to the outbox {self.folder}: {error}") from error


def build_transport(settings: Settings) -> MailTransport:
    """SMTP when ``HRGATE_SMTP_URL`` is set, else the outbox folder."""
    if settings.smtp_url:
        return SmtpTransport(SmtpConfig.from_url(settings.smtp_url, timeout_seconds=settings.smtp_timeout_seconds))
    return OutboxTransport(settings.resolved_mail_outbox_dir)
