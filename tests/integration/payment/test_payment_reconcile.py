"""The daily reconciliation against the sandbox's settlement file, over HTTP, on real
PostgreSQL: each kind of line for payments and for refunds (the sandbox's switches produce
each mismatch), an order we still think open settled from the file through the IPN's path
(once), events and metric, and the report as a table and as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from deploy.sandbox.vnpay import GMT7
from services.payment import reconcile_cli, schedule
from services.payment.adapters import settlement
from services.payment.domain.reconcile import REPORT_COLUMNS
from services.payment.handlers.reconcile import MISMATCHED, reconcile
from services.payment.reconcile_cli import table, write_csv
from services.payment.settings import PaymentSettings
from shared.contracts.events import Envelope, PaymentReconciliationMismatch
from shared.runtime.effects import Retry, run_once
from tests.integration.payment.support import FEE, Citizen, Dossier
from tests.integration.payment.test_payment_refunds import paid_and_withdrawn

pytestmark = pytest.mark.integration


def today(payment) -> date:
    return payment.sandbox.now.astimezone(GMT7).date()


async def paid(payment) -> tuple[Dossier, str]:
    dossier = Dossier(payment)
    await dossier.submit_and_accept()
    await Citizen().pay(await dossier.pay_url())
    return dossier, (await dossier.state())["orders"][0]["txn_ref"]


async def mismatch_events(payment, txn_ref: str) -> list[PaymentReconciliationMismatch]:
    async with payment.pool.acquire() as conn:
        rows = await conn.fetch("SELECT payload FROM outbox_message WHERE topic = 'payment.events'")
    events = [Envelope.model_validate_json(r["payload"]).event() for r in rows]
    return [e for e in events if isinstance(e, PaymentReconciliationMismatch)
            and e.txn_ref == txn_ref]


def counted(kind: str, transaction: str = "payment") -> float:
    return MISMATCHED.labels(kind=kind, transaction=transaction)._value.get()


async def test_a_paid_order_in_the_file_is_matched(payment) -> None:
    dossier, txn_ref = await paid(payment)
    [line] = [x for x in await reconcile(today(payment), payment.deps) if x.txn_ref == txn_ref]
    assert (line.kind, line.dossier_code, line.our_amount, line.gateway_amount) == \
        ("matched", dossier.code, FEE, FEE)
    assert await mismatch_events(payment, txn_ref) == []


async def test_a_transaction_we_never_recorded_is_missing_here(payment) -> None:
    payment.sandbox.switches.settlement_unknown = 1
    before = counted("missing_here")
    lines = await reconcile(today(payment), payment.deps)
    [line] = [x for x in lines if x.kind == "missing_here"]
    assert line.dossier_code is None and line.our_amount is None
    [event] = await mismatch_events(payment, line.txn_ref)
    assert event.kind == "missing_here" and event.gateway_amount == Decimal(50000)
    assert counted("missing_here") == before + 1


async def test_a_payment_the_file_lacks_is_missing_at_the_gateway(payment) -> None:
    dossier, txn_ref = await paid(payment)
    payment.sandbox.switches.settlement_omit = [txn_ref]
    before = counted("missing_at_gateway")
    [line] = [x for x in await reconcile(today(payment), payment.deps) if x.txn_ref == txn_ref]
    assert (line.kind, line.our_amount, line.gateway_amount) == ("missing_at_gateway", FEE, None)
    [event] = await mismatch_events(payment, txn_ref)
    assert event.dossier_code == dossier.code
    assert counted("missing_at_gateway") == before + 1


async def test_a_different_amount_is_an_amount_mismatch(payment) -> None:
    _, txn_ref = await paid(payment)
    payment.sandbox.switches.settlement_amounts = {txn_ref: 70000}
    before = counted("amount_mismatch")
    [line] = [x for x in await reconcile(today(payment), payment.deps) if x.txn_ref == txn_ref]
    assert (line.kind, line.our_amount, line.gateway_amount) == \
        ("amount_mismatch", FEE, Decimal(70000))
    [event] = await mismatch_events(payment, txn_ref)
    assert (event.our_amount, event.gateway_amount) == (FEE, Decimal(70000))
    assert counted("amount_mismatch") == before + 1


async def test_an_order_we_think_open_is_settled_from_the_file_once(payment) -> None:
    payment.sandbox.switches.drop_ipn = True  # paid at the bank, we never heard
    dossier, txn_ref = await paid(payment)
    assert (await dossier.state())["orders"][0]["state"] == "created"
    [line] = [x for x in await reconcile(today(payment), payment.deps) if x.txn_ref == txn_ref]
    assert (line.kind, line.settled_from_file) == ("matched", True)
    order = (await dossier.state())["orders"][0]
    assert (order["state"], order["settled_by"]) == ("succeeded", "reconciliation")
    again = [x for x in await reconcile(today(payment), payment.deps) if x.txn_ref == txn_ref]
    assert [(x.kind, x.settled_from_file) for x in again] == [("matched", False)]
    assert await dossier.kinds() == ["PaymentRequested", "PaymentCompleted"]
    async with payment.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM receipt WHERE dossier_code = $1",
                                   dossier.code) == 1


async def test_the_report_is_a_table_and_a_csv(payment, tmp_path) -> None:
    _, txn_ref = await paid(payment)
    payment.sandbox.switches.settlement_unknown = 1
    lines = await reconcile(today(payment), payment.deps)
    out = io.StringIO()
    table(lines, out)
    printed = out.getvalue().splitlines()
    assert printed[0].split() == list(REPORT_COLUMNS)
    assert any(txn_ref in row and row.startswith("matched") for row in printed)
    write_csv(lines, tmp_path / "report.csv")
    rows = list(csv.DictReader((tmp_path / "report.csv").open(encoding="utf-8")))
    assert {r["kind"] for r in rows} >= {"matched", "missing_here"}
    assert len(rows) == len(lines)


async def test_the_scheduled_job_runs_the_previous_day_at_its_time(payment) -> None:
    _, txn_ref = await paid(payment)
    payment.sandbox.switches.settlement_omit = [txn_ref]
    day, at = today(payment), schedule.parse_at("02:00")
    payment.clock.now = datetime.combine(day + timedelta(days=1), time(1, 59), GMT7)
    assert await schedule.schedule_previous_day(payment.deps.transactions, payment.clock(),
                                                at) == day
    job = schedule.reconciliations(payment.deps, at, Retry(max_attempts=3))
    assert await run_once(job, payment.deps.transactions, now=payment.clock) == 0
    payment.later(minutes=1)  # 02:00 GMT+7
    assert await run_once(job, payment.deps.transactions, now=payment.clock) == 1
    assert [e.kind for e in await mismatch_events(payment, txn_ref)] == ["missing_at_gateway"]
    async with payment.pool.acquire() as conn:
        runs = await conn.fetch("""SELECT settlement_date, status, next_attempt_at
                                   FROM reconciliation_run ORDER BY settlement_date""")
    assert [(r["settlement_date"], r["status"]) for r in runs] == \
        [(day, "done"), (day + timedelta(days=1), "scheduled")]
    assert runs[1]["next_attempt_at"] == datetime.combine(day + timedelta(days=2), at, GMT7)
    assert await run_once(job, payment.deps.transactions, now=payment.clock) == 0


async def test_the_command_prints_the_table_writes_the_csv_and_exits_1_on_a_mismatch(
        payment, database_url, tmp_path) -> None:
    _, txn_ref = await paid(payment)
    payment.sandbox.switches.settlement_amounts = {txn_ref: 70000}
    settings = PaymentSettings(environment="development").model_copy(update={
        "database_url": database_url, "database_name": urlsplit(database_url).path[1:],
        "gateway_url": str(payment.gateway_http.base_url)})
    out = io.StringIO()
    lines = await reconcile_cli.run(today(payment), settings, report=tmp_path / "r.csv",
                                    out=out)
    assert any(row.startswith("amount_mismatch") and txn_ref in row
               for row in out.getvalue().splitlines())
    rows = list(csv.DictReader((tmp_path / "r.csv").open(encoding="utf-8")))
    assert {(r["kind"], r["gateway_amount"]) for r in rows if r["txn_ref"] == txn_ref} == \
        {("amount_mismatch", "70000")}
    assert reconcile_cli.exit_code(lines) == 1


async def refunded(payment, *, finish_here: bool = True) -> tuple[Dossier, str]:
    """A paid fee, withdrawn and refunded in full at the gateway (05 → 06 → 00); with
    ``finish_here=False`` our side never hears the last step (the refund stays under way)."""
    dossier = await paid_and_withdrawn(payment)
    assert await payment.refund() == 1  # asked for: 05
    for _ in range(2):
        await payment.sandbox.advance(5)
        payment.later(minutes=1)
        if finish_here:
            assert await payment.refund() == 1
    [txn_ref] = [o["txn_ref"] for o in (await dossier.state())["orders"]]
    return dossier, txn_ref


def refund_lines(lines, txn_ref: str):
    return [x for x in lines if x.txn_ref == txn_ref and x.transaction == "refund"]


async def test_a_completed_refund_in_the_file_is_matched(payment) -> None:
    dossier, txn_ref = await refunded(payment)
    assert [r["status"] for r in (await dossier.state())["refunds"]] == ["completed"]
    lines = await reconcile(today(payment), payment.deps)
    [line] = refund_lines(lines, txn_ref)
    assert (line.kind, line.dossier_code, line.our_amount, line.gateway_amount) == \
        ("matched", dossier.code, FEE, FEE)
    # the payment itself is a line of its own, matched as well
    assert [x.kind for x in lines if x.txn_ref == txn_ref and x.transaction == "payment"] == \
        ["matched"]
    assert await mismatch_events(payment, txn_ref) == []


async def test_a_refund_the_file_lacks_is_missing_at_the_gateway(payment) -> None:
    dossier, txn_ref = await refunded(payment)
    payment.sandbox.switches.settlement_omit_refunds = [txn_ref]
    before = counted("missing_at_gateway", "refund")
    [line] = refund_lines(await reconcile(today(payment), payment.deps), txn_ref)
    assert (line.kind, line.our_amount, line.gateway_amount) == ("missing_at_gateway", FEE, None)
    [event] = await mismatch_events(payment, txn_ref)
    assert (event.transaction, event.kind, event.dossier_code) == \
        ("refund", "missing_at_gateway", dossier.code)
    assert counted("missing_at_gateway", "refund") == before + 1


async def test_a_refund_of_another_amount_is_an_amount_mismatch(payment) -> None:
    _, txn_ref = await refunded(payment)
    payment.sandbox.switches.settlement_refund_amounts = {txn_ref: 70000}
    before = counted("amount_mismatch", "refund")
    [line] = refund_lines(await reconcile(today(payment), payment.deps), txn_ref)
    assert (line.kind, line.our_amount, line.gateway_amount) == \
        ("amount_mismatch", FEE, Decimal(70000))
    [event] = await mismatch_events(payment, txn_ref)
    assert (event.transaction, event.our_amount, event.gateway_amount) == \
        ("refund", FEE, Decimal(70000))
    assert counted("amount_mismatch", "refund") == before + 1


async def test_a_refund_done_at_the_gateway_but_under_way_here_is_missing_here(payment) -> None:
    dossier, txn_ref = await refunded(payment, finish_here=False)
    assert [r["status"] for r in (await dossier.state())["refunds"]] != ["completed"]
    [line] = refund_lines(await reconcile(today(payment), payment.deps), txn_ref)
    assert (line.kind, line.dossier_code, line.gateway_amount) == \
        ("missing_here", dossier.code, FEE)
    # the refund's own side effect finishes it at its next attempt, and the next run matches
    assert await payment.refund() == 1
    assert [r["status"] for r in (await dossier.state())["refunds"]] == ["completed"]
    [again] = refund_lines(await reconcile(today(payment), payment.deps), txn_ref)
    assert again.kind == "matched"


def test_an_export_without_the_transaction_type_holds_payments_only() -> None:
    old = ("transaction_no,txn_ref,amount,bank_code,status,pay_date\n"
           "14000001,AB12,75000,NCB,00,20261201103000\n")
    [line] = settlement.parse(old)
    assert (line.transaction_type, line.is_refund, line.amount) == ("01", False, Decimal(75000))
    with pytest.raises(settlement.SettlementFileError, match="transaction_type"):
        settlement.parse(old.replace("pay_date", "pay_date,transaction_type")
                         .replace("103000", "103000,09"))
