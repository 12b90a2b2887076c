"""The daily reconciliation: the gateway's settlement file against our ledger. An order the
file shows paid that we still think open is settled from it first, through the IPN's own
path (so at most once); then each payment and each refund is matched or a mismatch, and each
mismatch is an event (``PaymentReconciliationMismatch``) and a metric. A refund the file
shows completed that we still think under way is left to the refund's own side effect,
which asks the gateway at its next attempt: the report shows it as ``missing_here``."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg
import structlog
from prometheus_client import Counter

from services.payment.adapters.settlement import Settled
from services.payment.deps import PaymentDeps
from services.payment.domain.orders import GatewayResult
from services.payment.domain.reconcile import MISMATCHES, Line, Ours, compare, day_bounds
from services.payment.handlers.ipn import CONFIRMED, apply_word
from services.payment.repository import ledger
from shared.contracts.events import PaymentReconciliationMismatch
from shared.runtime.outbox import UnitOfWork

log = structlog.get_logger(__name__)
MISMATCHED = Counter("payment_reconciliation_mismatches_total",
                     "Transactions on which the gateway's settlement file and our ledger "
                     "disagree", ["kind", "transaction"])


async def reconcile(day: date, deps: PaymentDeps,
                    settled: list[Settled] | None = None) -> list[Line]:
    """``settled`` is the day's file; fetched from the gateway when not given."""
    done = [s for s in (settled if settled is not None else await deps.vnpay.settlement(day))
            if s.status == "00"]
    file = [s for s in done if not s.is_refund]
    refunds = [s for s in done if s.is_refund]
    from_file = await _settle_open_orders(file, deps)
    start, end = day_bounds(day)
    async with deps.transactions() as uow:
        paid = [_ours(r) for r in await ledger.paid_between(uow.conn, start, end)]
        rows = await ledger.orders_by_ref(uow.conn, [s.txn_ref for s in file])
        known = {r["txn_ref"]: _ours(r) for r in rows}
        lines = compare([(s.txn_ref, s.transaction_no, s.amount) for s in file], paid, known,
                        frozenset(from_file))
        refunded = [_ours(r) for r in await ledger.refunded_between(uow.conn, start, end)]
        refund_rows = await ledger.refunds_by_ref(uow.conn, [s.txn_ref for s in refunds])
        lines += compare([(s.txn_ref, s.transaction_no, s.amount) for s in refunds], refunded,
                         {r["txn_ref"]: _ours(r) for r in refund_rows}, transaction="refund")
        dossiers = {("payment", r["txn_ref"]): r for r in rows} | \
            {("refund", r["txn_ref"]): r for r in refund_rows}
        for line in lines:
            if line.kind in MISMATCHES:
                _emit(uow, day, line, dossiers.get((line.transaction, line.txn_ref)))
        await uow.commit()
    for line in lines:
        if line.kind in MISMATCHES:
            MISMATCHED.labels(kind=line.kind, transaction=line.transaction).inc()
    log.info("reconciliation done", settlement_date=day.isoformat(), lines=len(lines),
             settled_from_file=len(from_file),
             **{kind: sum(1 for line in lines if line.kind == kind) for kind in MISMATCHES})
    return lines


async def _settle_open_orders(file: list[Settled], deps: PaymentDeps) -> list[str]:
    async with deps.transactions() as uow:
        rows = await ledger.orders_by_ref(uow.conn, [s.txn_ref for s in file])
    open_refs = {r["txn_ref"] for r in rows if r["state"] != "succeeded"}
    settled = []
    for line in file:
        if line.txn_ref not in open_refs:
            continue
        word = GatewayResult(txn_ref=line.txn_ref, amount=line.amount, response_code="00",
                             transaction_status="00", transaction_no=line.transaction_no,
                             bank_code=line.bank_code, paid_at=line.paid_at)
        if await apply_word(word, deps, by="reconciliation") == CONFIRMED:
            settled.append(line.txn_ref)
    return settled


def _ours(row: asyncpg.Record) -> Ours:
    paid = row.get("state", "succeeded") == "succeeded" and \
        row.get("refund_status", "completed") == "completed"
    return Ours(row["txn_ref"], row["dossier_code"], row["amount"], row["transaction_no"],
                paid=paid)


def _emit(uow: UnitOfWork, day: date, line: Line, dossier: asyncpg.Record | None) -> None:
    """One event per day, kind and TxnRef: a second run of the same day repeats its id, and
    consumers' inboxes drop it."""
    key = f"{day.isoformat()}:{line.kind}:{line.txn_ref}" + \
        (":refund" if line.transaction == "refund" else "")
    stranger = uuid.uuid5(uuid.NAMESPACE_URL, f"mot-cua:payment:unknown-txn:{line.txn_ref}")
    uow.emit(PaymentReconciliationMismatch(
        dossier_code=line.dossier_code, settlement_date=day, kind=line.kind,
        txn_ref=line.txn_ref, transaction_no=line.transaction_no, our_amount=line.our_amount,
        gateway_amount=line.gateway_amount, transaction=line.transaction),
        dossier_id=dossier["dossier_id"] if dossier else stranger,
        correlation_id=dossier["correlation_id"] if dossier else stranger,
        causation_id=dossier["causation_event_id"] if dossier else None,
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"mot-cua:payment:reconciliation:{key}"))
