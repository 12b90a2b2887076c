"""Sandbox postal carrier (VNPost-like). Idempotent by key: the first call with a key creates
the shipment, a later one answers it as it is now; the same key with a different body is a
409. By default a shipment is delivered as soon as it is created.

Switches (see :mod:`deploy.sandbox.script`), per reference (the dossier code):

- ``PUT /carrier/_sandbox/shipments/{reference}`` ``{"answers": [...]}``: the next calls for
  that reference answer ``delivered``, ``created`` (accepted, not yet delivered), ``pending``
  (not yet accepted: ask again later), ``failed`` (refused for good: the address cannot be
  served), ``failed_retryable`` (refused for now: ask again later), ``error`` (503) or
  ``timeout``. A scripted answer on a repeated call changes the shipment first.
- ``GET /carrier/_sandbox/shipments/{reference}/calls``: one entry per call.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request
from pydantic import BaseModel

from deploy.sandbox.script import Script

router = APIRouter(prefix="/carrier", tags=["carrier (sandbox)"])
_shipments: dict[str, dict[str, object]] = {}
script = Script("shipments", ("delivered", "created", "pending", "failed", "failed_retryable"))
router.include_router(script.router())

_FAILURES = {"failed": ("address cannot be served", False),
             "failed_retryable": ("no collection possible today", True)}


class ShipmentIn(BaseModel):
    reference: str
    recipient_name: str
    recipient_phone: str
    address: str


def _answer(tracking_code: str, answer: str) -> dict[str, object]:
    response: dict[str, object] = {"tracking_code": tracking_code,
                                   "status": answer.removesuffix("_retryable")}
    if answer == "delivered":
        response["delivered_at"] = datetime.now(UTC).isoformat()
    if answer in _FAILURES:
        response["reason"], response["retryable"] = _FAILURES[answer]
    return response


@router.post("/v1/shipments")
async def create_shipment(
    body: ShipmentIn, idempotency_key: Annotated[str, Header(alias="Idempotency-Key")],
    http: Request,
) -> dict[str, object]:
    answer = await script.take(body.reference, http)
    known = _shipments.get(idempotency_key)
    if known is not None:
        if known["request"] != body.model_dump():
            raise HTTPException(409, "Idempotency-Key reused with a different body")
        if answer is not None:
            known["response"] = _answer(str(known["tracking_code"]), answer)
        return known["response"]  # type: ignore[return-value]
    # VNPost item numbers look like EB123456789VN (UPU S10).
    tracking_code = f"EB{random.randrange(10**8, 10**9)}VN"  # noqa: S311
    response = _answer(tracking_code, answer or "delivered")
    _shipments[idempotency_key] = {"request": body.model_dump(), "response": response,
                                   "tracking_code": tracking_code}
    return response


@router.get("/v1/shipments")
async def list_shipments() -> list[dict[str, object]]:
    return [s["response"] for s in _shipments.values()]  # type: ignore[misc]
