"""The side-effect loop: what leaves the system (a charge, a refund, a shipment, an email)
happens once, is retried when it may still succeed, and ends in an event either way.

A side effect is a row of a work table in the service's own database, inserted by a use case
in the transaction of the event that calls for it. The row's id is the idempotency key the
provider sees (payment id, refund id, shipment id, Message-ID), so a retry never does the
thing twice. A service *declares* each effect (:class:`Effect`); this module runs them all
the same way:

1. **Claim**: the effect's ``claim`` query selects due rows ``FOR UPDATE SKIP LOCKED`` (any
   joins it needs; ``$1`` is now, ``$2`` the batch size), so replicas share the work and a
   row stays locked while its provider is called.
2. **Attempt**: ``attempt(row)`` (or ``attempt_many(rows)``, one outcome per row) calls the
   provider and says what happened: :class:`Done` (with the events to emit), :class:`Pending`
   (the provider has it but has not decided: ask again in ``recheck_in`` s), or
   :class:`Failed` (``permanent`` when asking again cannot help). An exception is a
   transient failure. A reason is stored, logged and published: no personal data in it.
3. **Transition**, one statement for the batch on the effect's ``table``: done rows take the
   effect's ``done_status`` (or ``Done.status``) and keep ``Done.reference`` in the
   ``reference_column``; transient failures back off exponentially with jitter (capped); a
   permanent failure, or the last of ``max_attempts``, makes the row ``failed``.
4. **Events**, in the same transaction, through the unit of work: a done row's events, or
   the effect's ``given_up(row, reason, attempts)`` event when it is given up, so no dossier
   waits for an answer that will never come; ``settle`` makes the service's own writes for
   the done rows (a parent row's status, a timestamp), and the transaction commits.

Pending is not a failed attempt: the row keeps its attempts and is asked again (with the same
key, which a provider answers with the same payment) after the recheck interval. It has its
own bound instead: a row still pending ``pending_limit`` after the first pending answer is
given up like a permanent failure.

A crash after the provider acted and before the commit leaves the row due: it is attempted
again with the same key. With ``attempt_many`` that is the whole batch (up to ``batch_size``
emails resent, with the same Message-IDs, which receiving servers may deduplicate).

The table name and columns come from the declaration in the service (never from outside
input). Every work table has the retry columns ``id uuid``, ``status``, ``attempts``,
``next_attempt_at``, ``last_error``, ``pending_since`` and ``updated_at``, plus
``dossier_id``, ``dossier_code``, ``correlation_id`` and ``causation_event_id`` for the
events' envelopes; the claim selects ``id``, ``attempts``, ``pending_since`` and those four,
and a trigger ``pg_notify('<table>')`` on insert wakes the loop (it polls every second as
well). How hard to try is a :class:`Retry` (``EffectSettings`` reads it from a service's
environment: ``<SERVICE>_MAX_ATTEMPTS``, ``_BACKOFF_S``, ``_BACKOFF_CAP_S``, ``_RECHECK_S``,
``_PENDING_LIMIT_S``). Metrics: ``side_effect_backlog{effect}``,
``side_effect_done_total{effect}``, ``side_effect_failures_total{effect,kind}`` (kind:
transient, permanent, exhausted, expired) and ``side_effect_rechecks_total{effect}``.

**Adding a side effect** touches, in the service: a migration with the work table and its
trigger; ``repository.py`` (the insert, the claim query); ``handlers.py`` (the use case that
inserts the row when its event arrives); ``adapters/`` (the provider's client); ``effects.py``
(the declaration); ``bootstrap.py`` (the effect in the dependencies' ``effects``, which
``ServiceSpec.effects`` hands to :func:`run_effects`); and a test that scripts the sandbox's
answers (``deploy/sandbox``). A declaration reads like this::

    def receipts(printer: Printer, retry: Retry) -> Effect:
        async def print_one(row: Row) -> Outcome:
            answer = await printer.print(row["id"], row["dossier_code"])  # id: the key
            if answer.status == "printed":
                return Done([ReceiptPrinted(dossier_code=row["dossier_code"])])
            return Failed(answer.reason, permanent=not answer.retryable)

        return Effect(name="receipt", table="receipt", claim=repository.DUE_RECEIPTS,
                      attempt=print_one, given_up=receipt_failed, done_status="printed",
                      retry=retry)

The package: ``declaration`` (what a service declares), ``transitions`` (the rules, no I/O),
``loop`` (claim, attempt, record), ``metrics``, ``drain`` (wake on NOTIFY, poll as fallback;
processing's deadline scanner uses it too), ``settings``.
"""

from shared.runtime.effects.declaration import Done, Effect, Failed, Outcome, Pending, Retry
from shared.runtime.effects.drain import drain_forever
from shared.runtime.effects.loop import run_effects, run_once
from shared.runtime.effects.metrics import measure_backlog
from shared.runtime.effects.settings import EffectSettings

__all__ = ["Done", "Effect", "EffectSettings", "Failed", "Outcome", "Pending", "Retry",
           "drain_forever", "measure_backlog", "run_effects", "run_once"]
