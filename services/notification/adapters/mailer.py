"""SMTP adapter (stdlib smtplib in a thread: a real SMTP server, no extra dependency).

One connection is kept open and reused for every email: opening one per email (greeting,
EHLO, maybe STARTTLS and AUTH, QUIT) cost more than sending it (issue 6). A connection the
server has closed meanwhile (servers drop idle ones) is reopened once, for the same email.

A drained batch goes to the SMTP thread in one hop (:meth:`Mailer.send_many`): a thread hop
per email cost more CPU than the email's conversation. Each email's outcome is its own: one
refused email does not stop the others.

Messages are built with the stdlib's ``MIMEText`` (compat32 policy, RFC 2047 headers through
``email.header``): ``EmailMessage`` with the default policy (header registry, header parser,
content manager) cost 0.8 ms of CPU per email, more than sending it; ``MIMEText`` 0.14 ms.
A header value with a line break is refused before anything is sent (header injection).
An email with attachments (the printed forms, issue 13) is ``multipart/mixed``: the text,
then each file in base64; one without stays a single ``text/plain`` part, as before.
"""

from __future__ import annotations

import asyncio
import smtplib
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from email.charset import BASE64, Charset
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate, parseaddr

_UTF8 = Charset("utf-8")
_UTF8.body_encoding = BASE64  # Vietnamese text: base64 is shorter than quoted-printable
_WIRE = compat32.clone(linesep="\r\n")  # smtplib sends bytes as they are
# The server, not the email, is the problem: the rest of a batch would fail the same way.
_UNREACHABLE = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError,
                TimeoutError, socket.gaierror)


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str  # ASCII (``mau-01-<code>.pdf``)
    content: bytes
    content_type: str = "application/pdf"


@dataclass(frozen=True, slots=True)
class Email:
    message_id: str  # the Message-ID's local part: a retry carries the same one
    to: str
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = ()


class Mailer:
    def __init__(self, *, host: str, port: int, sender: str, username: str | None = None,
                 password: str | None = None, starttls: bool = False,
                 timeout_s: float = 10.0) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._timeout_s = timeout_s
        self._username, self._password, self._starttls = username, password, starttls
        self._smtp: smtplib.SMTP | None = None
        self._lock = threading.Lock()  # one SMTP conversation at a time on the connection
        name, self._envelope_from = parseaddr(sender)
        if not self._envelope_from or any(c in sender for c in "\r\n"):
            raise ValueError(f"not a sender address: {sender!r}")
        self._from = formataddr((name, self._envelope_from), charset="utf-8")

    async def send(self, *, message_id: str, to: str, subject: str, body: str,
                   attachments: Sequence[Attachment] = ()) -> None:
        """Send one email; raises what stopped it."""
        (error,) = await self.send_many([Email(message_id, to, subject, body,
                                               tuple(attachments))])
        if error is not None:
            raise error

    async def send_many(self, emails: Sequence[Email]) -> list[Exception | None]:
        """Send the emails in order, in one thread hop, on the kept connection. Per email, in
        the same order: None once the server has accepted it, else the exception that stopped
        it; one email's failure does not stop the next — unless the server cannot be reached
        at all: then the rest of the batch gets the same error without trying, so a server
        that hangs costs one timeout per batch, not one per email."""
        if not emails:
            return []
        return await asyncio.to_thread(self._send_all, list(emails))

    def close(self) -> None:
        with self._lock:
            self._disconnect()

    def _send_all(self, emails: list[Email]) -> list[Exception | None]:
        outcomes: list[Exception | None] = []
        with self._lock:
            for email in emails:
                try:
                    self._send(email)
                except _UNREACHABLE as error:
                    return outcomes + [error] * (len(emails) - len(outcomes))
                except Exception as error:
                    outcomes.append(error)
                else:
                    outcomes.append(None)
        return outcomes

    def _send(self, email: Email) -> None:
        message = self._as_bytes(email)
        while True:
            reused = self._smtp is not None
            try:
                self._connected().sendmail(self._envelope_from, [parseaddr(email.to)[1]],
                                           message)
                return
            except smtplib.SMTPServerDisconnected:
                self._disconnect()
                if not reused:  # a fresh connection failed too: the server is the problem
                    raise
                # the kept connection had been closed: once more, on a new one
            except Exception:
                self._disconnect()  # unknown state: the next email starts a fresh conversation
                raise

    def _as_bytes(self, email: Email) -> bytes:
        """The email as it goes on the wire; ValueError for a header that would inject one."""
        for name, value in (("To", email.to), ("Subject", email.subject),
                            ("Message-ID", email.message_id)):
            if "\r" in value or "\n" in value:
                raise ValueError(f"{name} must be one line: {value!r}")
        text = MIMEText(email.body, "plain", _UTF8)
        message: MIMEBase = text
        if email.attachments:  # multipart/mixed only when there is something to attach
            message = MIMEMultipart("mixed", _subparts=[text, *map(_part, email.attachments)])
        message["From"] = self._from
        message["To"] = formataddr(parseaddr(email.to), charset="utf-8")
        message["Subject"] = Header(email.subject, _UTF8, header_name="Subject")
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = f"<{email.message_id}@motcua.local>"
        return message.as_bytes(policy=_WIRE)

    def _connected(self) -> smtplib.SMTP:
        if self._smtp is None:
            smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout_s)
            try:
                if self._starttls:
                    smtp.starttls()
                if self._username:
                    smtp.login(self._username, self._password or "")
            except Exception:
                smtp.close()
                raise
            self._smtp = smtp
        return self._smtp

    def _disconnect(self) -> None:
        if self._smtp is not None:
            smtp, self._smtp = self._smtp, None
            try:
                smtp.quit()
            except Exception:  # already gone: closing the socket is all that is left
                smtp.close()



def _part(attachment: Attachment) -> MIMEApplication:
    """An attached file (base64), named in Content-Disposition; a name that would inject a
    header is refused like any header value."""
    if any(c in attachment.filename for c in "\r\n\"") or not attachment.filename.isascii():
        raise ValueError(f"not an attachment name: {attachment.filename!r}")
    maintype, subtype = attachment.content_type.split("/", 1)
    if maintype != "application":
        raise ValueError(f"only application/* is attached: {attachment.content_type}")
    part = MIMEApplication(attachment.content, subtype)
    part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
    return part
