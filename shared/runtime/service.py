"""What every service's composition root assembles: pool, broker, relay, consumers, HTTP.

A service declares its parts in a :class:`ServiceSpec`; :func:`run` reads nothing but the
settings it is given, and connects nothing at import time. Start-up order: database and
migrations, topics, broker and consumers, relay, then HTTP. Shutdown (SIGTERM/SIGINT)
reverses it: HTTP stops taking requests, consumers drain, the relay stops, the pool closes.
The database connections: see :mod:`shared.runtime.db` (pooled for transactions, direct for
the relay's lease and the LISTEN wake-ups).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import structlog
import uvicorn
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.contracts.events import Event
from shared.contracts.topics import system_topics
from shared.runtime.broker import (
    make_broker,
    make_relay_producer,
    producer_publisher,
    provision_topics,
    start_subscribers_together,
)
from shared.runtime.consumer import Consumer, Subscription
from shared.runtime.db import (
    SHARED_MIGRATIONS,
    Notifications,
    create_pool,
    direct_session,
    ensure_database,
    migrate,
    migration_files,
)
from shared.runtime.dispatch import EventDispatch, Handler
from shared.runtime.effects import Effect, run_effects
from shared.runtime.logging import configure_logging
from shared.runtime.metrics import HttpMetrics, watch_outbox
from shared.runtime.outbox import BrokerIncarnation, OutboxRelay, Transactions
from shared.runtime.settings import ServiceSettings
from shared.runtime.telemetry import configure_tracing, instrument_app

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Platform:
    """What the runtime hands a service's composition root: its settings, its database pool,
    the broker, and its way into a unit of work (with the service's producer name bound)."""

    settings: Any
    pool: asyncpg.Pool
    broker: KafkaBroker
    transactions: Transactions


Assemble = Callable[[Platform], AbstractAsyncContextManager[Any]]
"""A composition root: builds the service's typed, frozen dependencies, holding any client
it opens (an HTTP client, a mailer) for the life of the service."""


@dataclass(frozen=True)
class ServiceSpec:
    """A service as data: what it subscribes to, serves and runs, given its dependencies.

    ``subscriptions`` is the table topic -> event type -> handler; ``consumers`` adds
    subscriptions with batch hooks of their own (intake's portal ingress).
    ``subscriptions``, ``consumers``, ``background`` jobs and the HTTP routes all receive the one
    dependencies object ``assemble`` built (routes through the service's own typed
    dependency on :func:`deps_of`). ``errors`` maps each domain exception to its HTTP status,
    once for the whole app: the response's ``detail`` is the exception's ``detail`` attribute
    (a list of reasons, say) or else its message; an exception's ``fields`` mapping, if it
    has one, adds to the body, and its ``headers`` to the response (a 401's challenge)."""

    name: str
    title: str
    migrations: Path
    assemble: Assemble
    subscriptions: Callable[[Any], Mapping[str, Mapping[type[Event], Handler]]] = (
        lambda deps: {})
    consumers: Callable[[Any], Sequence[Subscription[Any]]] = lambda deps: ()
    routers: Sequence[APIRouter] = ()
    background: Sequence[Callable[[Any], Awaitable[None]]] = ()
    effects: Callable[[Any], Sequence[Effect]] = lambda deps: ()
    """The side effects the service sends out, run by the shared loop (shared.runtime.effects)."""
    errors: Mapping[type[Exception], int] = field(default_factory=dict)
    max_body_bytes: int = 64 * 1024
    """The request body limit of every route (413 beyond it, counted as it arrives, never
    read whole first); a route that takes more says so with FastAPI's ``max_body_size``."""
    description: str = ""
    topics: Callable[[Any], list[str]] | None = None
    notices: Callable[[Any], Sequence[str]] = lambda deps: ()
    """Lines ``/readyz`` adds under ``notices``: what operators should know that is not a
    failure (a holiday period ahead without a confirmed announcement, say)."""


def subscriptions_of(spec: ServiceSpec, platform: Platform, deps: Any) -> list[Subscription[Any]]:
    """The service's consumers: one group for all its event topics (see EventDispatch), named
    after the service, and the subscriptions it declares with hooks of its own."""
    routes = spec.subscriptions(deps)
    events = ([Subscription(spec.name, EventDispatch(spec.name, routes, platform.transactions),
                            alone_concurrency=platform.settings.consumer_alone_concurrency)]
              if routes else [])
    return [*events, *spec.consumers(deps)]


def default_topics(settings: Any) -> list[str]:
    """Every topic of the system: any service may be the first to start."""
    from shared.reference.catalog import load_catalog

    departments = {code for v in load_catalog().versions for code in v.department_codes}
    return system_topics(sorted(departments))


def build_app(spec: ServiceSpec, settings: ServiceSettings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Session-scoped work goes straight to PostgreSQL (the migrations, the relay's lease,
        # the LISTEN connection); the pool, maybe through PgBouncer in transaction mode,
        # carries transactions only (shared.runtime.db, docs/deploy.md).
        direct = settings.service_database_direct_url
        await ensure_database(direct)
        await migrate(direct, migration_files(SHARED_MIGRATIONS, spec.migrations))
        pool = await create_pool(settings.service_database_url, **settings.pool_options)
        notifications = Notifications(direct_session(direct, f"{spec.name}-listen"))
        broker = make_broker(settings)
        platform = Platform(settings=settings, pool=pool, broker=broker,
                            transactions=Transactions(pool, spec.name, notifications))
        app.state.platform = platform
        await provision_topics(settings, (spec.topics or default_topics)(settings))
        assembled = spec.assemble(platform)
        deps = await assembled.__aenter__()
        app.state.deps = deps
        for subscription in subscriptions_of(spec, platform, deps):
            Consumer(subscription, broker, max_attempts=settings.consumer_max_attempts,
                     backoff_s=settings.consumer_retry_backoff_s,
                     fetch_wait_ms=settings.consumer_fetch_wait_ms,
                     session_timeout_ms=settings.kafka_session_timeout_ms).subscribe()
        await start_subscribers_together(broker)
        relay_producer = make_relay_producer(settings)
        await relay_producer.start()
        relay = OutboxRelay(
            pool,
            producer_publisher(relay_producer),
            batch_size=settings.outbox_batch_size,
            poll_interval_s=settings.outbox_poll_interval_s,
            incarnation=(incarnation := BrokerIncarnation(
                settings.kafka_bootstrap_servers, f"{settings.service_name}-outbox-relay")),
            session=direct_session(direct, f"{spec.name}-relay-lease"),
        )
        tasks = [asyncio.create_task(relay.run(), name="outbox-relay"),
                 asyncio.create_task(watch_outbox(pool, settings.metrics_interval_s),
                                     name="outbox-metrics")]
        tasks += [asyncio.create_task(job(deps)) for job in spec.background]
        if effects := spec.effects(deps):
            tasks.append(asyncio.create_task(run_effects(effects, platform.transactions),
                                             name="side-effects"))
        log.info("service started", http_port=settings.http_port)
        try:
            yield
        finally:
            log.info("service stopping")
            await broker.stop()  # consumers finish the message in hand, offsets committed
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await relay_producer.stop()  # sends what the relay queued before it stopped
            await incarnation.close()
            await assembled.__aexit__(None, None, None)
            await notifications.close()
            await pool.close()
            log.info("service stopped")

    app = FastAPI(title=spec.title, description=spec.description, lifespan=lifespan,
                  max_body_size=spec.max_body_bytes)
    install_errors(app, spec.errors)
    instrument_app(app)  # a SERVER span per request (shared.runtime.telemetry)
    app.add_middleware(HttpMetrics)  # requests and latency per route template
    app.include_router(health_router(spec.notices))
    for router in spec.routers:
        app.include_router(router)
    return app


def _answer_with(status: int) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def answer(request: Request, error: Exception) -> JSONResponse:
        detail = getattr(error, "detail", None) or str(error)
        return JSONResponse(status_code=status,
                            content={"detail": detail, **getattr(error, "fields", {})},
                            headers=getattr(error, "headers", None))

    return answer


def install_errors(app: FastAPI, errors: Mapping[type[Exception], int]) -> None:
    """Answer each domain exception with its HTTP status, the same way on every route."""
    for error_type, status in errors.items():
        app.add_exception_handler(error_type, _answer_with(status))


def deps_of(request: Request) -> Any:
    """The dependencies the composition root built; each service wraps this in a typed
    FastAPI dependency of its own (a coroutine: FastAPI runs a plain ``def`` dependency on a
    worker thread, a thread hop per request for an attribute lookup)."""
    return request.app.state.deps


def health_router(notices: Callable[[Any], Sequence[str]] = lambda deps: ()) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: database and broker reachable")
    async def readyz(request: Request, response: Response) -> dict[str, Any]:
        platform: Platform | None = getattr(request.app.state, "platform", None)
        checks = await readiness(platform)
        if not all(checks.values()):
            response.status_code = 503
        deps = getattr(request.app.state, "deps", None)
        body: dict[str, Any] = {"status": "ready" if all(checks.values()) else "not ready",
                                "checks": checks}
        if deps is not None and (lines := list(notices(deps))):
            body["notices"] = lines  # not a failure: the service is ready
        return body

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


async def readiness(runtime: Platform | None) -> dict[str, bool]:
    if runtime is None:
        return {"database": False, "broker": False}
    checks = {"database": False, "broker": False}
    with contextlib.suppress(Exception):
        async with runtime.pool.acquire(timeout=2) as conn:
            checks["database"] = await conn.fetchval("SELECT true", timeout=2)
    with contextlib.suppress(Exception):
        checks["broker"] = await runtime.broker.ping(timeout=2)
    return checks


def run(spec: ServiceSpec, settings: ServiceSettings) -> None:
    """Entry point of ``python -m services.<name>``."""
    configure_logging(spec.name, fmt=settings.log_format, level=settings.log_level)
    configure_tracing(spec.name, otlp_endpoint=settings.otel_exporter_otlp_endpoint)
    app = build_app(spec, settings)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    uvicorn.Server(config).run()
