"""A local SMTP server that delivers nowhere: every message it receives becomes a ``.eml`` file.

    python -m deploy.local.smtp_sink --host 127.0.0.1 --port 1025 --maildir var/mail

Files are named ``<UTC timestamp>-<uuid>.eml`` so they sort by arrival, and are written under a
hidden temporary name first, then renamed: a reader never sees half a message. The envelope
(which Bcc recipients exist only in) is kept as ``X-MailFrom`` / ``X-RcptTo`` header lines.
"""

from __future__ import annotations

import argparse
import os
import signal
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller


def save_message(maildir: Path, mail_from: str, rcpt_tos: list[str], content: bytes) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    path = maildir / f"{stamp}-{uuid.uuid4()}.eml"
    envelope = f"X-MailFrom: {mail_from}\r\nX-RcptTo: {', '.join(rcpt_tos)}\r\n"
    partial = maildir / f".{path.name}.partial"
    partial.write_bytes(envelope.encode() + content)
    os.replace(partial, path)
    return path


class _MaildirHandler:
    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        save_message(self.maildir, envelope.mail_from, list(envelope.rcpt_tos), content)
        return "250 Message accepted for delivery"


class SmtpSink:
    """The sink on ``host:port``, served from a background thread while started."""

    def __init__(self, maildir: Path, port: int, host: str = "127.0.0.1") -> None:
        self.maildir = Path(maildir)
        self.host = host
        self.port = port
        self._controller = Controller(
            _MaildirHandler(self.maildir), hostname=host, port=port, enable_SMTPUTF8=True
        )

    def messages(self) -> list[Path]:
        """The saved messages, oldest first."""
        return sorted(self.maildir.glob("*.eml"))

    def start(self) -> Self:
        self.maildir.mkdir(parents=True, exist_ok=True)
        self._controller.start()  # returns once the server answers its own test connection
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--maildir", type=Path, default=Path("var/mail"))
    args = parser.parse_args(argv)
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)  # the server thread inherits this
    with SmtpSink(args.maildir, args.port, args.host):
        print(f"SMTP sink on {args.host}:{args.port}, saving to {args.maildir}", flush=True)
        received = signal.sigwait(stop_signals)
        print(f"stopping on {signal.Signals(received).name}", flush=True)


if __name__ == "__main__":
    main()
