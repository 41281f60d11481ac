"""SMTP for the mail sender: one connection per batch, a timeout on the connect and on every
read and write, and each failure told apart: the server is unreachable or broke off (try the
whole batch later), it refused this mail for now (4xx: retry it), or for good (5xx: dead)."""

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import Message
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    timeout: float
    use_tls: bool = False
    use_ssl: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def of(cls, config: Any) -> "SmtpSettings":
        return cls(
            host=config["MAIL_SERVER"],
            port=int(config["MAIL_PORT"]),
            timeout=float(config["MAIL_TIMEOUT"]),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            use_ssl=bool(config.get("MAIL_USE_SSL")),
            username=config.get("MAIL_USERNAME"),
            password=config.get("MAIL_PASSWORD"),
        )


class SendError(Exception):
    """A mail was not accepted. *connection*: the conversation is over (the rest of the batch
    waits too); *permanent*: the server refused this mail for good."""

    def __init__(self, reply: str, *, permanent: bool = False, connection: bool = False) -> None:
        super().__init__(reply)
        self.reply = reply
        self.permanent = permanent
        self.connection = connection


class SmtpConnection:
    """`with SmtpConnection(settings) as smtp: smtp.send(message)`; raises SendError."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> "SmtpConnection":
        s = self.settings
        try:
            if s.use_ssl:
                context = ssl.create_default_context()
                self.smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
            else:
                self.smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.use_tls:
                self.smtp.starttls(context=ssl.create_default_context())
            if s.username:
                self.smtp.login(s.username, s.password or "")
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise SendError(describe(error), connection=True) from error
        return self

    def send(self, message: Message, recipient: str) -> None:
        assert self.smtp is not None
        try:
            self.smtp.send_message(message, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise SendError(f"{code} {decode(reply)}", permanent=code >= 500) from error
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            reply = f"{error.smtp_code} {decode(error.smtp_error)}"
            raise SendError(reply, permanent=error.smtp_code >= 500) from error
        except (smtplib.SMTPException, OSError) as error:  # disconnected, timed out
            raise SendError(describe(error), connection=True) from error

    def close(self) -> None:
        if self.smtp is None:
            return
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            self.smtp.close()
        self.smtp = None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def describe(error: BaseException) -> str:
    """A short, address-free account of a connection failure."""
    if isinstance(error, socket.timeout | TimeoutError) or "timed out" in str(error):
        return "SMTP server timed out"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {decode(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"[:300]
