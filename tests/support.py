"""Helpers for tests: a free TCP port, polling a condition with a deadline (never a sleep), a
real SMTP server that keeps what it receives, an ASGI app served over real HTTP, and whether
an answer is one the service's OpenAPI documents."""

from __future__ import annotations

import asyncio
import email
import email.policy
import functools
import inspect
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from email.message import EmailMessage
from typing import Any, TypeVar

import uvicorn
from aiosmtpd.controller import Controller

T = TypeVar("T")


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the system picks it, so parallel runs differ)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


async def wait_until(
    predicate: Callable[[], T | Awaitable[T]],
    timeout: float = 10.0,  # noqa: ASYNC109 - the deadline is the point of a polling helper
    interval: float = 0.05,
    description: str | None = None,
) -> T:
    """Poll ``predicate`` (sync or async) until it returns something truthy, and return that.

    Raises TimeoutError naming what was awaited and the last value seen after ``timeout`` s.
    """
    what = description or getattr(predicate, "__name__", repr(predicate))
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result  # type: ignore[return-value]
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: still false after {timeout:g} s (last value {result!r})")
        await asyncio.sleep(interval)


class RecordingSmtpServer:
    """An aiosmtpd handler that keeps what it receives and refuses recipients whose address
    starts with ``refuse`` (550), as a relay refuses an unknown mailbox."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], EmailMessage]] = []
        self.raw: list[bytes] = []

    @property
    def delivered(self) -> list[str]:
        """Every recipient of every email received, in order."""
        return [rcpt for _, rcpts, _ in self.received for rcpt in rcpts]

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: Any) -> str:
        if address.startswith("refuse"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content,
                                           policy=email.policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        self.raw.append(envelope.original_content)
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[RecordingSmtpServer, int]]:
    """A :class:`RecordingSmtpServer` listening on a free port: ``(handler, port)``."""
    handler, port = RecordingSmtpServer(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@asynccontextmanager
async def serve_http(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on a free port, in this event loop; yield its base URL.
    Real HTTP, so a client's timeouts and connection errors behave as they do in production."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off",
                                           log_level="warning", timeout_graceful_shutdown=2))
    task = asyncio.create_task(server.serve())
    try:
        await wait_until(lambda: server.started or task.done(), description="server started")
        if task.done():
            task.result()  # raises what stopped it
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def sandbox_served() -> AsyncIterator[str]:
    """The development gateways (payment, carrier, SMS) over real HTTP; a session fixture of
    the integration packages that talk to them (each test scripts its own references)."""
    from deploy.sandbox.app import create_app

    async with serve_http(create_app()) as url:
        yield url


@asynccontextmanager
async def migrated_pool(database_url: str, migrations: Any) -> AsyncIterator[Any]:
    """A pool on ``database_url`` after the shared migrations and a service's ``migrations``."""
    from shared.runtime.db import SHARED_MIGRATIONS, create_pool, migrate, migration_files

    await migrate(database_url, migration_files(SHARED_MIGRATIONS, migrations))
    pool = await create_pool(database_url)
    try:
        yield pool
    finally:
        await pool.close()


def pool_fixture(migrations: Any) -> Any:
    """A ``pool`` fixture for a service's integration package: a fresh database migrated with
    the shared migrations and the service's own (``SPEC.migrations``)."""
    import pytest

    @pytest.fixture
    async def pool(database_url: str) -> AsyncIterator[Any]:
        async with migrated_pool(database_url, migrations) as migrated:
            yield migrated

    return pool


class Clock:
    """The time a side-effect loop sees (``run_once(..., now=clock)``); tests move it
    instead of waiting. Starts now: after the rows it is to find due were inserted."""

    def __init__(self) -> None:
        from datetime import UTC, datetime

        self.now = datetime.now(UTC)

    def __call__(self) -> Any:
        return self.now


async def script(http: Any, kind: str, reference: str, answers: list[str]) -> None:
    """Tell a sandbox (``http`` is a client on its prefix, e.g. ``/payment``) how to answer
    the next calls about ``reference``; see deploy.sandbox.script."""
    (await http.put(f"/_sandbox/{kind}/{reference}", json={"answers": answers})
     ).raise_for_status()


async def calls(http: Any, kind: str, reference: str) -> list[str]:
    """The sandbox's answers so far to calls about ``reference``, one per call."""
    answers: list[str] = (await http.get(f"/_sandbox/{kind}/{reference}/calls")).json()
    return answers


class CuttableProxy:
    """A TCP forwarder to ``host:port`` that a test cuts and restores, as an outage of the
    server looks to its clients: while cut, open connections are dropped and every new one is
    closed as soon as it is accepted (``dropped`` counts those)."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._open: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.is_cut = False
        self.dropped = 0

    async def __aenter__(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def __aexit__(self, *exc: object) -> None:
        self.cut()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    def cut(self) -> None:
        self.is_cut = True
        for writer in list(self._open):
            writer.close()

    def restore(self) -> None:
        self.is_cut = False

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.is_cut:
            self.dropped += 1
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(*self._target)
        self._open.update((writer, up_writer))

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except OSError:
                pass
            finally:
                sink.close()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            self._open.difference_update((writer, up_writer))

def assert_documented(service: str, method: str, path: str, answer: Any) -> None:
    """``answer`` is one the service's OpenAPI says ``method path`` gives: its status is
    listed and a JSON body is valid against that status's schema, formats included. The API
    fuzzing (tests/hostile/test_openapi_fuzz.py) checks every route so; a service's own tests
    name the inputs it found."""
    import jsonschema

    document = openapi_document(service)
    responses = document["paths"][path][method.lower()]["responses"]
    assert str(answer.status_code) in responses, (path, answer.status_code, sorted(responses))
    content = responses[str(answer.status_code)].get("content", {})
    if (schema := content.get("application/json", {}).get("schema")) is not None:
        validator = jsonschema.Draft202012Validator
        jsonschema.validate(answer.json(), {**schema, "components": document["components"]},
                            cls=validator, format_checker=validator.FORMAT_CHECKER)


@functools.cache
def openapi_document(service: str) -> dict[str, Any]:
    from deploy.contracts import openapi

    return openapi(service)
