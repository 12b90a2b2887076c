"""SMTP adapter (stdlib smtplib in a thread: a real SMTP server, no extra dependency).

One connection is kept open and reused for every email: opening one per email (greeting,
EHLO, maybe STARTTLS and AUTH, QUIT) cost more than sending it (issue 6). A connection the
server has closed meanwhile (servers drop idle ones) is reopened once, for the same email.
"""

from __future__ import annotations

import asyncio
import smtplib
import threading
from email.message import EmailMessage
from email.utils import formatdate


class Mailer:
    def __init__(self, *, host: str, port: int, sender: str, username: str | None = None,
                 password: str | None = None, starttls: bool = False) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password, self._starttls = username, password, starttls
        self._smtp: smtplib.SMTP | None = None
        self._lock = threading.Lock()  # one SMTP conversation at a time on the connection

    async def send(self, *, message_id: str, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = f"<{message_id}@motcua.local>"
        message.set_content(body, charset="utf-8")
        await asyncio.to_thread(self._send, message)

    def close(self) -> None:
        with self._lock:
            self._disconnect()

    def _send(self, message: EmailMessage) -> None:
        with self._lock:
            reused = self._smtp is not None
            try:
                self._connected().send_message(message)
                return
            except smtplib.SMTPServerDisconnected:
                self._disconnect()
                if not reused:
                    raise
            except Exception:
                self._disconnect()  # unknown state: the next email starts a fresh conversation
                raise
            self._connected().send_message(message)  # the kept connection had been closed

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
