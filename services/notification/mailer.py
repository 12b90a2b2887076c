"""SMTP adapter (stdlib smtplib in a thread: a real SMTP server, no extra dependency).

One connection is kept open and reused for every email: opening one per email (greeting,
EHLO, maybe STARTTLS and AUTH, QUIT) cost more than sending it (issue 6). A connection the
server has closed meanwhile (servers drop idle ones) is reopened once, for the same email.

A drained batch goes to the SMTP thread in one hop (:meth:`Mailer.send_many`): a thread hop
per email cost more CPU than the email's conversation. Each email's outcome is its own: one
refused email does not stop the others.

The usual email (a plain address, a one-line subject) is written straight to bytes: building
it as an ``EmailMessage`` with the default policy (header registry, header parser, content
manager) cost more CPU than sending it. The bytes are those a MIME parser expects (RFC 2047
subject, base64 UTF-8 body); anything unusual goes through ``EmailMessage`` as before.
"""

from __future__ import annotations

import asyncio
import base64
import re
import smtplib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

# What the direct path accepts; anything else (a display name, a non-ASCII address, a line
# break that would inject a header) is left to EmailMessage, which encodes or refuses it.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\Z")
_PLAIN_ID = re.compile(r"[A-Za-z0-9.-]+\Z")
_MIME_TEXT = (b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"utf-8\"\r\n"
              b"Content-Transfer-Encoding: base64\r\n\r\n")


@dataclass(frozen=True, slots=True)
class Email:
    message_id: str  # the Message-ID's local part: a retry carries the same one
    to: str
    subject: str
    body: str


class Mailer:
    def __init__(self, *, host: str, port: int, sender: str, username: str | None = None,
                 password: str | None = None, starttls: bool = False) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password, self._starttls = username, password, starttls
        self._smtp: smtplib.SMTP | None = None
        self._lock = threading.Lock()  # one SMTP conversation at a time on the connection
        self._from_line, self._envelope_from = _sender_header(sender)

    async def send(self, *, message_id: str, to: str, subject: str, body: str) -> None:
        """Send one email; raises what stopped it."""
        (error,) = await self.send_many([Email(message_id, to, subject, body)])
        if error is not None:
            raise error

    async def send_many(self, emails: Sequence[Email]) -> list[Exception | None]:
        """Send the emails in order, in one thread hop, on the kept connection. Per email, in
        the same order: None once the server has accepted it, else the exception that stopped
        it; one email's failure does not stop the next."""
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
                except Exception as error:
                    outcomes.append(error)
                else:
                    outcomes.append(None)
        return outcomes

    def _send(self, email: Email) -> None:
        message = self._as_bytes(email) or self._as_message(email)
        while True:
            reused = self._smtp is not None
            try:
                smtp = self._connected()
                if isinstance(message, bytes):
                    smtp.sendmail(self._envelope_from, [email.to], message)
                else:
                    smtp.send_message(message)
                return
            except smtplib.SMTPServerDisconnected:
                self._disconnect()
                if not reused:  # a fresh connection failed too: the server is the problem
                    raise
                # the kept connection had been closed: once more, on a new one
            except Exception:
                self._disconnect()  # unknown state: the next email starts a fresh conversation
                raise

    def _as_bytes(self, email: Email) -> bytes | None:
        """The email as it goes on the wire, or None when it needs EmailMessage."""
        subject = email.subject
        if (self._from_line is None or not _PLAIN_ADDRESS.match(email.to)
                or not _PLAIN_ID.match(email.message_id) or "\r" in subject or "\n" in subject):
            return None
        folded = (Header(subject, header_name="Subject") if subject.isascii()
                  else Header(subject, "utf-8", header_name="Subject")).encode(linesep="\r\n")
        # Line breaks as EmailMessage's default policy writes them, so the decoded text is
        # what it always was.
        body = b"\n".join(email.body.encode("utf-8").splitlines()) + b"\n"
        return b"".join((
            self._from_line,
            b"To: ", email.to.encode("ascii"),
            b"\r\nSubject: ", folded.encode("ascii"),
            b"\r\nDate: ", formatdate(localtime=False).encode("ascii"),
            b"\r\nMessage-ID: <", email.message_id.encode("ascii"), b"@motcua.local>\r\n",
            _MIME_TEXT,
            base64.encodebytes(body).replace(b"\n", b"\r\n"),
        ))

    def _as_message(self, email: Email) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = f"<{email.message_id}@motcua.local>"
        message.set_content(email.body, charset="utf-8")
        return message

    def _connected(self) -> smtplib.SMTP:
        if self._smtp is None:
            smtp = smtplib.SMTP(self._host, self._port, timeout=10)
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


def _sender_header(sender: str) -> tuple[bytes | None, str]:
    """The From line as EmailMessage writes it, and the envelope sender; (None, "") when the
    sender is not one plain ASCII address, which leaves every email to EmailMessage."""
    try:
        header = EmailMessage()
        header["From"] = sender
        (address,) = header["From"].addresses
        line = SMTP.fold_binary("From", header["From"])
    except Exception:
        return None, ""
    if not _PLAIN_ADDRESS.match(address.addr_spec):
        return None, ""
    return line, address.addr_spec
