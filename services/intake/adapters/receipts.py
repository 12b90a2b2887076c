"""Receipts: each portal reads the outcome of its Kafka submissions on its own topic."""

from __future__ import annotations

import asyncio
from typing import Any

from faststream.kafka import KafkaBroker

from services.intake.schemas import PortalReceipt
from shared.contracts.topics import portal_receipts


class Receipts:
    """Publishes a receipt on ``portal.<portal_id>.receipts``, keyed by the submission id."""

    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    async def send(self, portal: str, receipt: PortalReceipt) -> asyncio.Future[Any]:
        """Queue the receipt; return the future the broker's acknowledgement settles."""
        ack: asyncio.Future[Any] = await self._broker.publish(
            receipt.model_dump_json().encode(), portal_receipts(portal),
            key=receipt.portal_submission_id.encode(), no_confirm=True)
        return ack
