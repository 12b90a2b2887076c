"""What payment's use cases need, assembled once by the composition root (bootstrap.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from services.payment.adapters.gateway import VnpayGateway
from shared.reference.catalog import Catalog
from shared.runtime.effects import Effect
from shared.runtime.outbox import Transactions


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OrderTerms:
    """How long an attempt to pay lasts (per procedure), and when a silent one is asked
    about (querydr) after it expired."""

    ttl: timedelta = timedelta(minutes=15)
    ttl_by_procedure: Mapping[str, timedelta] = field(default_factory=dict)
    querydr_after: timedelta = timedelta(minutes=5)

    def ttl_of(self, procedure_code: str | None) -> timedelta:
        return self.ttl_by_procedure.get(procedure_code or "", self.ttl)


@dataclass(frozen=True)
class PaymentDeps:
    transactions: Transactions
    catalog: Catalog
    effects: tuple[Effect, ...] = ()
    gateway: VnpayGateway | None = None
    base_url: str = "http://127.0.0.1:8003"  # this service, as citizens and the gateway see it
    orders: OrderTerms = field(default_factory=OrderTerms)
    now: Callable[[], datetime] = utc_now

    def pay_url(self, token: str) -> str:
        return f"{self.base_url}/v1/pay/{token}"

    def receipt_url(self, dossier_code: str, token: str) -> str:
        """The printed receipt of a paid fee, for the holder of its pay link's token."""
        return f"{self.base_url}/v1/payments/{dossier_code}/receipt?token={token}&format=pdf"

    @property
    def vnpay(self) -> VnpayGateway:
        if self.gateway is None:
            raise RuntimeError("payment was assembled without its gateway")
        return self.gateway
