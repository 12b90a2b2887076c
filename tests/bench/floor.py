"""The HTTP floor: the least a ``POST /v1/dossiers`` can cost on this machine with our stack's
parts (FastAPI, uvicorn, asyncpg, the same PostgreSQL), measured in the same run as intake.

``python -m tests.bench.floor <spec json>`` serves, on one uvicorn worker with intake's own
server settings (``shared.runtime.service.run``: uvloop and httptools picked up by uvicorn,
no access log, ``log_config=None``) and intake's pool size (1–10 connections):

- ``GET /v1/procedures``: the catalog the bench read from intake (the load generator builds
  its submissions from it, so both endpoints receive the same bodies);
- ``POST /v1/dossiers``: reads the JSON body, then **two INSERTs in one transaction** (the
  dossier, one document row) and answers 201 with a dossier code.

No signature check, no validation, no documents stored, no event: whatever intake does beyond
this is what the ratio intake ÷ floor shows.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from shared.runtime.db import create_pool, ensure_database

SCHEMA = """
CREATE TABLE IF NOT EXISTS floor_dossier (
    id bigserial PRIMARY KEY, submission_id text NOT NULL, body jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS floor_document (
    id bigserial PRIMARY KEY, dossier_id bigint NOT NULL REFERENCES floor_dossier (id),
    kind text NOT NULL);
"""


def create_app(database_url: str, procedures: list[dict[str, Any]]) -> FastAPI:
    pools: dict[str, asyncpg.Pool] = {}
    numbers = itertools.count(1)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await ensure_database(database_url)
        pools["db"] = await create_pool(database_url, min_size=1, max_size=10)
        async with pools["db"].acquire() as conn:
            await conn.execute(SCHEMA)
        yield
        await pools["db"].close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/v1/procedures")
    async def catalog() -> list[dict[str, Any]]:
        return procedures

    @app.post("/v1/dossiers", status_code=201)
    async def submit(request: Request) -> JSONResponse:
        body = await request.json()
        async with pools["db"].acquire() as conn, conn.transaction():
            dossier_id = await conn.fetchval(
                "INSERT INTO floor_dossier (submission_id, body) VALUES ($1, $2) RETURNING id",
                body["portal_submission_id"], {"procedure": body["procedure_code"]})
            await conn.execute("INSERT INTO floor_document (dossier_id, kind) VALUES ($1, $2)",
                               dossier_id, (body.get("documents") or [{}])[0].get("kind", "-"))
        return JSONResponse({"dossier_code": f"FLOOR-{next(numbers):07d}"}, status_code=201)

    return app


def main(spec: dict[str, Any]) -> None:
    with open(spec["procedures"]) as file:
        procedures = json.load(file)
    config = uvicorn.Config(create_app(spec["database_url"], procedures), host="127.0.0.1",
                            port=spec["port"], log_config=None, access_log=False,
                            timeout_graceful_shutdown=10)
    uvicorn.Server(config).run()  # as intake: uvicorn picks uvloop and httptools


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
